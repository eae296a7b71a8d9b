//! HyperLogLog: PFADD PFCOUNT PFMERGE give redis-server 7.0.15's counts
//! and stored bytes, values captured from Redis keep working when SET into
//! the server, and errors are Redis's texts. Every expected value here was
//! captured from redis-server 7.0.15 (GET before any PFCOUNT unless said).

use corekv_tests::r::{e, i, ok};
use corekv_tests::{Reply, Resp, Server, check};

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// 64-bit FNV-1a of a value with its cached cardinality (bytes 8..16)
/// read as "0, stale", the fingerprint the capture printed for long
/// values. A PFCOUNT on Redis stores the count there (and a later PFADD
/// keeps it, marking it stale); corekv's PFCOUNT stores nothing (README),
/// so only the registers and the header's other bytes are compared; the
/// cache bytes are checked exactly where no PFCOUNT ran.
fn fnv(v: &[u8]) -> u64 {
    v.iter()
        .enumerate()
        .fold(0xcbf2_9ce4_8422_2325, |h, (at, &x)| {
            let x = match at {
                8..=14 => 0,
                15 => 0x80,
                _ => x,
            };
            (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
        })
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn get(c: &mut Resp, key: &str) -> Vec<u8> {
    match c.cmd(&["GET", key]) {
        Reply::Bulk(v) => v,
        other => panic!("GET {key}: {other:?}"),
    }
}

fn set(c: &mut Resp, key: &str, v: &[u8]) {
    assert_eq!(c.cmd(&[&b"SET"[..], key.as_bytes(), v]), ok());
}

/// PFADD key {prefix}{from}..{prefix}{to-1}, 1000 elements a call.
fn add(c: &mut Resp, key: &str, prefix: &str, from: usize, to: usize) {
    let mut n = from;
    while n < to {
        let hi = (n + 1000).min(to);
        let mut args = vec!["PFADD".to_string(), key.to_string()];
        args.extend((n..hi).map(|j| format!("{prefix}{j}")));
        let r = c.cmd(&args);
        assert!(matches!(r, Reply::Int(0 | 1)), "{r:?}");
        n = hi;
    }
}

#[test]
fn counts_and_bytes_equal_redis() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    // (distinct inputs e0.., value length, FNV of the value, PFCOUNT)
    let cases: [(usize, usize, u64, i64); 7] = [
        (1, 21, 0xfffb_6fae_ff77_f7cd, 1),
        (10, 48, 0x4afc_b65d_27f7_d346, 10),
        (100, 285, 0xb8de_76da_b4a4_065e, 100),
        (1000, 1906, 0x5935_de02_3280_6824, 1008),
        (10_000, 12304, 0x7378_cbab_5ab5_c44b, 9973),
        (100_000, 12304, 0xafbf_1713_dc5b_a3c8, 100_853),
        (1_000_000, 12304, 0x13d9_15c4_6776_e346, 991_657),
    ];
    let mut done = 0;
    for (n, len, fp, count) in cases {
        add(&mut c, "hll:c", "e", done, n);
        done = n;
        let v = get(&mut c, "hll:c");
        assert_eq!((v.len(), fnv(&v)), (len, fp), "n={n}");
        check!(c, ["PFCOUNT", "hll:c"], i(count));
    }
    // Small values byte for byte.
    check!(c, ["PFADD", "hll:abc", "a", "b", "c"], i(1));
    assert_eq!(
        get(&mut c, "hll:abc"),
        hex("48594c4c01000000000000000000008060f38050b1844bfb80425a")
    );
    check!(c, ["PFADD", "hll:empty"], i(1));
    check!(c, ["PFADD", "hll:empty"], i(0));
    assert_eq!(
        get(&mut c, "hll:empty"),
        hex("48594c4c0100000000000000000000807fff")
    );
    check!(c, ["PFCOUNT", "hll:empty"], i(0));
    check!(c, ["PFCOUNT", "hll:nokey"], i(0));
    check!(c, ["PFADD", "hll:abc", "a", "c"], i(0));
    check!(c, ["TYPE", "hll:abc"], Reply::Simple("string".into()));
    // The last sparse value (3000 bytes) and the promotion to dense.
    add(&mut c, "hll:p", "e", 0, 1683);
    let v = get(&mut c, "hll:p");
    assert_eq!((v.len(), fnv(&v)), (3000, 0x3c1b_2ef7_aaad_95df));
    check!(c, ["PFADD", "hll:p", "e1683"], i(1));
    let v = get(&mut c, "hll:p");
    assert_eq!((v.len(), fnv(&v)), (12304, 0x1dff_1bb5_5f47_4a5d));
}

#[test]
fn merge_and_union_equal_redis() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    add(&mut c, "{m}a", "e", 0, 600);
    add(&mut c, "{m}b", "e", 300, 900);
    check!(c, ["PFCOUNT", "{m}a", "{m}b"], i(906));
    check!(c, ["PFCOUNT", "{m}a", "{m}nokey", "{m}b"], i(906));
    check!(c, ["PFMERGE", "{m}ab", "{m}a", "{m}b"], ok());
    let v = get(&mut c, "{m}ab");
    assert_eq!((v.len(), fnv(&v)), (1729, 0xfb1d_75f3_45f8_044c));
    check!(c, ["PFCOUNT", "{m}ab"], i(906));
    add(&mut c, "{m}d1", "e", 0, 10_000);
    add(&mut c, "{m}d2", "e", 5000, 15_000);
    check!(c, ["PFCOUNT", "{m}d1", "{m}d2", "{m}a"], i(14942));
    check!(c, ["PFMERGE", "{m}dd", "{m}d1", "{m}d2"], ok());
    let v = get(&mut c, "{m}dd");
    assert_eq!((v.len(), fnv(&v)), (12304, 0xc4d9_83a3_cd07_5283));
    check!(c, ["PFCOUNT", "{m}dd"], i(14942));
    // Eight keys: past five, corekv counts on the heavy pool.
    check!(
        c,
        [
            "PFCOUNT", "{m}a", "{m}b", "{m}d1", "{m}d2", "{m}ab", "{m}dd", "{m}no", "{m}a"
        ],
        i(14942)
    );
    if !corekv_tests::is_redis() {
        // The eight-key count ran on the pool, the three-key ones on the core.
        let doc = s.stats();
        let jobs = doc["node"]["heavy"]["by_command"]["pfcount"].as_u64();
        assert_eq!(jobs, Some(1), "{doc}");
    }
    // Sparse sources whose union outgrows 3000 bytes: promoted.
    add(&mut c, "{m}x", "e", 1000, 2100);
    check!(c, ["PFMERGE", "{m}ax", "{m}a", "{m}x"], ok());
    let v = get(&mut c, "{m}ax");
    assert_eq!((v.len(), fnv(&v)), (12304, 0x75e2_fcf9_58b1_7487));
    check!(c, ["PFCOUNT", "{m}ax"], i(1701));
    // The destination is a source too; no source at all makes an empty HLL.
    check!(c, ["PFMERGE", "{m}a", "{m}nokey"], ok());
    check!(c, ["PFCOUNT", "{m}a"], i(606));
    check!(c, ["PFMERGE", "{m}fresh"], ok());
    assert_eq!(
        get(&mut c, "{m}fresh"),
        hex("48594c4c0100000000000000000000807fff")
    );
}

