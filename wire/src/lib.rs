//! RESP2/RESP3 wire format: the incremental request parser used by every
//! connection, the reply encoder, and a reply parser for clients, tools and
//! tests, all bounded by Redis's frame [`Limits`].
//!
//! This crate is pure: no IO, no async, no clocks, no threads. It runs on
//! whatever core owns the connection and only ever touches the buffers it is
//! given, so it can be fuzzed and property-tested in isolation.
//!
//! It must never panic on input, whatever the bytes: malformed or hostile
//! input becomes a [`ProtocolError`] whose `Display` is the exact reply
//! Redis sends (`ERR Protocol error: ...`), after which the server closes the
//! connection. Memory grows only as bytes arrive: a declared bulk or
//! multibulk length never causes an allocation of that size up front.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing))]

mod encode;
mod error;
mod num;
mod reply;
mod request;

pub use encode::{
    Proto, encode, encode_array_header, encode_bulk, encode_int, encode_push_header, encode_request,
};
pub use error::ProtocolError;
pub use reply::{ReplyParser, parse_reply};
pub use request::RequestParser;

/// Frame limits, defaults equal to Redis's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string argument (`proto-max-bulk-len`), in bytes.
    pub max_bulk_len: usize,
    /// Largest multibulk (argument) count. Redis allows up to `INT_MAX`.
    pub max_multibulk_len: usize,
    /// Largest inline command line, and largest `*`/`$` header line, in bytes
    /// (Redis's `PROTO_INLINE_MAX_SIZE`).
    pub max_inline_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: 64 * 1024,
        }
    }
}
