//! Tokens of the jsonpath2 grammar (`JSONPath.g4`), with ANTLR's lexing
//! rules: longest match, keywords winning over identifiers of the same
//! length, ASCII whitespace skipped.

use crate::ParseError;

/// One token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// `@`
    At,
    /// `..`
    DotDot,
    /// `$`
    Dollar,
    /// `.`
    Dot,
    /// `*`
    Star,
    /// `and`
    And,
    /// `=`
    Eq,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `!=`
    Ne,
    /// `not`
    Not,
    /// `or`
    Or,
    /// `true`
    True,
    /// `false`
    False,
    /// `null`
    Null,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `:`
    Colon,
    /// `,`
    Comma,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `?`
    Question,
    /// An identifier `[_A-Za-z][_A-Za-z0-9]*` that is not a keyword.
    Id(String),
    /// A double-quoted string: the text between the quotes, escapes kept
    /// verbatim (jsonpath2 does not decode them).
    Str(String),
    /// A JSON number, as written.
    Number(String),
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Id(s) => format!("`{s}`"),
            Tok::Str(s) => format!("the string \"{s}\""),
            Tok::Number(s) => format!("the number `{s}`"),
            Tok::Eof => "the end of the path".to_string(),
            other => format!("`{}`", other.text()),
        }
    }

    fn text(&self) -> &'static str {
        match self {
            Tok::At => "@",
            Tok::DotDot => "..",
            Tok::Dollar => "$",
            Tok::Dot => ".",
            Tok::Star => "*",
            Tok::And => "and",
            Tok::Eq => "=",
            Tok::Ge => ">=",
            Tok::Gt => ">",
            Tok::Le => "<=",
            Tok::Lt => "<",
            Tok::Ne => "!=",
            Tok::Not => "not",
            Tok::Or => "or",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Null => "null",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Colon => ":",
            Tok::Comma => ",",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Question => "?",
            Tok::Id(_) | Tok::Str(_) | Tok::Number(_) | Tok::Eof => "",
        }
    }

    /// Whether this token is one of the grammar's keywords.
    pub(crate) fn keyword(&self) -> Option<&'static str> {
        match self {
            Tok::And | Tok::Or | Tok::Not | Tok::True | Tok::False | Tok::Null => Some(self.text()),
            _ => None,
        }
    }
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) offset: usize,
}

/// Splits `text` into tokens. Lexing stops at the first character no rule
/// accepts: the tokens before it are returned with the error, so that the
/// parser can report an earlier syntax error first (as ANTLR, which lexes on
/// demand, would).
pub(crate) fn tokenize(text: &str) -> (Vec<Token>, Option<ParseError>) {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let single = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'@' => Some(Tok::At),
            b'$' => Some(Tok::Dollar),
            b'*' => Some(Tok::Star),
            b'{' => Some(Tok::LBrace),
            b'}' => Some(Tok::RBrace),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b'?' => Some(Tok::Question),
            b'=' => Some(Tok::Eq),
            _ => None,
        };
        if let Some(tok) = single {
            tokens.push(Token { tok, offset: start });
            i += 1;
            continue;
        }
        let next = bytes.get(i + 1).copied();
        let (tok, len) = match c {
            b'.' if next == Some(b'.') => (Tok::DotDot, 2),
            b'.' => (Tok::Dot, 1),
            b'>' if next == Some(b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'<' if next == Some(b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'!' if next == Some(b'=') => (Tok::Ne, 2),
            b'!' => {
                return (
                    tokens,
                    Some(err(
                        start,
                        "`!` must be followed by `=`; negation is written `not`",
                    )),
                )
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j] == b'_' || bytes[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let word = &text[i..j];
                let tok = match word {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "null" => Tok::Null,
                    _ => Tok::Id(word.to_string()),
                };
                (tok, j - i)
            }
            b'"' => match lex_string(text, i) {
                Ok((raw, len)) => (Tok::Str(raw), len),
                Err(e) => return (tokens, Some(e)),
            },
            b'-' | b'0'..=b'9' => match lex_number(bytes, i) {
                Some(len) => (Tok::Number(text[i..i + len].to_string()), len),
                None => {
                    let example =
                        dashed_key(text, &tokens, start).unwrap_or_else(|| "a-b".to_string());
                    let message = format!(
                        "`-` must start a number; a key containing `-` is written `[\"{example}\"]`"
                    );
                    return (tokens, Some(err(start, message)));
                }
            },
            _ => return (tokens, Some(unexpected_char(text, start))),
        };
        tokens.push(Token { tok, offset: start });
        i += len;
    }
    tokens.push(Token {
        tok: Tok::Eof,
        offset: text.len(),
    });
    (tokens, None)
}

/// For `name-rest` where `name` was just lexed as an identifier: the whole
/// dashed key, for the error message.
fn dashed_key(text: &str, tokens: &[Token], dash: usize) -> Option<String> {
    let last = tokens.last()?;
    let Tok::Id(name) = &last.tok else {
        return None;
    };
    if last.offset + name.len() != dash {
        return None;
    }
    let rest: String = text[dash..]
        .chars()
        .take_while(|c| *c == '-' || *c == '_' || c.is_ascii_alphanumeric())
        .collect();
    Some(format!("{name}{rest}"))
}

fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
    }
}

