//! Key → slot mapping, identical to Redis Cluster: CRC16-XMODEM of the key
//! (or of the first non-empty `{hash tag}`) modulo 16384; and corekv's
//! layout over it: slots → data groups, group → preferred leader node.

pub const SLOTS: u16 = 16384;

/// The part of the key that is hashed: the content of the first `{...}` if
/// it is non-empty, else the whole key.
pub fn hash_part(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        let rest = key.get(open + 1..).unwrap_or(&[]);
        if let Some(close) = rest.iter().position(|&b| b == b'}')
            && close > 0
        {
            return rest.get(..close).unwrap_or(key);
        }
    }
    key
}

pub fn key_slot(key: &[u8]) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(hash_part(key)) % SLOTS
}

/// The slots of data group `i` (0-based) when `n` groups split the
/// keyspace into equal contiguous ranges — corekv's layout.
pub fn group_slots(i: usize, n: usize) -> std::ops::Range<u16> {
    let n = n.max(1);
    let at = |k: usize| (k.min(n) * usize::from(SLOTS) / n) as u16;
    at(i)..at(i + 1)
}

/// Which of `n` groups laid out as [`group_slots`] owns `slot`.
pub fn group_index(slot: u16, n: usize) -> usize {
    let n = n.max(1);
    let slot = usize::from(slot.min(SLOTS - 1));
    // The largest i with i*SLOTS/n <= slot.
    (0..n)
        .rev()
        .find(|&i| i * usize::from(SLOTS) / n <= slot)
        .unwrap_or(0)
}

/// The node that should lead group `gid` (data groups from 1) when it is
/// healthy: the `(gid-1) % n`-th of the `n` sorted member ids, so leaders
/// spread evenly over nodes. None without members.
pub fn preferred_leader(sorted_members: &[u64], gid: u32) -> Option<u64> {
    let n = sorted_members.len().max(1);
    sorted_members
        .get((gid as usize).saturating_sub(1) % n)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_contiguous_equal_splits() {
        assert_eq!(group_index(0, 2), 0);
        assert_eq!(group_index(8191, 2), 0);
        assert_eq!(group_index(8192, 2), 1);
        assert_eq!(group_index(16383, 2), 1);
        // 3 groups: 0..5461, 5461..10922, 10922..16384.
        assert_eq!(group_index(5460, 3), 0);
        assert_eq!(group_index(5461, 3), 1);
        assert_eq!(group_index(10921, 3), 1);
        assert_eq!(group_index(10922, 3), 2);
        assert_eq!(group_index(100, 1), 0);
        assert_eq!(group_index(100, 0), 0);
        assert_eq!(group_slots(1, 3), 5461..10922);
        assert_eq!(group_slots(2, 3), 10922..16384);
        for groups in 1..=12 {
            let mut last = 0;
            for slot in 0..SLOTS {
                let g = group_index(slot, groups);
                assert!(g == last || g == last + 1, "contiguous");
                assert!(
                    group_slots(g, groups).contains(&slot),
                    "{slot} in group {g}"
                );
                last = g;
            }
            assert_eq!(last, groups - 1);
        }
    }

    #[test]
    fn matches_redis_cluster() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_ne!(key_slot(b"foo{}{bar}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
    }
}
