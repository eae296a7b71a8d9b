//! String values, inline or paged (docs/design/0019, "Bitmaps").
//!
//! A string is one inline record (`Record::value`) until SETBIT, SETRANGE,
//! APPEND or BITFIELD would leave it longer than [`INLINE_MAX`] bytes (or
//! BITOP stores a result that long). It then becomes *paged*, once, in
//! O(len): its record is `Kind::String` with `Record::paged` set and a
//! [`Coll`] header (`len` = byte length, `id` = a fresh namespace), and its
//! bytes live as elements `'b' | page_no(8 BE)` of at most [`PAGE`] bytes.
//! A missing page, and a page's missing tail, read as zeros, so SETBIT at
//! bit 2^32-1 writes one page, not 512 MB. SETBIT then writes one page,
//! GETBIT reads one, BITCOUNT/BITPOS/GETRANGE read the pages in range.
//! Strings never shrink in place (SET replaces the record), so no page
//! holds bytes at or past the length.
//!
//! Every command reads a string's bytes through [`value`], [`range`],
//! [`visit`] or [`len`], and writes a changed string through [`Editor`].
//! Replacing or deleting a paged record drops its namespace like a
//! collection's (`Record::garbage_ns`); COPY/RENAME copy its pages to a
//! fresh id (`coll::duplicate`).

use super::{check_string, live_w};
use crate::Reply;
use crate::slot::key_slot;
use crate::store::{Coll, Ns, Record, Store, StoreError};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::ops::Bound;

/// Bytes per page: SETBIT writes one page (and the small meta record).
pub(crate) const PAGE: u64 = 4096;
const PAGE_USIZE: usize = PAGE as usize;
/// The longest string a bit or range write leaves inline.
pub(crate) const INLINE_MAX: u64 = 4096;
/// Element tag of a page.
const TAG: u8 = b'b';

static ZEROS: [u8; PAGE_USIZE] = [0; PAGE_USIZE];

/// Whether a chunk [`visit`] handed out is a run of zeros standing for a
/// missing page (or page tail): BITCOUNT skips it without counting.
pub(crate) fn is_missing(chunk: &[u8]) -> bool {
    std::ptr::eq(chunk.as_ptr(), ZEROS.as_ptr())
}

fn page_key(n: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = TAG;
    k[1..].copy_from_slice(&n.to_be_bytes());
    k
}

fn page_no(sub: &[u8]) -> Option<u64> {
    match sub.split_first() {
        Some((&TAG, n)) => n.try_into().ok().map(u64::from_be_bytes),
        _ => None,
    }
}

/// The header and namespace of a paged string record.
fn header(key: &[u8], rec: &Record) -> Result<(Coll, Ns), StoreError> {
    let c = rec.coll_header().ok_or_else(|| StoreError::corrupt(key))?;
    let ns = Ns {
        slot: key_slot(key),
        id: c.id,
    };
    Ok((c, ns))
}

/// The byte length of string record `rec` (stored at `key`).
pub(crate) fn len(key: &[u8], rec: &Record) -> Result<u64, StoreError> {
    if rec.paged {
        Ok(header(key, rec)?.0.len)
    } else {
        Ok(rec.value.len() as u64)
    }
}

/// Pages a read of bytes `start..end` of `rec` touches (0 for an inline
/// string): what a heavy read's size estimate counts.
pub(crate) fn pages_in(key: &[u8], rec: &Record, start: u64, end: u64) -> Result<u64, StoreError> {
    if !rec.paged {
        return Ok(0);
    }
    let end = end.min(header(key, rec)?.0.len);
    if start >= end {
        return Ok(0);
    }
    Ok((end - 1) / PAGE - start / PAGE + 1)
}

