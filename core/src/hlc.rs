//! Hybrid logical clock: one per node, so timestamps issued by different
//! nodes are comparable along every causal path (a receiver advances past
//! every timestamp it sees). A timestamp is one `u64`: 48 bits of physical
//! milliseconds above 16 logical bits, so plain integer order is HLC order
//! and a logical overflow carries into the physical part by ordinary
//! addition. Pure: the caller passes the wall clock in, which keeps this
//! deterministic under simulation.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use thiserror::Error;

/// Bits of the logical counter.
pub const LOGICAL_BITS: u32 = 16;
/// Largest physical time representable (year ~10889).
pub const MAX_PHYSICAL_MS: u64 = (1 << (64 - LOGICAL_BITS)) - 1;

/// Builds a timestamp; a physical time beyond 48 bits is clamped.
pub const fn compose(physical_ms: u64, logical: u16) -> u64 {
    let physical_ms = if physical_ms > MAX_PHYSICAL_MS {
        MAX_PHYSICAL_MS
    } else {
        physical_ms
    };
    (physical_ms << LOGICAL_BITS) | logical as u64
}

/// The physical milliseconds of a timestamp.
pub const fn physical_ms(ts: u64) -> u64 {
    ts >> LOGICAL_BITS
}

/// The logical counter of a timestamp.
pub const fn logical(ts: u64) -> u16 {
    // Truncation is the point: the low 16 bits are the counter.
    (ts & 0xFFFF) as u16
}

/// A remote timestamp too far ahead of the local wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error(
    "remote timestamp {remote} is {ahead_ms} ms ahead of the local clock (max {max_offset_ms} ms)"
)]
pub struct ClockOffsetError {
    pub remote: u64,
    pub ahead_ms: u64,
    pub max_offset_ms: u64,
}

/// The node's clock: the last timestamp it issued or observed, shared by
/// every core of the node. Lock-free: each operation is one compare-and-swap
/// loop over an `AtomicU64` (atomics are not IO; the wall clock is still
/// passed in), so the same code serves the server and simulations.
#[derive(Debug, Default)]
pub struct Hlc {
    last: AtomicU64,
}

impl Hlc {
    pub const fn new() -> Hlc {
        Hlc {
            last: AtomicU64::new(0),
        }
    }

    /// Resumes after a restart from a persisted upper bound of every
    /// timestamp issued before, so the clock never goes back across restarts.
    pub const fn from_last(last: u64) -> Hlc {
        Hlc {
            last: AtomicU64::new(last),
        }
    }

    /// The last timestamp issued or observed.
    pub fn last(&self) -> u64 {
        self.last.load(Relaxed)
    }

    /// A timestamp for a local event: strictly greater than every timestamp
    /// issued or observed before, and at least the wall clock. When the wall
    /// clock stalls or goes back, the logical part counts up (and carries).
    pub fn now(&self, wall_ms: u64) -> u64 {
        self.advance(compose(wall_ms, 0), 0)
    }

    /// Advances past a timestamp received from another node and returns the
    /// timestamp of the receive event: strictly greater than `remote` and
    /// than everything issued before. Unchecked: for timestamps this node
    /// itself wrote (a recovered log); anything received goes through
    /// [`Hlc::observe_checked`].
    pub fn observe(&self, remote: u64, wall_ms: u64) -> u64 {
        self.advance(compose(wall_ms, 0), remote)
    }

    /// `observe`, but refuses (leaving the clock untouched) a remote whose
    /// physical time is more than `max_offset_ms` ahead of `wall_ms`, so a
    /// peer with a broken clock, or a client posing as one, cannot drag this
    /// node's clock into the future.
    pub fn observe_checked(
        &self,
        remote: u64,
        wall_ms: u64,
        max_offset_ms: u64,
    ) -> Result<u64, ClockOffsetError> {
        let ahead_ms = physical_ms(remote).saturating_sub(wall_ms);
        if ahead_ms > max_offset_ms {
            return Err(ClockOffsetError {
                remote,
                ahead_ms,
                max_offset_ms,
            });
        }
        Ok(self.observe(remote, wall_ms))
    }

