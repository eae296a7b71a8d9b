//! Property: arbitrary bytes never panic either parser, never yield more
//! than the limits allow, the request parser never holds more than it was
//! given, and the outcome does not depend on how the input was chunked.
//! Truncated valid requests are incomplete, never errors.

use bytes::{Bytes, BytesMut};
use corekv_wire::{Limits, ProtocolError, ReplyParser, RequestParser, encode_request};
use proptest::prelude::*;

const LIMITS: Limits = Limits {
    max_bulk_len: 24,
    max_multibulk_len: 6,
    max_inline_len: 40,
};

/// Mostly protocol-shaped noise.
fn noise() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..4),
        prop::sample::select(vec![
            &b"*"[..],
            b"$",
            b"\r\n",
            b"\r",
            b"\n",
            b"-1",
            b"0",
            b"1",
            b"2",
            b"3",
            b"24",
            b"25",
            b"7",
            b"99999999999999999999",
            b" ",
            b"\"",
            b"'",
            b"\\x4",
            b"\\",
            b"abc",
            b"+",
            b":",
            b"%",
            b"~",
            b"_",
            b"#t",
            b",",
            b"=",
            b"|",
            b">",
            b"!",
            b"(",
            b"\0",
        ])
        .prop_map(|t| t.to_vec()),
    ];
    prop::collection::vec(token, 0..80).prop_map(|ts| ts.concat())
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Cmd(Vec<Bytes>),
    Err(ProtocolError),
}

fn run_requests(input: &[u8], sizes: &[usize]) -> Vec<Outcome> {
    let mut p = RequestParser::new(LIMITS);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let (mut fed, mut returned) = (0usize, 0usize);
    let mut pos = 0;
    let mut i = 0;
    'feed: while pos < input.len() {
        let n = sizes[i % sizes.len()].max(1).min(input.len() - pos);
        i += 1;
        buf.extend_from_slice(&input[pos..pos + n]);
        pos += n;
        fed += n;
        loop {
            match p.parse(&mut buf) {
                Ok(Some(argv)) => {
                    assert!(!argv.is_empty());
                    assert!(argv.len() <= LIMITS.max_multibulk_len);
                    for a in &argv {
                        assert!(a.len() <= LIMITS.max_bulk_len);
                        returned += a.len();
                    }
                    out.push(Outcome::Cmd(argv));
                }
                Ok(None) => break,
                Err(e) => {
                    out.push(Outcome::Err(e));
                    break 'feed;
                }
            }
            assert!(p.pending_bytes() + buf.len() + returned <= fed);
        }
        assert!(p.pending_bytes() + buf.len() + returned <= fed);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn requests_from_noise(input in noise(), sizes in prop::collection::vec(1usize..16, 1..8)) {
        let whole = run_requests(&input, &[input.len().max(1)]);
        let chunked = run_requests(&input, &sizes);
        prop_assert_eq!(&whole, &chunked);
        let bytewise = run_requests(&input, &[1]);
        prop_assert_eq!(&whole, &bytewise);
    }

    #[test]
    fn requests_from_random_bytes(input in prop::collection::vec(any::<u8>(), 0..300)) {
        let whole = run_requests(&input, &[input.len().max(1)]);
        let bytewise = run_requests(&input, &[1]);
        prop_assert_eq!(whole, bytewise);
    }

    #[test]
    fn replies_from_noise(input in noise()) {
        let mut p = ReplyParser::new(LIMITS);
        let mut buf = BytesMut::from(&input[..]);
        // Each success consumes at least one byte, so this terminates.
        while let Ok(Some(_)) = p.parse(&mut buf) {}
        prop_assert!(buf.len() <= input.len());
    }

    #[test]
    fn truncated_requests_are_incomplete(
        cmds in prop::collection::vec(prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..6), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut input = BytesMut::new();
        for argv in &cmds {
            let refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
            encode_request(&refs, &mut input);
        }
        let cut = cut.index(input.len());
        let outcomes = run_requests(&input[..cut], &[5]);
        prop_assert!(outcomes.len() < cmds.len());
        for (o, argv) in outcomes.iter().zip(&cmds) {
            match o {
                Outcome::Cmd(got) => prop_assert!(got.iter().map(|b| b.to_vec()).eq(argv.iter().cloned())),
                Outcome::Err(e) => prop_assert!(false, "error {e}"),
            }
        }
    }
}
