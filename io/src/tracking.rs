//! Client-side caching (docs/design/0027, "Tracking"): CLIENT TRACKING,
//! CACHING, GETREDIR, TRACKINGINFO, and the invalidation messages.
//!
//! Each core remembers which of its own clients read which keys (default
//! mode) and which prefixes its BCAST clients follow. Keys are reported
//! modified by the core that applies a write, on every node (each node
//! applies every group's log), through [`modified`]: that core tells every
//! core of its node that has tracking clients, once per applied batch.
//! Invalidations go to the client itself as RESP3 pushes, or to the
//! client it redirects to: a RESP3 push there too, or a message on the
//! `__redis__:invalidate` channel if that client is in RESP2 and
//! subscribed, as in Redis.

use crate::conn::Conn;
use crate::core::Core;
use crate::pubsub::Subscriber;
use bytes::{Bytes, BytesMut};
use corekv_core::table::CommandSpec;
use corekv_core::{Reply, errors};
use corekv_wire::{
    Proto, encode, encode_array_header, encode_bulk, encode_int, encode_push_header,
};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// A connection's tracking options (CLIENT TRACKING ON ...).
#[derive(Debug, Default, Clone)]
pub struct Conf {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    pub redirect: u64,
    pub prefixes: Vec<Bytes>,
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command.
    pub caching: bool,
}

/// A NOLOOP client's own write of a key suppresses the invalidation of
/// that key it causes, if it comes within this long.
const SELF_WRITE_WINDOW: Duration = Duration::from_secs(1);

/// A tracking client of this core, as invalidations need it.
struct Client {
    sub: Rc<Subscriber>,
    redirect: u64,
    noloop: bool,
    bcast: bool,
    /// NOLOOP: keys this client wrote and not yet invalidated, by count.
    self_writes: HashMap<Bytes, (u32, Instant), ahash::RandomState>,
    broken_redirect: bool,
}

/// One core's tracking tables.
#[derive(Default)]
pub struct Tracker {
    /// Default mode: key → ids of clients that read it since its last
    /// invalidation.
    keys: HashMap<Bytes, Vec<u64>, ahash::RandomState>,
    /// BCAST: prefix → client ids.
    prefixes: HashMap<Bytes, Vec<u64>, ahash::RandomState>,
    clients: HashMap<u64, Client, ahash::RandomState>,
}

impl Tracker {
    /// Keys modified (or every key, `flush`): each tracking client
    /// concerned gets one invalidation with all of its keys.
    pub fn invalidate(&mut self, core: &Core, keys: &[Bytes], flush: bool) {
        if flush {
            self.keys.clear();
            let ids: Vec<u64> = self.clients.keys().copied().collect();
            for id in ids {
                self.send(core, id, None);
            }
            return;
        }
        let mut per: HashMap<u64, Vec<Bytes>, ahash::RandomState> = HashMap::default();
        for k in keys {
            if let Some(ids) = self.keys.remove(k) {
                for id in ids {
                    per.entry(id).or_default().push(k.clone());
                }
            }
            for (p, ids) in &self.prefixes {
                if k.starts_with(p) {
                    for id in ids {
                        per.entry(*id).or_default().push(k.clone());
                    }
                }
            }
        }
        let now = Instant::now();
        for (id, mut ks) in per {
            let Some(c) = self.clients.get_mut(&id) else {
                continue;
            };
            if c.noloop {
                ks.retain(|k| match c.self_writes.get_mut(k) {
                    Some((n, at)) if now.saturating_duration_since(*at) < SELF_WRITE_WINDOW => {
                        *n -= 1;
                        if *n == 0 {
                            c.self_writes.remove(k);
                        }
                        false
                    }
                    Some(_) => {
                        c.self_writes.remove(k);
                        true
                    }
                    None => true,
                });
            }
            ks.dedup();
            if !ks.is_empty() {
                self.send(core, id, Some(ks));
            }
        }
    }

