//! A group's part in transactions across groups (docs/design/0025): the
//! locks of prepared transactions, the primary's transaction records and
//! tombstones, and the apply of the internal `COREKV.TX*` commands.
//!
//! Everything here but `proposed` is state-machine state: changed only by
//! applying the log, the same on every replica, persisted with the group's
//! data (one blob, [`TxnState::encode`]) and carried in snapshots.

use bytes::Bytes;
use corekv_core::cmd::Ctx;
use corekv_core::txn::{self, TxId};
use corekv_core::{Reply, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

/// Debug trace of transaction events (`COREKV_TXTRACE=<dir>`: each
/// process appends to `<dir>/tx-<pid>.log`), for hunting atomicity bugs in
/// fault tests. Off (one relaxed load) unless the variable is set.
pub fn trace(args: std::fmt::Arguments) {
    use std::io::Write;
    static OUT: std::sync::OnceLock<Option<std::sync::Mutex<std::fs::File>>> =
        std::sync::OnceLock::new();
    let out = OUT.get_or_init(|| {
        let dir = std::env::var_os("COREKV_TXTRACE")?;
        let path = std::path::Path::new(&dir).join(format!("tx-{}.log", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(std::sync::Mutex::new(f))
    });
    if let Some(m) = out
        && let Ok(mut f) = m.lock()
    {
        let _ = writeln!(f, "{args}");
    }
}

/// A transaction command as the trace shows it: name, id, and the keys
/// (a prepare's locks, a commit's effects, a one-group MULTI's commands).
pub fn describe(argv: &[Bytes]) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let name = argv.first().map_or_else(String::new, |a| text(a));
    let mut out = name.clone();
    if name.eq_ignore_ascii_case(txn::MULTI) {
        for c in txn::unpack_cmds(argv.get(3..).unwrap_or(&[])).unwrap_or_default() {
            out.push_str(" [");
            out.push_str(&c.iter().map(|a| text(a)).collect::<Vec<_>>().join(" "));
            out.push(']');
        }
        return out;
    }
    for a in argv.iter().skip(2).take(2) {
        out.push(' ');
        out.push_str(&text(a));
    }
    if name.eq_ignore_ascii_case(txn::PREP) {
        for k in argv.iter().skip(5) {
            out.push(' ');
            out.push_str(&text(k));
        }
    } else if name.eq_ignore_ascii_case(txn::COMMIT) {
        for (g, e) in txn::commit_parts(argv).unwrap_or_default() {
            out.push_str(&format!(" g{g}:"));
            for (k, v) in txn::decode_effects(&e).unwrap_or_default().0 {
                let v = v.map_or_else(|| "nil".to_string(), |v| text(&v.rec.value));
                out.push_str(&format!(" {}={v}", text(&k)));
            }
        }
    }
    out
}

/// A reply as the trace shows it (short).
pub fn brief(r: &Reply) -> String {
    match r {
        Reply::Error(e) => format!("-{e}"),
        Reply::Simple(s) => format!("+{s}"),
        Reply::Bulk(b) => format!("${}", b.len()),
        Reply::Array(v) => format!("*{}", v.len()),
        other => format!("{other:?}").chars().take(60).collect(),
    }
}

/// Whether [`trace`] writes anywhere.
pub fn tracing() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("COREKV_TXTRACE").is_some())
}

/// A prepare or decision this much older than its entry is refused, and
/// tombstones older than this are dropped (deterministically, by the
/// entry's timestamp).
pub const TX_MAX_AGE_MS: u64 = 30_000;

/// An applied prepare: the keys it locks and its primary group.
#[derive(Debug, Clone)]
pub struct Held {
    pub keys: Vec<Bytes>,
    pub primary: u32,
    /// When this replica applied (or loaded) it: recovery asks the primary
    /// once a lock is older than `TX_RESOLVE_AFTER`. Not replicated.
    pub since: Instant,
}

