//! Collection elements in the `elem` keyspace: ranges over disk with
//! newer layers on top (the core's overlay, an entry's staged writes, a
//! heavy read's overlay copy), and the garbage of dropped collections.
//! Layout and reasons: docs/design/0019.

use crate::engine::ReadHealth;
use crate::keys;
use corekv_core::{Ns, StoreError};
use std::collections::BTreeMap;
use std::ops::Bound;

/// A visitor over (element key, value) in range order; `false` stops.
pub(crate) type Visit<'v> = dyn FnMut(&[u8], &[u8]) -> bool + 'v;

/// The element-key bounds of `ns`'s elements with `lo <= sub < hi`.
pub(crate) fn bounds(
    ns: Ns,
    lo: Bound<&[u8]>,
    hi: Bound<&[u8]>,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let lo = match lo {
        Bound::Included(s) => Bound::Included(keys::elem_key(ns, s)),
        Bound::Excluded(s) => Bound::Excluded(keys::elem_key(ns, s)),
        Bound::Unbounded => Bound::Included(keys::elem_key(ns, &[])),
    };
    let hi = match hi {
        Bound::Included(s) => Bound::Included(keys::elem_key(ns, s)),
        Bound::Excluded(s) => Bound::Excluded(keys::elem_key(ns, s)),
        Bound::Unbounded => match ns.id.checked_add(1) {
            Some(id) => Bound::Excluded(keys::elem_key(Ns { slot: ns.slot, id }, &[])),
            None => match ns.slot.checked_add(1) {
                Some(slot) => Bound::Excluded(keys::slot_start(slot)),
                None => Bound::Unbounded,
            },
        },
    };
    (lo, hi)
}

/// `(lo, hi)` as borrowed bounds, for a `BTreeMap::range` searched by `[u8]`.
pub(crate) fn as_ref(b: &(Bound<Vec<u8>>, Bound<Vec<u8>>)) -> (Bound<&[u8]>, Bound<&[u8]>) {
    (one_ref(&b.0), one_ref(&b.1))
}

fn one_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Visits `base` with the entries of `top` laid over it: both come in the
/// same order (descending with `rev`); on equal keys `top` wins, and a
/// `None` in `top` hides the key. `base` is itself a visit, so layers
/// stack (disk, then the overlay, then an entry's staged writes).
pub(crate) fn layer<'t, I>(
    top: I,
    rev: bool,
    base: &mut dyn FnMut(&mut Visit<'_>) -> Result<(), StoreError>,
    visit: &mut Visit<'_>,
) -> Result<(), StoreError>
where
    I: Iterator<Item = (&'t [u8], Option<&'t [u8]>)>,
{
    let mut top = top.peekable();
    let mut stopped = false;
    let before = |a: &[u8], b: &[u8]| if rev { a > b } else { a < b };
    base(&mut |k, v| {
        while let Some(&(tk, tv)) = top.peek() {
            if !before(tk, k) {
                break;
            }
            top.next();
            if let Some(tv) = tv
                && !visit(tk, tv)
            {
                stopped = true;
                return false;
            }
        }
        if let Some(&(tk, tv)) = top.peek()
            && tk == k
        {
            top.next();
            return match tv {
                Some(tv) if !visit(k, tv) => {
                    stopped = true;
                    false
                }
                _ => true,
            };
        }
        if !visit(k, v) {
            stopped = true;
            return false;
        }
        true
    })?;
    if !stopped {
        for (tk, tv) in top {
            if let Some(tv) = tv
                && !visit(tk, tv)
            {
                break;
            }
        }
    }
    Ok(())
}

/// Visits a fjall range of element keys in order (descending with `rev`).
/// A read error ends the visit with the error (counted in `health`).
pub(crate) fn visit_disk(
    iter: fjall::Iter,
    rev: bool,
    health: &ReadHealth,
    visit: &mut Visit<'_>,
) -> Result<(), StoreError> {
    let mut each = |kv: fjall::Guard| -> Result<bool, StoreError> {
        let (k, v) = kv.into_inner().map_err(|e| {
            health.note_error();
            StoreError::new(e)
        })?;
        Ok(visit(&k, &v))
    };
    if rev {
        for kv in iter.rev() {
            if !each(kv)? {
                break;
            }
        }
    } else {
        for kv in iter {
            if !each(kv)? {
                break;
            }
        }
    }
    Ok(())
}

/// An overlay of element writes by element key (`None`: deleted).
pub(crate) type ElOverlay<V> = BTreeMap<ElKey, V>;