    /// Sends one invalidation (`None`: everything, after a flush) for
    /// client `id` of this core.
    fn send(&mut self, core: &Core, id: u64, keys: Option<Vec<Bytes>>) {
        let Some(c) = self.clients.get_mut(&id) else {
            return;
        };
        if c.redirect == 0 {
            if c.sub.proto() == Proto::Resp3 {
                c.sub.push_frame(&core.node.pubsub, |q, proto| {
                    invalidation(q, proto, false, keys.as_deref())
                });
            }
            return;
        }
        let to = c.redirect;
        let local = core.pubsub.borrow().subscriber(to);
        if let Some(target) = local {
            target.push_frame(&core.node.pubsub, |q, proto| {
                invalidation(q, proto, target.in_pubsub(), keys.as_deref())
            });
            return;
        }
        let owner = core.node.pubsub.owner_of(to);
        match owner {
            Some(other) if other != core.id => {
                if let Some(inbox) = core.node.inboxes.get(other) {
                    let _ = inbox.send(vec![crate::node::Msg::TrackPush { to, keys }]);
                }
            }
            _ => {
                // The client redirected to is gone: tell this one (RESP3).
                c.broken_redirect = true;
                if c.sub.proto() == Proto::Resp3 {
                    c.sub.push_frame(&core.node.pubsub, |q, proto| {
                        encode_push_header(2, proto, q);
                        encode_bulk(b"tracking-redir-broken", q);
                        encode_int(to as i64, q);
                    });
                }
            }
        }
    }
}

/// An invalidation frame in `proto`: a RESP3 push, or in RESP2 (only to
/// a subscribed redirect target) a message on `__redis__:invalidate`.
/// `keys` `None` is a flush (null).
fn invalidation(q: &mut BytesMut, proto: Proto, subscribed: bool, keys: Option<&[Bytes]>) {
    if proto == Proto::Resp3 {
        encode_push_header(2, proto, q);
        encode_bulk(b"invalidate", q);
    } else if subscribed {
        encode_push_header(3, proto, q);
        encode_bulk(b"message", q);
        encode_bulk(b"__redis__:invalidate", q);
    } else {
        return;
    }
    match keys {
        Some(ks) => {
            encode_array_header(ks.len(), q);
            for k in ks {
                encode_bulk(k, q);
            }
        }
        None => encode(&Reply::Nil, proto, q),
    }
}

/// A redirected invalidation arrived for client `to` of this core.
pub fn deliver_redirected(core: &Core, to: u64, keys: Option<Vec<Bytes>>) {
    let target = core.pubsub.borrow().subscriber(to);
    if let Some(t) = target {
        t.push_frame(&core.node.pubsub, |q, proto| {
            invalidation(q, proto, t.in_pubsub(), keys.as_deref())
        });
    }
}

/// Keys a write changed (or all of them: `flush`), reported by the core
/// that applied it: every core of this node with tracking clients hears
/// of them once.
pub fn modified(core: &Core, keys: &[Bytes], flush: bool) {
    let shared = &core.node.pubsub;
    if !shared.any_tracking.load(Relaxed) || (keys.is_empty() && !flush) {
        return;
    }
    for (c, n) in shared.tracking.iter().enumerate() {
        if n.load(Relaxed) == 0 {
            continue;
        }
        if c == core.id {
            core.tracker.borrow_mut().invalidate(core, keys, flush);
        } else if let Some(inbox) = core.node.inboxes.get(c) {
            let _ = inbox.send(vec![crate::node::Msg::Invalidate {
                keys: keys.to_vec(),
                flush,
            }]);
        }
    }
}

impl Conn {
    /// Before a command runs: a tracking client's read remembers its keys
    /// (default mode, subject to OPTIN/OPTOUT), a NOLOOP client's write
    /// its own keys; CLIENT CACHING lasts one command.
    pub(crate) fn track_command(&mut self, spec: &CommandSpec, argv: &[Bytes], write: bool) {
        let Some(conf) = self.tracking.as_mut() else {
            return;
        };
        // Only data commands come here (CLIENT CACHING itself does not).
        let caching = std::mem::take(&mut conf.caching);
        if conf.bcast && !(write && conf.noloop) {
            return;
        }
        if !write && ((conf.optin && !caching) || (conf.optout && caching)) {
            return;
        }
        if !write && !spec.has_flag("readonly") {
            return;
        }
        if write && !conf.noloop {
            return;
        }
        let keys = corekv_core::table::key_indexes(spec, argv);
        if keys.is_empty() {
            return;
        }
        let mut t = self.core.tracker.borrow_mut();
        if write {
            let now = Instant::now();
            if let Some(c) = t.clients.get_mut(&self.id) {
                for &i in &keys {
                    if let Some(k) = argv.get(i) {
                        let e = c.self_writes.entry(k.clone()).or_insert((0, now));
                        e.0 += 1;
                        e.1 = now;
                    }
                }
            }
            return;
        }
        for &i in &keys {
            if let Some(k) = argv.get(i) {
                let ids = t.keys.entry(k.clone()).or_default();
                if !ids.contains(&self.id) {
                    ids.push(self.id);
                }
            }
        }
    }

