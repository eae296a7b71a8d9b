//! Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
//! BITFIELD_RO): exact replies and error texts as Redis 7.0 gives them;
//! random bit and range writes on strings past 4 KiB and 1 MB (paged in
//! corekv) agree with a local model; every string command reads a paged
//! string like an inline one; acknowledged SETBITs on a paged string
//! survive kill -9 and a deleted one's pages are swept (corekv only).

use corekv_tests::r::{b, e, i, nil, ok};
use corekv_tests::{Reply, Resp, Server, check, corekv_only, wait_until};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

fn raw(v: &[u8]) -> Reply {
    Reply::Bulk(v.to_vec())
}

#[test]
fn setbit_getbit_bitcount_bitpos() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SETBIT", "bm:k", "7", "1"], i(0));
    check!(c, ["SETBIT", "bm:k", "7", "1"], i(1));
    check!(c, ["GETBIT", "bm:k", "7"], i(1));
    check!(c, ["GETBIT", "bm:k", "1000000"], i(0));
    check!(c, ["GETBIT", "bm:none", "0"], i(0));
    check!(c, ["SETBIT", "bm:k", "4294967296", "1"], e(BAD_OFFSET));
    check!(c, ["SETBIT", "bm:k", "-1", "1"], e(BAD_OFFSET));
    check!(c, ["GETBIT", "bm:k", "x"], e(BAD_OFFSET));
    check!(
        c,
        ["SETBIT", "bm:k", "1", "2"],
        e("ERR bit is not an integer or out of range")
    );
    check!(c, ["LPUSH", "bm:l", "x"], i(1));
    check!(c, ["SETBIT", "bm:l", "1", "1"], e(WRONGTYPE));
    check!(c, ["GETBIT", "bm:l", "x"], e(BAD_OFFSET));
    check!(c, ["BITCOUNT", "bm:l"], e(WRONGTYPE));

    check!(c, ["SET", "bm:s", "foobar"], ok());
    check!(c, ["BITCOUNT", "bm:s"], i(26));
    check!(c, ["BITCOUNT", "bm:s", "0", "0"], i(4));
    check!(c, ["BITCOUNT", "bm:s", "1", "1"], i(6));
    check!(c, ["BITCOUNT", "bm:s", "1", "1", "BYTE"], i(6));
    check!(c, ["BITCOUNT", "bm:s", "5", "30", "BIT"], i(17));
    check!(c, ["BITCOUNT", "bm:s", "-1", "-2"], i(0));
    check!(c, ["BITCOUNT", "bm:s", "0"], e(SYNTAX));
    check!(c, ["BITCOUNT", "bm:s", "0", "1", "bits"], e(SYNTAX));
    check!(c, ["BITCOUNT", "bm:s", "a", "1"], e(NOT_INT));
    check!(c, ["BITCOUNT", "bm:none", "0"], i(0));

    assert_eq!(c.cmd(&[&b"SET"[..], b"bm:p", b"\xff\xf0\x00"]), Reply::ok());
    check!(c, ["BITPOS", "bm:p", "0"], i(12));
    check!(c, ["BITPOS", "bm:p", "1", "2"], i(-1));
    check!(c, ["BITPOS", "bm:p", "0", "2", "-1", "BYTE"], i(16));
    check!(c, ["BITPOS", "bm:p", "1", "7", "15", "BIT"], i(7));
    check!(c, ["BITPOS", "bm:p", "0", "0", "1"], i(12));
    check!(c, ["SET", "bm:ones", "\x7f"], ok());
    check!(c, ["SETBIT", "bm:ones", "0", "1"], i(0));
    check!(c, ["BITPOS", "bm:ones", "0"], i(8));
    check!(c, ["BITPOS", "bm:ones", "0", "0", "-1"], i(-1));
    check!(c, ["BITPOS", "bm:none", "1"], i(-1));
    check!(c, ["BITPOS", "bm:none", "0"], i(0));
    check!(
        c,
        ["BITPOS", "bm:p", "2"],
        e("ERR The bit argument must be 1 or 0.")
    );
    check!(c, ["BITPOS", "bm:p", "1", "0", "1", "BIT", "x"], e(SYNTAX));
    // The highest offset: a 512 MB string in Redis, one page in corekv.
    check!(c, ["SETBIT", "bm:big", "4294967295", "1"], i(0));
    check!(c, ["STRLEN", "bm:big"], i(536_870_912));
    check!(c, ["GETBIT", "bm:big", "4294967295"], i(1));
    check!(c, ["BITPOS", "bm:big", "1", "-1"], i(4_294_967_295));
    check!(c, ["BITCOUNT", "bm:big", "-1", "-1"], i(1));
    assert_eq!(c.cmd(&["GETRANGE", "bm:big", "-2", "-1"]), raw(b"\x00\x01"));
    check!(c, ["SETRANGE", "bm:big", "536870911", "xy"], e(TOO_LONG));
    check!(c, ["APPEND", "bm:big", "x"], e(TOO_LONG));
    check!(c, ["DEL", "bm:big"], i(1));
}