#[derive(Debug, Default)]
pub struct TxnState {
    /// Applied locks: key → holder.
    pub locks: HashMap<Bytes, TxId>,
    pub held: BTreeMap<TxId, Held>,
    /// At the primary: committed transactions whose other groups may not
    /// have applied their effects yet: (gid, effects) each, and when.
    pub records: BTreeMap<TxId, (Effects, Instant)>,
    /// At the primary: aborted transactions (a late prepare or decision of
    /// one is refused).
    pub tombstones: BTreeSet<TxId>,
    /// At the primary: committed transactions whose record is forgotten
    /// (every group applied it). A late resolve, e.g. the coordinator's own
    /// after its decision's reply was lost, must hear "committed", never
    /// abort it: the coordinator would run the transaction again. Dropped
    /// with the tombstones, after `TX_MAX_AGE_MS`.
    pub done: BTreeSet<TxId>,
    /// The transaction holding the whole group (`COREKV.TXPREPALL`): every
    /// key, present or not, is locked by it. Also in `held` (no keys).
    pub whole: Option<TxId>,
    /// Leader only: a whole-group prepare proposed and not yet applied.
    pub proposed_whole: Option<TxId>,
    /// Leader only, never replicated: keys of prepares proposed and not yet
    /// applied (cleared on a change of role).
    pub proposed: HashMap<Bytes, TxId>,
    /// The leader term `proposed` belongs to.
    pub proposed_term: u64,
    /// Changed since last persisted.
    pub dirty: bool,
    /// A lock was released since the core last looked (its waiting writes
    /// may go now).
    pub released: bool,
}

/// The other groups' effects a primary keeps: (gid, encoded values).
pub type Effects = Vec<(u32, Bytes)>;

/// Recovery work found by `Shard::tx_overdue`.
#[derive(Debug, Default)]
pub struct Overdue {
    /// (group pos, gid, transaction, primary gid) of locks held too long.
    pub locks: Vec<(usize, u32, TxId, u32)>,
    /// (primary gid, transaction, other groups' effects) of old records.
    pub records: Vec<(u32, TxId, Effects)>,
}

/// What a write meets at the leader.
#[derive(Debug, PartialEq, Eq)]
pub enum TxCheck {
    Free,
    /// Wait until the holder commits or aborts.
    Wait,
    /// A prepare met another transaction's lock: refused at once.
    Conflict,
}

impl TxnState {
    pub fn is_empty(&self) -> bool {
        self.locks.is_empty()
            && self.proposed.is_empty()
            && self.whole.is_none()
            && self.proposed_whole.is_none()
    }

    /// Whether a whole-group prepare by `by` may go: nothing else holds a
    /// key of the group, nor (at a leader in `term`) is preparing one.
    /// `None`: the applied locks alone (its apply, the same on every
    /// replica: `proposed` is one leader's).
    pub fn check_all(&self, by: TxId, term: Option<u64>) -> TxCheck {
        let (proposed, proposed_whole) = self.proposed_in(term);
        let others = self
            .locks
            .values()
            .chain(proposed.into_iter().flat_map(|p| p.values()))
            .any(|h| *h != by)
            || self.whole.is_some_and(|h| h != by)
            || proposed_whole.is_some_and(|h| h != by);
        if others {
            TxCheck::Conflict
        } else {
            TxCheck::Free
        }
    }

    /// The prepares this leader proposed in `term` and has not applied: its
    /// keys' holders and a whole-group one. None of an earlier term (they
    /// are applied or lost once the term's first entry is applied).
    fn proposed_in(&self, term: Option<u64>) -> (Option<&HashMap<Bytes, TxId>>, Option<TxId>) {
        if term == Some(self.proposed_term) {
            (Some(&self.proposed), self.proposed_whole)
        } else {
            (None, None)
        }
    }

    /// Whether a write of `keys` (by transaction `by`, for a prepare) may be
    /// proposed now by the leader of `term`.
    pub fn check(&self, keys: &[Bytes], by: Option<TxId>, term: u64) -> TxCheck {
        if self.is_empty() {
            return TxCheck::Free;
        }
        let (proposed, proposed_whole) = self.proposed_in(Some(term));
        let mut out = TxCheck::Free;
        if let Some(h) = self.whole.or(proposed_whole) {
            match by {
                Some(t) if t == h => {}
                Some(_) => return TxCheck::Conflict,
                None => out = TxCheck::Wait,
            }
        }
        for k in keys {
            let holder = self
                .locks
                .get(k)
                .or_else(|| proposed.and_then(|p| p.get(k)));
            match (holder, by) {
                (None, _) => {}
                (Some(h), Some(t)) if *h == t => {}
                // A prepare never waits (no-wait locking: no deadlock);
                // its coordinator backs off and tries again.
                (Some(_), Some(_)) => return TxCheck::Conflict,
                (Some(_), None) => out = TxCheck::Wait,
            }
        }
        out
    }

