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

/// The text of line `line` (from 1), without its break (the scan that
/// [`Lines::line`] is checked against).
#[cfg(test)]
pub(crate) fn line(text: &str, line: usize) -> Option<&str> {
    let start = line_start(text, line)?;
    let rest = text.get(start..)?;
    if rest.is_empty() && start > 0 && !text.ends_with(['\n', '\r']) {
        return None;
    }
    let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Where every line starts, computed once per document: diagnostics by the
/// thousand must not each rescan the text from its start.
#[derive(Debug, Clone)]
pub(crate) struct Lines {
    starts: Vec<usize>,
    /// Whether each line is ASCII: then a column is a byte count, and a
    /// one-line document of 60 KB is not recounted for every diagnostic.
    ascii: Vec<bool>,
    /// Where each line's text ends (before its break).
    ends: Vec<usize>,
}

impl Lines {
    /// Indexes `text`.
    pub(crate) fn new(text: &str) -> Lines {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut ends = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    ends.push(i);
                    starts.push(i + 1);
                }
                b'\r' => {
                    ends.push(i);
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        ends.push(bytes.len());
        let ascii = (0..starts.len())
            .map(|i| {
                let end = starts.get(i + 1).copied().unwrap_or(bytes.len());
                bytes[starts[i]..end].is_ascii()
            })
            .collect();
        Lines {
            starts,
            ends,
            ascii,
        }
    }

    /// Characters in line `line` (from 1), without its break.
    pub(crate) fn width(&self, text: &str, line: usize) -> Option<usize> {
        let l = self.line(text, line)?;
        Some(if self.ascii[line - 1] {
            l.len()
        } else {
            l.chars().count()
        })
    }

    /// [`location_at`], by binary search.
    pub(crate) fn location_at(&self, text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let index = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let bytes = text.as_bytes();
        if offset > 0 && bytes.get(offset) == Some(&b'\n') && bytes[offset - 1] == b'\r' {
            // Between the two bytes of a `\r\n`: the `\r` already ended the line.
            return Location {
                line: index + 2,
                column: 1,
            };
        }
        let start = self.starts[index].min(offset);
        let column = if self.ascii[index] {
            offset - start
        } else {
            text[start..offset].chars().count()
        };
        Location {
            line: index + 1,
            column: column + 1,
        }
    }

    /// [`line`], without rescanning.
    pub(crate) fn line<'t>(&self, text: &'t str, line: usize) -> Option<&'t str> {
        let index = line.checked_sub(1)?;
        text.get(*self.starts.get(index)?..*self.ends.get(index)?)
    }
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

    #[test]
    fn the_index_answers_as_the_scans_do() {
        for t in ["ab\néc\r\nd\re", "a\n", "", "x", "\n\n", "é\r"] {
            let lines = Lines::new(t);
            for offset in 0..t.len() + 3 {
                assert_eq!(
                    lines.location_at(t, offset),
                    location_at(t, offset),
                    "{t:?} at {offset}"
                );
            }
            for n in 0..6 {
                assert_eq!(lines.line(t, n), line(t, n), "{t:?} line {n}");
                assert_eq!(
                    lines.width(t, n),
                    line(t, n).map(|l| l.chars().count()),
                    "{t:?} width {n}"
                );
            }
        }
    }
}
