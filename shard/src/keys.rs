//! On-disk key layouts of one core's fjall database.
//!
//! `data`:   slot(2, BE) | b'm' | user key          → encoded `Record`
//!           (b'e' is reserved for collection elements)
//! `raft`:   gid(4, BE) | b'e' | index(8, BE)        → protobuf `Entry`
//!           gid | b'h' → HardState, gid | b'c' → ConfState,
//!           gid | b'a' → applied(8) | key_count(8), gid | b't' → truncated index(8) | term(8)
//!           gid | b'k' → commit index(8) (written with the data half: a
//!           commit-only hard state change must not rewrite b'h', whose
//!           term and vote a later job may have moved; see docs/design/0010)
//!           gid | b'p' → preferred leader(8), gid | b'n' | node → address
//!           0 | b'l' → the meta group's users (`corekv_core::acl::Acl::encode`)
//! `elem`:   slot(2, BE) | id(8, BE) | sub…         → element value: one
//!           element of the collection whose meta record names `id`
//!           (docs/design/0019); in its own keyspace so KEYS/SCAN and the
//!           snapshot's record stream never walk elements.
//! `raft` also: gid | b'g' | slot(2) | id(8) → element count: a dropped
//!           collection whose elements the sweeper has not purged yet.
//! `expire`: expire_ms(8, BE) | slot(2, BE) | user key → empty; ordered by
//!           due time so the active-expiry scan is one range read per core.
//! `meta`:   opened, not written yet (the layout lives in `<dir>/corekv.layout`;
//!           membership lives in the meta group 0's `raft` keys above).

pub const META_TAG: u8 = b'm';
/// Bytes before the user key in a data key (slot and tag).
pub const DATA_KEY_PREFIX: usize = 3;

pub fn data_key(slot: u16, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + key.len());
    k.extend_from_slice(&slot.to_be_bytes());
    k.push(META_TAG);
    k.extend_from_slice(key);
    k
}

/// [`data_key`] as `Bytes` in one allocation when short (see
/// `cache::small_concat`): the write path clones it into the overlay, the
/// persist job and the cache.
pub fn data_key_bytes(slot: u16, key: &[u8]) -> bytes::Bytes {
    crate::cache::small_concat(&[&slot.to_be_bytes(), &[META_TAG], key])
        .unwrap_or_else(|| bytes::Bytes::from(data_key(slot, key)))
}

/// First data key of `slot` (inclusive lower bound of the slot's records).
pub fn slot_start(slot: u16) -> Vec<u8> {
    slot.to_be_bytes().to_vec()
}

/// Splits a data key into (slot, user key) if it is a meta record.
pub fn split_data_key(k: &[u8]) -> Option<(u16, &[u8])> {
    let slot = u16::from_be_bytes([*k.first()?, *k.get(1)?]);
    if *k.get(2)? != META_TAG {
        return None;
    }
    Some((slot, k.get(3..)?))
}

/// Key of one element in the `elem` keyspace.
pub fn elem_key(ns: corekv_core::Ns, sub: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(10 + sub.len());
    k.extend_from_slice(&ns.slot.to_be_bytes());
    k.extend_from_slice(&ns.id.to_be_bytes());
    k.extend_from_slice(sub);
    k
}

/// Bytes before `sub` in an element key.
pub const ELEM_KEY_PREFIX: usize = 10;

/// The namespace of an element key.
pub fn elem_ns(k: &[u8]) -> Option<corekv_core::Ns> {
    let slot = u16::from_be_bytes(k.get(..2)?.try_into().ok()?);
    let id = u64::from_be_bytes(k.get(2..10)?.try_into().ok()?);
    Some(corekv_core::Ns { slot, id })
}

/// Key of a garbage namespace of group `gid`.
pub fn garbage_key(gid: u32, ns: corekv_core::Ns) -> Vec<u8> {
    let mut k = raft_key(gid, b'g');
    k.extend_from_slice(&ns.slot.to_be_bytes());
    k.extend_from_slice(&ns.id.to_be_bytes());
    k
}

