//! HyperLogLog: PFADD, PFCOUNT, PFMERGE, a port of Redis 7.0.15's
//! `hyperloglog.c` over a plain string value in Redis's own format, so the
//! same input gives the same bytes and counts as redis-server and a value
//! moved either way by GET/SET keeps working (docs/design/0019).
//!
//! Layout (`struct hllhdr`): "HYLL", an encoding byte (0 dense, 1 sparse),
//! three unused bytes, an 8-byte little-endian cached cardinality whose
//! top bit (MSB of byte 15) says "stale", then the registers: 16,384
//! 6-bit registers packed LSB first (dense, 12,288 bytes), or the sparse
//! run-length opcodes ZERO `00xxxxxx`, XZERO `01xxxxxx yyyyyyyy` and VAL
//! `1vvvvvxx`, promoted to dense past `hll-sparse-max-bytes` (3000).
//!
//! One deviation: PFCOUNT is a read here, so it never writes the computed
//! cardinality back into the header (Redis does and clears the stale bit).
//! It answers a cache that is valid (a value copied from Redis) like Redis
//! and otherwise recomputes. PFADD and PFMERGE set the stale bit exactly
//! where Redis does, so stored bytes equal Redis's unless a single-key
//! PFCOUNT ran on the Redis side in between.

#[cfg(test)]
use super::write;
use super::{Ctx, R, arg, check_string, live, live_w};
use crate::Reply;
use crate::errors;
use crate::store::{Kind, Record, Store, StoreError};
#[cfg(test)]
use crate::table::Handler;
use bytes::Bytes;

const HDR: usize = 16;
const P: u32 = 14;
const Q: usize = 64 - P as usize;
const REGISTERS: usize = 1 << P;
const P_MASK: u64 = REGISTERS as u64 - 1;
const BITS: usize = 6;
const REGISTER_MAX: u32 = (1 << BITS) - 1;
/// 16 + 12,288 bytes.
pub(crate) const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const MAX_ENCODING: u8 = 1;
/// `hll-sparse-max-bytes`, Redis's default (corekv has no CONFIG for it).
const SPARSE_MAX_BYTES: usize = 3000;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
/// 0.5/ln(2), `HLL_ALPHA_INF`.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
/// Byte 15 = card[7]; its MSB marks the cached cardinality stale.
const CARD_MSB: usize = 15;

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";

/// A sparse HLL that does not cover exactly the 16,384 registers.
#[derive(Debug)]
struct Corrupt;

fn invalid() -> Reply {
    errors::err(INVALID)
}

/// The bytes of an HLL string record, inline or paged (a value grown by
/// SETRANGE/APPEND past 4 KiB is stored in pages): every read of the value
/// goes through here.
pub(crate) fn hll_bytes(store: &dyn Store, key: &[u8], rec: &Record) -> Result<Bytes, StoreError> {
    super::strings::value(store, key, rec)
}

// ---- hashing (MurmurHash64A, hllPatLen) ----

/// `MurmurHash64A` as Redis has it: 8-byte blocks read little-endian on
/// every architecture.
fn murmur64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = u64::from(seed) ^ (key.len() as u64).wrapping_mul(M);
    let mut blocks = key.chunks_exact(8);
    for b in &mut blocks {
        let mut block = [0u8; 8];
        block.copy_from_slice(b);
        let mut k = u64::from_le_bytes(block);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= u64::from(byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// `hllPatLen`: the register an element hashes to and the length of the
/// `000..1` pattern above the index bits (1 ..= Q+1).
fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, 0xadc8_3b19);
    let index = (hash & P_MASK) as usize;
    // The forced bit at Q ends the run: count <= Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---- dense registers (HLL_DENSE_GET_REGISTER / HLL_DENSE_SET_REGISTER) ----

/// Register `i` of packed 6-bit registers. The last register's "next
/// byte" is sds's NUL terminator in Redis: a missing byte reads as 0.
fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = u32::from(regs.get(byte).copied().unwrap_or(0));
    let b1 = u32::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX) as u8
}

fn dense_put(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let fb8 = 8 - fb;
    let v = u32::from(val);
    if let Some(b) = regs.get_mut(byte) {
        *b &= !((REGISTER_MAX << fb) as u8);
        *b |= (v << fb) as u8;
    }
    // For the last register (fb = 2) both masks are 0: the byte past the
    // end is untouched, as in Redis.
    if let Some(b) = regs.get_mut(byte + 1) {
        *b &= !((REGISTER_MAX >> fb8) as u8);
        *b |= (v >> fb8) as u8;
    }
}

/// `hllDenseSet`: raises register `i` to `count`; true if it changed.
fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_put(regs, i, count);
        true
    } else {
        false
    }
}

// ---- sparse opcodes ----

fn is_zero(op: u8) -> bool {
    op & 0xc0 == 0
}
fn is_xzero(op: u8) -> bool {
    op & 0xc0 == 0x40
}
fn is_val(op: u8) -> bool {
    op & 0x80 != 0
}
fn zero_len(op: u8) -> usize {
    usize::from(op & 0x3f) + 1
}
/// An XZERO's second byte past the end is sds's NUL in Redis: 0.
fn xzero_len(v: &[u8], p: usize) -> usize {
    let hi = usize::from(v.get(p).copied().unwrap_or(0) & 0x3f);
    let lo = usize::from(v.get(p + 1).copied().unwrap_or(0));
    ((hi << 8) | lo) + 1
}
fn val_value(op: u8) -> u8 {
    ((op >> 2) & 0x1f) + 1
}
fn val_len(op: u8) -> usize {
    usize::from(op & 0x3) + 1
}
fn val_op(val: u8, len: usize) -> u8 {
    (val.wrapping_sub(1) << 2) | ((len.wrapping_sub(1) as u8) & 0x3) | 0x80
}
fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        seq.push(((l >> 8) as u8) | 0x40);
        seq.push((l & 0xff) as u8);
    } else {
        seq.push((len - 1) as u8);
    }
}