fn unexpected_char(text: &str, offset: usize) -> ParseError {
    let ch = text[offset..].chars().next().unwrap_or('\u{fffd}');
    let message = match ch {
        '\'' => "single quotes are not allowed: use double quotes".to_string(),
        '&' => "`&` is not an operator: write `and`".to_string(),
        '|' => "`|` is not an operator: write `or`".to_string(),
        c if c.is_whitespace() => {
            format!("{c:?} is not whitespace jsonpath2 accepts (only space, tab, CR and LF)")
        }
        c => format!("unexpected character {c:?}"),
    };
    err(offset, message)
}

/// `STRING : '"' (ESC | SAFECODEPOINT)* '"'`. Returns the raw text between
/// the quotes and the token's byte length.
fn lex_string(text: &str, start: usize) -> Result<(String, usize), ParseError> {
    let mut chars = text[start + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        let at = start + 1 + k;
        match c {
            '"' => return Ok((text[start + 1..at].to_string(), at + 1 - start)),
            '\\' => match chars.next() {
                Some((_, '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't')) => {}
                Some((_, 'u')) => {
                    for _ in 0..4 {
                        match chars.next() {
                            Some((_, h)) if h.is_ascii_hexdigit() => {}
                            _ => {
                                return Err(err(
                                    at,
                                    "invalid `\\u` escape: it needs four hex digits",
                                ))
                            }
                        }
                    }
                }
                Some(_) => return Err(err(at, "invalid escape in string")),
                None => return Err(err(start, "unterminated string: a `\"` is missing")),
            },
            c if (c as u32) < 0x20 => {
                return Err(err(
                    at,
                    "control characters must be escaped inside a string",
                ))
            }
            _ => {}
        }
    }
    Err(err(start, "unterminated string: a `\"` is missing"))
}

/// `NUMBER : '-'? INT ('.' [0-9]+)? EXP?` with `INT : '0' | [1-9][0-9]*` and
/// `EXP : [Ee] [+\-]? INT`. Optional parts that do not match completely are
/// left to the next token, as ANTLR's lexer does. `None` when no digit
/// follows a `-`.
fn lex_number(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    if bytes[i] == b'-' {
        i += 1;
    }
    i = lex_int(bytes, i)?;
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if let Some(end) = lex_int(bytes, j) {
            i = end;
        }
    }
    Some(i - start)
}

fn lex_int(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i) {
        Some(b'0') => Some(i + 1),
        Some(b'1'..=b'9') => {
            let mut j = i + 1;
            while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            Some(j)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let (t, e) = tokenize(s);
        assert!(e.is_none(), "{s}: {e:?}");
        t.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn longest_match_and_keywords() {
        assert_eq!(
            toks("$...a"),
            vec![
                Tok::Dollar,
                Tok::DotDot,
                Tok::Dot,
                Tok::Id("a".into()),
                Tok::Eof
            ]
        );
        assert_eq!(toks("android"), vec![Tok::Id("android".into()), Tok::Eof]);
        assert_eq!(toks("and"), vec![Tok::And, Tok::Eof]);
        assert_eq!(toks("true1"), vec![Tok::Id("true1".into()), Tok::Eof]);
        assert_eq!(
            toks(">= <= != > < ="),
            vec![
                Tok::Ge,
                Tok::Le,
                Tok::Ne,
                Tok::Gt,
                Tok::Lt,
                Tok::Eq,
                Tok::Eof
            ]
        );
        assert_eq!(toks("=="), vec![Tok::Eq, Tok::Eq, Tok::Eof]);
    }

    #[test]
    fn numbers_fall_back_like_antlr() {
        assert_eq!(
            toks("01"),
            vec![Tok::Number("0".into()), Tok::Number("1".into()), Tok::Eof]
        );
        assert_eq!(
            toks("1."),
            vec![Tok::Number("1".into()), Tok::Dot, Tok::Eof]
        );
        assert_eq!(
            toks("1e"),
            vec![Tok::Number("1".into()), Tok::Id("e".into()), Tok::Eof]
        );
        assert_eq!(
            toks("-1.5e+3"),
            vec![Tok::Number("-1.5e+3".into()), Tok::Eof]
        );
        assert_eq!(
            toks("1e05"),
            vec![Tok::Number("1e0".into()), Tok::Number("5".into()), Tok::Eof]
        );
        assert!(tokenize("-").1.is_some());
        assert!(tokenize("- 1").1.is_some());
    }

    #[test]
    fn strings_keep_escapes_verbatim() {
        assert_eq!(
            toks(r#""a\"b\u00e9""#),
            vec![Tok::Str(r#"a\"b\u00e9"#.into()), Tok::Eof]
        );
        assert!(tokenize(r#""\x""#).1.is_some());
        assert!(tokenize(r#""\u12""#).1.is_some());
        assert!(tokenize("\"a").1.is_some());
        assert!(tokenize("\"a\nb\"").1.is_some());
        assert_eq!(toks("\"é\""), vec![Tok::Str("é".into()), Tok::Eof]);
    }

    #[test]
    fn stops_at_first_bad_character() {
        let (t, e) = tokenize("$.a['b']");
        assert_eq!(t.len(), 4);
        let e = e.unwrap();
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("single quotes"));
        assert!(tokenize("\u{a0}").1.is_some());
        assert!(tokenize("é").1.is_some());
    }
}
