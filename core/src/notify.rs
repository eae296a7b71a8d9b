//! Keyspace notifications: the event classes of Redis 7.0's
//! `notify-keyspace-events`, the events write commands emit, and the
//! wrapper that adds the events every write shares (`expired`, `new`).
//!
//! Commands emit through [`Store::notify`] right where Redis 7.0.15 calls
//! `notifyKeyspaceEvent`, with its event names and in its order, and only
//! when they changed something. A store that does not collect (the
//! default) ignores them; the shard collects one applied log entry's events
//! and hands them to io, which delivers them (docs/design/0030). The
//! events are a function of the log alone, so every replica produces the
//! same ones for its own subscribers.

use crate::store::{Ns, Record, Store, StoreError};
use bytes::Bytes;
use std::ops::Bound;

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: a key expired.
pub const EXPIRED: u32 = 1 << 8;
/// `e`: a key was evicted for maxmemory.
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const STREAM: u32 = 1 << 10;
/// `m`: key miss (not part of `A`; corekv emits none, see docs/design/0030).
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module events (parsed and printed like Redis; corekv has no modules).
pub const MODULE: u32 = 1 << 13;
/// `n`: a key was created (not part of `A`).
pub const NEW: u32 = 1 << 14;
/// `A`: alias of `g$lshzxetd`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// One event: its class (one of the class constants), Redis's event name
/// and the key. Published as `__keyspace@0__:<key>` → `<event>` and
/// `__keyevent@0__:<event>` → `<key>` as the flags say ([`publishes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    pub class: u32,
    pub event: &'static str,
    pub key: Bytes,
}

/// Every event name corekv emits (Redis 7.0.15's names): an event that
/// travels in a log entry (a transaction's commit) is named by its text
/// and mapped back to one of these.
pub const EVENTS: &[&str] = &[
    "new",
    "del",
    "expire",
    "expired",
    "evicted",
    "persist",
    "rename_from",
    "rename_to",
    "copy_to",
    "set",
    "setrange",
    "append",
    "incrby",
    "incrbyfloat",
    "setbit",
    "pfadd",
    "lpush",
    "rpush",
    "lpop",
    "rpop",
    "lset",
    "linsert",
    "lrem",
    "ltrim",
    "hset",
    "hdel",
    "hincrby",
    "hincrbyfloat",
    "sadd",
    "srem",
    "spop",
    "sinterstore",
    "sunionstore",
    "sdiffstore",
    "zadd",
    "zincr",
    "zrem",
    "zremrangebyrank",
    "zremrangebyscore",
    "zremrangebylex",
    "zpopmin",
    "zpopmax",
    "zrangestore",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "georadiusstore",
    "geosearchstore",
    "xadd",
    "xtrim",
    "xdel",
    "xsetid",
    "xgroup-create",
    "xgroup-setid",
    "xgroup-destroy",
    "xgroup-createconsumer",
    "xgroup-delconsumer",
];

/// The static name of event `name` ([`EVENTS`]), if corekv knows it.
pub fn event_name(name: &[u8]) -> Option<&'static str> {
    EVENTS.iter().copied().find(|e| e.as_bytes() == name)
}