/// `createHLLObject`: an empty sparse HLL (XZERO:16384), cache 0 and valid.
fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let n = left.min(XZERO_MAX_LEN);
        push_zeros(&mut v, n);
        left -= n;
    }
    v
}

fn encoding(v: &[u8]) -> u8 {
    v.get(4).copied().unwrap_or(0)
}

fn invalidate_cache(v: &mut [u8]) {
    if let Some(b) = v.get_mut(CARD_MSB) {
        *b |= 0x80;
    }
}

/// `isHLLObjectOrReply` (after the type check): magic, a known encoding,
/// and a dense value of exactly 12,304 bytes. A sparse value is only
/// checked as it is walked.
fn check_hll(v: &[u8]) -> Result<(), Reply> {
    let ok = v.len() >= HDR
        && v.starts_with(b"HYLL")
        && encoding(v) <= MAX_ENCODING
        && (encoding(v) != DENSE || v.len() == DENSE_SIZE);
    if ok {
        Ok(())
    } else {
        Err(errors::err(NOT_HLL))
    }
}

/// Walks a sparse value's opcodes as runs `(first register, length,
/// value)`, ZERO and XZERO as value 0. `Err` unless the runs cover exactly
/// the 16,384 registers: a run reaching past the last register fails at
/// once. This is the walk of `hllSparseToDense`, `hllSparseRegHisto` and
/// `hllMerge` as redis-server 7.0.15 runs it with the CVE-2025-32023 fix
/// (Debian's 7.0.15-1~deb12u5 on, the server the tests compare with); the
/// 7.0.15 tag only stopped at an overflowing VAL and so accepted
/// trailing opcodes after the last register.
fn sparse_runs(v: &[u8], mut visit: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    let mut p = HDR;
    while let Some(&op) = v.get(p) {
        let (len, val, oplen) = if is_zero(op) {
            (zero_len(op), 0, 1)
        } else if is_xzero(op) {
            (xzero_len(v, p), 0, 2)
        } else {
            (val_len(op), val_value(op), 1)
        };
        if idx + len > REGISTERS {
            return Err(Corrupt);
        }
        visit(idx, len, val);
        idx += len;
        p += oplen;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// `hllSparseToDense`: the header (cached cardinality included) is kept.
fn sparse_to_dense(v: &mut Vec<u8>) -> Result<(), Corrupt> {
    if encoding(v) == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    let (hdr, regs) = dense.split_at_mut(HDR);
    hdr.copy_from_slice(v.get(..HDR).ok_or(Corrupt)?);
    if let Some(e) = hdr.get_mut(4) {
        *e = DENSE;
    }
    sparse_runs(v, |first, len, val| {
        if val > 0 {
            for i in first..first + len {
                dense_put(regs, i, val);
            }
        }
    })?;
    *v = dense;
    Ok(())
}

/// `hllSparseSet`: raises register `index` to `count` in a sparse HLL,
/// splitting the opcode that covers it and merging equal VALs around it;
/// promotes to dense when `count` exceeds 32 or the value would grow past
/// `hll-sparse-max-bytes`. True if the register changed.
fn sparse_set(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(v, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let end = v.len();
    let mut p = HDR;
    let mut first = 0usize;
    let mut prev = None;
    let mut span = 0usize;
    while let Some(&op) = v.get(p) {
        let mut oplen = 1;
        span = if is_zero(op) {
            zero_len(op)
        } else if is_val(op) {
            val_len(op)
        } else {
            oplen = 2;
            xzero_len(v, p)
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    let Some(&op) = v.get(p).filter(|_| span != 0) else {
        return Err(Corrupt);
    };
    let runlen = if is_zero(op) {
        zero_len(op)
    } else if is_xzero(op) {
        xzero_len(v, p)
    } else {
        val_len(op)
    };
    let mut updated_in_place = false;
    // Step 2, cases A and B: a VAL already as high, or a VAL of one.
    if is_val(op) {
        if val_value(op) >= count {
            return Ok(false);
        }
        if runlen == 1 {
            if let Some(b) = v.get_mut(p) {
                *b = val_op(count, 1);
            }
            updated_in_place = true;
        }
    }
    // Case C: a ZERO of one becomes a VAL.
    if !updated_in_place && is_zero(op) && runlen == 1 {
        if let Some(b) = v.get_mut(p) {
            *b = val_op(count, 1);
        }
        updated_in_place = true;
    }
    if !updated_in_place {
        // Case D: split the opcode into up to three (at most 5 bytes).
        let last = first + span - 1;
        let mut seq = Vec::with_capacity(5);
        if is_val(op) {
            let cur = val_value(op);
            if index != first {
                seq.push(val_op(cur, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(cur, last - index));
            }
        } else {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        // Step 3: substitute the sequence for the opcode.
        let oldlen = if is_xzero(op) { 2 } else { 1 };
        let new_len = (end + seq.len()).saturating_sub(oldlen);
        if seq.len() > oldlen && new_len > SPARSE_MAX_BYTES {
            return promote(v, index, count);
        }
        let tail = v.get(p + oldlen..).map(<[u8]>::to_vec).unwrap_or_default();
        v.truncate(p);
        v.extend_from_slice(&seq);
        v.extend_from_slice(&tail);
        // An XZERO cut short by the end of the value (corrupt) shortens
        // it like Redis's sdsIncrLen does.
        v.truncate(new_len);
    }
    // Step 4: merge adjacent VALs of equal value, scanning up to 5
    // opcodes from the one before the change.
    let mut p = prev.unwrap_or(HDR);
    let mut scanlen = 5;
    while p < v.len() && scanlen > 0 {
        scanlen -= 1;
        let Some(&op) = v.get(p) else { break };
        if is_xzero(op) {
            p += 2;
            continue;
        }
        if is_zero(op) {
            p += 1;
            continue;
        }
        if let Some(&next) = v.get(p + 1)
            && is_val(next)
            && val_value(op) == val_value(next)
        {
            let len = val_len(op) + val_len(next);
            if len <= VAL_MAX_LEN {
                if let Some(b) = v.get_mut(p + 1) {
                    *b = val_op(val_value(op), len);
                }
                v.remove(p);
                // Retry at the same place: the merged VAL may merge on.
                continue;
            }
        }
        p += 1;
    }
    invalidate_cache(v);
    Ok(true)
}

/// `hllSparseSet`'s promote label: to dense, then set the register there.
fn promote(v: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    sparse_to_dense(v)?;
    // A promotion always raises the register (it was lower in sparse).
    Ok(dense_set(
        v.get_mut(HDR..).unwrap_or_default(),
        index,
        count,
    ))
}

/// `hllAdd`: true if a register changed.
fn add(v: &mut Vec<u8>, ele: &[u8]) -> Result<bool, Corrupt> {
    let (index, count) = pat_len(ele);
    match encoding(v) {
        DENSE => Ok(dense_set(
            v.get_mut(HDR..).unwrap_or_default(),
            index,
            count,
        )),
        SPARSE => sparse_set(v, index, count),
        _ => Err(Corrupt),
    }
}

// ---- counting (hllCount and its histograms) ----

type Histo = [u64; 64];

/// The 16 registers packed in 12 bytes of a dense value, unrolled as
/// `hllDenseRegHisto` does (HLL_DENSE_GET_REGISTER one by one costs
/// several times more).
fn unpack12(c: &[u8]) -> [u8; 16] {
    let mut b = [0u8; 12];
    for (d, s) in b.iter_mut().zip(c) {
        *d = *s;
    }
    let lo = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], 0, 0]);
    let hi = u64::from_le_bytes([b[6], b[7], b[8], b[9], b[10], b[11], 0, 0]);
    let mut out = [0u8; 16];
    for (k, o) in out.iter_mut().enumerate() {
        let w = if k < 8 { lo } else { hi };
        *o = ((w >> (6 * (k % 8))) & 63) as u8;
    }
    out
}

/// Counts register values into `h`. Four partial histograms: runs of
/// equal values (most registers hold 0..3) would otherwise make every
/// increment wait for the previous one (3x slower).
fn histo_of(regs: impl Iterator<Item = [u8; 16]>, h: &mut Histo) {
    let mut lanes = [[0u32; 64]; 4];
    for block in regs {
        for (k, r) in block.into_iter().enumerate() {
            if let Some(slot) = lanes
                .get_mut(k & 3)
                .and_then(|l| l.get_mut(usize::from(r & 63)))
            {
                *slot += 1;
            }
        }
    }
    for lane in &lanes {
        for (t, &n) in h.iter_mut().zip(lane) {
            *t += u64::from(n);
        }
    }
}

/// `hllDenseRegHisto`.
fn dense_histo(regs: &[u8], h: &mut Histo) {
    histo_of(regs.chunks_exact(12).take(REGISTERS / 16).map(unpack12), h);
}

/// `hllSparseRegHisto`.
fn sparse_histo(v: &[u8], h: &mut Histo) -> Result<(), Corrupt> {
    sparse_runs(v, |_, len, val| {
        if let Some(slot) = h.get_mut(usize::from(val)) {
            *slot += len as u64;
        }
    })
}

/// `hllSigma` (Ertl, arXiv:1702.01284).
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let z_prev = z;
        z += x * y;
        y += y;
        if z_prev == z {
            return z;
        }
    }
}

/// `hllTau` (Ertl). Redis's `pow(1 - x, 2)` is folded to a product by
/// the C compiler; the same product here.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let z_prev = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if z_prev == z {
            return z / 3.0;
        }
    }
}