    /// Leaves tracking (CLIENT TRACKING OFF, RESET, the connection ends).
    pub(crate) fn tracking_off(&mut self) {
        if self.tracking.take().is_none() {
            return;
        }
        let core = self.core.clone();
        let mut t = core.tracker.borrow_mut();
        if let Some(c) = t.clients.remove(&self.id)
            && c.bcast
        {
            t.prefixes.retain(|_, ids| {
                ids.retain(|i| *i != self.id);
                !ids.is_empty()
            });
        }
        drop(t);
        let shared = &core.node.pubsub;
        if let Some(n) = shared.tracking.get(core.id) {
            let _ = n.fetch_update(Relaxed, Relaxed, |n| Some(n.saturating_sub(1)));
        }
        shared.counts_changed();
        if let Some(s) = self.ps.as_mut() {
            s.tracking = false;
        }
        self.drop_subs_if_idle();
    }
}

fn syntax() -> Reply {
    errors::err("ERR syntax error")
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP], with Redis's checks and texts.
pub async fn client_tracking(conn: &mut Conn, argv: &[Bytes]) -> Reply {
    let mut redirect: u64 = 0;
    let mut conf = Conf::default();
    let mut j = 3;
    while let Some(opt) = argv.get(j) {
        let more = argv.len() - 1 - j;
        let o = opt.to_ascii_lowercase();
        match o.as_slice() {
            b"redirect" if more > 0 => {
                j += 1;
                if redirect != 0 {
                    return errors::err("ERR A client can only redirect to a single other client");
                }
                let Some(id) = argv
                    .get(j)
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.parse::<i64>().ok())
                else {
                    return errors::err(errors::NOT_INTEGER);
                };
                let exists = id > 0 && {
                    let id = id as u64;
                    id == conn.id || client_exists(conn, id).await
                };
                if !exists {
                    return errors::err("ERR The client ID you want redirect to does not exist");
                }
                redirect = id as u64;
            }
            b"bcast" => conf.bcast = true,
            b"optin" => conf.optin = true,
            b"optout" => conf.optout = true,
            b"noloop" => conf.noloop = true,
            b"prefix" if more > 0 => {
                j += 1;
                conf.prefixes.push(argv.get(j).cloned().unwrap_or_default());
            }
            _ => return syntax(),
        }
        j += 1;
    }
    conf.redirect = redirect;
    match argv.get(2).map(|a| a.to_ascii_lowercase()).as_deref() {
        Some(b"on") => {}
        Some(b"off") => {
            conn.tracking_off();
            conn.sync_client_entry();
            return Reply::ok();
        }
        _ => return syntax(),
    }
    if !conf.bcast && !conf.prefixes.is_empty() {
        return errors::err("ERR PREFIX option requires BCAST mode to be enabled");
    }
    if let Some(old) = &conn.tracking
        && old.bcast != conf.bcast
    {
        return errors::err(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
        );
    }
    if conf.bcast && (conf.optin || conf.optout) {
        return errors::err("ERR OPTIN and OPTOUT are not compatible with BCAST");
    }
    if conf.optin && conf.optout {
        return errors::err("ERR You can't specify both OPTIN mode and OPTOUT mode");
    }
    if let Some(old) = &conn.tracking
        && ((conf.optin && old.optout) || (conf.optout && old.optin))
    {
        return errors::err(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
        );
    }
    let existing: Vec<Bytes> = conn
        .tracking
        .as_ref()
        .map(|c| c.prefixes.clone())
        .unwrap_or_default();
    if conf.bcast {
        for (i, p) in conf.prefixes.iter().enumerate() {
            let overlaps = |a: &[u8], b: &[u8]| {
                let n = a.len().min(b.len());
                a.get(..n) == b.get(..n)
            };
            if let Some(e) = existing.iter().find(|e| overlaps(e, p)) {
                return errors::err(&format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(e)
                ));
            }
            if let Some(q) = conf
                .prefixes
                .get(i + 1..)
                .and_then(|r| r.iter().find(|q| overlaps(p, q)))
            {
                return errors::err(&format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                ));
            }
        }
    }
    enable(conn, conf, existing);
    conn.sync_client_entry();
    Reply::ok()
}

