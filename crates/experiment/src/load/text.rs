//! Byte offsets to lines and columns.
//!
//! Line breaks are `\n`, `\r\n` and a lone `\r` (Python reads files with
//! universal newlines; the YAML parser counts the same breaks). Columns
//! count characters, from 1.

use crate::Location;

/// The line and column of byte `offset` in `text` (clamped to the text and
/// to a character boundary).
pub(crate) fn location_at(text: &str, offset: usize) -> Location {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text.as_bytes()[..offset];
    let mut line = 1;
    let mut line_start = 0;
    let mut i = 0;
    while i < before.len() {
        match before[i] {
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            b'\r' => {
                if before.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                line += 1;
                line_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    // `\r` then `\n` split by the offset: the `\n` ends the same line.
    let column = text[line_start.min(offset)..offset].chars().count() + 1;
    Location { line, column }
}

/// The byte offset where line `line` (from 1) starts, if the text has it.
pub(crate) fn line_start(text: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return None;
    }
    let bytes = text.as_bytes();
    let mut current = 1;
    let mut i = 0;
    while current < line {
        match bytes.get(i)? {
            b'\n' => current += 1,
            b'\r' => {
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                current += 1;
            }
            _ => {}
        }
        i += 1;
    }
    Some(i)
}

/// The text of line `line` (from 1), without its break.
pub(crate) fn line(text: &str, line: usize) -> Option<&str> {
    let start = line_start(text, line)?;
    let rest = text.get(start..)?;
    if rest.is_empty() && start > 0 && !text.ends_with(['\n', '\r']) {
        return None;
    }
    let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_to_locations() {
        let t = "ab\néc\r\nd\re";
        assert_eq!(location_at(t, 0), Location { line: 1, column: 1 });
        assert_eq!(location_at(t, 2), Location { line: 1, column: 3 });
        assert_eq!(location_at(t, 3), Location { line: 2, column: 1 });
        assert_eq!(location_at(t, 5), Location { line: 2, column: 2 });
        assert_eq!(location_at(t, 4), Location { line: 2, column: 1 }); // inside é
        assert_eq!(location_at(t, 8), Location { line: 3, column: 1 });
        assert_eq!(location_at(t, 10), Location { line: 4, column: 1 });
        assert_eq!(location_at(t, 99), Location { line: 4, column: 2 });
        assert_eq!(line(t, 1), Some("ab"));
        assert_eq!(line(t, 2), Some("éc"));
        assert_eq!(line(t, 3), Some("d"));
        assert_eq!(line(t, 4), Some("e"));
        assert_eq!(line(t, 5), None);
        assert_eq!(line(t, 0), None);
        assert_eq!(line("a\n", 2), Some(""));
        assert_eq!(line("", 1), Some(""));
    }
}