/// Visits bytes `start..end` of string `rec` (clipped to its length) in
/// order, as consecutive chunks; missing pages come as zeros. The visitor
/// returns `false` to stop. A failed page read is an error, never zeros.
pub(crate) fn visit(
    store: &dyn Store,
    key: &[u8],
    rec: &Record,
    start: u64,
    end: u64,
    f: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<(), StoreError> {
    if !rec.paged {
        let v = &rec.value[..];
        let end = usize::try_from(end).unwrap_or(usize::MAX).min(v.len());
        let start = usize::try_from(start).unwrap_or(usize::MAX);
        if let Some(s) = v.get(start..end) {
            f(s);
        }
        return Ok(());
    }
    let (c, ns) = header(key, rec)?;
    let end = end.min(c.len);
    if start >= end {
        return Ok(());
    }
    // Emits zeros for `pos..to`; false when the visitor stopped.
    fn zeros(pos: &mut u64, to: u64, f: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        while *pos < to {
            let n = (to - *pos).min(PAGE);
            if !f(ZEROS.get(..n as usize).unwrap_or(&[])) {
                return false;
            }
            *pos += n;
        }
        true
    }
    let (first, last) = (start / PAGE, (end - 1) / PAGE);
    let mut pos = start;
    if first == last {
        // One page (GETBIT, BITFIELD, a short GETRANGE): a point read is
        // cheaper than a range.
        let data = store.el_get(ns, &page_key(first))?.unwrap_or_default();
        let from = (start - first * PAGE) as usize;
        let to = (end - first * PAGE) as usize;
        let have = data.len().min(to);
        if from < have {
            if let Some(s) = data.get(from..have)
                && !f(s)
            {
                return Ok(());
            }
            pos = first * PAGE + have as u64;
        }
        zeros(&mut pos, end, f);
        return Ok(());
    }
    let (lo, hi) = (page_key(first), page_key(last.saturating_add(1)));
    let mut stopped = false;
    store.el_range(
        ns,
        Bound::Included(&lo[..]),
        Bound::Excluded(&hi[..]),
        false,
        &mut |sub, data| {
            let Some(n) = page_no(sub) else {
                return true;
            };
            let page_start = n.saturating_mul(PAGE);
            let page_end = page_start.saturating_add(PAGE).min(end);
            if page_end <= pos || page_start >= end {
                return true;
            }
            if !zeros(&mut pos, page_start, f) {
                stopped = true;
                return false;
            }
            // `data` may be shorter than the page (a zero tail trimmed).
            let from = (pos - page_start) as usize;
            let have = data.len().min((page_end - page_start) as usize);
            if from < have {
                if let Some(s) = data.get(from..have)
                    && !f(s)
                {
                    stopped = true;
                    return false;
                }
                pos = page_start + have as u64;
            }
            if !zeros(&mut pos, page_end, f) {
                stopped = true;
                return false;
            }
            true
        },
    )?;
    if !stopped {
        zeros(&mut pos, end, f);
    }
    Ok(())
}

/// Bytes `start..end` of string `rec`, clipped to its length.
pub(crate) fn range(
    store: &dyn Store,
    key: &[u8],
    rec: &Record,
    start: u64,
    end: u64,
) -> Result<Bytes, StoreError> {
    if !rec.paged {
        let v = &rec.value;
        let end = usize::try_from(end).unwrap_or(usize::MAX).min(v.len());
        let start = usize::try_from(start).unwrap_or(usize::MAX).min(end);
        return Ok(v.slice(start..end));
    }
    let want = end.min(len(key, rec)?).saturating_sub(start);
    let mut out = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    visit(store, key, rec, start, end, &mut |s| {
        out.extend_from_slice(s);
        true
    })?;
    Ok(Bytes::from(out))
}

/// The whole value of string record `rec` stored at `key`: the one reader
/// every command (GET, GETDEL, LCS, HyperLogLog ...) uses for a whole
/// value. An inline value is a refcount bump; a paged one is read page by
/// page.
pub(crate) fn value(store: &dyn Store, key: &[u8], rec: &Record) -> Result<Bytes, StoreError> {
    if !rec.paged {
        return Ok(rec.value.clone());
    }
    range(store, key, rec, 0, u64::MAX)
}

/// One page being edited: always `PAGE` bytes in memory.
struct EditPage {
    buf: Vec<u8>,
    /// An element holds this page now (deleting it writes a tombstone).
    stored: bool,
    dirty: bool,
}

/// A string being changed by SETBIT, SETRANGE, APPEND or BITFIELD: reads
/// only the pages it edits, writes only the pages it changed, and turns
/// an inline string into a paged one when it grows past [`INLINE_MAX`].
pub(crate) struct Editor {
    /// The value while it is inline.
    inline: Option<Vec<u8>>,
    /// The namespace and header once paged.
    paged: Option<(Ns, Coll)>,
    len: u64,
    /// Pages at or past this byte hold nothing in the store (the string
    /// was shorter, or the namespace is new).
    stored_len: u64,
    pages: BTreeMap<u64, EditPage>,
    expire_at_ms: Option<u64>,
    existed: bool,
    changed: bool,
}

impl Editor {
    /// The live string at `key` (an expired one is deleted), or a new empty
    /// one; WRONGTYPE for another type.
    pub(crate) fn open(store: &mut dyn Store, key: &[u8], now_ms: u64) -> Result<Editor, Reply> {
        let rec = live_w(store, key, now_ms)?;
        if let Some(r) = &rec {
            check_string(r)?;
        }
        Ok(Editor::from_record(key, rec.as_ref())?)
    }

    fn from_record(key: &[u8], rec: Option<&Record>) -> Result<Editor, StoreError> {
        let mut e = Editor {
            inline: Some(Vec::new()),
            paged: None,
            len: 0,
            stored_len: 0,
            pages: BTreeMap::new(),
            expire_at_ms: rec.and_then(|r| r.expire_at_ms),
            existed: rec.is_some(),
            changed: false,
        };
        match rec {
            Some(r) if r.paged => {
                let (c, ns) = header(key, r)?;
                e.inline = None;
                e.len = c.len;
                e.stored_len = c.len;
                e.paged = Some((ns, c));
            }
            Some(r) => {
                e.inline = Some(r.value.to_vec());
                e.len = r.value.len() as u64;
            }
            None => {}
        }
        Ok(e)
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn existed(&self) -> bool {
        self.existed
    }

    /// Zero-pads the string to `new_len` bytes (never shrinks); past
    /// [`INLINE_MAX`] an inline string becomes paged (a fresh id, its bytes
    /// copied into pages once).
    pub(crate) fn grow(&mut self, store: &mut dyn Store, key: &[u8], new_len: u64) {
        if new_len <= self.len {
            return;
        }
        self.changed = true;
        if let Some(v) = &mut self.inline
            && new_len <= INLINE_MAX
        {
            v.resize(new_len as usize, 0);
            self.len = new_len;
            return;
        }
        self.len = new_len;
        self.page_out(store, key);
    }

    /// Moves an inline value longer than [`INLINE_MAX`] into pages under a
    /// fresh id (once, O(len)); nothing for a shorter or paged one. A long
    /// inline value comes from SET, which keeps any length inline.
    fn page_out(&mut self, store: &mut dyn Store, key: &[u8]) {
        if self.len <= INLINE_MAX {
            return;
        }
        let Some(v) = self.inline.take() else {
            return;
        };
        let ns = Ns {
            slot: key_slot(key),
            id: store.new_id(),
        };
        for (n, chunk) in v.chunks(PAGE_USIZE).enumerate() {
            let mut buf = vec![0u8; PAGE_USIZE];
            if let Some(dst) = buf.get_mut(..chunk.len()) {
                dst.copy_from_slice(chunk);
            }
            self.pages.insert(
                n as u64,
                EditPage {
                    buf,
                    stored: false,
                    dirty: true,
                },
            );
        }
        self.changed = true;
        self.paged = Some((ns, Coll::new(ns.id)));
    }

    /// Page `n` of a paged string, read on first use.
    fn page(&mut self, store: &dyn Store, n: u64) -> Result<&mut EditPage, StoreError> {
        if !self.pages.contains_key(&n) {
            let mut buf = vec![0u8; PAGE_USIZE];
            let mut stored = false;
            if let Some((ns, _)) = self.paged
                && n.saturating_mul(PAGE) < self.stored_len
                && let Some(data) = store.el_get(ns, &page_key(n))?
            {
                let k = data.len().min(PAGE_USIZE);
                if let (Some(dst), Some(src)) = (buf.get_mut(..k), data.get(..k)) {
                    dst.copy_from_slice(src);
                }
                stored = true;
            }
            self.pages.insert(
                n,
                EditPage {
                    buf,
                    stored,
                    dirty: false,
                },
            );
        }
        self.pages
            .get_mut(&n)
            .ok_or_else(|| StoreError::new("string page vanished"))
    }

    /// Copies bytes `off..off + out.len()` into `out` (zeros past the end).
    pub(crate) fn read(
        &mut self,
        store: &dyn Store,
        off: u64,
        out: &mut [u8],
    ) -> Result<(), StoreError> {
        out.fill(0);
        if let Some(v) = &self.inline {
            let s = usize::try_from(off).unwrap_or(usize::MAX).min(v.len());
            let src = v.get(s..).unwrap_or(&[]);
            let k = src.len().min(out.len());
            if let (Some(d), Some(s)) = (out.get_mut(..k), src.get(..k)) {
                d.copy_from_slice(s);
            }
            return Ok(());
        }
        let mut done = 0usize;
        while done < out.len() {
            let at = off + done as u64;
            if at >= self.len {
                break;
            }
            let (n, within) = (at / PAGE, (at % PAGE) as usize);
            let k = (PAGE_USIZE - within).min(out.len() - done);
            let p = self.page(store, n)?;
            if let (Some(d), Some(s)) = (out.get_mut(done..done + k), p.buf.get(within..within + k))
            {
                d.copy_from_slice(s);
            }
            done += k;
        }
        Ok(())
    }

    /// Overwrites bytes `off..off + data.len()`, growing the string first
    /// if they reach past its end.
    pub(crate) fn write(
        &mut self,
        store: &mut dyn Store,
        key: &[u8],
        off: u64,
        data: &[u8],
    ) -> Result<(), StoreError> {
        let end = off + data.len() as u64;
        self.grow(store, key, end);
        if data.is_empty() {
            return Ok(());
        }
        self.changed = true;
        self.page_out(store, key);
        if let Some(v) = &mut self.inline {
            if let Some(d) = v.get_mut(off as usize..end as usize) {
                d.copy_from_slice(data);
            }
            return Ok(());
        }
        let mut done = 0usize;
        while done < data.len() {
            let at = off + done as u64;
            let (n, within) = (at / PAGE, (at % PAGE) as usize);
            let k = (PAGE_USIZE - within).min(data.len() - done);
            let whole = within == 0 && k == PAGE_USIZE;
            let p = if whole && !self.pages.contains_key(&n) {
                // Fully overwritten: nothing to read. Whether an element
                // holds it now is unknown, which only matters for an
                // all-zero page (then a tombstone is written).
                self.pages.entry(n).or_insert(EditPage {
                    buf: vec![0u8; PAGE_USIZE],
                    stored: n.saturating_mul(PAGE) < self.stored_len,
                    dirty: false,
                })
            } else {
                self.page(store, n)?
            };
            if let (Some(d), Some(s)) =
                (p.buf.get_mut(within..within + k), data.get(done..done + k))
            {
                d.copy_from_slice(s);
            }
            p.dirty = true;
            done += k;
        }
        Ok(())
    }

    /// Writes what changed: dirty pages (a zero tail trimmed, an all-zero
    /// page deleted) and the record, keeping its expiry. Nothing when
    /// nothing changed.
    pub(crate) fn save(
        self,
        store: &mut dyn Store,
        key: &[u8],
        now_ms: u64,
    ) -> Result<(), StoreError> {
        if !self.changed {
            return Ok(());
        }
        let mut rec = match (self.inline, self.paged) {
            (Some(v), _) => Record::string(Bytes::from(v), now_ms),
            (None, Some((ns, mut coll))) => {
                for (n, p) in self.pages {
                    if !p.dirty {
                        continue;
                    }
                    let used = p.buf.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                    if used == 0 {
                        if p.stored {
                            store.el_del(ns, &page_key(n));
                        }
                    } else {
                        let mut buf = p.buf;
                        buf.truncate(used);
                        store.el_put(ns, &page_key(n), Bytes::from(buf));
                    }
                }
                coll.len = self.len;
                Record::paged(&coll, now_ms)
            }
            (None, None) => return Err(StoreError::new("string editor lost its value")),
        };
        rec.expire_at_ms = self.expire_at_ms;
        store.put(key, rec)
    }
}

/// A new value for `key` built front to back (BITOP's result), paged
/// when longer than [`INLINE_MAX`] under a fresh id: all-zero pages are
/// not written, and a big value is never held whole.
pub(crate) struct Fresh {
    /// The value while it is to be inline.
    inline: Option<Vec<u8>>,
    ns: Ns,
    len: u64,
    /// Bytes pushed so far.
    at: u64,
}

impl Fresh {
    pub(crate) fn new(store: &mut dyn Store, key: &[u8], len: u64) -> Fresh {
        let (inline, id) = if len <= INLINE_MAX {
            (Some(Vec::with_capacity(len as usize)), 0)
        } else {
            (None, store.new_id())
        };
        Fresh {
            inline,
            ns: Ns {
                slot: key_slot(key),
                id,
            },
            len,
            at: 0,
        }
    }

    /// The next bytes of the value; every push but the last is a whole
    /// number of pages.
    pub(crate) fn push(&mut self, store: &mut dyn Store, data: &[u8]) {
        if let Some(v) = &mut self.inline {
            v.extend_from_slice(data);
            return;
        }
        for (i, chunk) in data.chunks(PAGE_USIZE).enumerate() {
            let used = chunk.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            if let Some(s) = chunk.get(..used)
                && used > 0
            {
                let n = self.at / PAGE + i as u64;
                store.el_put(self.ns, &page_key(n), Bytes::copy_from_slice(s));
            }
        }
        self.at += data.len() as u64;
    }

    /// Stores the record (no expiry), replacing whatever `key` held.
    pub(crate) fn finish(
        self,
        store: &mut dyn Store,
        key: &[u8],
        now_ms: u64,
    ) -> Result<(), StoreError> {
        match self.inline {
            Some(v) => store.put(key, Record::string(Bytes::from(v), now_ms)),
            None => {
                let mut coll = Coll::new(self.ns.id);
                coll.len = self.len;
                store.put(key, Record::paged(&coll, now_ms))
            }
        }
    }
}

/// Stores `data` as the new value of `key` (no expiry), paged when it is
/// longer than [`INLINE_MAX`].
#[cfg(test)]
pub(crate) fn put_new(
    store: &mut dyn Store,
    key: &[u8],
    data: &[u8],
    now_ms: u64,
) -> Result<(), StoreError> {
    let mut f = Fresh::new(store, key, data.len() as u64);
    f.push(store, data);
    f.finish(store, key, now_ms)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // test data indexed by construction
mod tests {
    use super::*;
    use crate::MemStore;

    fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
        r.unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// A tiny deterministic generator for the model tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    #[test]
    fn writes_and_reads_equal_an_inline_model_across_pages() {
        let mut s = MemStore::new();
        let mut model: Vec<u8> = Vec::new();
        let mut rng = Rng(5);
        for round in 0..300 {
            let mut e = ok(Editor::open(&mut s, b"k", 0));
            let off = match rng.below(4) {
                0 => rng.below(5000),
                1 => model.len() as u64,
                2 => rng.below(40_000),
                _ => (rng.below(10) + 1) * PAGE - rng.below(3),
            };
            let n = match rng.below(3) {
                0 => rng.below(10) as usize + 1,
                1 => rng.below(5000) as usize + 1,
                _ => PAGE_USIZE,
            };
            let data: Vec<u8> = (0..n).map(|i| ((i as u64 + round) % 7) as u8).collect();
            ok(e.write(&mut s, b"k", off, &data));
            ok(e.save(&mut s, b"k", 1));
            let end = off as usize + n;
            if model.len() < end {
                model.resize(end, 0);
            }
            model[off as usize..end].copy_from_slice(&data);
            let rec = ok(s.get(b"k")).unwrap_or_else(|| panic!("written"));
            assert_eq!(rec.paged, model.len() as u64 > INLINE_MAX);
            assert_eq!(ok(len(b"k", &rec)), model.len() as u64);
            assert_eq!(&ok(value(&s, b"k", &rec))[..], &model[..], "round {round}");
            let a = rng.below(model.len() as u64 + 10);
            let b = a + rng.below(9000);
            let want = &model[(a as usize).min(model.len())..(b as usize).min(model.len())];
            assert_eq!(&ok(range(&s, b"k", &rec, a, b))[..], want, "{a}..{b}");
            let mut ed = ok(Editor::open(&mut s, b"k", 0));
            let mut buf = vec![0u8; 20];
            ok(ed.read(&s, a, &mut buf));
            let mut wbuf = vec![0u8; 20];
            for (i, w) in wbuf.iter_mut().enumerate() {
                *w = model.get(a as usize + i).copied().unwrap_or(0);
            }
            assert_eq!(buf, wbuf);
        }
    }

    #[test]
    fn the_boundary_is_4096_bytes_and_far_writes_touch_one_page() {
        let mut s = MemStore::new();
        let mut e = ok(Editor::open(&mut s, b"k", 0));
        ok(e.write(&mut s, b"k", 4095, b"x"));
        ok(e.save(&mut s, b"k", 1));
        let rec = ok(s.get(b"k")).unwrap_or_else(|| panic!("written"));
        assert!(!rec.paged, "4096 bytes stay inline");
        assert_eq!(s.element_count(), 0);
        let mut e = ok(Editor::open(&mut s, b"k", 0));
        ok(e.write(&mut s, b"k", 4096, b"y"));
        ok(e.save(&mut s, b"k", 1));
        let rec = ok(s.get(b"k")).unwrap_or_else(|| panic!("written"));
        assert!(rec.paged, "4097 bytes are paged");
        assert_eq!(s.element_count(), 2);
        // A write near 512 MB adds one page, not 131,072.
        let mut e = ok(Editor::open(&mut s, b"k", 0));
        ok(e.write(&mut s, b"k", 512 * 1024 * 1024 - 1, b"z"));
        ok(e.save(&mut s, b"k", 1));
        assert_eq!(s.element_count(), 3);
        let rec = ok(s.get(b"k")).unwrap_or_else(|| panic!("written"));
        assert_eq!(ok(len(b"k", &rec)), 512 * 1024 * 1024);
        assert_eq!(ok(pages_in(b"k", &rec, 0, u64::MAX)), 131_072);
        assert_eq!(ok(pages_in(b"k", &rec, 4096, 8192)), 1);
        assert_eq!(ok(pages_in(b"k", &rec, 4095, 4097)), 2);
        let tail = ok(range(&s, b"k", &rec, 512 * 1024 * 1024 - 3, u64::MAX));
        assert_eq!(&tail[..], b"\0\0z");
        // Zeroing a page deletes it.
        let mut e = ok(Editor::open(&mut s, b"k", 0));
        ok(e.write(&mut s, b"k", 512 * 1024 * 1024 - 1, b"\0"));
        ok(e.save(&mut s, b"k", 1));
        assert_eq!(s.element_count(), 2);
        // Deleting the record drops its pages.
        ok(s.delete(b"k"));
        assert_eq!(s.element_count(), 0);
    }

    #[test]
    fn put_new_skips_zero_pages() {
        let mut s = MemStore::new();
        let mut data = vec![0u8; 3 * PAGE_USIZE];
        data[PAGE_USIZE + 5] = 1;
        ok(put_new(&mut s, b"k", &data, 1));
        assert_eq!(s.element_count(), 1);
        let rec = ok(s.get(b"k")).unwrap_or_else(|| panic!("written"));
        assert_eq!(&ok(value(&s, b"k", &rec))[..], &data[..]);
        ok(put_new(&mut s, b"k", b"short", 1));
        assert_eq!(s.element_count(), 0, "the old pages are garbage");
    }
}
