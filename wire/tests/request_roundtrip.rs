//! Property: any argv encoded with `encode_request` parses back to the same
//! argv, whether fed whole, in arbitrary chunks, or pipelined.

use bytes::{Bytes, BytesMut};
use corekv_wire::{RequestParser, encode_request};
use proptest::prelude::*;

fn argv_strategy() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..8),
            prop::collection::vec(any::<u8>(), 0..300),
            // Bytes that look like protocol, to catch any re-scanning.
            prop::collection::vec(prop::sample::select(&b"*$\r\n-0123456789 \"'"[..]), 0..40),
        ],
        1..10,
    )
}

fn encode_all(cmds: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for argv in cmds {
        let refs: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
        encode_request(&refs, &mut out);
    }
    out.to_vec()
}

/// Feeds `input` in chunks of the given sizes (cycled), collecting every
/// command parsed along the way.
fn feed_chunked(input: &[u8], sizes: &[usize]) -> Vec<Vec<Bytes>> {
    let mut p = RequestParser::default();
    let mut buf = BytesMut::new();
    let mut cmds = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < input.len() {
        let n = sizes[i % sizes.len()].max(1).min(input.len() - pos);
        i += 1;
        buf.extend_from_slice(&input[pos..pos + n]);
        pos += n;
        while let Some(argv) = p.parse(&mut buf).expect("valid input") {
            cmds.push(argv);
        }
    }
    assert!(buf.is_empty(), "leftover {buf:?}");
    assert!(p.is_idle());
    cmds
}

fn same(got: &[Vec<Bytes>], want: &[Vec<Vec<u8>>]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| g.len() == w.len() && g.iter().zip(w).all(|(a, b)| a[..] == b[..]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn whole(argv in argv_strategy()) {
        let cmds = vec![argv];
        let input = encode_all(&cmds);
        let got = feed_chunked(&input, &[input.len()]);
        prop_assert!(same(&got, &cmds), "{got:?} != {cmds:?}");
    }

    #[test]
    fn chunked(argv in argv_strategy(), sizes in prop::collection::vec(1usize..64, 1..16)) {
        let cmds = vec![argv];
        let input = encode_all(&cmds);
        let got = feed_chunked(&input, &sizes);
        prop_assert!(same(&got, &cmds), "{got:?} != {cmds:?}");
    }

    #[test]
    fn pipelined(
        cmds in prop::collection::vec(argv_strategy(), 1..8),
        sizes in prop::collection::vec(1usize..512, 1..8),
    ) {
        let input = encode_all(&cmds);
        let whole = feed_chunked(&input, &[input.len()]);
        prop_assert!(same(&whole, &cmds), "{whole:?} != {cmds:?}");
        let chunked = feed_chunked(&input, &sizes);
        prop_assert!(same(&chunked, &cmds), "{chunked:?} != {cmds:?}");
        let bytewise = feed_chunked(&input, &[1]);
        prop_assert!(same(&bytewise, &cmds));
    }

    /// Inline commands built from words without special characters parse
    /// to those words, also when pipelined with multibulks.
    #[test]
    fn inline_words(
        words in prop::collection::vec("[a-zA-Z0-9_:.-]{1,12}", 1..8),
        crlf in any::<bool>(),
    ) {
        let mut input = words.join(" ").into_bytes();
        input.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        let mut cmds = vec![words.iter().map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>()];
        input.extend(encode_all(&cmds));
        cmds.push(cmds[0].clone());
        let got = feed_chunked(&input, &[3]);
        prop_assert!(same(&got, &cmds), "{got:?} != {cmds:?}");
    }

    /// Any byte string survives double-quoting with `\xHH` escapes.
    #[test]
    fn inline_quoted(arg in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut input = b"SET \"".to_vec();
        for b in &arg {
            input.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        }
        input.extend_from_slice(b"\"\r\n");
        let got = feed_chunked(&input, &[7]);
        prop_assert!(same(&got, &[vec![b"SET".to_vec(), arg]]));
    }
}