/// Values made by redis-server, SET here: they count, grow and merge as
/// they do there.
#[test]
fn values_captured_from_redis_keep_working() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    // e0..e9 after a PFCOUNT on Redis: sparse, cached cardinality 10 valid.
    let sparse = hex(
        "48594c4c010000000a00000000000000452580472e844fc9804412844a5184430d\
         844103844eb984408880406a8441b1",
    );
    // e0..e19 after PFDEBUG TODENSE on Redis: its non-zero bytes.
    let mut dense = vec![0u8; 12304];
    dense[..16].copy_from_slice(&hex("48594c4c000000000000000000000080"));
    for (at, b) in [
        (440, 48),
        (1004, 16),
        (1835, 16),
        (2384, 32),
        (4654, 4),
        (4738, 64),
        (5416, 64),
        (5931, 4),
        (6199, 128),
        (6531, 8),
        (7538, 80),
        (8182, 2),
        (8769, 8),
        (8965, 2),
        (10275, 4),
        (11793, 8),
        (11896, 64),
        (11977, 128),
        (12033, 4),
        (12049, 1),
    ] {
        dense[at] = b;
    }
    set(&mut c, "{v}s", &sparse);
    set(&mut c, "{v}d", &dense);
    check!(c, ["PFCOUNT", "{v}s"], i(10));
    check!(c, ["PFCOUNT", "{v}d"], i(20));
    // The merge of a sparse value into a new key keeps its opcodes.
    add(&mut c, "{v}s", "f", 0, 50);
    let grown = "48594c4c010000000a0000000000008040c78440a98040f2803680404488416c8040d1\
                 804075804150a0407b8040478c40468443168840df842c800690288441a7842d8040828445\
                 cb80411a8045258040ed80406e8040c18040f88040cd904142804042843990407e8043a280\
                 411c8040508040888040fc8040628042968440e18041c68040628440fa80078440569041\
                 388441858042ed844238800d8040f38041e98040c28441658c4157800484408880406a8440\
                 ec800e8040b3";
    // The cached 10 stays in bytes 8..15, only the stale bit is set.
    assert_eq!(get(&mut c, "{v}s"), hex(grown));
    check!(c, ["PFCOUNT", "{v}s"], i(60));
    add(&mut c, "{v}d", "e", 20, 100);
    let v = get(&mut c, "{v}d");
    assert_eq!((v.len(), fnv(&v)), (12304, 0x193d_1a06_50f1_c5bf));
    check!(c, ["PFCOUNT", "{v}d"], i(100));
    check!(c, ["PFCOUNT", "{v}s", "{v}d"], i(150));
    check!(c, ["PFMERGE", "{v}m", "{v}s", "{v}d"], ok());
    let v = get(&mut c, "{v}m");
    assert_eq!((v.len(), fnv(&v)), (12304, 0x961a_554b_21ec_99a2));
    check!(c, ["PFCOUNT", "{v}m"], i(150));
    check!(c, ["PFMERGE", "{v}s2", "{v}s"], ok());
    let mut want = hex(grown);
    want[8] = 0; // a new key's cache: 0, stale
    assert_eq!(get(&mut c, "{v}s2"), want);
}