    /// Whether a read of `keys` must wait (an applied lock holds one).
    pub fn read_locked(&self, keys: &[Bytes]) -> bool {
        self.whole.is_some()
            || (!self.locks.is_empty() && keys.iter().any(|k| self.locks.contains_key(k)))
    }

    fn release(&mut self, id: TxId) -> Option<Held> {
        let h = self.held.remove(&id)?;
        if self.whole == Some(id) {
            self.whole = None;
        }
        for k in &h.keys {
            if self.locks.get(k) == Some(&id) {
                self.locks.remove(k);
            }
        }
        self.released = true;
        self.dirty = true;
        Some(h)
    }

    fn gc(&mut self, now_ms: u64) {
        let before = self.tombstones.len() + self.done.len();
        let young = |t: &TxId| t.ms().saturating_add(TX_MAX_AGE_MS) >= now_ms;
        self.tombstones.retain(young);
        self.done.retain(young);
        self.dirty |= self.tombstones.len() + self.done.len() != before;
    }

    /// `held | records | tombstones`, each a counted list.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let put = |out: &mut Vec<u8>, b: &[u8]| {
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        };
        out.extend_from_slice(&(self.held.len() as u32).to_be_bytes());
        for (id, h) in &self.held {
            put(&mut out, &id.to_arg());
            out.extend_from_slice(&h.primary.to_be_bytes());
            out.extend_from_slice(&(h.keys.len() as u32).to_be_bytes());
            for k in &h.keys {
                put(&mut out, k);
            }
        }
        out.extend_from_slice(&(self.records.len() as u32).to_be_bytes());
        for (id, (effects, _)) in &self.records {
            put(&mut out, &id.to_arg());
            out.extend_from_slice(&(effects.len() as u32).to_be_bytes());
            for (gid, e) in effects {
                out.extend_from_slice(&gid.to_be_bytes());
                put(&mut out, e);
            }
        }
        out.extend_from_slice(&(self.tombstones.len() as u32).to_be_bytes());
        for id in &self.tombstones {
            put(&mut out, &id.to_arg());
        }
        out.extend_from_slice(&(self.done.len() as u32).to_be_bytes());
        for id in &self.done {
            put(&mut out, &id.to_arg());
        }
        // Added later: a blob without it has no whole-group lock.
        out.extend_from_slice(&u32::from(self.whole.is_some()).to_be_bytes());
        if let Some(id) = self.whole {
            put(&mut out, &id.to_arg());
        }
        out
    }

    pub fn decode(buf: &[u8]) -> Option<TxnState> {
        let mut pos = 0usize;
        let u32_at = |pos: &mut usize| -> Option<u32> {
            let v = u32::from_be_bytes(buf.get(*pos..*pos + 4)?.try_into().ok()?);
            *pos += 4;
            Some(v)
        };
        let bytes_at = |pos: &mut usize| -> Option<Bytes> {
            let n = u32_at(pos)? as usize;
            let v = Bytes::copy_from_slice(buf.get(*pos..pos.checked_add(n)?)?);
            *pos += n;
            Some(v)
        };
        let now = Instant::now();
        let mut st = TxnState::default();
        for _ in 0..u32_at(&mut pos)? {
            let id = TxId::parse(&bytes_at(&mut pos)?)?;
            let primary = u32_at(&mut pos)?;
            let mut keys = Vec::new();
            for _ in 0..u32_at(&mut pos)? {
                let k = bytes_at(&mut pos)?;
                st.locks.insert(k.clone(), id);
                keys.push(k);
            }
            st.held.insert(
                id,
                Held {
                    keys,
                    primary,
                    since: now,
                },
            );
        }
        for _ in 0..u32_at(&mut pos)? {
            let id = TxId::parse(&bytes_at(&mut pos)?)?;
            let mut effects = Vec::new();
            for _ in 0..u32_at(&mut pos)? {
                let gid = u32_at(&mut pos)?;
                effects.push((gid, bytes_at(&mut pos)?));
            }
            st.records.insert(id, (effects, now));
        }
        for _ in 0..u32_at(&mut pos)? {
            st.tombstones.insert(TxId::parse(&bytes_at(&mut pos)?)?);
        }
        for _ in 0..u32_at(&mut pos)? {
            st.done.insert(TxId::parse(&bytes_at(&mut pos)?)?);
        }
        if pos < buf.len() && u32_at(&mut pos)? == 1 {
            st.whole = Some(TxId::parse(&bytes_at(&mut pos)?)?);
        }
        (pos == buf.len()).then_some(st)
    }
}

