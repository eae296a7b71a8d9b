//! Protocol-neutral replies. Command logic builds a `Reply`; `wire` encodes
//! it as RESP2 or RESP3 depending on what the connection negotiated (HELLO).

use bytes::Bytes;

/// One reply value. RESP3-only shapes (Map, Set, Double, Bool, Null) are
/// down-converted by the RESP2 encoder exactly the way Redis does.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`: the full text after `-`, e.g. `ERR syntax error`.
    Error(String),
    Integer(i64),
    Bulk(Bytes),
    /// Null bulk string in RESP2 (`$-1`), `_` in RESP3.
    Nil,
    /// Null array in RESP2 (`*-1`), `_` in RESP3.
    NilArray,
    Array(Vec<Reply>),
    /// RESP3 double; a bulk string in RESP2.
    Double(f64),
    /// A double printed as Redis's `addReplyHumanLongDouble` (`%.17Lf`,
    /// trailing zeros dropped: `13.36138933897018433`): a RESP3 double, a
    /// bulk string in RESP2. GEOPOS and WITHCOORD coordinates.
    HumanDouble(f64),
    /// RESP3 map; a flat array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 map; in RESP2 an array of `[key, value]` arrays, not Map's
    /// flat array (XREAD and XREADGROUP answer per stream this way).
    PairMap(Vec<(Reply, Reply)>),
    /// RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// RESP3 boolean; integer 1/0 in RESP2.
    Bool(bool),
    /// RESP3 verbatim string (`=`, format `txt`); a bulk string in RESP2.
    Verbatim(String),
    /// Pairs answered as an array of 2-element arrays in RESP3 and as one
    /// flat array of 2n in RESP2 (HRANDFIELD WITHVALUES, and the WITHSCORES
    /// replies): unlike `Map`, RESP3 keeps them an array, repeats allowed.
    Pairs(Vec<(Reply, Reply)>),
    /// A reply already encoded for the connection that gets it: a heavy
    /// read's result, encoded (and its tree freed) on the heavy-pool thread
    /// rather than on the core, where a 100k-entry XRANGE's encode and drop
    /// would stall every other client for tens of ms. Never an error.
    Encoded(Bytes),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Simple("OK".to_string())
    }
    pub fn err(text: impl Into<String>) -> Reply {
        Reply::Error(text.into())
    }
    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}
