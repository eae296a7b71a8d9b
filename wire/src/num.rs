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

/// Formats a double the way Redis's `d2string` does: `nan`, `inf`, `-inf`,
/// `0`/`-0`, integers in ±2^62 as plain integers, everything else as the
/// shortest round-tripping digits laid out like `%.17g` (exponent form when
/// the exponent is < -4 or >= 17, with at least two exponent digits).
pub(crate) fn fmt_f64(d: f64) -> NumBuf {
    use std::fmt::Write;
    if d.is_nan() {
        let mut out = NumBuf::new();
        out.extend(b"nan");
        return out;
    }
    if d.is_infinite() {
        let mut out = NumBuf::new();
        out.extend(if d < 0.0 { b"-inf" as &[u8] } else { b"inf" });
        return out;
    }
    if d == 0.0 {
        let mut out = NumBuf::new();
        out.extend(if d.is_sign_negative() {
            b"-0" as &[u8]
        } else {
            b"0"
        });
        return out;
    }
    const HALF_LLONG_MAX: f64 = (i64::MAX / 2) as f64;
    if d.fract() == 0.0 && (-HALF_LLONG_MAX..=HALF_LLONG_MAX).contains(&d) {
        return fmt_i64(d as i64);
    }
    // `{:e}` gives the shortest round-trip digits: `-1.2345e-7`.
    let mut sci = NumBuf::new();
    if write!(sci, "{d:e}").is_err() {
        return sci;
    }
    let s = sci.as_bytes();
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let epos = s.iter().position(|&b| b == b'e').unwrap_or(s.len());
    let mant = s.get(..epos).unwrap_or(&[]);
    let exp: i32 = std::str::from_utf8(s.get(epos + 1..).unwrap_or(&[]))
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 20];
    let mut nd = 0usize;
    for &b in mant {
        if b.is_ascii_digit()
            && let Some(slot) = digits.get_mut(nd)
        {
            *slot = b;
            nd += 1;
        }
    }
    let digits = digits.get(..nd).unwrap_or(&[]);
    let mut out = NumBuf::new();
    if neg {
        out.push(b'-');
    }
    if !(-4..17).contains(&exp) {
        let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
        out.push(*first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend(rest);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        out.extend(fmt_i64(i64::from(e)).as_bytes());
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            out.push(digits.get(i).copied().unwrap_or(b'0'));
        }
        if nd > int_len {
            out.push(b'.');
            out.extend(digits.get(int_len..).unwrap_or(&[]));
        }
    } else {
        out.extend(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend(digits);
    }
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
            (0.1, "0.1"),
            (2.71, "2.71"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e300, "1e+300"),
            (-1.25e20, "-1.25e+20"),
            (1e17, "100000000000000000"),
            (1.25e30, "1.25e+30"),
            (12345678.9, "12345678.9"),
            (5e-324, "5e-324"),
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