/// Redis's keyspaceEventsStringToFlags: `None` for a character outside
/// `Ag$lshzxeKEtmdn` (CONFIG SET answers an error then, see [`BAD_FLAGS`]).
pub fn parse_flags(classes: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for c in classes {
        flags |= match c {
            b'A' => ALL,
            b'g' => GENERIC,
            b'$' => STRING,
            b'l' => LIST,
            b's' => SET,
            b'h' => HASH,
            b'z' => ZSET,
            b'x' => EXPIRED,
            b'e' => EVICTED,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b't' => STREAM,
            b'm' => KEY_MISS,
            b'd' => MODULE,
            b'n' => NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The reason CONFIG SET gives for a bad `notify-keyspace-events` value
/// (Redis 7.0 answers `-ERR CONFIG SET failed (possibly related to argument
/// 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.`).
pub const BAD_FLAGS: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/// Redis's keyspaceEventsFlagsToString: CONFIG GET's canonical form.
pub fn format_flags(flags: u32) -> String {
    let mut s = String::new();
    if flags & ALL == ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// Whether flags `flags` publish anything for an event of `class`
/// (Redis's notifyKeyspaceEvent: the class must be on, and K or E).
pub fn publishes(flags: u32, class: u32) -> bool {
    flags & class != 0 && flags & (KEYSPACE | KEYEVENT) != 0
}

/// Whether events must be collected at all under `flags`: some class and
/// K or E. With the default `""` nothing is collected.
pub fn collects(flags: u32) -> bool {
    flags & !(KEYSPACE | KEYEVENT) != 0 && flags & (KEYSPACE | KEYEVENT) != 0
}

/// A store seen by a write that emits events: every `put` of a key that
/// was absent emits `new` first (Redis's dbAdd). `cmd::apply_write` wraps
/// a collecting store in this, after emitting `expired` for the command's
/// expired keys and deleting them (Redis's lazy expiry in lookupKeyWrite),
/// so "absent" here is exactly Redis's "not in the keyspace".
pub(crate) struct Notifying<'a> {
    pub inner: &'a mut dyn Store,
}

impl Store for Notifying<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Record>, StoreError> {
        self.inner.get(key)
    }
    fn put(&mut self, key: &[u8], rec: Record) -> Result<(), StoreError> {
        if self.inner.get(key)?.is_none() {
            self.inner.notify(NEW, "new", key);
        }
        self.inner.put(key, rec)
    }
    fn delete(&mut self, key: &[u8]) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
    fn scan(
        &self,
        from_slot: u16,
        to_slot: u16,
        visit: &mut dyn FnMut(u16, &[u8], &Record) -> bool,
    ) -> Result<(), StoreError> {
        self.inner.scan(from_slot, to_slot, visit)
    }
    fn clear(&mut self, from_slot: u16, to_slot: u16) {
        self.inner.clear(from_slot, to_slot)
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn el_get(&self, ns: Ns, sub: &[u8]) -> Result<Option<Bytes>, StoreError> {
        self.inner.el_get(ns, sub)
    }
    fn el_range(
        &self,
        ns: Ns,
        lo: Bound<&[u8]>,
        hi: Bound<&[u8]>,
        rev: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        self.inner.el_range(ns, lo, hi, rev, visit)
    }
    fn el_put(&mut self, ns: Ns, sub: &[u8], value: Bytes) {
        self.inner.el_put(ns, sub, value)
    }
    fn el_del(&mut self, ns: Ns, sub: &[u8]) {
        self.inner.el_del(ns, sub)
    }
    fn new_id(&mut self) -> u64 {
        self.inner.new_id()
    }
    fn notifying(&self) -> bool {
        true
    }
    fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        self.inner.notify(class, event, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;
    use crate::cmd::testutil::{NOW, run_at};

    /// CONFIG SET value → what redis-server 7.0.15's CONFIG GET printed.
    #[test]
    fn flags_parse_and_print_like_redis() {
        for (set, get) in [
            ("", ""),
            ("KEA", "AKE"),
            ("Ex", "xE"),
            ("g$lshzxetd", "A"),
            ("AKEm", "AKEm"),
            ("nK", "nK"),
            ("Ag", "A"),
            ("xxK", "xK"),
            ("Emlg", "glEm"),
            ("KEAn", "AKE"),
            ("d", "d"),
            ("AE", "AE"),
            ("$hzxe", "$hzxe"),
        ] {
            let flags = parse_flags(set.as_bytes()).unwrap_or(u32::MAX);
            assert_eq!(format_flags(flags), get, "{set:?}");
        }
        assert_eq!(parse_flags(b"KEQ"), None);
        assert_eq!(parse_flags(b"K E"), None);
        assert!(!collects(parse_flags(b"").unwrap_or(0)));
        assert!(!collects(parse_flags(b"A").unwrap_or(0)));
        assert!(!collects(parse_flags(b"KE").unwrap_or(0)));
        assert!(collects(parse_flags(b"Kx").unwrap_or(0)));
        assert!(publishes(KEYEVENT | NEW, NEW));
        assert!(!publishes(KEYEVENT | ALL, NEW));
        assert!(!publishes(ALL, GENERIC));
    }

    /// The events redis-server 7.0.15 emitted for each command of
    /// core/testdata/keyspace_cases.txt (recorded into keyspace_events.txt
    /// by tools/scripts/keyspace_events.py), compared with what the same
    /// commands emit here, command by command.
    #[test]
    fn commands_emit_what_redis_emits() {
        let text = include_str!("../testdata/keyspace_events.txt");
        let mut store = MemStore::new();
        store.collect_events();
        let mut now = NOW;
        let mut case = String::new();
        let mut cmd: Option<String> = None;
        let mut want: Vec<String> = Vec::new();
        let mut failures = Vec::new();
        let mut checked = 0;
        let mut check = |store: &mut MemStore,
                         case: &str,
                         cmd: &Option<String>,
                         want: &mut Vec<String>,
                         failures: &mut Vec<String>| {
            let events = store.take_events();
            for e in &events {
                assert_eq!(
                    event_name(e.event.as_bytes()),
                    Some(e.event),
                    "EVENTS lacks it"
                );
            }
            let got: Vec<String> = events
                .iter()
                .map(|e| format!("{} {}", e.event, String::from_utf8_lossy(&e.key)))
                .collect();
            if let Some(c) = cmd {
                checked += 1;
                if got != *want {
                    failures.push(format!("[{case}] {c}: redis {want:?}, corekv {got:?}"));
                }
            }
            want.clear();
        };
        for line in text.lines() {
            if let Some(ev) = line.strip_prefix("  ") {
                want.push(ev.to_string());
                continue;
            }
            check(&mut store, &case, &cmd, &mut want, &mut failures);
            cmd = None;
            if let Some(name) = line.strip_prefix("## ") {
                case = name.to_string();
                store = MemStore::new();
                store.collect_events();
                now += 1_000_000;
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let args: Vec<&str> = line.split_whitespace().collect();
            match args.as_slice() {
                ["@sleep", ms] => now += ms.parse::<u64>().unwrap_or(0) + 2,
                ["@expire", key] => {
                    run_at(&mut store, now, &["COREKV.EXPIREIF", key]);
                    cmd = Some(line.to_string());
                }
                _ => {
                    run_at(&mut store, now, &args);
                    cmd = Some(line.to_string());
                }
            }
        }
        check(&mut store, &case, &cmd, &mut want, &mut failures);
        assert!(checked > 300, "only {checked} commands checked");
        assert!(
            failures.is_empty(),
            "{} of {checked} differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