pub fn raft_key(gid: u32, tag: u8) -> Vec<u8> {
    let mut k = Vec::with_capacity(13);
    k.extend_from_slice(&gid.to_be_bytes());
    k.push(tag);
    k
}

/// Key of a member address announced to group `gid` (node id → host:port),
/// so a restart remembers nodes added at run time.
pub fn node_addr_key(gid: u32, node: u64) -> Vec<u8> {
    let mut k = raft_key(gid, b'n');
    k.extend_from_slice(&node.to_be_bytes());
    k
}

/// Key of the log chunk whose last entry is `last_index`.
pub fn chunk_key(gid: u32, last_index: u64) -> Vec<u8> {
    let mut k = raft_key(gid, b'e');
    k.extend_from_slice(&last_index.to_be_bytes());
    k
}

pub fn expire_key(expire_ms: u64, slot: u16, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(10 + key.len());
    k.extend_from_slice(&expire_ms.to_be_bytes());
    k.extend_from_slice(&slot.to_be_bytes());
    k.extend_from_slice(key);
    k
}

pub fn split_expire_key(k: &[u8]) -> Option<(u64, u16, &[u8])> {
    let t = u64::from_be_bytes(k.get(..8)?.try_into().ok()?);
    let slot = u16::from_be_bytes(k.get(8..10)?.try_into().ok()?);
    Some((t, slot, k.get(10..)?))
}

pub fn u64_pair(a: u64, b: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(16);
    v.extend_from_slice(&a.to_be_bytes());
    v.extend_from_slice(&b.to_be_bytes());
    v
}

pub fn read_u64_pair(v: &[u8]) -> Option<(u64, u64)> {
    let a = u64::from_be_bytes(v.get(..8)?.try_into().ok()?);
    let b = u64::from_be_bytes(v.get(8..16)?.try_into().ok()?);
    Some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_keys_sort_by_slot_then_key() {
        let a = data_key(1, b"zzz");
        let b = data_key(2, b"aaa");
        assert!(a < b);
        assert_eq!(split_data_key(&a), Some((1, &b"zzz"[..])));
    }

    #[test]
    fn expire_keys_sort_by_time() {
        let a = expire_key(5, 9000, b"k");
        let b = expire_key(6, 1, b"k");
        assert!(a < b);
        assert_eq!(split_expire_key(&b), Some((6, 1, &b"k"[..])));
    }
}

/// A key held inside the structure that holds it when it is at most `N`
/// bytes (at most 255), in a `Bytes` otherwise. A search then compares
/// bytes it already loaded instead of following a pointer per comparison
/// to another cache line: the row cache's keys (docs/design/0021) and the
/// ordered element overlay's (docs/design/0024). Equal and ordered as the
/// key's bytes.
#[derive(Clone)]
pub(crate) enum InlineKey<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(bytes::Bytes),
}

impl<const N: usize> InlineKey<N> {
    /// The key: copied in when short, the `Bytes` shared otherwise.
    pub(crate) fn new(key: &bytes::Bytes) -> InlineKey<N> {
        let mut bytes = [0u8; N];
        match bytes.get_mut(..key.len()) {
            Some(head) => {
                head.copy_from_slice(key);
                InlineKey::Inline {
                    len: key.len() as u8,
                    bytes,
                }
            }
            None => InlineKey::Heap(key.clone()),
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            InlineKey::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or(&[]),
            InlineKey::Heap(b) => b,
        }
    }
}

impl<const N: usize> PartialEq for InlineKey<N> {
    fn eq(&self, other: &InlineKey<N>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> Eq for InlineKey<N> {}

impl<const N: usize> PartialOrd for InlineKey<N> {
    fn partial_cmp(&self, other: &InlineKey<N>) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<const N: usize> Ord for InlineKey<N> {
    fn cmp(&self, other: &InlineKey<N>) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}
