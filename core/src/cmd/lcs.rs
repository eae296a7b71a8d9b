//! LCS: longest common subsequence of two string keys, a port of Redis
//! 7.0's `lcsCommand` (same DP table, same backward walk, so IDX ranges and
//! their order are identical to Redis's).

use super::{Ctx, MAX_STRING_BYTES, R, arg, check_string, int_arg, is_opt, live};
use crate::Reply;
use crate::errors;
use crate::store::{Record, Store};
use bytes::Bytes;

pub(crate) fn lcs(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let ra = live(store, arg(argv, 1), ctx.now_ms)?;
    let rb = live(store, arg(argv, 2), ctx.now_ms)?;
    for r in [&ra, &rb].into_iter().flatten() {
        check_string(r).map_err(|_| errors::err(errors::LCS_NOT_STRINGS))?;
    }
    let (ka, kb) = (arg(argv, 1), arg(argv, 2));
    let alen = ra.as_ref().map_or(Ok(0), |r| super::pages::len(ka, r))?;
    let blen = rb.as_ref().map_or(Ok(0), |r| super::pages::len(kb, r))?;

    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < argv.len() {
        let opt = arg(argv, j);
        let more = argv.len() - 1 - j;
        if is_opt(opt, "idx") {
            getidx = true;
        } else if is_opt(opt, "len") {
            getlen = true;
        } else if is_opt(opt, "withmatchlen") {
            withmatchlen = true;
        } else if is_opt(opt, "minmatchlen") && more > 0 {
            minmatchlen = int_arg(argv, j + 1)?.max(0);
            j += 1;
        } else {
            return Err(errors::err(errors::SYNTAX));
        }
        j += 1;
    }
    if getidx && getlen {
        return Err(errors::err(errors::LCS_LEN_AND_IDX));
    }
    if alen >= u64::from(u32::MAX) - 1 || blen >= u64::from(u32::MAX) - 1 {
        return Err(errors::err(errors::LCS_TOO_LONG));
    }
    let cells = (alen + 1).saturating_mul(blen + 1);
    if cells.saturating_mul(4) > MAX_STRING_BYTES {
        return Err(errors::err(errors::LCS_TOO_MUCH_MEMORY));
    }
    // Read only once the table is known to fit (a paged value is read
    // page by page).
    let value = |k: &[u8], r: &Option<Record>| match r {
        Some(r) => super::strings::value(store, k, r),
        None => Ok(Bytes::new()),
    };
    let (a, b) = (value(ka, &ra)?, value(kb, &rb)?);
    let (alen, blen) = (a.len(), b.len());
    let width = blen + 1;
    let mut t = vec![0u32; (alen + 1) * width];
    let at = |t: &[u32], i: usize, j: usize| t.get(i * width + j).copied().unwrap_or(0);
    for (i, &ca) in a.iter().enumerate() {
        for (j, &cb) in b.iter().enumerate() {
            let v = if ca == cb {
                at(&t, i, j) + 1
            } else {
                at(&t, i, j + 1).max(at(&t, i + 1, j))
            };
            if let Some(cell) = t.get_mut((i + 1) * width + j + 1) {
                *cell = v;
            }
        }
    }
    let total = at(&t, alen, blen);
    if getlen {
        return Ok(Reply::Integer(i64::from(total)));
    }

    // Walk back from the end, emitting ranges of contiguous matches.
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut matches = Vec::new();
    let (mut i, mut j) = (alen, blen);
    // `astart == alen` means "no range open", as in Redis.
    let (mut astart, mut aend, mut bstart, mut bend) = (alen, 0usize, 0usize, 0usize);
    while i > 0 && j > 0 {
        let mut emit = false;
        let (ca, cb) = (a.get(i - 1).copied(), b.get(j - 1).copied());
        if ca == cb {
            if let Some(slot) = idx.checked_sub(1).and_then(|k| result.get_mut(k)) {
                *slot = ca.unwrap_or(0);
            }
            if astart == alen {
                (astart, aend, bstart, bend) = (i - 1, i - 1, j - 1, j - 1);
            } else if astart == i && bstart == j {
                astart -= 1;
                bstart -= 1;
            } else {
                emit = true;
            }
            if astart == 0 || bstart == 0 {
                emit = true;
            }
            idx = idx.saturating_sub(1);
            i -= 1;
            j -= 1;
        } else {
            if at(&t, i - 1, j) > at(&t, i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            if astart != alen {
                emit = true;
            }
        }
        if emit {
            let match_len = (aend + 1).saturating_sub(astart) as i64;
            if getidx && (minmatchlen == 0 || match_len >= minmatchlen) {
                let mut m = vec![
                    Reply::Array(vec![
                        Reply::Integer(astart as i64),
                        Reply::Integer(aend as i64),
                    ]),
                    Reply::Array(vec![
                        Reply::Integer(bstart as i64),
                        Reply::Integer(bend as i64),
                    ]),
                ];
                if withmatchlen {
                    m.push(Reply::Integer(match_len));
                }
                matches.push(Reply::Array(m));
            }
            astart = alen;
        }
    }
    if getidx {
        return Ok(Reply::Map(vec![
            (
                Reply::Bulk(Bytes::from_static(b"matches")),
                Reply::Array(matches),
            ),
            (
                Reply::Bulk(Bytes::from_static(b"len")),
                Reply::Integer(i64::from(total)),
            ),
        ]));
    }
    Ok(Reply::Bulk(Bytes::from(result)))
}

/// This family's handlers, for the table test that pairs each with exactly
/// one table entry.
#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, crate::table::Handler)] =
    &[("lcs", crate::table::Handler::Read(lcs))];

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::{MemStore, Reply};

    fn range(a: i64, b: i64) -> Reply {
        Reply::Array(vec![int(a), int(b)])
    }

    fn setup() -> MemStore {
        let mut s = MemStore::new();
        assert_eq!(
            run(&mut s, &["MSET", "key1", "ohmytext", "key2", "mynewtext"]),
            ok()
        );
        s
    }

    #[test]
    fn lcs_string_and_len() {
        let mut s = setup();
        assert_eq!(run(&mut s, &["LCS", "key1", "key2"]), bulk("mytext"));
        assert_eq!(run(&mut s, &["LCS", "key1", "key2", "LEN"]), int(6));
        assert_eq!(run(&mut s, &["LCS", "key1", "nokey"]), bulk(""));
        assert_eq!(run(&mut s, &["LCS", "nokey", "nokey", "LEN"]), int(0));
    }

    #[test]
    fn lcs_idx_matches_redis_docs() {
        let mut s = setup();
        let want = Reply::Map(vec![
            (
                bulk("matches"),
                Reply::Array(vec![
                    Reply::Array(vec![range(4, 7), range(5, 8)]),
                    Reply::Array(vec![range(2, 3), range(0, 1)]),
                ]),
            ),
            (bulk("len"), int(6)),
        ]);
        assert_eq!(run(&mut s, &["LCS", "key1", "key2", "IDX"]), want);
        let want = Reply::Map(vec![
            (
                bulk("matches"),
                Reply::Array(vec![Reply::Array(vec![range(4, 7), range(5, 8), int(4)])]),
            ),
            (bulk("len"), int(6)),
        ]);
        assert_eq!(
            run(
                &mut s,
                &[
                    "LCS",
                    "key1",
                    "key2",
                    "IDX",
                    "MINMATCHLEN",
                    "4",
                    "WITHMATCHLEN"
                ]
            ),
            want
        );
    }

    #[test]
    fn lcs_errors() {
        let mut s = setup();
        assert_eq!(
            run(&mut s, &["LCS", "key1", "key2", "IDX", "LEN"]),
            err("ERR If you want both the length and indexes, please just use IDX.")
        );
        assert_eq!(
            run(&mut s, &["LCS", "key1", "key2", "FOO"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["LCS", "key1", "key2", "MINMATCHLEN"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut s, &["LCS", "key1", "key2", "MINMATCHLEN", "x"]),
            err("ERR value is not an integer or out of range")
        );
    }
}
