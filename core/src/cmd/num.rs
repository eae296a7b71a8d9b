//! Number parsing and formatting with Redis's rules: `string2ll` for
//! integers (no `+`, no spaces, no leading zeros), `string2ld` for floats,
//! and INCRBYFLOAT's human-friendly output.

/// Redis `string2ll`: optional `-`, no leading zeros (except "0"), no `+`,
/// no whitespace, at most 20 bytes, within i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    // Accumulate negatively so i64::MIN parses.
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if neg { Some(v) } else { v.checked_neg() }
}

/// `getIntFromObject`: an i64 that also fits in a C int.
pub fn parse_i32(s: &[u8]) -> Option<i32> {
    parse_i64(s).and_then(|v| i32::try_from(v).ok())
}

/// Redis `string2ld` (strtold), approximated with f64: no leading space, no
/// trailing garbage, at most 5119 bytes, NaN refused. `inf` is accepted as
/// strtold does.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() >= 5 * 1024 {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// INCRBYFLOAT's reply: shortest round-trip decimal, never an exponent,
/// and "-0" printed as "0".
pub fn format_f64(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v}")
    }
}

/// C's `printf("%.17g", d)`, which Redis 7.0's `addReplyDouble` and
/// `d2string` use (`1.1` prints as `1.1000000000000001`, `1e17` as
/// `1e+17`); `inf`/`-inf`/`nan` spelled as Redis does. Allocation-free.
pub fn write_g17(d: f64, out: &mut impl std::fmt::Write) -> std::fmt::Result {
    if d.is_nan() {
        return out.write_str("nan");
    }
    if d.is_infinite() {
        return out.write_str(if d < 0.0 { "-inf" } else { "inf" });
    }
    // 17 significant digits, correctly rounded: `d.dddddddddddddddde<x>`.
    let mut sci = Small::<40>::default();
    std::fmt::Write::write_fmt(&mut sci, format_args!("{:.16e}", d.abs()))?;
    let s = sci.as_bytes();
    let epos = s.iter().position(|&b| b == b'e').unwrap_or(s.len());
    let exp: i32 = std::str::from_utf8(s.get(epos + 1..).unwrap_or(&[]))
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = [b'0'; 17];
    let mut nd = 0usize;
    for &b in s.get(..epos).unwrap_or(&[]) {
        if b.is_ascii_digit()
            && let Some(slot) = digits.get_mut(nd)
        {
            *slot = b;
            nd += 1;
        }
    }
    // %g drops trailing zeros (and a trailing point).
    while nd > 1 && digits.get(nd - 1) == Some(&b'0') {
        nd -= 1;
    }
    let digits = digits.get(..nd).unwrap_or(&[]);
    if d.is_sign_negative() {
        out.write_char('-')?;
    }
    if !(-4..17).contains(&exp) {
        let (first, rest) = digits.split_first().unwrap_or((&b'0', &[]));
        out.write_char(char::from(*first))?;
        if !rest.is_empty() {
            out.write_char('.')?;
            out.write_str(text(rest))?;
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(out, "e{sign}{:02}", exp.unsigned_abs())
    } else if exp >= 0 {
        let int_len = exp.unsigned_abs() as usize + 1;
        for i in 0..int_len {
            out.write_char(char::from(digits.get(i).copied().unwrap_or(b'0')))?;
        }
        if nd > int_len {
            out.write_char('.')?;
            out.write_str(text(digits.get(int_len..).unwrap_or(&[])))?;
        }
        Ok(())
    } else {
        out.write_str("0.")?;
        for _ in 0..(exp.unsigned_abs() - 1) {
            out.write_char('0')?;
        }
        out.write_str(text(digits))
    }
}

/// A stack buffer for a number's intermediate text ([`write_g17`],
/// [`write_human`]).
struct Small<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for Small<N> {
    fn default() -> Small<N> {
        Small {
            buf: [0; N],
            len: 0,
        }
    }
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

impl<const N: usize> Small<N> {
    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl<const N: usize> std::fmt::Write for Small<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// [`write_g17`] into a `String`.
pub fn format_g17(d: f64) -> String {
    let mut s = String::with_capacity(24);
    let _ = write_g17(d, &mut s);
    s
}

/// Redis's `addReplyHumanLongDouble` text (`ld2string` in `LD_STR_HUMAN`
/// mode): C's `%.17Lf` of the value with trailing zeros and a trailing
/// point dropped, `-0` printed as `0`, `inf`/`-inf` spelled out. GEOPOS and
/// WITHCOORD print coordinates this way (`13.36138933897018433`). Rust's
/// fixed-precision formatting is exact, as glibc's is, so the digits are
/// the same. Allocation-free when the text fits `out`.
pub fn write_human(d: f64, out: &mut impl std::fmt::Write) -> std::fmt::Result {
    if d.is_infinite() {
        return out.write_str(if d > 0.0 { "inf" } else { "-inf" });
    }
    if d.is_nan() {
        return out.write_str("nan");
    }
    let mut w = Small::<64>::default();
    if std::fmt::Write::write_fmt(&mut w, format_args!("{d:.17}")).is_ok() {
        return out.write_str(trim_human(text(w.as_bytes())));
    }
    // Beyond 1e45: rare (never a coordinate), so it may allocate.
    out.write_str(trim_human(&format!("{d:.17}")))
}

/// [`write_human`] into a `String`.
pub fn format_human(d: f64) -> String {
    let mut s = String::with_capacity(24);
    let _ = write_human(d, &mut s);
    s
}

fn trim_human(s: &str) -> &str {
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    };
    if s == "-0" { "0" } else { s }
}

/// `parseScanCursorOrReply`: strtoul semantics (an optional sign, a
/// negative value wraps, overflow and any other byte are errors, leading
/// space is refused; empty is 0). SCAN, HSCAN, SSCAN and ZSCAN share it.
pub(crate) fn parse_scan_cursor(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-9223372036854775809"), None);
        for bad in [
            &b""[..],
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"-",
            b"1a",
            b"0x10",
            b"1.0",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_i64(b"000000000000000000001"), None);
    }

    #[test]
    fn g17_matches_printf() {
        for (d, want) in [
            (1.1, "1.1000000000000001"),
            (1.2000000000000002, "1.2000000000000002"),
            (0.0, "0"),
            (-0.0, "-0"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (1.5e300, "1.5000000000000001e+300"),
            (1e-310, "9.9999999999999694e-311"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::MAX, "1.7976931348623157e+308"),
        ] {
            assert_eq!(format_g17(d), want, "{d}");
        }
    }

    #[test]
    fn human_matches_ld2string() {
        // Redis 7.0.15's GEOPOS of (13.361389, 38.115556), and edges.
        for (d, want) in [
            (13.361389338970184, "13.36138933897018433"),
            (38.1155563954963, "38.11555639549629859"),
            (0.0, "0"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (-180.0, "-180"),
            (1e-18, "0"),
            (-1e-18, "0"),
            (0.1, "0.10000000000000001"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(format_human(d), want, "{d}");
        }
        assert_eq!(format_human(1e50).len(), "1".len() + 50);
    }

    #[test]
    fn floats() {
        assert_eq!(parse_f64(b"10.5"), Some(10.5));
        assert_eq!(parse_f64(b"+1"), Some(1.0));
        assert_eq!(parse_f64(b"5.0e3"), Some(5000.0));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1 "), None);
        assert_eq!(parse_f64(b"1e"), None);
        assert_eq!(parse_f64(b""), None);
        assert_eq!(format_f64(10.5 + 0.1), "10.6");
        assert_eq!(format_f64(5000.0), "5000");
        assert_eq!(format_f64(-0.0), "0");
        assert_eq!(format_f64(1e21), "1000000000000000000000");
        assert_eq!(format_f64(1.5e-7), "0.00000015");
    }
}
