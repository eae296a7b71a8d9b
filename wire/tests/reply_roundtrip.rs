//! Property: any `Reply` encoded in RESP3 parses back equal (both nils
//! read back as `Nil`), and in RESP2 parses back to Redis's down-converted
//! form. Truncated frames are incomplete, never errors.

use bytes::{Bytes, BytesMut};
use corekv_core::Reply;
use corekv_wire::{Proto, ReplyParser, encode, parse_reply};
use proptest::prelude::*;

fn finite_f64() -> impl Strategy<Value = f64> {
    use prop::num::f64::*;
    prop_oneof![
        POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO,
        (-1_000_000i64..1_000_000).prop_map(|v| v as f64),
        (-1000i64..1000).prop_map(|v| v as f64 / 8.0),
    ]
}

fn line_text() -> impl Strategy<Value = String> {
    "[^\r\n]{0,20}"
}

fn reply_strategy() -> impl Strategy<Value = Reply> {
    let leaf = prop_oneof![
        line_text().prop_map(Reply::Simple),
        line_text().prop_map(Reply::Error),
        any::<i64>().prop_map(Reply::Integer),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|v| Reply::Bulk(Bytes::from(v))),
        Just(Reply::Nil),
        Just(Reply::NilArray),
        finite_f64().prop_map(Reply::Double),
        any::<bool>().prop_map(Reply::Bool),
        ".{0,20}".prop_map(Reply::Verbatim),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Array),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Set),
            prop::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Reply::Map),
            prop::collection::vec((inner.clone(), inner), 0..4).prop_map(Reply::Pairs),
        ]
    })
}

/// What a RESP3 encoding reads back as.
fn resp3_form(r: &Reply) -> Reply {
    match r {
        Reply::NilArray => Reply::Nil,
        Reply::Array(v) => Reply::Array(v.iter().map(resp3_form).collect()),
        Reply::Set(v) => Reply::Set(v.iter().map(resp3_form).collect()),
        Reply::Map(v) => Reply::Map(
            v.iter()
                .map(|(k, v)| (resp3_form(k), resp3_form(v)))
                .collect(),
        ),
        Reply::Pairs(v) => Reply::Array(
            v.iter()
                .map(|(a, b)| Reply::Array(vec![resp3_form(a), resp3_form(b)]))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Checks `got` is the RESP2 down-conversion of `orig`.
fn check_resp2(orig: &Reply, got: &Reply) -> Result<(), TestCaseError> {
    match (orig, got) {
        (Reply::Double(d), Reply::Bulk(b)) => {
            let back: f64 = std::str::from_utf8(b).unwrap().parse().unwrap();
            prop_assert_eq!(back, *d);
        }
        (Reply::Bool(b), Reply::Integer(i)) => prop_assert_eq!(*i, *b as i64),
        (Reply::Verbatim(s), Reply::Bulk(b)) => prop_assert_eq!(s.as_bytes(), &b[..]),
        (Reply::Array(a) | Reply::Set(a), Reply::Array(g)) => {
            prop_assert_eq!(a.len(), g.len());
            for (a, g) in a.iter().zip(g) {
                check_resp2(a, g)?;
            }
        }
        (Reply::Map(pairs) | Reply::Pairs(pairs), Reply::Array(g)) => {
            prop_assert_eq!(pairs.len() * 2, g.len());
            for ((k, v), kv) in pairs.iter().zip(g.chunks(2)) {
                check_resp2(k, &kv[0])?;
                check_resp2(v, &kv[1])?;
            }
        }
        (
            Reply::Map(_)
            | Reply::Pairs(_)
            | Reply::Set(_)
            | Reply::Double(_)
            | Reply::Bool(_)
            | Reply::Verbatim(_),
            _,
        ) => prop_assert!(false, "{orig:?} read back as {got:?}"),
        _ => prop_assert_eq!(orig, got),
    }
    Ok(())
}

fn encoded(r: &Reply, proto: Proto) -> BytesMut {
    let mut out = BytesMut::new();
    encode(r, proto, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resp3_round_trip(r in reply_strategy()) {
        let mut buf = encoded(&r, Proto::Resp3);
        let got = parse_reply(&mut buf).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        prop_assert_eq!(got, resp3_form(&r));
    }

    #[test]
    fn resp2_round_trip(r in reply_strategy()) {
        let mut buf = encoded(&r, Proto::Resp2);
        let got = parse_reply(&mut buf).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        check_resp2(&r, &got)?;
    }

    #[test]
    fn truncated_is_incomplete(r in reply_strategy(), resp3 in any::<bool>(), cut in any::<prop::sample::Index>()) {
        let proto = if resp3 { Proto::Resp3 } else { Proto::Resp2 };
        let full = encoded(&r, proto);
        let cut = cut.index(full.len());
        let mut buf = BytesMut::from(&full[..cut]);
        prop_assert_eq!(parse_reply(&mut buf), Ok(None));
        prop_assert_eq!(buf.len(), cut);
    }

    /// Byte-at-a-time feeding through a stateful parser, pipelined.
    #[test]
    fn stateful_bytewise(rs in prop::collection::vec(reply_strategy(), 1..4)) {
        let mut input = BytesMut::new();
        for r in &rs {
            encode(r, Proto::Resp3, &mut input);
        }
        let mut p = ReplyParser::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            while let Some(r) = p.parse(&mut buf).unwrap() {
                got.push(r);
            }
        }
        prop_assert!(buf.is_empty());
        let want: Vec<Reply> = rs.iter().map(resp3_form).collect();
        prop_assert_eq!(got, want);
    }
}
