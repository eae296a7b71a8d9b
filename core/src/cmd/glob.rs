//! Redis glob matching, a port of `stringmatchlen` (util.c): `*`, `?`,
//! `[abc]`, `[^a]`, `[a-z]` and `\` escapes, with Redis's quirks for
//! unterminated classes and reversed ranges. Used by KEYS and SCAN MATCH.

/// Deeper `*` nesting than this is refused (no match) instead of risking the
/// stack, as later Redis versions do.
const MAX_NESTING: u32 = 1000;

/// True when `s` matches the glob `pattern` exactly as Redis would.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, s, nocase, &mut skip_longer, 0)
}

/// Byte at `i`, or 0 past the end (the C code reads the sds NUL terminator).
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

fn lower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

fn eq_byte(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn match_impl(pat: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    let (mut p, mut si) = (0usize, 0usize);
    while p < pat.len() && si < s.len() {
        let c = at(s, si);
        match at(pat, p) {
            b'*' => {
                while p + 1 < pat.len() && at(pat, p + 1) == b'*' {
                    p += 1;
                }
                if pat.len() - p == 1 {
                    return true;
                }
                let rest = pat.get(p + 1..).unwrap_or(&[]);
                while si < s.len() {
                    let tail = s.get(si..).unwrap_or(&[]);
                    if match_impl(rest, tail, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                // No suffix of the string matches the rest of the pattern, so
                // no earlier `*` can help by consuming more: stop them all.
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    let rem = pat.len() - p;
                    let pc = at(pat, p);
                    if pc == b'\\' && rem >= 2 {
                        p += 1;
                        if at(pat, p) == c {
                            matched = true;
                        }
                    } else if pc == b']' && rem > 0 {
                        break;
                    } else if rem == 0 {
                        // Unterminated class: step back so the shared
                        // `p += 1` below lands on the end.
                        p -= 1;
                        break;
                    } else if rem >= 3 && at(pat, p + 1) == b'-' {
                        // C compares (signed) chars on x86.
                        let mut start = i32::from(pc as i8);
                        let mut end = i32::from(at(pat, p + 2) as i8);
                        let mut cc = i32::from(c as i8);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower(start);
                            end = lower(end);
                            cc = lower(cc);
                        }
                        p += 2;
                        if cc >= start && cc <= end {
                            matched = true;
                        }
                    } else if eq_byte(pc, c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            pc => {
                let lit = if pc == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    at(pat, p)
                } else {
                    pc
                };
                if !eq_byte(lit, c, nocase) {
                    return false;
                }
                si += 1;
            }
        }
        p += 1;
        if si == s.len() {
            while at(pat, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pat.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn stars_and_questions() {
        // stringmatchlen never enters its loop for an empty string, so a
        // lone `*` does not match "" (KEYS/SCAN special-case `*` instead).
        assert!(!m("*", ""));
        assert!(!m("a*", ""));
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("a**b", "axxb"));
        assert!(m("a*", "a"));
        assert!(!m("a*b", "a"));
        assert!(!m("", "a"));
        assert!(m("", ""));
        assert!(!m("?", ""));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b*", "xxbxxaxx"));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"), "reversed range is swapped");
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("[\\]]", "]"));
        assert!(
            m("[abc", "c"),
            "unterminated class still matches its members"
        );
        assert!(!m("[abc", "d"));
        assert!(
            m("[^", "x"),
            "unterminated negated empty class matches anything"
        );
        assert!(!m("[", "x"));
        assert!(m("[a-]", "-") == m("[a-]", "-"));
        assert!(m("[]", "]") == m("[]", "]"));
    }

    #[test]
    fn escapes_and_nocase() {
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("\\", "\\"));
        assert!(m("a\\", "a\\"));
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(!glob_match(b"HeLLo", b"hello", false));
        assert!(glob_match(b"[A-C]x", b"bx", true));
        assert!(!glob_match(b"[A-C]x", b"bx", false));
    }

    #[test]
    fn pathological_patterns_terminate() {
        let pat = "a*".repeat(50_000) + "b";
        let s = "a".repeat(60);
        assert!(!m(&pat, &s));
        let pat = "*a".repeat(30) + "b";
        let s = "a".repeat(3000);
        assert!(!m(&pat, &s));
    }
}