/// `hllCount`'s estimator over a register histogram.
fn estimate(h: &Histo) -> u64 {
    let m = REGISTERS as f64;
    let at = |j: usize| h.get(j).copied().unwrap_or(0) as f64;
    let mut z = m * tau((m - at(Q + 1)) / m);
    for j in (1..=Q).rev() {
        z += at(j);
        z *= 0.5;
    }
    z += m * sigma(at(0) / m);
    // llroundl: halves away from zero, like f64::round.
    (ALPHA_INF * m * m / z).round() as u64
}

/// `hllCount` of a validated HLL value.
fn count(v: &[u8]) -> Result<u64, Corrupt> {
    let mut h = [0u64; 64];
    let regs = v.get(HDR..).unwrap_or_default();
    if encoding(v) == DENSE {
        dense_histo(regs, &mut h);
    } else {
        sparse_histo(v, &mut h)?;
    }
    Ok(estimate(&h))
}

/// `hllMerge`: `max[i] = MAX(max[i], register i)`.
fn merge(max: &mut [u8; REGISTERS], v: &[u8]) -> Result<(), Corrupt> {
    if encoding(v) == DENSE {
        let regs = v.get(HDR..).unwrap_or_default();
        for (m, c) in max.chunks_exact_mut(16).zip(regs.chunks_exact(12)) {
            for (m, r) in m.iter_mut().zip(unpack12(c)) {
                *m = (*m).max(r);
            }
        }
        return Ok(());
    }
    sparse_runs(v, |first, len, val| {
        for m in max.iter_mut().skip(first).take(len) {
            *m = (*m).max(val);
        }
    })
}