    /// Sets the clock to the next timestamp after both the last one and
    /// `floor`, or to the wall clock if that is later, and returns it.
    /// Saturates at `u64::MAX`, which only a bogus remote can reach (48-bit
    /// milliseconds last until the year ~10889); never panics.
    fn advance(&self, wall: u64, floor: u64) -> u64 {
        let mut cur = self.last.load(Relaxed);
        loop {
            let next = wall.max(cur.max(floor).saturating_add(1));
            match self.last.compare_exchange_weak(cur, next, Relaxed, Relaxed) {
                Ok(_) => return next,
                Err(actual) => cur = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layout() {
        let ts = compose(1_700_000_000_000, 7);
        assert_eq!(physical_ms(ts), 1_700_000_000_000);
        assert_eq!(logical(ts), 7);
        assert_eq!(ts, (1_700_000_000_000 << 16) | 7);
        assert_eq!(physical_ms(compose(u64::MAX, 0)), MAX_PHYSICAL_MS);
    }

    #[test]
    fn now_follows_the_wall_clock() {
        let c = Hlc::new();
        assert_eq!(c.now(100), compose(100, 0));
        assert_eq!(c.now(105), compose(105, 0));
    }

    #[test]
    fn now_counts_logically_when_the_wall_stalls_or_goes_back() {
        let c = Hlc::new();
        assert_eq!(c.now(100), compose(100, 0));
        assert_eq!(c.now(100), compose(100, 1));
        assert_eq!(c.now(90), compose(100, 2));
        assert_eq!(c.now(101), compose(101, 0));
    }

    #[test]
    fn logical_overflow_carries_into_physical() {
        let c = Hlc::from_last(compose(100, u16::MAX));
        let ts = c.now(100);
        assert_eq!(ts, compose(101, 0));
        assert_eq!((physical_ms(ts), logical(ts)), (101, 0));
    }

    #[test]
    fn observe_moves_past_a_remote_ahead() {
        let c = Hlc::new();
        c.now(100);
        assert_eq!(c.observe(compose(200, 5), 100), compose(200, 6));
        // Local events stay past the observed remote.
        assert_eq!(c.now(150), compose(200, 7));
    }

    #[test]
    fn observe_of_an_old_remote_still_ticks() {
        let c = Hlc::new();
        assert_eq!(c.now(300), compose(300, 0));
        assert_eq!(c.observe(compose(200, 9), 300), compose(300, 1));
        assert_eq!(c.observe(compose(10, 0), 400), compose(400, 0));
    }

    #[test]
    fn observe_checked_refuses_a_far_future_remote() {
        let c = Hlc::new();
        c.now(1_000);
        let before = c.last();
        let err = c
            .observe_checked(compose(2_000, 0), 1_000, 500)
            .unwrap_err();
        assert_eq!(err.ahead_ms, 1_000);
        assert_eq!(c.last(), before);
        assert_eq!(
            c.observe_checked(compose(1_400, 3), 1_000, 500),
            Ok(compose(1_400, 4))
        );
    }

    #[test]
    fn saturates_instead_of_panicking() {
        let c = Hlc::new();
        assert_eq!(c.observe(u64::MAX, 0), u64::MAX);
        assert_eq!(c.now(0), u64::MAX);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Now { wall_step: i64 },
        Observe { wall_step: i64, remote_offset: i64 },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (-50i64..50).prop_map(|wall_step| Op::Now { wall_step }),
            ((-50i64..50), (-100_000i64..100_000)).prop_map(|(wall_step, remote_offset)| {
                Op::Observe {
                    wall_step,
                    remote_offset,
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn strictly_increasing_and_past_every_remote(
            start_ms in 0u64..(1 << 47),
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            let c = Hlc::new();
            let mut wall = start_ms;
            let mut prev = 0u64;
            let mut max_remote = 0u64;
            for op in ops {
                let ts = match op {
                    Op::Now { wall_step } => {
                        wall = wall.saturating_add_signed(wall_step);
                        c.now(wall)
                    }
                    Op::Observe { wall_step, remote_offset } => {
                        wall = wall.saturating_add_signed(wall_step);
                        // Remotes near our own time, logical parts included.
                        let remote = c.last().saturating_add_signed(remote_offset << 4);
                        max_remote = max_remote.max(remote);
                        let ts = c.observe(remote, wall);
                        prop_assert!(ts > remote);
                        ts
                    }
                };
                prop_assert!(ts > prev, "not strictly increasing: {ts} after {prev}");
                prop_assert!(ts > max_remote, "{ts} not past remote {max_remote}");
                prop_assert!(physical_ms(ts) >= wall.min(MAX_PHYSICAL_MS));
                prop_assert_eq!(ts, c.last());
                prev = ts;
            }
        }
    }
}
