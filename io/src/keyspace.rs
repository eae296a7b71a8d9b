//! Keyspace notifications: delivery of the events this core's shard
//! applied (`notify-keyspace-events`, docs/design/0030) to subscribers.

use crate::core::Core;
use corekv_core::KeyEvent;

/// Delivers the keyspace events of the entries this core applied in one
/// turn, as `(group id, event)` in apply order: each applied entry's events
/// exactly once, on every replica (every node serves its own
/// subscribers), only the classes the node's flags select
/// (`corekv_core::notify::publishes`; whether to publish on
/// `__keyspace@0__:<key>` (K) and/or `__keyevent@0__:<event>` (E) is the
/// flags' `KEYSPACE`/`KEYEVENT` bits, read from `core.node.notify_flags`).
/// Called after the turn released `core.st`, only when there are events;
/// with the default flags `""` there never are.
///
/// Empty for now: publishing is the pub/sub layer's (issue 13).
pub fn deliver(core: &Core, events: Vec<(u32, KeyEvent)>) {
    let _ = (core, events);
}