#[test]
fn bitop_and_bitfield() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    check!(c, ["SET", "{bm}a", "\x01\x02\x03"], ok());
    check!(c, ["SET", "{bm}b", "\x07"], ok());
    check!(c, ["BITOP", "AND", "{bm}d", "{bm}a", "{bm}b"], i(3));
    assert_eq!(c.cmd(&["GET", "{bm}d"]), raw(b"\x01\x00\x00"));
    check!(
        c,
        ["BITOP", "OR", "{bm}d", "{bm}a", "{bm}b", "{bm}none"],
        i(3)
    );
    assert_eq!(c.cmd(&["GET", "{bm}d"]), raw(b"\x07\x02\x03"));
    check!(c, ["BITOP", "xor", "{bm}d", "{bm}a", "{bm}b"], i(3));
    assert_eq!(c.cmd(&["GET", "{bm}d"]), raw(b"\x06\x02\x03"));
    check!(c, ["BITOP", "NOT", "{bm}d", "{bm}b"], i(1));
    assert_eq!(c.cmd(&["GET", "{bm}d"]), raw(b"\xf8"));
    check!(c, ["BITOP", "OR", "{bm}d", "{bm}n1", "{bm}n2"], i(0));
    check!(c, ["EXISTS", "{bm}d"], i(0));
    check!(
        c,
        ["BITOP", "NOT", "{bm}d", "{bm}a", "{bm}b"],
        e("ERR BITOP NOT must be called with a single source key.")
    );
    check!(c, ["BITOP", "NAND", "{bm}d", "{bm}a"], e(SYNTAX));
    check!(c, ["LPUSH", "{bm}l", "x"], i(1));
    check!(c, ["BITOP", "AND", "{bm}d", "{bm}a", "{bm}l"], e(WRONGTYPE));
    // Big sources of different lengths.
    check!(c, ["SETBIT", "{bm}p", "8000000", "1"], i(0));
    check!(c, ["SETBIT", "{bm}q", "40000", "1"], i(0));
    check!(c, ["BITOP", "OR", "{bm}d", "{bm}p", "{bm}q"], i(1_000_001));
    check!(c, ["BITCOUNT", "{bm}d"], i(2));
    check!(c, ["BITOP", "NOT", "{bm}d", "{bm}p"], i(1_000_001));
    check!(c, ["BITCOUNT", "{bm}d"], i(8_000_007));
    check!(c, ["BITPOS", "{bm}d", "0"], i(8_000_000));

    let f = |v: &[Reply]| arr(v.to_vec());
    check!(c, ["BITFIELD", "bf", "SET", "i8", "0", "-100"], f(&[i(0)]));
    check!(c, ["BITFIELD", "bf", "GET", "i8", "0"], f(&[i(-100)]));
    check!(
        c,
        [
            "BITFIELD", "bf", "SET", "u8", "#0", "65", "SET", "u8", "#1", "66"
        ],
        f(&[i(156), i(0)])
    );
    check!(c, ["GET", "bf"], b("AB"));
    check!(
        c,
        ["BITFIELD", "bf", "INCRBY", "u8", "0", "257"],
        f(&[i(66)])
    );
    check!(
        c,
        [
            "BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "257", "INCRBY", "i8", "8",
            "-300"
        ],
        f(&[i(255), i(-128)])
    );
    check!(
        c,
        [
            "BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "SET", "i4", "0", "8"
        ],
        f(&[nil(), nil()])
    );
    check!(
        c,
        [
            "BITFIELD", "bf2", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "10"
        ],
        f(&[nil()])
    );
    check!(c, ["STRLEN", "bf2"], i(13));
    check!(
        c,
        ["BITFIELD", "bf", "GET", "u64", "0"],
        e(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
        )
    );
    check!(c, ["BITFIELD", "bf", "GET", "u8", "#-1"], e(BAD_OFFSET));
    check!(
        c,
        ["BITFIELD", "bf", "OVERFLOW", "NONE"],
        e("ERR Invalid OVERFLOW type specified")
    );
    check!(c, ["BITFIELD", "bf", "GET", "u8"], e(SYNTAX));
    check!(c, ["BITFIELD", "bf", "SET", "u8", "0", "x"], e(NOT_INT));
    check!(c, ["BITFIELD_RO", "bf", "GET", "u8", "#1"], f(&[i(128)]));
    check!(
        c,
        ["BITFIELD_RO", "bf", "SET", "u8", "0", "1"],
        e("ERR BITFIELD_RO only supports the GET subcommand")
    );
    check!(c, ["BITFIELD", "bf:none", "GET", "u8", "0"], f(&[i(0)]));
    check!(c, ["EXISTS", "bf:none"], i(0));
    check!(c, ["BITFIELD", "{bm}l", "GET", "u8", "0"], e(WRONGTYPE));
    // RESP3: FAIL's null is `_`.
    let mut c3 = s.resp();
    assert!(matches!(c3.cmd(&["HELLO", "3"]), Reply::Map(_)));
    check!(
        c3,
        [
            "BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"
        ],
        f(&[nil()])
    );
}

