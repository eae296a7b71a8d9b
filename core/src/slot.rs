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
    crc16(hash_part(key)) % SLOTS
}

/// `CRC[k][b]`: the CRC16-XMODEM (poly 0x1021, MSB first, init 0) of byte
/// `b` followed by `k` zero bytes, for eight bytes per step.
static CRC: [[u16; 256]; 8] = crc_tables();

const fn crc_tables() -> [[u16; 256]; 8] {
    let mut t = [[0u16; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut crc = (b as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        t[0][b] = crc;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

/// CRC16-XMODEM, as Redis Cluster hashes keys. Eight bytes per step from
/// eight independent table loads: the byte-at-a-time loop is a chain of
/// dependent loads, ~2% of a pipelined GET's CPU for a 16-byte key
/// (docs/design/0021).
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let [b0, b1, b2, b3, b4, b5, b6, b7] = <[u8; 8]>::try_from(c).unwrap_or([0; 8]);
        let [hi, lo] = crc.to_be_bytes();
        crc = CRC[7][usize::from(b0 ^ hi)]
            ^ CRC[6][usize::from(b1 ^ lo)]
            ^ CRC[5][usize::from(b2)]
            ^ CRC[4][usize::from(b3)]
            ^ CRC[3][usize::from(b4)]
            ^ CRC[2][usize::from(b5)]
            ^ CRC[1][usize::from(b6)]
            ^ CRC[0][usize::from(b7)];
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ CRC[0][usize::from((crc >> 8) as u8 ^ b)];
    }
    crc
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

    #[test]
    fn crc16_is_xmodem() {
        // The check value of CRC-16/XMODEM.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(crc16(b""), 0);
        // Every length across the 8-byte steps and the tail, against the
        // reference implementation.
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
        for n in 0..data.len() {
            let d = &data[..n];
            assert_eq!(
                crc16(d),
                crc16::State::<crc16::XMODEM>::calculate(d),
                "{n} bytes"
            );
        }
    }
}
