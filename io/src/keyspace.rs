//! Keyspace notifications: delivery of the events this core's shard
//! applied (`notify-keyspace-events`, docs/design/0030) to subscribers.

use crate::core::Core;
use crate::pubsub::{Kind, deliver_on_node};
use bytes::Bytes;
use corekv_core::{KeyEvent, notify};
use std::sync::atomic::Ordering::Relaxed;

/// Delivers the keyspace events of the entries this core applied in one
/// turn, as `(group id, event)` in apply order: each applied entry's events
/// exactly once, on every replica (every node serves its own subscribers,
/// so events are never forwarded to other nodes), only the classes the
/// node's flags select: on `__keyspace@0__:<key>` with the event as the
/// message (K) and on `__keyevent@0__:<event>` with the key (E), to the
/// subscribers of every core of this node (docs/design/0027). Called after
/// the turn released `core.st`, only when there are events; with the
/// default flags `""` there never are.
pub fn deliver(core: &Core, events: Vec<(u32, KeyEvent)>) {
    let shared = &core.node.pubsub;
    if shared.subs.iter().all(|n| n.load(Relaxed) == 0) {
        return;
    }
    let flags = core.node.notify_flags.load(Relaxed);
    for (_, ev) in events {
        if !notify::publishes(flags, ev.class) {
            continue;
        }
        if flags & notify::KEYSPACE != 0 {
            let mut ch = Vec::with_capacity(15 + ev.key.len());
            ch.extend_from_slice(b"__keyspace@0__:");
            ch.extend_from_slice(&ev.key);
            deliver_on_node(
                core,
                Kind::Plain,
                Bytes::from(ch),
                Bytes::from_static(ev.event.as_bytes()),
            );
        }
        if flags & notify::KEYEVENT != 0 {
            let ch = format!("__keyevent@0__:{}", ev.event);
            deliver_on_node(core, Kind::Plain, Bytes::from(ch), ev.key.clone());
        }
    }
}