#[test]
fn string_commands_read_big_bitmaps_like_small_strings() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let mut whole = vec![0u8; 1_000_004];
    whole[..4].copy_from_slice(b"head");
    whole[1_000_000..].copy_from_slice(b"tail");
    let setup = |c: &mut Resp, k: &str| {
        check!(c, ["SETRANGE", k, "1000000", "tail"], i(1_000_004));
        check!(c, ["SETRANGE", k, "0", "head"], i(1_000_004));
    };
    setup(&mut c, "{ps}k");
    assert_eq!(c.cmd(&["GET", "{ps}k"]), raw(&whole));
    if !corekv_tests::is_redis() {
        // 245 pages: read on the heavy pool, not on the core.
        let doc = s.stats();
        let n = doc["node"]["heavy"]["by_command"]["corekv.getpaged"].as_u64();
        assert_eq!(n, Some(1), "{doc}");
    }
    assert_eq!(
        c.cmd(&["MGET", "{ps}k", "{ps}none"]),
        arr(vec![raw(&whole), nil()])
    );
    check!(c, ["STRLEN", "{ps}k"], i(1_000_004));
    check!(c, ["GETRANGE", "{ps}k", "-4", "-1"], b("tail"));
    check!(c, ["SUBSTR", "{ps}k", "0", "3"], b("head"));
    check!(c, ["TYPE", "{ps}k"], Reply::Simple("string".into()));
    check!(c, ["OBJECT", "ENCODING", "{ps}k"], b("raw"));
    check!(c, ["INCR", "{ps}k"], e(NOT_INT));
    check!(
        c,
        ["INCRBYFLOAT", "{ps}k", "1"],
        e("ERR value is not a valid float")
    );
    check!(c, ["APPEND", "{ps}k", "!"], i(1_000_005));
    whole.push(b'!');
    assert_eq!(c.cmd(&["GETEX", "{ps}k", "EX", "100"]), raw(&whole));
    check!(c, ["TTL", "{ps}k"], i(100));
    check!(c, ["SETBIT", "{ps}k", "0", "1"], i(0));
    check!(c, ["TTL", "{ps}k"], i(100));
    whole[0] |= 0x80;
    check!(c, ["COPY", "{ps}k", "{ps}c"], i(1));
    check!(c, ["RENAME", "{ps}c", "{ps}r"], ok());
    check!(c, ["DEL", "{ps}k"], i(1));
    assert_eq!(c.cmd(&["GET", "{ps}r"]), raw(&whole));
    check!(c, ["SET", "{ps}s", "xhead"], ok());
    check!(c, ["LCS", "{ps}s", "{ps}none"], b(""));
    assert_eq!(c.cmd(&["GETSET", "{ps}r", "small"]), raw(&whole));
    check!(c, ["GET", "{ps}r"], b("small"));
    setup(&mut c, "{ps}k");
    assert!(!c.cmd(&["GETDEL", "{ps}k"]).is_error());
    check!(c, ["EXISTS", "{ps}k"], i(0));
    setup(&mut c, "{ps}k");
    check!(c, ["PEXPIRE", "{ps}k", "50"], i(1));
    assert!(
        wait_until(Duration::from_secs(5), || c.cmd(&["EXISTS", "{ps}k"])
            == i(0)),
        "expired"
    );
    check!(c, ["SETBIT", "{ps}k", "1", "1"], i(0));
    check!(c, ["STRLEN", "{ps}k"], i(1));
}