/// The value of a live key that must be an HLL (WRONGTYPE otherwise).
fn hll_value(store: &dyn Store, key: &[u8], rec: &Record) -> Result<Bytes, Reply> {
    check_string(rec)?;
    let v = hll_bytes(store, key, rec)?;
    check_hll(&v)?;
    Ok(v)
}

/// Writes an HLL value in place of the key's old one: the TTL stays, as
/// Redis modifies the string object in place.
fn put_hll(
    store: &mut dyn Store,
    key: &[u8],
    v: Vec<u8>,
    expire_at_ms: Option<u64>,
    now_ms: u64,
) -> Result<(), StoreError> {
    store.put(
        key,
        Record {
            kind: Kind::String,
            expire_at_ms,
            mtime_ms: now_ms,
            value: Bytes::from(v),
            // Inline: replacing a paged string drops its pages (garbage).
            paged: false,
        },
    )
}

// ---- commands ----

/// PFADD key [element ...] => 1 if a register changed or the key was
/// created, else 0 (`pfaddCommand`).
pub(crate) fn pfadd(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let key = arg(argv, 1);
    let (mut v, expire, mut updated) = match live_w(store, key, ctx.now_ms)? {
        None => (new_sparse(), None, true),
        Some(rec) => (
            hll_value(store, key, &rec)?.to_vec(),
            rec.expire_at_ms,
            false,
        ),
    };
    for ele in argv.get(2..).unwrap_or_default() {
        match add(&mut v, ele) {
            Ok(changed) => updated |= changed,
            Err(Corrupt) => {
                // Redis changes the string in place: registers set by
                // earlier elements stay set though the command fails.
                if updated {
                    put_hll(store, key, v, expire, ctx.now_ms)?;
                }
                return Err(invalid());
            }
        }
    }
    if updated {
        invalidate_cache(&mut v);
        put_hll(store, key, v, expire, ctx.now_ms)?;
        store.notify(crate::notify::STRING, "pfadd", key);
    }
    Ok(Reply::Integer(i64::from(updated)))
}

/// PFCOUNT key [key ...]: one key answers its valid cached cardinality or
/// computes it (not stored back: a deviation, see the module doc);
/// several keys count the union of their registers (`pfcountCommand`).
pub(crate) fn pfcount(argv: &[Bytes], ctx: &Ctx, store: &dyn Store) -> R {
    let keys = argv.get(1..).unwrap_or_default();
    if let [key] = keys {
        let Some(rec) = live(store, key, ctx.now_ms)? else {
            return Ok(Reply::Integer(0));
        };
        let v = hll_value(store, key, &rec)?;
        let card = v.get(8..HDR).and_then(|c| <[u8; 8]>::try_from(c).ok());
        let card = match card.map(u64::from_le_bytes) {
            // MSB clear: the cache is valid (and fits an i64).
            Some(c) if c >> 63 == 0 => c,
            _ => count(&v).map_err(|_| invalid())?,
        };
        return Ok(Reply::Integer(i64::try_from(card).unwrap_or(i64::MAX)));
    }
    let mut max = [0u8; REGISTERS];
    for key in keys {
        let Some(rec) = live(store, key, ctx.now_ms)? else {
            continue;
        };
        let v = hll_value(store, key, &rec)?;
        merge(&mut max, &v).map_err(|_| invalid())?;
    }
    Ok(Reply::Integer(
        i64::try_from(raw_count(&max)).unwrap_or(i64::MAX),
    ))
}

/// PFCOUNT's size for heavy routing, in element reads: counting or
/// merging one HLL (16,384 registers) costs a core about 8 µs (release
/// build), what 3 element reads cost (`table::HEAVY_MIN`'s yardstick), so
/// up to 5 keys run on the core and more on the pool: 1,000 keys would
/// hold a core for ~8 ms. From argv alone (a missing key costs nothing,
/// but no read is needed to decide).
pub(crate) fn pfcount_size(
    argv: &[Bytes],
    _ctx: &Ctx,
    _store: &dyn Store,
) -> Result<u64, StoreError> {
    Ok(3 * (argv.len() as u64).saturating_sub(1))
}

/// `hllCount` of the internal HLL_RAW encoding: one byte per register.
fn raw_count(max: &[u8; REGISTERS]) -> u64 {
    let mut h = [0u64; 64];
    histo_of(
        max.chunks_exact(16).map(|c| {
            let mut b = [0u8; 16];
            b.copy_from_slice(c);
            b
        }),
        &mut h,
    );
    estimate(&h)
}

