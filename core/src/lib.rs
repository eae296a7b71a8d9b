//! corekv-core: pure types and command semantics.
//!
//! Owns: slots and hash tags, replies, the `Store` seam, command semantics
//! (strings and keys), the keyspace events commands emit (`notify`), the
//! command table, the HLC, users and ACL rules (`acl`), and every
//! client-visible error string. No IO, no async, no clock reads: time is
//! passed in. Runs on whichever core owns the keys; must never block or
//! panic on client input.

pub mod acl;
pub mod cmd;
pub mod errors;
pub mod hlc;
pub mod notify;
pub mod reply;
pub mod script;
pub mod slot;
pub mod store;
pub mod table;
pub mod txn;

pub use notify::KeyEvent;
pub use reply::Reply;
pub use store::{Coll, Kind, MemStore, Ns, Record, Store, StoreError};