/// A tiny deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

const MODEL_OPS: usize = 1500;
const MODEL_TIME: Duration = Duration::from_secs(60);

/// Random SETBIT / SETRANGE / APPEND / BITFIELD on three keys, at offsets
/// up to 70 KB and past 1 MB, checked against byte vectors.
#[test]
fn random_bit_and_range_writes_match_a_model() {
    let s = Server::start(&[]);
    let mut c = s.resp();
    let keys = ["m:a", "m:b", "m:c"];
    let mut model: Vec<Vec<u8>> = vec![Vec::new(); keys.len()];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = Instant::now();
    for n in 0..MODEL_OPS {
        assert!(start.elapsed() < MODEL_TIME, "too slow: {n} ops");
        let k = rng.below(keys.len() as u64) as usize;
        let key = keys[k];
        let m = &mut model[k];
        let far = if rng.below(25) == 0 { 1_048_576 } else { 0 };
        match rng.below(4) {
            0 => {
                let off = rng.below(70_000 * 8) + far * 8;
                let on = rng.below(2) as u8;
                let byte = (off / 8) as usize;
                if m.len() <= byte {
                    m.resize(byte + 1, 0);
                }
                let mask = 1u8 << (7 - off % 8);
                let old = i64::from(m[byte] & mask != 0);
                m[byte] = if on == 1 {
                    m[byte] | mask
                } else {
                    m[byte] & !mask
                };
                let a = ["SETBIT", key, &off.to_string(), &on.to_string()];
                assert_eq!(c.cmd(&a), i(old), "{a:?}");
            }
            1 => {
                let off = (rng.below(9000) + far) as usize;
                let v = vec![b'a' + rng.below(26) as u8; rng.below(5000) as usize + 1];
                let end = off + v.len();
                if m.len() < end {
                    m.resize(end, 0);
                }
                m[off..end].copy_from_slice(&v);
                let off = off.to_string();
                let a: [&[u8]; 4] = [b"SETRANGE", key.as_bytes(), off.as_bytes(), &v];
                assert_eq!(c.cmd(&a), i(m.len() as i64));
            }
            2 => {
                let v = vec![b'z'; rng.below(3000) as usize];
                m.extend_from_slice(&v);
                let a: [&[u8]; 3] = [b"APPEND", key.as_bytes(), &v];
                assert_eq!(c.cmd(&a), i(m.len() as i64));
            }
            _ => {
                // BITFIELD SET i16 at any bit offset (three bytes at most).
                let off = rng.below(70_000 * 8) + far * 8;
                let val = rng.below(65_536) as i64 - 32_768;
                let need = ((off + 15) / 8 + 1) as usize;
                if m.len() < need {
                    m.resize(need, 0);
                }
                let mut old: u64 = 0;
                for j in 0..16 {
                    let o = off + j;
                    let (byte, mask) = ((o / 8) as usize, 1u8 << (7 - o % 8));
                    old = (old << 1) | u64::from(m[byte] & mask != 0);
                    if (val as u64) & (1 << (15 - j)) != 0 {
                        m[byte] |= mask;
                    } else {
                        m[byte] &= !mask;
                    }
                }
                let old = i64::from(old as u16 as i16);
                let a = [
                    "BITFIELD",
                    key,
                    "SET",
                    "i16",
                    &off.to_string(),
                    &val.to_string(),
                ];
                assert_eq!(c.cmd(&a), arr(vec![i(old)]), "{a:?}");
            }
        }
        if n % 50 == 0 || n == MODEL_OPS - 1 {
            for (k, key) in keys.iter().enumerate() {
                verify_key(&mut c, key, &model[k], &mut rng);
            }
        }
    }
}