/// The answer of a prepare or snapshot read: the values of `keys` at
/// `now_ms` (`absent`: absent keys too, as "no value"), or the read error.
fn answer_values(
    store: &dyn Store,
    keys: impl ExactSizeIterator<Item = Bytes>,
    now_ms: u64,
    absent: bool,
) -> Reply {
    let mut values = Vec::with_capacity(keys.len());
    for k in keys {
        match txn::read_value(store, &k, now_ms) {
            Ok(v) if absent || v.is_some() => values.push((k, v)),
            Ok(_) => {}
            Err(e) => return e.into(),
        }
    }
    Reply::Bulk(txn::encode_values(&values))
}

fn u64_arg(argv: &[Bytes], i: usize) -> Option<u64> {
    std::str::from_utf8(argv.get(i)?).ok()?.parse().ok()
}

fn bad() -> Reply {
    Reply::err("ERR corekv: malformed transaction command")
}

/// Whether `argv` is one of the commands [`apply`] runs.
pub fn is_txn_cmd(argv: &[Bytes]) -> bool {
    let Some(name) = argv.first() else {
        return false;
    };
    txn::is_tx_command(name) || name.eq_ignore_ascii_case(txn::MULTI.as_bytes())
}

/// Applies one transaction command of group `gid` at `ctx.now_ms` (the
/// entry's timestamp) against `store` (the entry's apply view).
pub fn apply(
    st: &mut TxnState,
    gid: u32,
    argv: &[Bytes],
    ctx: &Ctx,
    store: &mut dyn Store,
) -> Reply {
    let name = argv.first().map_or(&[][..], |a| &a[..]);
    let now = ctx.now_ms;
    if name.eq_ignore_ascii_case(txn::MULTI.as_bytes()) {
        return multi(argv, ctx, store);
    }
    if txn::is_snap(name) {
        // A snapshot read's values, unless a prepare locked a key since
        // the leader let it through (its reader then tries again).
        let keys = argv.get(3..).unwrap_or(&[]);
        if st.read_locked(keys) {
            return Reply::err(txn::CONFLICT);
        }
        return answer_values(store, keys.iter().cloned(), now, true);
    }
    if name.eq_ignore_ascii_case(txn::WATCH.as_bytes())
        || name.eq_ignore_ascii_case(txn::UNWATCH.as_bytes())
        || name.eq_ignore_ascii_case(txn::CHECK.as_bytes())
    {
        // The leader registered it; in the log it only orders the reply.
        return Reply::ok();
    }
    let Some(id) = TxId::at(argv, 2) else {
        return bad();
    };
    st.gc(now);
    let stale = id.ms().saturating_add(TX_MAX_AGE_MS) < now;
    if name.eq_ignore_ascii_case(txn::PREP.as_bytes()) {
        let Some(primary) = u64_arg(argv, 3) else {
            return bad();
        };
        let keys = argv.get(5..).unwrap_or(&[]);
        for k in keys {
            st.proposed.remove(k);
        }
        if stale || st.tombstones.contains(&id) {
            return Reply::err(txn::ABORTED);
        }
        if !st.held.contains_key(&id) {
            if keys
                .iter()
                .any(|k| st.locks.get(k).is_some_and(|h| *h != id))
            {
                return Reply::err(txn::CONFLICT);
            }
            for k in keys {
                st.locks.insert(k.clone(), id);
            }
            st.held.insert(
                id,
                Held {
                    keys: keys.to_vec(),
                    primary: primary as u32,
                    since: Instant::now(),
                },
            );
            st.dirty = true;
        }
        return answer_values(store, keys.iter().cloned(), now, true);
    }
    if name.eq_ignore_ascii_case(txn::PREP_ALL.as_bytes()) {
        let Some(primary) = u64_arg(argv, 3) else {
            return bad();
        };
        if st.proposed_whole == Some(id) {
            st.proposed_whole = None;
        }
        if stale || st.tombstones.contains(&id) {
            return Reply::err(txn::ABORTED);
        }
        if !st.held.contains_key(&id) {
            if st.check_all(id, None) != TxCheck::Free {
                return Reply::err(txn::CONFLICT);
            }
            if store.len() > txn::MAX_WHOLE_KEYS {
                return Reply::err(format!(
                    "ERR corekv: a transaction over the whole keyspace (FLUSHALL, DBSIZE, KEYS, SCAN, RANDOMKEY in MULTI) needs every group under {} keys",
                    txn::MAX_WHOLE_KEYS
                ));
            }
            st.whole = Some(id);
            st.held.insert(
                id,
                Held {
                    keys: Vec::new(),
                    primary: primary as u32,
                    since: Instant::now(),
                },
            );
            st.dirty = true;
        }
        let mut keys = Vec::new();
        let scanned = store.scan(ctx.slots.start, ctx.slots.end, &mut |_, k, _| {
            keys.push(Bytes::copy_from_slice(k));
            true
        });
        if let Err(e) = scanned {
            return e.into();
        }
        return answer_values(store, keys.into_iter(), now, false);
    }
    if name.eq_ignore_ascii_case(txn::COMMIT.as_bytes()) {
        let Some(parts) = txn::commit_parts(argv) else {
            return bad();
        };
        let Some(h) = st.held.get(&id) else {
            // Committed already (a retry, or recovery came first), or
            // aborted by the primary.
            return if st.tombstones.contains(&id) {
                Reply::err(txn::ABORTED)
            } else {
                Reply::ok()
            };
        };
        if h.primary == gid && stale {
            // Too late to decide: recovery may have given up on it.
            st.release(id);
            st.tombstones.insert(id);
            return Reply::err(txn::ABORTED);
        }
        for (g, e) in &parts {
            if *g != gid {
                continue;
            }
            let Some((values, events)) = txn::decode_effects(e) else {
                return bad();
            };
            for (k, v) in &values {
                if let Err(e) = txn::write_value(store, k, v.as_ref()) {
                    return e.into();
                }
            }
            // The events of the commands that produced the effects, as the
            // coordinator's run emitted them.
            for ev in &events {
                store.notify(ev.class, ev.event, &ev.key);
            }
        }
        let primary = h.primary == gid;
        st.release(id);
        let others: Vec<(u32, Bytes)> = parts.into_iter().filter(|(g, _)| *g != gid).collect();
        if primary {
            // Kept until its coordinator (or recovery) forgets it, even
            // with no other group: a coordinator whose reply was lost asks.
            st.records.insert(id, (others, Instant::now()));
        }
        return Reply::ok();
    }
    if name.eq_ignore_ascii_case(txn::ABORT.as_bytes()) {
        // No tombstone: its coordinator sends no decision after an abort,
        // and a prepare that comes late is resolved (aborted, then with a
        // tombstone) like any orphan lock. Tombstones and `done` marks are
        // kept for the rarer recovery paths only: the state is written
        // whole after every apply that changes it, so it must stay small
        // (one per aborted attempt made it O(transactions in 30 s)).
        st.release(id);
        return Reply::ok();
    }
    if name.eq_ignore_ascii_case(txn::RESOLVE.as_bytes()) {
        let Some(asker) = u64_arg(argv, 3) else {
            return bad();
        };
        if st.done.contains(&id) {
            // Committed, and every group has applied it.
            return Reply::Bulk(txn::encode_values(&[]));
        }
        if let Some((effects, _)) = st.records.get(&id) {
            let mine = effects
                .iter()
                .find(|(g, _)| u64::from(*g) == asker)
                .map(|(_, e)| e.clone())
                .unwrap_or_else(|| txn::encode_values(&[]));
            return Reply::Bulk(mine);
        }
        if st.held.get(&id).is_some_and(|h| h.primary != gid) {
            // Asked of a group that is not the primary: it cannot decide.
            return bad();
        }
        st.release(id);
        st.tombstones.insert(id);
        st.dirty = true;
        return Reply::err(txn::ABORTED);
    }
    if name.eq_ignore_ascii_case(txn::FORGET.as_bytes()) {
        if st.records.remove(&id).is_some() {
            // From its coordinator, who has its answer (every group
            // applied the commit): nothing will ask again. From recovery,
            // the coordinator may still be waiting on a lost reply.
            if argv.get(3).is_some_and(|a| a.as_ref() == b"r") {
                st.done.insert(id);
            }
            st.dirty = true;
        }
        return Reply::ok();
    }
    bad()
}