#[test]
fn ttl_is_kept() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["PFADD", "{t}h", "a"], i(1));
    check!(c, ["EXPIRE", "{t}h", "100"], i(1));
    check!(c, ["PFADD", "{t}h", "b", "c"], i(1));
    let ttl = c.cmd(&["TTL", "{t}h"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    check!(c, ["PFADD", "{t}src", "zzz"], i(1));
    check!(c, ["PFMERGE", "{t}h", "{t}src"], ok());
    let ttl = c.cmd(&["TTL", "{t}h"]).int();
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    check!(c, ["PFCOUNT", "{t}h"], i(4));
    // A new destination has none.
    check!(c, ["PFMERGE", "{t}new", "{t}h"], ok());
    check!(c, ["TTL", "{t}new"], i(-1));
}

#[test]
fn errors() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["RPUSH", "{e}list", "a"], i(1));
    check!(c, ["PFADD", "{e}list", "a"], e(WRONGTYPE));
    check!(c, ["PFCOUNT", "{e}list"], e(WRONGTYPE));
    check!(c, ["PFCOUNT", "{e}nokey", "{e}list"], e(WRONGTYPE));
    check!(c, ["PFMERGE", "{e}x", "{e}list"], e(WRONGTYPE));
    check!(c, ["PFMERGE", "{e}list"], e(WRONGTYPE));
    // Strings that are no HLL.
    check!(c, ["SET", "{e}s", "foo"], ok());
    set(&mut c, "{e}num", b"1234567890123456789");
    let mut enc2 = hex("48594c4c0200000000000000000000807fff");
    set(&mut c, "{e}enc2", &enc2);
    enc2[4] = 0; // dense, but not 12,304 bytes
    set(&mut c, "{e}dshort", &enc2);
    for key in ["{e}s", "{e}num", "{e}enc2", "{e}dshort"] {
        check!(c, ["PFADD", key, "a"], e(NOT_HLL));
        check!(c, ["PFCOUNT", key], e(NOT_HLL));
        check!(c, ["PFCOUNT", "{e}nokey", key], e(NOT_HLL));
        check!(c, ["PFMERGE", "{e}x", key], e(NOT_HLL));
    }
    check!(c, ["EXISTS", "{e}x"], i(0));
    check!(c, ["GET", "{e}s"], Reply::bulk("foo"));
    // Sparse opcodes covering 9000 of the 16,384 registers.
    let short = hex("48594c4c0100000000000000000000806327");
    set(&mut c, "{e}bad", &short);
    check!(c, ["PFCOUNT", "{e}bad"], e(INVALID));
    check!(c, ["PFCOUNT", "{e}bad", "{e}bad"], e(INVALID));
    check!(c, ["PFMERGE", "{e}x", "{e}bad"], e(INVALID));
    check!(c, ["EXISTS", "{e}x"], i(0));
    // `a` lands past the opcodes; `c` (register 8436) is set before that
    // fails and stays set, as in Redis.
    check!(c, ["PFADD", "{e}bad", "a"], e(INVALID));
    assert_eq!(get(&mut c, "{e}bad"), short);
    check!(c, ["PFADD", "{e}bad", "c", "a"], e(INVALID));
    assert_eq!(
        get(&mut c, "{e}bad"),
        hex("48594c4c01000000000000000000008060f3804232")
    );
    // Opcodes past the last register (the CVE-2025-32023 check).
    set(
        &mut c,
        "{e}over",
        &hex("48594c4c0100000000000000000000807fff80"),
    );
    check!(c, ["PFCOUNT", "{e}over"], e(INVALID));
    check!(c, ["PFCOUNT", "{e}over", "{e}over"], e(INVALID));
    for cmd in ["PFADD", "PFCOUNT", "PFMERGE"] {
        check!(
            c,
            [cmd],
            e(&format!(
                "ERR wrong number of arguments for '{}' command",
                cmd.to_lowercase()
            ))
        );
    }
}

/// Keys of several groups work as on one Redis (one transaction,
/// docs/design/0025).
#[test]
fn keys_across_groups_work_like_one_redis() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let keys: Vec<String> = (0..16).map(|j| format!("cross{j}")).collect();
    for (n, k) in keys.iter().enumerate().skip(1) {
        check!(c, ["PFADD", k, &format!("e{n}"), "shared"], i(1));
    }
    let mut count = vec!["PFCOUNT"];
    count.extend(keys.iter().map(String::as_str));
    assert_eq!(c.cmd(&count), i(16));
    let mut merge = vec!["PFMERGE"];
    merge.extend(keys.iter().map(String::as_str));
    assert_eq!(c.cmd(&merge), Reply::ok());
    check!(c, ["PFCOUNT", "cross0"], i(16));
}
