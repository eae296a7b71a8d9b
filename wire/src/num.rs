//! Allocation-free number formatting and Redis-strict integer parsing.

/// Redis's `string2ll`, shared with command parsing (one definition).
pub(crate) use corekv_core::cmd::parse_i64;

/// A small stack buffer that numbers are formatted into.
pub(crate) struct NumBuf {
    buf: [u8; 48],
    len: usize,
}

impl NumBuf {
    pub(crate) fn new() -> Self {
        NumBuf {
            buf: [0; 48],
            len: 0,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    fn push(&mut self, b: u8) {
        // Capacity is sized for the longest number we format; a longer
        // write would be a bug, and dropping bytes beats panicking.
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
}

impl std::fmt::Write for NumBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.extend(s.as_bytes());
        Ok(())
    }
}

/// Decimal digits of `v`, written without allocation.
#[cfg(test)]
pub(crate) fn fmt_i64(v: i64) -> NumBuf {
    let mut out = NumBuf::new();
    let mut digits = [0u8; 20];
    let start = write_u64_back(&mut digits, v.unsigned_abs());
    if v < 0 {
        out.push(b'-');
    }
    out.extend(digits.get(start..).unwrap_or(&[]));
    out
}

/// Writes the digits of `n` at the end of `buf`, returning where they
/// start. `buf` must hold 20 bytes for any `u64`; fewer bytes truncate.
pub(crate) fn write_u64_back(buf: &mut [u8], mut n: u64) -> usize {
    let mut i = buf.len();
    while i > 0 {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    i
}

/// Formats a double the way Redis 7.0's `addReplyDouble` does: `inf`,
/// `-inf`, else C's `%.17g` (`1.1` is `1.1000000000000001`, `1e17` is
/// `1e+17`); see `corekv_core::cmd::write_g17`.
pub(crate) fn fmt_f64(d: f64) -> NumBuf {
    let mut out = NumBuf::new();
    let _ = corekv_core::cmd::write_g17(d, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        for v in [0, 1, -1, 10, 12345, i64::MAX, i64::MIN] {
            assert_eq!(fmt_i64(v).as_bytes(), v.to_string().as_bytes());
        }
    }

    #[test]
    fn doubles_like_redis() {
        let cases: &[(f64, &str)] = &[
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-42.0, "-42"),
            (1.5, "1.5"),
            (-0.25, "-0.25"),
            (0.1, "0.10000000000000001"),
            (1.1, "1.1000000000000001"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (1.5e-7, "1.4999999999999999e-07"),
            (1e300, "1.0000000000000001e+300"),
            (-1.25e20, "-1.25e+20"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (12345678.9, "12345678.9"),
            (5e-324, "4.9406564584124654e-324"),
        ];
        for &(d, want) in cases {
            let got = fmt_f64(d);
            assert_eq!(std::str::from_utf8(got.as_bytes()).unwrap(), want, "{d}");
        }
    }

    #[test]
    fn doubles_round_trip() {
        for d in [
            0.1,
            1.0 / 3.0,
            1e-300,
            1.7976931348623157e308,
            -2.5e-5,
            123.456,
        ] {
            let s = fmt_f64(d);
            let back: f64 = std::str::from_utf8(s.as_bytes()).unwrap().parse().unwrap();
            assert_eq!(back, d);
        }
    }
}