/// Whether client `id` is connected to this node (any core).
async fn client_exists(conn: &Conn, id: u64) -> bool {
    if conn.core.st.borrow().clients.contains_key(&id) {
        return true;
    }
    conn.core
        .node
        .ask_cores(|tx| crate::node::Msg::HasClient(id, tx))
        .await
        .into_iter()
        .any(|b| b)
}

fn enable(conn: &mut Conn, mut conf: Conf, existing: Vec<Bytes>) {
    let core = conn.core.clone();
    let was_on = conn.tracking.is_some();
    let id = conn.id;
    let sub = {
        let subs = conn.subs();
        subs.tracking = true;
        subs.sub.clone()
    };
    let mut t = core.tracker.borrow_mut();
    let mut prefixes = existing;
    if conf.bcast {
        let new: Vec<Bytes> = if conf.prefixes.is_empty() && prefixes.is_empty() {
            vec![Bytes::new()]
        } else {
            conf.prefixes.clone()
        };
        for p in new {
            let ids = t.prefixes.entry(p.clone()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
            if !prefixes.contains(&p) {
                prefixes.push(p);
            }
        }
    }
    conf.prefixes = prefixes;
    let self_writes = t
        .clients
        .remove(&id)
        .map(|c| c.self_writes)
        .unwrap_or_default();
    t.clients.insert(
        id,
        Client {
            sub,
            redirect: conf.redirect,
            noloop: conf.noloop,
            bcast: conf.bcast,
            self_writes,
            broken_redirect: false,
        },
    );
    drop(t);
    conn.tracking = Some(Box::new(conf));
    if !was_on {
        let shared = &core.node.pubsub;
        if let Some(n) = shared.tracking.get(core.id) {
            n.fetch_add(1, Relaxed);
        }
        shared.counts_changed();
    }
}

/// CLIENT CACHING YES|NO.
pub fn client_caching(conn: &mut Conn, argv: &[Bytes]) -> Reply {
    let Some(conf) = conn.tracking.as_mut() else {
        return errors::err(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        );
    };
    match argv.get(2).map(|a| a.to_ascii_lowercase()).as_deref() {
        Some(b"yes") if conf.optin => conf.caching = true,
        Some(b"yes") => {
            return errors::err(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
        Some(b"no") if conf.optout => conf.caching = true,
        Some(b"no") => {
            return errors::err(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
        _ => return syntax(),
    }
    Reply::ok()
}

/// CLIENT GETREDIR.
pub fn client_getredir(conn: &Conn) -> Reply {
    Reply::Integer(conn.tracking.as_ref().map_or(-1, |c| c.redirect as i64))
}

/// CLIENT TRACKINGINFO.
pub fn client_trackinginfo(conn: &Conn) -> Reply {
    let b = |s: &str| Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()));
    let Some(c) = &conn.tracking else {
        return Reply::Map(vec![
            (b("flags"), Reply::Set(vec![b("off")])),
            (b("redirect"), Reply::Integer(-1)),
            (b("prefixes"), Reply::Array(vec![])),
        ]);
    };
    let mut flags = vec![b("on")];
    if c.bcast {
        flags.push(b("bcast"));
    }
    if c.optin {
        flags.push(b("optin"));
        if c.caching {
            flags.push(b("caching-yes"));
        }
    }
    if c.optout {
        flags.push(b("optout"));
        if c.caching {
            flags.push(b("caching-no"));
        }
    }
    if c.noloop {
        flags.push(b("noloop"));
    }
    let broken = conn
        .core
        .tracker
        .borrow()
        .clients
        .get(&conn.id)
        .is_some_and(|t| t.broken_redirect);
    if broken {
        flags.push(b("broken_redirect"));
    }
    let mut prefixes = c.prefixes.clone();
    prefixes.sort();
    Reply::Map(vec![
        (b("flags"), Reply::Set(flags)),
        (b("redirect"), Reply::Integer(c.redirect as i64)),
        (
            b("prefixes"),
            Reply::Array(prefixes.into_iter().map(Reply::Bulk).collect()),
        ),
    ])
}
