//! Hybrid logical clock.