/// A transaction whose keys are all in this group: its commands in order,
/// one reply each (a command's error does not stop the others, as in
/// Redis's EXEC).
fn multi(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> Reply {
    let Some(cmds) = txn::unpack_cmds(argv.get(3..).unwrap_or(&[])) else {
        return bad();
    };
    let mut out = Vec::with_capacity(cmds.len());
    for (i, c) in cmds.iter().enumerate() {
        let ctx = Ctx {
            now_ms: ctx.now_ms,
            slots: ctx.slots.clone(),
            rand: ctx.rand.wrapping_add((i as u64) << 32),
        };
        out.push(run_one(c, &ctx, store));
    }
    Reply::Array(out)
}

/// One command of a transaction against `store`: a write's apply or a
/// read, by its table entry.
pub fn run_one(argv: &[Bytes], ctx: &Ctx, store: &mut dyn Store) -> Reply {
    let r = match corekv_core::table::find(argv).map(|s| s.handler) {
        Some(corekv_core::table::Handler::Read(_)) => corekv_core::cmd::read(argv, ctx, store),
        _ => corekv_core::cmd::apply_write(argv, ctx, store),
    };
    match r {
        // Inside a transaction a blocking command never blocks: it answers
        // as if its timeout had passed, as in Redis.
        // (A blocking XREAD's carries the ids it would wait after.)
        Reply::Error(e) if e.starts_with(corekv_core::errors::WOULD_BLOCK) => {
            let name = argv.first().map_or(&[][..], |a| &a[..]);
            if name.eq_ignore_ascii_case(b"blmove") || name.eq_ignore_ascii_case(b"brpoplpush") {
                Reply::Nil
            } else {
                Reply::NilArray
            }
        }
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corekv_core::MemStore;

    fn a(s: &[&str]) -> Vec<Bytes> {
        s.iter().map(|x| Bytes::from(x.to_string())).collect()
    }
    fn ctx(now_ms: u64) -> Ctx {
        Ctx {
            now_ms,
            slots: 0..16384,
            rand: 1,
        }
    }

    /// A commit emits the events its coordinator's run collected (and
    /// nothing for the effects' own writes); a one-group MULTI emits its
    /// commands' events; a repeated commit emits nothing.
    #[test]
    fn commits_and_multis_emit_their_commands_events() {
        let now = 1_700_000_000_000u64;
        let id = TxId {
            node: 1,
            hlc: now << 16,
        };
        let mut st = TxnState::default();
        let mut m = MemStore::new();
        m.collect_events();
        let c = ctx(now);
        let idarg = String::from_utf8(id.to_arg().to_vec()).unwrap();
        let prep = a(&[txn::PREP, "0", &idarg, "7", "0", "k1", "l"]);
        assert!(matches!(
            apply(&mut st, 7, &prep, &c, &mut m),
            Reply::Bulk(_)
        ));
        // The coordinator's run, on a scratch store.
        let mut scratch =
            txn::Scratch::load(vec![(Bytes::from("k1"), None), (Bytes::from("l"), None)]);
        run_one(&a(&["SET", "k1", "v"]), &c, &mut scratch);
        run_one(&a(&["RPUSH", "l", "x"]), &c, &mut scratch);
        let eff = txn::encode_effects(&scratch.effects(), &scratch.take_events());
        let mut commit = a(&[txn::COMMIT, "0", &idarg, "1", "7"]);
        commit.push(eff);
        assert_eq!(m.take_events(), vec![], "a prepare emits nothing");
        assert_eq!(apply(&mut st, 7, &commit, &c, &mut m), Reply::ok());
        let names = |m: &mut MemStore| -> Vec<String> {
            m.take_events()
                .iter()
                .map(|e| format!("{} {}", e.event, String::from_utf8_lossy(&e.key)))
                .collect()
        };
        assert_eq!(names(&mut m), ["new k1", "set k1", "new l", "rpush l"]);
        assert_eq!(m.get(b"k1").unwrap().unwrap().value, Bytes::from("v"));
        assert_eq!(apply(&mut st, 7, &commit, &c, &mut m), Reply::ok());
        assert_eq!(names(&mut m), Vec::<String>::new(), "committed already");
        // A one-group MULTI runs its commands here.
        let mut multi = a(&[txn::MULTI, "0", txn::NO_WATCH]);
        txn::pack_cmds(
            &[a(&["LPOP", "l"]), a(&["INCR", "k1"]), a(&["DEL", "k1"])],
            &mut multi,
        );
        apply(&mut st, 7, &multi, &c, &mut m);
        assert_eq!(names(&mut m), ["lpop l", "del l", "del k1"]);
    }

    #[test]
    fn prepare_commit_abort_resolve() {
        let now = 1_700_000_000_000u64;
        let id = TxId {
            node: 1,
            hlc: now << 16,
        };
        let young = TxId {
            node: 2,
            hlc: (now + 1) << 16,
        };
        let mut st = TxnState::default();
        let mut m = MemStore::new();
        let c = ctx(now);
        let idarg = String::from_utf8(id.to_arg().to_vec()).unwrap();
        let prep = a(&[txn::PREP, "0", &idarg, "7", "0", "k1", "k2"]);
        let r = apply(&mut st, 7, &prep, &c, &mut m);
        assert!(matches!(r, Reply::Bulk(_)), "{r:?}");
        // Locked: another prepare is refused, a plain write waits.
        assert_eq!(st.check(&a(&["k1"]), Some(young), 0), TxCheck::Conflict);
        assert_eq!(st.check(&a(&["k2"]), None, 0), TxCheck::Wait);
        assert_eq!(st.check(&a(&["k3"]), None, 0), TxCheck::Free);
        assert!(st.read_locked(&a(&["k2"])));
        // Survives an encode/decode (a restart).
        let st2 = TxnState::decode(&st.encode()).unwrap();
        assert_eq!(st2.locks.len(), 2);
        // Commit at the primary: writes, releases, keeps the others' part.
        let eff = txn::encode_values(&[(
            Bytes::from("k1"),
            Some(txn::Value {
                rec: corekv_core::Record::string(Bytes::from("v"), now),
                elements: vec![],
            }),
        )]);
        let other = txn::encode_values(&[]);
        let mut commit = a(&[txn::COMMIT, "0", &idarg, "2", "7"]);
        commit.push(eff);
        commit.push(Bytes::from("9"));
        commit.push(other.clone());
        assert_eq!(apply(&mut st, 7, &commit, &c, &mut m), Reply::ok());
        assert!(st.locks.is_empty() && st.released);
        assert_eq!(m.get(b"k1").unwrap().unwrap().value, Bytes::from("v"));
        // A second commit is a no-op; a resolve answers the others' part.
        assert_eq!(apply(&mut st, 7, &commit, &c, &mut m), Reply::ok());
        let res = apply(
            &mut st,
            7,
            &a(&[txn::RESOLVE, "0", &idarg, "9"]),
            &c,
            &mut m,
        );
        assert_eq!(res, Reply::Bulk(other));
        assert_eq!(TxnState::decode(&st.encode()).unwrap().records.len(), 1);
        // Forgotten by recovery (its coordinator may still ask).
        apply(&mut st, 7, &a(&[txn::FORGET, "0", &idarg, "r"]), &c, &mut m);
        assert!(st.records.is_empty());
        // A resolve after the record is forgotten (the coordinator's own,
        // its decision's reply lost) still hears "committed".
        let late = apply(
            &mut st,
            7,
            &a(&[txn::RESOLVE, "0", &idarg, "9"]),
            &c,
            &mut m,
        );
        assert_eq!(late, Reply::Bulk(txn::encode_values(&[])));
        assert!(!st.tombstones.contains(&id));

        // Resolve before the decision aborts; the decision then fails.
        let yarg = String::from_utf8(young.to_arg().to_vec()).unwrap();
        apply(
            &mut st,
            7,
            &a(&[txn::PREP, "0", &yarg, "7", "0", "k1"]),
            &c,
            &mut m,
        );
        let res = apply(&mut st, 7, &a(&[txn::RESOLVE, "0", &yarg, "9"]), &c, &mut m);
        assert_eq!(res, Reply::err(txn::ABORTED));
        assert!(st.locks.is_empty());
        let late = a(&[txn::COMMIT, "0", &yarg, "0"]);
        assert_eq!(
            apply(&mut st, 7, &late, &c, &mut m),
            Reply::err(txn::ABORTED)
        );
        let again = a(&[txn::PREP, "0", &yarg, "7", "0", "k1"]);
        assert_eq!(
            apply(&mut st, 7, &again, &c, &mut m),
            Reply::err(txn::ABORTED)
        );
        // Tombstones and done marks go after TX_MAX_AGE_MS.
        let later = ctx(now + TX_MAX_AGE_MS + 10);
        apply(&mut st, 7, &a(&[txn::FORGET, "0", &yarg]), &later, &mut m);
        assert!(st.tombstones.is_empty() && st.done.is_empty());
    }

    #[test]
    fn a_whole_group_prepare_locks_every_key_and_survives_a_restart() {
        let now = 1_700_000_000_000u64;
        let id = TxId {
            node: 1,
            hlc: now << 16,
        };
        let other = TxId {
            node: 2,
            hlc: (now + 1) << 16,
        };
        let mut st = TxnState::default();
        let mut m = MemStore::new();
        let c = ctx(now);
        corekv_core::cmd::apply_write(&a(&["SET", "k1", "v"]), &c, &mut m);
        let idarg = String::from_utf8(id.to_arg().to_vec()).unwrap();
        // What this replica once proposed as a leader is not state-machine
        // state: the apply is the same on every replica.
        st.proposed.insert(Bytes::from("k1"), other);
        st.proposed_term = 3;
        let prep = a(&[txn::PREP_ALL, "0", &idarg, "7", "-"]);
        let Reply::Bulk(v) = apply(&mut st, 7, &prep, &c, &mut m) else {
            panic!()
        };
        let values = txn::decode_values(&v).unwrap();
        assert_eq!(values.len(), 1, "every key of the group: {values:?}");
        // Any key, even one nobody wrote: writes wait, prepares conflict,
        // reads wait; its own prepare goes.
        assert_eq!(st.check(&a(&["new"]), None, 0), TxCheck::Wait);
        assert_eq!(st.check(&a(&["new"]), Some(other), 0), TxCheck::Conflict);
        assert_eq!(st.check(&a(&["new"]), Some(id), 0), TxCheck::Free);
        assert_eq!(st.check_all(other, Some(0)), TxCheck::Conflict);
        st.proposed.clear();
        assert!(st.read_locked(&a(&["new"])));
        let back = TxnState::decode(&st.encode()).unwrap();
        assert_eq!(back.whole, Some(id));
        // Released by its abort.
        apply(&mut st, 7, &a(&[txn::ABORT, "0", &idarg, "1"]), &c, &mut m);
        assert!(st.whole.is_none() && st.is_empty());
        assert_eq!(st.check(&a(&["new"]), None, 0), TxCheck::Free);
    }

    #[test]
    fn the_state_stays_small_while_transactions_go_through() {
        // It is written whole after every apply that changes it: what
        // transactions leave behind when nothing failed must be nothing.
        let now = 1_700_000_000_000u64;
        let mut st = TxnState::default();
        let mut m = MemStore::new();
        let c = ctx(now);
        for n in 0..1000u64 {
            let id = TxId {
                node: 1,
                hlc: (now << 16) + n,
            };
            let idarg = String::from_utf8(id.to_arg().to_vec()).unwrap();
            let prep = a(&[txn::PREP, "0", &idarg, "7", "-", "k"]);
            assert!(matches!(
                apply(&mut st, 7, &prep, &c, &mut m),
                Reply::Bulk(_)
            ));
            if n % 2 == 0 {
                // Aborted by its coordinator (a conflict elsewhere).
                apply(&mut st, 7, &a(&[txn::ABORT, "0", &idarg, "1"]), &c, &mut m);
            } else {
                let mut commit = a(&[txn::COMMIT, "0", &idarg, "1", "7"]);
                commit.push(txn::encode_values(&[]));
                assert_eq!(apply(&mut st, 7, &commit, &c, &mut m), Reply::ok());
                apply(&mut st, 7, &a(&[txn::FORGET, "0", &idarg]), &c, &mut m);
            }
        }
        assert!(st.held.is_empty() && st.records.is_empty());
        assert!(st.tombstones.is_empty() && st.done.is_empty());
        assert!(st.encode().len() < 64, "{}", st.encode().len());
    }

    #[test]
    fn multi_runs_each_command_and_keeps_going_after_an_error() {
        let mut m = MemStore::new();
        let mut argv = a(&[txn::MULTI, "0", txn::NO_WATCH]);
        txn::pack_cmds(
            &[a(&["SET", "a", "x"]), a(&["INCR", "a"]), a(&["GET", "a"])],
            &mut argv,
        );
        let Reply::Array(r) = apply(&mut TxnState::default(), 1, &argv, &ctx(5), &mut m) else {
            panic!()
        };
        assert_eq!(r[0], Reply::ok());
        assert!(r[1].is_error());
        assert_eq!(r[2], Reply::bulk("x"));
    }
}