/// Every read of `key` agrees with `m`.
fn verify_key(c: &mut Resp, key: &str, m: &[u8], rng: &mut Rng) {
    if m.is_empty() {
        check!(c, ["EXISTS", key], i(0));
        return;
    }
    check!(c, ["STRLEN", key], i(m.len() as i64));
    assert_eq!(c.cmd(&["GET", key]), raw(m), "GET {key}");
    let ones: u64 = m.iter().map(|b| u64::from(b.count_ones())).sum();
    check!(c, ["BITCOUNT", key], i(ones as i64));
    let first_one = m.iter().position(|&b| b != 0).map_or(-1, |p| {
        (p * 8) as i64 + i64::from(m[p].leading_zeros() as u8)
    });
    check!(c, ["BITPOS", key, "1"], i(first_one));
    for _ in 0..4 {
        let a = rng.below(m.len() as u64 + 100) as usize;
        let z = a + rng.below(10_000) as usize;
        let want = &m[a.min(m.len())..(z + 1).min(m.len())];
        let got = c.cmd(&["GETRANGE", key, &a.to_string(), &z.to_string()]);
        assert_eq!(got, raw(want), "GETRANGE {key} {a} {z}");
        let ones: u64 = want.iter().map(|b| u64::from(b.count_ones())).sum();
        let z = z.min(m.len() - 1);
        if a <= z {
            check!(
                c,
                ["BITCOUNT", key, &a.to_string(), &z.to_string()],
                i(ones as i64)
            );
        }
        let bit = rng.below(m.len() as u64 * 8);
        let want = i64::from(m[(bit / 8) as usize] & (1 << (7 - bit % 8)) != 0);
        check!(c, ["GETBIT", key, &bit.to_string()], i(want));
    }
}

const WRITER_MAX_OPS: u64 = 20_000;
const WRITER_MAX_TIME: Duration = Duration::from_secs(3);

/// The n-th SETBIT of the durability writer: distinct bits of one paged
/// string, spread over pages and past 1 MB.
fn bit_of(n: u64) -> u64 {
    (n * 7919) % (2 * 1_048_576 * 8)
}

#[test]
fn kill9_keeps_acknowledged_setbits_on_a_paged_string() {
    if !corekv_only("kill9_keeps_acknowledged_setbits_on_a_paged_string") {
        return;
    }
    let mut s = Server::start(&[]);
    let mut c = s.resp();
    // Paged from the start (longer than 4 KiB).
    check!(c, ["SETBIT", "dur", "16777215", "0"], i(0));
    let (tx, rx) = mpsc::channel();
    let mut w = s.resp();
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut n = 0;
        while n < WRITER_MAX_OPS && start.elapsed() < WRITER_MAX_TIME {
            match w.try_cmd(&["SETBIT", "dur", &bit_of(n).to_string(), "1"]) {
                Ok(Reply::Int(0)) => n += 1,
                _ => break,
            }
        }
        let _ = tx.send(n);
    });
    std::thread::sleep(Duration::from_millis(700));
    s.kill9();
    let acked = rx.recv_timeout(Duration::from_secs(30)).expect("writer");
    assert!(acked > 20, "only {acked} SETBITs before kill -9");
    s.restart();
    let mut c = s.resp();
    check!(c, ["STRLEN", "dur"], i(2 * 1_048_576));
    for n in 0..acked {
        let bit = bit_of(n).to_string();
        assert_eq!(
            c.cmd(&["GETBIT", "dur", &bit]),
            i(1),
            "acknowledged SETBIT {bit} lost"
        );
    }
    let count = c.cmd(&["BITCOUNT", "dur"]).int() as u64;
    assert!(
        count == acked || count == acked + 1,
        "{count} bits set for {acked} acknowledged SETBITs"
    );
    // A deleted paged string's pages are swept, also across a restart.
    check!(c, ["DEL", "dur"], i(1));
    check!(c, ["GETBIT", "dur", &bit_of(0).to_string()], i(0));
    drop(c);
    s.kill9();
    s.restart();
    assert!(
        wait_until(Duration::from_secs(20), || s.garbage() == 0),
        "garbage left: {}",
        s.garbage()
    );
    check!(s.resp(), ["EXISTS", "dur"], i(0));
}