/// Element keys up to this long live inside the overlay's B-tree nodes.
const INLINE_EL_KEY: usize = 46;

/// An element key as the ordered overlay holds it: a short one (most are:
/// namespace, then a member or field) inside the B-tree node, so a search
/// compares bytes it already loaded. As `Bytes` each comparison followed a
/// pointer to another cache line: `memcmp` was a third of the core thread
/// under `ZADD -P 16` (docs/design/0024).
pub(crate) type ElKey = crate::keys::InlineKey<INLINE_EL_KEY>;

// Searched by `&[u8]`: equality and order are those of the key's bytes,
// as `Borrow` requires. (Only here: the row cache hashes its keys its own
// way, so a `&[u8]` lookup there would miss.)
impl std::borrow::Borrow<[u8]> for ElKey {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Layer entries in visit order: (element key, value; `None` deleted).
pub(crate) type LayerIter<'a> = Box<dyn Iterator<Item = (&'a [u8], Option<&'a [u8]>)> + 'a>;

/// The overlay entries of `range` in visit order, as (key, value) pairs.
pub(crate) fn overlay_iter<'a, K: std::borrow::Borrow<[u8]> + Ord, V>(
    over: &'a BTreeMap<K, V>,
    range: (Bound<&[u8]>, Bound<&[u8]>),
    rev: bool,
    val: fn(&V) -> Option<&[u8]>,
) -> LayerIter<'a> {
    let it = over
        .range::<[u8], _>(range)
        .map(move |(k, v)| (k.borrow(), val(v)));
    if rev {
        Box::new(it.rev())
    } else {
        Box::new(it)
    }
}

/// A collection dropped (deleted, replaced, expired) with elements left:
/// the sweeper deletes them in chunks once `after_seq`'s data is written.
#[derive(Debug, Clone)]
pub(crate) struct Garbage {
    pub gid: u32,
    pub ns: Ns,
    /// Persist job whose data must be written before the next sweep: the
    /// drop's (so no element of `ns` is only in the overlay), then each
    /// chunk's deletes (so the next read does not find them again).
    pub after_seq: u64,
}

/// Elements deleted per sweep step: bounds the core's time per step (one
/// short disk range read).
pub const SWEEP_CHUNK: usize = 2048;

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        base: &[(&str, &str)],
        top: &[(&str, Option<&str>)],
        rev: bool,
        limit: usize,
    ) -> Vec<String> {
        let mut base: Vec<(&str, &str)> = base.to_vec();
        let mut top: Vec<(&str, Option<&str>)> = top.to_vec();
        if rev {
            base.reverse();
            top.reverse();
        }
        let mut out = Vec::new();
        let r = layer(
            top.iter()
                .map(|(k, v)| (k.as_bytes(), v.map(|v| v.as_bytes()))),
            rev,
            &mut |f| {
                for (k, v) in &base {
                    if !f(k.as_bytes(), v.as_bytes()) {
                        break;
                    }
                }
                Ok(())
            },
            &mut |k, v| {
                out.push(format!(
                    "{}={}",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(v)
                ));
                out.len() < limit
            },
        );
        assert!(r.is_ok());
        out
    }

    #[test]
    fn top_wins_hides_and_interleaves_both_ways() {
        let base = [("a", "1"), ("c", "3"), ("e", "5")];
        let top = [
            ("b", Some("B")),
            ("c", None),
            ("e", Some("E")),
            ("f", Some("F")),
        ];
        assert_eq!(run(&base, &top, false, 99), ["a=1", "b=B", "e=E", "f=F"]);
        assert_eq!(run(&base, &top, true, 99), ["f=F", "e=E", "b=B", "a=1"]);
        // Stopping early stops both sources.
        assert_eq!(run(&base, &top, false, 2), ["a=1", "b=B"]);
        assert_eq!(run(&[], &top, false, 1), ["b=B"]);
        assert_eq!(run(&base, &[], true, 99), ["e=5", "c=3", "a=1"]);
    }

    #[test]
    fn unbounded_upper_bound_stops_at_the_next_id() {
        let ns = Ns { slot: 7, id: 9 };
        let (lo, hi) = bounds(ns, Bound::Unbounded, Bound::Unbounded);
        let inside = keys::elem_key(ns, b"\xff\xff");
        let next = keys::elem_key(Ns { slot: 7, id: 10 }, b"");
        assert!(matches!(&lo, Bound::Included(l) if l.as_slice() <= inside.as_slice()));
        assert!(
            matches!(&hi, Bound::Excluded(h) if inside.as_slice() < h.as_slice() && h == &next)
        );
    }
}
