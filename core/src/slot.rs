//! Key → slot mapping, identical to Redis Cluster: CRC16-XMODEM of the key
//! (or of the first non-empty `{hash tag}`) modulo 16384.

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

#[cfg(test)]
mod tests {
    use super::*;

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
