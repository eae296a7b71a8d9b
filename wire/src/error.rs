//! Protocol errors. The `Display` of each is the full error reply text sent
//! to the client (without the leading `-`), copied from Redis's
//! `networking.c` for the request side.

use corekv_core::Reply;

/// A malformed frame. After a request-side error the connection must be
/// closed: the parser does not resynchronise (neither does Redis).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("ERR Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    #[error("ERR Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// The byte found where a `$` bulk header was expected. Bytes above
    /// 0x7f are shown as the Latin-1 character (Redis writes the raw byte).
    #[error("ERR Protocol error: expected '$', got '{}'", char::from(*.0))]
    ExpectedDollar(u8),
    #[error("ERR Protocol error: too big inline request")]
    TooBigInlineRequest,
    #[error("ERR Protocol error: too big mbulk count string")]
    TooBigMbulkCountString,
    #[error("ERR Protocol error: too big bulk count string")]
    TooBigBulkCountString,
    #[error("ERR Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// Reply-side only (server → client frames): what was wrong.
    #[error("ERR Protocol error: {0}")]
    BadReply(&'static str),
}

impl ProtocolError {
    /// The error reply to send before closing the connection.
    pub fn to_reply(&self) -> Reply {
        Reply::Error(self.to_string())
    }
}
