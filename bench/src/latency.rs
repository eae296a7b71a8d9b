//! Latency samples and their percentiles, and a small deterministic RNG
//! for picking fields and ids (the same sequence for every server).

use std::time::Duration;

/// Latencies of one measured stretch, in nanoseconds.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    ns: Vec<u64>,
}

/// Percentiles of a [`Samples`], microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

impl Samples {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            ns: Vec::with_capacity(n),
        }
    }

    pub fn push(&mut self, d: Duration) {
        self.ns
            .push(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    pub fn extend(&mut self, other: &Samples) {
        self.ns.extend_from_slice(&other.ns);
    }

    pub fn len(&self) -> usize {
        self.ns.len()
    }

    /// Nearest-rank percentiles.
    pub fn summary(&self) -> Summary {
        let mut v = self.ns.clone();
        v.sort_unstable();
        let at = |p: f64| -> f64 {
            if v.is_empty() {
                return 0.0;
            }
            let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
            v[rank - 1] as f64 / 1000.0
        };
        Summary {
            count: v.len() as u64,
            p50_us: at(0.50),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: at(1.0),
        }
    }
}

/// xorshift64*: deterministic, good enough to spread keys.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-enough in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A ratio for the report, `-` when undefined.
pub fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "-".to_string()
    }
}

/// Microseconds with a precision that suits their size.
pub fn us(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut s = Samples::with_capacity(1000);
        for i in 1..=1000u64 {
            s.push(Duration::from_micros(i));
        }
        let sum = s.summary();
        assert_eq!(sum.count, 1000);
        assert_eq!(sum.p50_us, 500.0);
        assert_eq!(sum.p99_us, 990.0);
        assert_eq!(sum.p999_us, 999.0);
        assert_eq!(sum.max_us, 1000.0);
        assert_eq!(Samples::default().summary(), Summary::default());
    }

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            let x = a.below(10);
            assert_eq!(x, b.below(10));
            assert!(x < 10);
        }
        assert_eq!(ratio(3.0, 2.0), "1.50×");
        assert_eq!(ratio(3.0, 0.0), "-");
        assert_eq!(us(12.345), "12.3");
        assert_eq!(us(1234.5), "1234");
    }
}
