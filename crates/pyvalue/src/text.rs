//! Character classes Python uses when it prints or parses text.

use crate::unicode_tables::{DIGIT_ZEROS, UNPRINTABLE};

/// Python `str.isspace()` for one character (`Py_UNICODE_ISSPACE`).
///
/// It is Unicode `White_Space` plus the ASCII separators `\x1c`..`\x1f`
/// (checked exhaustively against CPython 3.11).
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// C `isspace()` in the "C" locale (`Py_ISSPACE`): the ASCII whitespace
/// that `int()` and `float()` strip after the non-ASCII spaces were mapped to
/// `' '`.
pub(crate) fn is_ascii_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// The value of a Unicode decimal digit (`Py_UNICODE_TODECIMAL`): ASCII
/// `0`..`9` and every other character of general category `Nd`
/// (e.g. Arabic-Indic `٣` is 3).
pub(crate) fn decimal_digit(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    if c.is_ascii() {
        return None;
    }
    let n = c as u32;
    let idx = DIGIT_ZEROS.partition_point(|&zero| zero <= n);
    let zero = *DIGIT_ZEROS.get(idx.checked_sub(1)?)?;
    let d = n - zero;
    (d < 10).then_some(d as u8)
}

/// Python `str.isprintable()` for one character: what `repr()` keeps as is.
pub(crate) fn is_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let n = c as u32;
    let idx = UNPRINTABLE.partition_point(|&(lo, _)| lo <= n);
    match idx.checked_sub(1).map(|i| UNPRINTABLE[i]) {
        Some((_, hi)) => n > hi,
        None => true,
    }
}

/// Maps a string the way CPython prepares text for `int()` and `float()`
/// (`_PyUnicode_TransformDecimalAndSpaceToASCII`): ASCII is kept, non-ASCII
/// whitespace becomes `' '`, non-ASCII decimal digits become their ASCII
/// digit, and anything else becomes `'?'` (which no grammar accepts).
pub(crate) fn transform_decimal_and_space(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                c
            } else if is_py_space(c) {
                ' '
            } else if let Some(d) = decimal_digit(c) {
                char::from(b'0' + d)
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace() {
        for c in [
            ' ', '\t', '\n', '\u{0b}', '\u{0c}', '\r', '\u{1c}', '\u{1f}',
        ] {
            assert!(is_py_space(c), "{c:?}");
        }
        for c in [
            '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{200a}', '\u{3000}',
        ] {
            assert!(is_py_space(c), "{c:?}");
        }
        for c in ['a', '\0', '\u{200b}', '\u{180e}', '_'] {
            assert!(!is_py_space(c), "{c:?}");
        }
        assert!(!is_ascii_c_space('\u{1c}'));
        assert!(is_ascii_c_space('\u{0b}'));
    }

    #[test]
    fn decimal_digits() {
        assert_eq!(decimal_digit('7'), Some(7));
        assert_eq!(decimal_digit('\u{663}'), Some(3)); // ARABIC-INDIC DIGIT THREE
        assert_eq!(decimal_digit('\u{ff11}'), Some(1)); // FULLWIDTH DIGIT ONE
        assert_eq!(decimal_digit('\u{1fbf9}'), Some(9)); // SEGMENTED DIGIT NINE
        assert_eq!(decimal_digit('\u{1fbfa}'), None);
        assert_eq!(decimal_digit('\u{b2}'), None); // superscript two is not decimal
        assert_eq!(decimal_digit('a'), None);
        assert_eq!(decimal_digit('\u{65f}'), None);
    }

    #[test]
    fn printable() {
        assert!(is_printable(' '));
        assert!(is_printable('é'));
        assert!(is_printable('€'));
        assert!(is_printable('日'));
        assert!(is_printable('😀'));
        assert!(!is_printable('\u{7f}'));
        assert!(!is_printable('\u{85}'));
        assert!(!is_printable('\u{a0}')); // NO-BREAK SPACE (Zs)
        assert!(!is_printable('\u{ad}')); // SOFT HYPHEN (Cf)
        assert!(!is_printable('\u{200b}')); // ZERO WIDTH SPACE (Cf)
        assert!(!is_printable('\u{2028}')); // LINE SEPARATOR (Zl)
        assert!(!is_printable('\u{e000}')); // private use
        assert!(!is_printable('\u{378}')); // unassigned
        assert!(!is_printable('\u{10ffff}'));
    }

    #[test]
    fn transform() {
        assert_eq!(
            transform_decimal_and_space("\u{a0}\u{663}4x\u{e9}"),
            " 34x?"
        );
    }
}