/// PFMERGE destkey [sourcekey ...]: the destination (itself a source)
/// gets the register-wise maximum; it turns dense if any source is dense,
/// else stays sparse (promoted only by size), as in Redis 7.0
/// (`pfmergeCommand`).
pub(crate) fn pfmerge(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> R {
    let mut max = [0u8; REGISTERS];
    let mut use_dense = false;
    for key in argv.get(1..).unwrap_or_default() {
        let Some(rec) = live(store, key, ctx.now_ms)? else {
            continue;
        };
        let v = hll_value(&*store, key, &rec)?;
        use_dense |= encoding(&v) == DENSE;
        merge(&mut max, &v).map_err(|_| invalid())?;
    }
    let dest = arg(argv, 1);
    // The destination was checked as the first source.
    let (mut v, expire) = match live_w(store, dest, ctx.now_ms)? {
        None => (new_sparse(), None),
        Some(rec) => (hll_bytes(&*store, dest, &rec)?.to_vec(), rec.expire_at_ms),
    };
    if use_dense {
        sparse_to_dense(&mut v).map_err(|_| invalid())?;
    }
    for (i, &m) in max.iter().enumerate() {
        if m == 0 {
            continue;
        }
        match encoding(&v) {
            DENSE => {
                dense_set(v.get_mut(HDR..).unwrap_or_default(), i, m);
            }
            // Redis ignores the result: the destination merged cleanly.
            _ => {
                let _ = sparse_set(&mut v, i, m);
            }
        }
    }
    invalidate_cache(&mut v);
    put_hll(store, dest, v, expire, ctx.now_ms)?;
    store.notify(crate::notify::STRING, "pfadd", dest);
    Ok(Reply::ok())
}

#[cfg(test)]
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("pfadd", write(None, pfadd)),
    ("pfcount", Handler::Read(pfcount)),
    ("pfmerge", write(None, pfmerge)),
];

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{apply_write, read};
    use super::*;
    use crate::MemStore;

    /// Values and counts below were captured from redis-server 7.0.15
    /// (GET right after the PFADDs, before any PFCOUNT, so the cache
    /// bytes are Redis's "stale" 00..80).
    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16).unwrap_or(0))
            .collect()
    }

    /// 64-bit FNV-1a: the fingerprint the capture script printed for
    /// values too long to hard-code.
    fn fnv(b: &[u8]) -> u64 {
        b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
            (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn raw(s: &MemStore, key: &str) -> Vec<u8> {
        match s.get(key.as_bytes()) {
            Ok(Some(r)) => r.value.to_vec(),
            other => panic!("no value for {key}: {other:?}"),
        }
    }

    fn set_raw(s: &mut MemStore, key: &str, v: &[u8]) {
        let argv = vec![
            Bytes::from_static(b"SET"),
            Bytes::copy_from_slice(key.as_bytes()),
            Bytes::copy_from_slice(v),
        ];
        assert_eq!(apply_write(&argv, &ctx(), s), ok());
    }

    /// PFADD key e{from}..e{to-1}, 1000 elements a call like the capture.
    fn add_range(s: &mut MemStore, key: &str, from: usize, to: usize) {
        let mut i = from;
        while i < to {
            let hi = (i + 1000).min(to);
            let mut args = vec!["pfadd".to_string(), key.to_string()];
            args.extend((i..hi).map(|j| format!("e{j}")));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            assert!(matches!(run(s, &refs), Reply::Integer(_)));
            i = hi;
        }
    }

    fn count(s: &mut MemStore, keys: &[&str]) -> i64 {
        let mut args = vec!["pfcount"];
        args.extend_from_slice(keys);
        match run(s, &args) {
            Reply::Integer(n) => n,
            other => panic!("pfcount {keys:?}: {other:?}"),
        }
    }

    /// A sparse header with a stale cache, then `ops`.
    fn sparse_with(ops: &[u8]) -> Vec<u8> {
        let mut v = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
        v.extend_from_slice(ops);
        v
    }

    #[test]
    fn murmur_matches_redis_register_choice() {
        // PFDEBUG DECODE after `PFADD q c`: Z:8436 v:1,1 Z:7947; `b`:
        // Z:15780 v:1,1.
        assert_eq!(pat_len(b"c"), (8436, 1));
        assert_eq!(pat_len(b"b"), (15780, 1));
        // Every tail length of the hash's last block.
        let lens: Vec<usize> = (0..17).map(|n| pat_len(&vec![b'x'; n]).0).collect();
        assert_eq!(lens.len(), 17);
    }

    #[test]
    fn sparse_bytes_equal_redis() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["pfadd", "h", "a", "b", "c"]), int(1));
        assert_eq!(
            raw(&s, "h"),
            hex("48594c4c01000000000000000000008060f38050b1844bfb80425a")
        );
        // A key created without elements: XZERO:16384, cache stale.
        assert_eq!(run(&mut s, &["pfadd", "n"]), int(1));
        assert_eq!(raw(&s, "n"), hex("48594c4c0100000000000000000000807fff"));
        assert_eq!(run(&mut s, &["pfadd", "n"]), int(0));
        add_range(&mut s, "c1", 0, 1);
        assert_eq!(
            raw(&s, "c1"),
            hex("48594c4c0100000000000000000000804525807ad8")
        );
        add_range(&mut s, "c10", 0, 10);
        assert_eq!(
            raw(&s, "c10"),
            hex(
                "48594c4c010000000000000000000080452580472e844fc9804412844a5184430d\
                 844103844eb984408880406a8441b1"
            )
        );
        add_range(&mut s, "c100", 0, 100);
        assert_eq!(
            raw(&s, "c100"),
            hex(
                "48594c4c01000000000000000000008036843c8040a9a40e88409084406c9c04\
                 8840e28041358840d380411d8840898041168c419080098040e08040948041578440\
                 a280408384405d8440e1844199844081803c844047840780404e80408f840984405184\
                 268441258440d38042638040a280404b8c406f80420b8c41798041478041638040668440\
                 f98c0184218811804182844062803088407984228040de8440d3884045800a8842009011\
                 8440c184018041138440848c1684228040a88440e180422a84410384168041178441658c\
                 414e802680058040598040ec882e88413c880380405b841b803f80409b802184412e8840\
                 8f90407e80408480415f8033844079844193844058902e80406a840d8039801380409a88\
                 2880408c"
            )
        );
        // Adding what is there changes nothing and writes nothing.
        let before = s.get(b"c100").ok().flatten();
        assert_eq!(
            run_at(&mut s, NOW + 5, &["pfadd", "c100", "e7", "e8"]),
            int(0)
        );
        assert_eq!(s.get(b"c100").ok().flatten(), before);
    }

    #[test]
    fn sparse_promotes_to_dense_where_redis_does() {
        let mut s = MemStore::new();
        // e0..e1682 keep the sparse form at exactly hll-sparse-max-bytes;
        // e1683 would grow it past, so the value turns dense.
        add_range(&mut s, "p", 0, 1683);
        let v = raw(&s, "p");
        assert_eq!((encoding(&v), v.len()), (SPARSE, 3000));
        assert_eq!(fnv(&v), 0x3c1b_2ef7_aaad_95df);
        assert_eq!(run(&mut s, &["pfadd", "p", "e1683"]), int(1));
        let v = raw(&s, "p");
        assert_eq!((encoding(&v), v.len()), (DENSE, DENSE_SIZE));
        assert_eq!(fnv(&v), 0x1dff_1bb5_5f47_4a5d);
        assert_eq!(count(&mut s, &["p"]), 1685);
    }

    /// PFCOUNT of e0..e{n-1} equals redis-server's, and so do the stored
    /// bytes; the relative error stays within 3 standard errors (0.81%).
    #[test]
    fn counts_equal_redis() {
        let cases: [(usize, u8, usize, u64, i64); 7] = [
            (1, SPARSE, 21, 0xfffb_6fae_ff77_f7cd, 1),
            (10, SPARSE, 48, 0x4afc_b65d_27f7_d346, 10),
            (100, SPARSE, 285, 0xb8de_76da_b4a4_065e, 100),
            (1000, SPARSE, 1906, 0x5935_de02_3280_6824, 1008),
            (10_000, DENSE, 12304, 0x7378_cbab_5ab5_c44b, 9973),
            (100_000, DENSE, 12304, 0xafbf_1713_dc5b_a3c8, 100_853),
            (1_000_000, DENSE, 12304, 0x13d9_15c4_6776_e346, 991_657),
        ];
        let mut s = MemStore::new();
        let mut done = 0;
        for (n, enc, len, fp, redis_count) in cases {
            // One key grown step by step: the same registers as adding
            // e0..e{n-1} at once (fingerprints were captured per key).
            add_range(&mut s, "c", done, n);
            done = n;
            let v = raw(&s, "c");
            assert_eq!((encoding(&v), v.len(), fnv(&v)), (enc, len, fp), "n={n}");
            let got = count(&mut s, &["c"]);
            assert_eq!(got, redis_count, "n={n}");
            let err = (got as f64 - n as f64).abs() / n as f64;
            assert!(err <= 3.0 * 0.0081, "n={n} error {err}");
        }
    }

    #[test]
    fn merge_and_union_count_equal_redis() {
        let mut s = MemStore::new();
        add_range(&mut s, "a", 0, 600);
        add_range(&mut s, "b", 300, 900);
        assert_eq!(count(&mut s, &["a", "b"]), 906);
        assert_eq!(count(&mut s, &["a"]), 606);
        assert_eq!(count(&mut s, &["b"]), 599);
        // Sparse sources: the result stays sparse (Redis 7.0).
        assert_eq!(run(&mut s, &["pfmerge", "m", "a", "b"]), ok());
        let v = raw(&s, "m");
        assert_eq!(
            (encoding(&v), v.len(), fnv(&v)),
            (SPARSE, 1729, 0xfb1d_75f3_45f8_044c)
        );
        assert_eq!(count(&mut s, &["m"]), 906);
        // Dense sources.
        add_range(&mut s, "d1", 0, 10_000);
        add_range(&mut s, "d2", 5000, 15_000);
        assert_eq!(count(&mut s, &["d1", "d2", "a"]), 14942);
        assert_eq!(run(&mut s, &["pfmerge", "dm", "d1", "d2"]), ok());
        let v = raw(&s, "dm");
        assert_eq!((v.len(), fnv(&v)), (DENSE_SIZE, 0xc4d9_83a3_cd07_5283));
        assert_eq!(count(&mut s, &["dm"]), 14942);
        // A sparse destination turns dense when a source is.
        add_range(&mut s, "sd", 0, 50);
        assert_eq!(run(&mut s, &["pfmerge", "sd", "d1"]), ok());
        assert_eq!(fnv(&raw(&s, "sd")), 0x7378_cbab_5ab5_c44b);
        // Sparse sources whose union outgrows 3000 bytes: promoted.
        add_range(&mut s, "x", 1000, 2100);
        assert_eq!(raw(&s, "x").len(), 2058);
        assert_eq!(run(&mut s, &["pfmerge", "mx", "a", "x"]), ok());
        let v = raw(&s, "mx");
        assert_eq!((encoding(&v), fnv(&v)), (DENSE, 0x75e2_fcf9_58b1_7487));
        assert_eq!(count(&mut s, &["mx"]), 1701);
        // Missing keys count as empty; PFMERGE of nothing makes an empty HLL.
        assert_eq!(count(&mut s, &["nokey", "a", "nokey2"]), 606);
        assert_eq!(count(&mut s, &["nokey", "nokey2"]), 0);
        assert_eq!(run(&mut s, &["pfmerge", "fresh"]), ok());
        assert_eq!(
            raw(&s, "fresh"),
            hex("48594c4c0100000000000000000000807fff")
        );
        assert_eq!(run(&mut s, &["ttl", "fresh"]), int(-1));
    }

    #[test]
    fn cached_cardinality_is_answered_and_kept() {
        let mut s = MemStore::new();
        // e0..e9 after a PFCOUNT on Redis: the cache holds 10, valid.
        let cached = hex(
            "48594c4c010000000a00000000000000452580472e844fc9804412844a5184430d\
             844103844eb984408880406a8441b1",
        );
        set_raw(&mut s, "cc", &cached);
        assert_eq!(count(&mut s, &["cc"]), 10);
        // A valid cache is trusted, as Redis does; several keys recompute.
        let mut bogus = cached.clone();
        bogus.splice(8..16, 12345u64.to_le_bytes());
        set_raw(&mut s, "bog", &bogus);
        assert_eq!(count(&mut s, &["bog"]), 12345);
        assert_eq!(count(&mut s, &["bog", "cc"]), 10);
        // No change: bytes (and the valid cache) stay.
        assert_eq!(run(&mut s, &["pfadd", "cc", "e3"]), int(0));
        assert_eq!(raw(&s, "cc"), cached);
        // A change sets the stale bit only, as HLL_INVALIDATE_CACHE does.
        assert_eq!(run(&mut s, &["pfadd", "cc", "zz"]), int(1));
        assert_eq!(
            raw(&s, "cc"),
            hex(
                "48594c4c010000000a0000000000008045258045b280417a844fc9804412844a51\
                 84430d844103844eb984408880406a8441b1"
            )
        );
        // PFCOUNT is a read here: the stale cache is not rewritten.
        assert_eq!(count(&mut s, &["cc"]), 11);
        assert_eq!(raw(&s, "cc").get(15), Some(&0x80));
    }

    #[test]
    fn ttl_is_kept_by_pfadd_and_pfmerge() {
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["pfadd", "t", "a"]), int(1));
        assert_eq!(run(&mut s, &["expire", "t", "100"]), int(1));
        assert_eq!(run(&mut s, &["pfadd", "t", "b"]), int(1));
        assert_eq!(run(&mut s, &["ttl", "t"]), int(100));
        assert_eq!(run(&mut s, &["pfadd", "src", "zzz"]), int(1));
        assert_eq!(run(&mut s, &["pfmerge", "t", "src"]), ok());
        assert_eq!(run(&mut s, &["ttl", "t"]), int(100));
        assert_eq!(count(&mut s, &["t"]), 3);
        // An expired HLL is gone: PFADD starts a fresh one without TTL.
        assert_eq!(run_at(&mut s, NOW + 100_000, &["pfadd", "t", "a"]), int(1));
        assert_eq!(run_at(&mut s, NOW + 100_000, &["ttl", "t"]), int(-1));
        assert_eq!(run_at(&mut s, NOW + 100_000, &["pfcount", "t"]), int(1));
    }

    #[test]
    fn errors_are_redis_texts() {
        const NOTHLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
        const BAD: &str = "INVALIDOBJ Corrupted HLL object detected";
        const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
        let mut s = MemStore::new();
        assert_eq!(run(&mut s, &["rpush", "l", "a"]), int(1));
        for cmd in [
            &["pfadd", "l", "a"][..],
            &["pfcount", "l"],
            &["pfcount", "nokey", "l"],
            &["pfmerge", "x", "l"],
            &["pfmerge", "l"],
        ] {
            assert_eq!(run(&mut s, cmd), err(WRONGTYPE), "{cmd:?}");
        }
        assert_eq!(run(&mut s, &["exists", "x"]), int(0));
        // Strings that are no HLL: short, no magic, an unknown encoding,
        // a dense value of the wrong length.
        set_raw(&mut s, "s", b"foo");
        set_raw(&mut s, "i", b"1234567890123456789");
        let mut enc2 = sparse_with(&[0x7f, 0xff]);
        enc2.splice(4..5, [2]);
        set_raw(&mut s, "enc2", &enc2);
        let mut short = b"HYLL\0".to_vec();
        short.resize(116, 0);
        set_raw(&mut s, "dshort", &short);
        for key in ["s", "i", "enc2", "dshort"] {
            assert_eq!(run(&mut s, &["pfadd", key, "a"]), err(NOTHLL), "{key}");
            assert_eq!(run(&mut s, &["pfcount", key]), err(NOTHLL), "{key}");
            assert_eq!(run(&mut s, &["pfcount", key, key]), err(NOTHLL), "{key}");
            assert_eq!(run(&mut s, &["pfmerge", "x", key]), err(NOTHLL), "{key}");
        }
        assert_eq!(run(&mut s, &["get", "s"]), bulk("foo"));
        // Sparse opcodes covering 9000 registers (XZERO:9000).
        let short9000 = sparse_with(&[0x63, 0x27]);
        set_raw(&mut s, "bad", &short9000);
        assert_eq!(run(&mut s, &["pfcount", "bad"]), err(BAD));
        assert_eq!(run(&mut s, &["pfcount", "bad", "bad"]), err(BAD));
        assert_eq!(run(&mut s, &["pfmerge", "x", "bad"]), err(BAD));
        assert_eq!(run(&mut s, &["exists", "x"]), int(0));
        // `a` lands at register 12711, past the opcodes.
        assert_eq!(run(&mut s, &["pfadd", "bad", "a"]), err(BAD));
        assert_eq!(raw(&s, "bad"), short9000);
        // `c` (register 8436) is set before `a` fails: Redis keeps it.
        assert_eq!(run(&mut s, &["expire", "bad", "100"]), int(1));
        assert_eq!(run(&mut s, &["pfadd", "bad", "c", "a"]), err(BAD));
        assert_eq!(
            raw(&s, "bad"),
            hex("48594c4c01000000000000000000008060f3804232")
        );
        assert_eq!(run(&mut s, &["ttl", "bad"]), int(100));
        // Opcodes past register 16383: PFADD works inside, counting fails.
        set_raw(&mut s, "over", &sparse_with(&[0x7f, 0xff, 0x40, 0x09]));
        assert_eq!(run(&mut s, &["pfcount", "over"]), err(BAD));
        assert_eq!(run(&mut s, &["pfadd", "over", "a"]), int(1));
        assert_eq!(
            raw(&s, "over"),
            hex("48594c4c01000000000000000000008071a6844e574009")
        );
        set_raw(&mut s, "ov2", &sparse_with(&[0x7f, 0xff, 0x80]));
        assert_eq!(run(&mut s, &["pfcount", "ov2"]), err(BAD));
        assert_eq!(run(&mut s, &["pfcount", "ov2", "ov2"]), err(BAD));
        // Arity.
        assert_eq!(
            run(&mut s, &["pfadd"]),
            err("ERR wrong number of arguments for 'pfadd' command")
        );
        assert_eq!(
            run(&mut s, &["pfcount"]),
            err("ERR wrong number of arguments for 'pfcount' command")
        );
        assert_eq!(
            run(&mut s, &["pfmerge"]),
            err("ERR wrong number of arguments for 'pfmerge' command")
        );
    }

    #[test]
    fn pfcount_runs_on_the_pool_past_five_keys() {
        let s = MemStore::new();
        let size = |args: &[&str]| pfcount_size(&argv(args), &ctx(), &s).unwrap_or(u64::MAX);
        assert_eq!(size(&["pfcount", "a"]), 3);
        assert!(size(&["pfcount", "a", "b", "c", "d", "e"]) <= crate::table::HEAVY_MIN);
        assert!(size(&["pfcount", "a", "b", "c", "d", "e", "f"]) > crate::table::HEAVY_MIN);
        let spec = crate::table::lookup(b"pfcount").unwrap_or_else(|| panic!("pfcount"));
        assert!(spec.heavy && spec.heavy_size.is_some());
    }

    /// A failed read answers the storage error and writes nothing.
    #[test]
    fn storage_errors_propagate() {
        use crate::store::faults::Faulty;
        let mut mem = MemStore::new();
        assert_eq!(run(&mut mem, &["pfadd", "h", "a"]), int(1));
        assert_eq!(run(&mut mem, &["pfadd", "g", "b"]), int(1));
        let before = raw(&mem, "h");
        let mut f = Faulty::new(mem);
        f.bad_key = Some(b"h");
        let want = Reply::Error("ERR storage read error: injected".to_string());
        for args in [
            &["pfadd", "h", "z"][..],
            &["pfmerge", "h", "g"],
            &["pfmerge", "g", "h"],
            &["pfmerge", "new", "g", "h"],
        ] {
            assert_eq!(apply_write(&argv(args), &ctx(), &mut f), want, "{args:?}");
        }
        for args in [&["pfcount", "h"][..], &["pfcount", "g", "h"]] {
            assert_eq!(read(&argv(args), &ctx(), &f), want, "{args:?}");
        }
        assert_eq!(raw(&f.inner, "h"), before);
        assert!(matches!(f.inner.get(b"new"), Ok(None)));
    }

    /// Sparse and dense give the same count for the same registers, and
    /// every odd value of a corrupt sparse HLL is handled without a panic.
    #[test]
    fn dense_and_sparse_agree_and_corrupt_values_do_not_panic() {
        let mut s = MemStore::new();
        add_range(&mut s, "sp", 0, 1500);
        let mut v = raw(&s, "sp");
        assert_eq!(encoding(&v), SPARSE);
        let sparse_count = count(&mut s, &["sp"]);
        assert!(sparse_to_dense(&mut v).is_ok());
        set_raw(&mut s, "de", &v);
        assert_eq!(count(&mut s, &["de"]), sparse_count);
        // Every single-opcode tail, including a cut XZERO.
        for op in 0..=255u8 {
            for tail in [&[op][..], &[0x7f, 0xfe, op], &[op, 0x7f]] {
                let mut st = MemStore::new();
                set_raw(&mut st, "k", &sparse_with(tail));
                let _ = run(&mut st, &["pfadd", "k", "a", "b", "c", "d"]);
                let _ = run(&mut st, &["pfcount", "k"]);
                let _ = run(&mut st, &["pfcount", "k", "k"]);
                let _ = run(&mut st, &["pfmerge", "k", "k"]);
            }
        }
        // A dense value with registers of 63 (not producible by PFADD).
        let mut d = vec![0xffu8; DENSE_SIZE];
        d.get_mut(..HDR)
            .unwrap_or_default()
            .copy_from_slice(b"HYLL\0\0\0\0\0\0\0\0\0\0\0\x80");
        set_raw(&mut s, "ff", &d);
        assert!(matches!(run(&mut s, &["pfcount", "ff"]), Reply::Integer(_)));
        assert_eq!(run(&mut s, &["pfadd", "ff", "a"]), int(0));
        let _ = read(&argv(&["pfcount", "ff", "sp"]), &ctx(), &s);
    }
}
