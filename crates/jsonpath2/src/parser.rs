//! A recursive-descent parser for `JSONPath.g4` (jsonpath2 0.4.5).
//!
//! ```text
//! jsonpath      : '$' subscript? EOF
//! jsonpath_     : ('$' | '@') subscript?
//! jsonpath__    : jsonpath_ | value
//! subscript     : '..' (bareword | subscriptables) subscript?
//!               | '.' bareword subscript?
//!               | subscriptables subscript?
//! subscriptables: '[' subscriptable (',' subscriptable)* ']'
//! arguments     : '(' (jsonpath__ (',' jsonpath__)*)? ')'
//! bareword      : ID arguments? | '*'
//! subscriptable : STRING | INT sliceable? | sliceable | '*'
//!               | '?' '(' expression ')' | jsonpath_ | ID arguments
//! sliceable     : ':' INT? (':' INT?)?
//! expression    : or ('and' or)*          -- `or` binds tighter than `and`
//! or            : not ('or' not)*
//! not           : 'not' not | '(' expression ')' | jsonpath__ (op jsonpath__)?
//! ```
//!
//! Recursion is bounded by [`MAX_DEPTH`] nesting levels; step chains,
//! `and`/`or` chains and `not` runs are parsed with loops.

use serde_json::{Map, Number, Value};

use crate::ast::{CmpOp, Expr, Func, Operand, Path, Selector, Start, Step};
use crate::lexer::{tokenize, Tok, Token};
use crate::ParseError;

/// Deepest nesting of brackets, parentheses and braces accepted.
pub const MAX_DEPTH: usize = 64;

pub(crate) fn parse(text: &str) -> Result<Path, ParseError> {
    let (tokens, lex_error) = tokenize(text);
    let mut parser = Parser {
        tokens,
        pos: 0,
        lex_error,
        depth: 0,
    };
    parser.parse_root()
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// The lexical error the token list stops at, if any.
    lex_error: Option<ParseError>,
    depth: usize,
}

fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
    }
}

impl Parser {
    /// The next token, or the lexical error that stopped tokenizing.
    fn peek(&self) -> Result<&Token, ParseError> {
        match self.tokens.get(self.pos) {
            Some(t) => Ok(t),
            None => Err(self.lex_error.clone().unwrap_or_else(|| {
                // Unreachable: without a lexical error the list ends with Eof,
                // which is never consumed.
                err(
                    self.tokens.last().map_or(0, |t| t.offset),
                    "unexpected end of the path",
                )
            })),
        }
    }

    fn peek_tok(&self) -> Result<&Tok, ParseError> {
        self.peek().map(|t| &t.tok)
    }

    fn offset(&self) -> usize {
        match self.tokens.get(self.pos) {
            Some(t) => t.offset,
            None => self.lex_error.as_ref().map_or(0, |e| e.offset),
        }
    }

    fn bump(&mut self) -> Result<Token, ParseError> {
        let t = self.peek()?.clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        Ok(t)
    }

    fn eat(&mut self, tok: &Tok) -> Result<bool, ParseError> {
        if self.peek_tok()? == tok {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                self.offset(),
                format!("the path nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// An error for the next token, which is not what `expected` says.
    fn unexpected(&self, expected: &str) -> ParseError {
        let token = match self.peek() {
            Ok(t) => t,
            Err(e) => return e,
        };
        let found = token.tok.describe();
        let hint = match &token.tok {
            Tok::Eq if self.pos > 0 && self.tokens[self.pos - 1].tok == Tok::Eq => {
                return err(
                    token.offset,
                    "`==` is not jsonpath2: equality is a single `=`",
                )
            }
            Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge => {
                "; comparisons only go inside a filter, e.g. `[?(@.x = 1)]`".to_string()
            }
            Tok::Eof if self.depth > 0 => "; a bracket or parenthesis is left open".to_string(),
            _ => String::new(),
        };
        err(
            token.offset,
            format!("expected {expected}, found {found}{hint}"),
        )
    }

    fn expect(&mut self, tok: &Tok, expected: &str) -> Result<(), ParseError> {
        if self.eat(tok)? {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn parse_root(&mut self) -> Result<Path, ParseError> {
        let first = self.peek()?;
        match &first.tok {
            Tok::Dollar => {}
            Tok::At => {
                return Err(err(
                    first.offset,
                    "a path starts with `$` (`@` is the current node, only inside filters and brackets)",
                ))
            }
            Tok::Id(name) => {
                return Err(err(first.offset, format!("a path starts with `$` (write `$.{name}…`)")))
            }
            _ => return Err(err(first.offset, "a path starts with `$`")),
        }
        self.pos += 1;
        let steps = self.parse_steps()?;
        if self.peek_tok()? != &Tok::Eof {
            let t = self.peek()?;
            return Err(match &t.tok {
                Tok::RBracket => err(t.offset, "unbalanced brackets: this `]` closes nothing"),
                Tok::RParen => err(t.offset, "unbalanced parentheses: this `)` closes nothing"),
                _ => self.unexpected("`.`, `..`, `[` or the end of the path"),
            });
        }
        Ok(Path {
            start: Start::Root,
            steps,
        })
    }

    /// `subscript?`: a possibly empty chain of steps.
    fn parse_steps(&mut self) -> Result<Vec<Step>, ParseError> {
        let mut steps = Vec::new();
        loop {
            match self.peek_tok()? {
                Tok::DotDot => {
                    self.pos += 1;
                    let selectors = if self.peek_tok()? == &Tok::LBracket {
                        self.parse_subscriptables()?
                    } else {
                        vec![self.parse_bareword("`..`")?]
                    };
                    steps.push(Step {
                        recursive: true,
                        selectors,
                    });
                }
                Tok::Dot => {
                    self.pos += 1;
                    let selector = self.parse_bareword("`.`")?;
                    steps.push(Step {
                        recursive: false,
                        selectors: vec![selector],
                    });
                }
                Tok::LBracket => {
                    let selectors = self.parse_subscriptables()?;
                    steps.push(Step {
                        recursive: false,
                        selectors,
                    });
                }
                _ => return Ok(steps),
            }
        }
    }

    /// `ID arguments? | '*'` after `.` or `..`.
    fn parse_bareword(&mut self, after: &str) -> Result<Selector, ParseError> {
        let token = self.peek()?.clone();
        match &token.tok {
            Tok::Star => {
                self.pos += 1;
                Ok(Selector::Wildcard)
            }
            Tok::Id(name) => {
                self.pos += 1;
                if self.peek_tok()? == &Tok::LParen {
                    self.parse_call(name, token.offset)
                } else {
                    Ok(Selector::Key(name.clone()))
                }
            }
            Tok::Number(n) => Err(err(
                token.offset,
                format!("{after} must be followed by a name or `*`; an index is written `[{n}]`"),
            )),
            Tok::Str(s) => Err(err(
                token.offset,
                format!("{after} must be followed by a name or `*`; a quoted key is written `[\"{s}\"]`"),
            )),
            t if t.keyword().is_some() => {
                let kw = t.keyword().unwrap_or_default();
                Err(err(
                    token.offset,
                    format!("`{kw}` is a keyword, not a name: write the key as `[\"{kw}\"]`"),
                ))
            }
            Tok::LBracket if after == "`.`" => Err(err(
                token.offset,
                "`.` must be followed by a name or `*`; brackets follow a step directly, as in `$.a[\"b\"]`",
            )),
            _ => Err(self.unexpected(&format!("a name or `*` after {after}"))),
        }
    }

    /// `fn(args)`; the name was just consumed.
    fn parse_call(&mut self, name: &str, offset: usize) -> Result<Selector, ParseError> {
        let Some(func) = Func::from_name(name) else {
            return Err(err(
                offset,
                format!("unknown function `{name}`: jsonpath2 has {}", Func::NAMES),
            ));
        };
        let args = self.parse_arguments()?;
        Ok(Selector::Call(func, args))
    }

    fn parse_arguments(&mut self) -> Result<Vec<Operand>, ParseError> {
        self.enter()?;
        self.expect(&Tok::LParen, "`(`")?;
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen)? {
            loop {
                args.push(self.parse_operand("a function argument (a path or a JSON value)")?);
                if self.eat(&Tok::RParen)? {
                    break;
                }
                if !self.eat(&Tok::Comma)? {
                    return Err(self.unexpected("`,` or `)` in the function arguments"));
                }
            }
        }
        self.leave();
        Ok(args)
    }

    fn parse_subscriptables(&mut self) -> Result<Vec<Selector>, ParseError> {
        self.enter()?;
        let open = self.offset();
        self.expect(&Tok::LBracket, "`[`")?;
        if self.peek_tok()? == &Tok::RBracket {
            return Err(err(
                self.offset(),
                "empty brackets: put a key, an index, a slice, `*`, a filter or a path inside `[...]`",
            ));
        }
        let mut selectors = Vec::new();
        loop {
            selectors.push(self.parse_subscriptable()?);
            if self.eat(&Tok::RBracket)? {
                break;
            }
            if self.eat(&Tok::Comma)? {
                continue;
            }
            if self.peek_tok()? == &Tok::Eof {
                return Err(err(open, "unbalanced brackets: this `[` is never closed"));
            }
            return Err(self.unexpected("`,` or `]`"));
        }
        self.leave();
        Ok(selectors)
    }

    fn parse_subscriptable(&mut self) -> Result<Selector, ParseError> {
        let token = self.peek()?.clone();
        match &token.tok {
            Tok::Str(s) => {
                self.pos += 1;
                Ok(Selector::Key(s.clone()))
            }
            Tok::Number(_) => {
                let start = self.parse_int()?;
                if self.peek_tok()? == &Tok::Colon {
                    self.parse_slice(Some(start))
                } else {
                    Ok(Selector::Index(start))
                }
            }
            Tok::Colon => self.parse_slice(None),
            Tok::Star => {
                self.pos += 1;
                Ok(Selector::Wildcard)
            }
            Tok::Question => {
                self.pos += 1;
                self.enter()?;
                if self.peek_tok()? != &Tok::LParen {
                    return Err(self.unexpected("`(`: a filter is written `?( expression )`"));
                }
                self.pos += 1;
                let expr = self.parse_expression()?;
                self.expect_close_paren()?;
                self.leave();
                Ok(Selector::Filter(Box::new(expr)))
            }
            Tok::Dollar | Tok::At => Ok(Selector::Path(Box::new(self.parse_path()?))),
            Tok::Id(name) => {
                self.pos += 1;
                if self.peek_tok()? == &Tok::LParen {
                    self.parse_call(name, token.offset)
                } else {
                    Err(err(
                        token.offset,
                        format!(
                            "a bare name inside brackets must be a function call such as `{name}()`; \
                             a key is written `[\"{name}\"]`"
                        ),
                    ))
                }
            }
            t if t.keyword().is_some() => {
                let kw = t.keyword().unwrap_or_default();
                Err(err(token.offset, format!("`{kw}` is a keyword: a key is written `[\"{kw}\"]`")))
            }
            Tok::Eof => Err(self.unexpected("a subscript")),
            Tok::LParen => Err(err(
                token.offset,
                "script expressions `(...)` are not jsonpath2: use an index, a slice or a filter `?(...)`",
            )),
            _ => Err(self.unexpected(
                "a key (double-quoted), an index, a slice, `*`, a filter `?(...)`, a path or a function call",
            )),
        }
    }

    /// `':' INT? (':' INT?)?` after the optional start.
    fn parse_slice(&mut self, start: Option<i64>) -> Result<Selector, ParseError> {
        self.expect(&Tok::Colon, "`:`")?;
        let mut end = None;
        let mut step = None;
        if matches!(self.peek_tok()?, Tok::Number(_)) {
            end = Some(self.parse_int()?);
        }
        if self.eat(&Tok::Colon)? && matches!(self.peek_tok()?, Tok::Number(_)) {
            step = Some(self.parse_int()?);
        }
        Ok(Selector::Slice { start, end, step })
    }

    /// A NUMBER token that must be an integer (jsonpath2's `tryCast(int)`),
    /// saturated to `i64` (an out-of-range index or slice bound behaves the
    /// same either way).
    fn parse_int(&mut self) -> Result<i64, ParseError> {
        let token = self.bump()?;
        let Tok::Number(text) = &token.tok else {
            return Err(err(token.offset, "expected an integer"));
        };
        if text.contains(['.', 'e', 'E']) {
            return Err(err(
                token.offset,
                format!("an index or slice bound must be an integer, not `{text}`"),
            ));
        }
        Ok(saturating_int(text))
    }

    /// `('$' | '@') subscript?`
    fn parse_path(&mut self) -> Result<Path, ParseError> {
        let start = match self.bump()?.tok {
            Tok::Dollar => Start::Root,
            _ => Start::Current,
        };
        let steps = self.parse_steps()?;
        Ok(Path { start, steps })
    }

    fn expect_close_paren(&mut self) -> Result<(), ParseError> {
        match self.peek_tok()? {
            Tok::RParen => {
                self.pos += 1;
                Ok(())
            }
            Tok::Eq if self.pos > 0 && self.tokens[self.pos - 1].tok == Tok::Eq => {
                Err(self.unexpected(""))
            }
            Tok::Eof => Err(self.unexpected("`)`")),
            _ => Err(self.unexpected("`and`, `or`, a comparison or `)`")),
        }
    }

    /// `expression`: `and` of `or`s of `not`s.
    fn parse_expression(&mut self) -> Result<Expr, ParseError> {
        let mut all = vec![self.parse_or()?];
        while self.eat(&Tok::And)? {
            all.push(self.parse_or()?);
        }
        Ok(if all.len() == 1 {
            all.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::And(all)
        })
    }

    fn parse_or(&mut self) -> Result<Expr, ParseError> {
        let mut any = vec![self.parse_not()?];
        while self.eat(&Tok::Or)? {
            any.push(self.parse_not()?);
        }
        Ok(if any.len() == 1 {
            any.pop().unwrap_or(Expr::Or(Vec::new()))
        } else {
            Expr::Or(any)
        })
    }

    fn parse_not(&mut self) -> Result<Expr, ParseError> {
        let mut negate = false;
        while self.eat(&Tok::Not)? {
            negate = !negate;
        }
        let expr = if self.peek_tok()? == &Tok::LParen {
            self.enter()?;
            self.pos += 1;
            let inner = self.parse_expression()?;
            self.expect_close_paren()?;
            self.leave();
            inner
        } else {
            let left = self.parse_operand("a path, a JSON value, `not` or `(`")?;
            let op = match self.peek_tok()? {
                Tok::Eq => Some(CmpOp::Eq),
                Tok::Ne => Some(CmpOp::Ne),
                Tok::Lt => Some(CmpOp::Lt),
                Tok::Le => Some(CmpOp::Le),
                Tok::Gt => Some(CmpOp::Gt),
                Tok::Ge => Some(CmpOp::Ge),
                _ => None,
            };
            match op {
                Some(op) => {
                    self.pos += 1;
                    let right =
                        self.parse_operand("a path or a JSON value after the comparison")?;
                    Expr::Cmp(left, op, right)
                }
                None => Expr::Some(left),
            }
        };
        Ok(if negate {
            Expr::Not(Box::new(expr))
        } else {
            expr
        })
    }

    /// `jsonpath__`: a path or a JSON value.
    fn parse_operand(&mut self, expected: &str) -> Result<Operand, ParseError> {
        match self.peek_tok()? {
            Tok::Dollar | Tok::At => Ok(Operand::Path(self.parse_path()?)),
            Tok::Number(text) => {
                let text = text.clone();
                self.pos += 1;
                let (value, big_int) = number_literal(&text);
                Ok(Operand::Literal { value, big_int })
            }
            Tok::Str(_) | Tok::LBrace | Tok::LBracket | Tok::True | Tok::False | Tok::Null => {
                Ok(Operand::Literal {
                    value: self.parse_value()?,
                    big_int: None,
                })
            }
            Tok::Id(name) => {
                let name = name.clone();
                Err(err(
                    self.offset(),
                    format!(
                        "expected {expected}, found `{name}`; a relative path is written `@.{name}` \
                         and a string `\"{name}\"`"
                    ),
                ))
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    /// A JSON `value` (strings are kept verbatim, as jsonpath2 does).
    fn parse_value(&mut self) -> Result<Value, ParseError> {
        let token = self.bump()?;
        Ok(match token.tok {
            Tok::Str(s) => Value::String(s),
            Tok::Number(text) => number_literal(&text).0,
            Tok::True => Value::Bool(true),
            Tok::False => Value::Bool(false),
            Tok::Null => Value::Null,
            Tok::LBracket => {
                self.enter()?;
                let mut items = Vec::new();
                if !self.eat(&Tok::RBracket)? {
                    loop {
                        items.push(self.parse_value_in("a JSON value in the array")?);
                        if self.eat(&Tok::RBracket)? {
                            break;
                        }
                        if !self.eat(&Tok::Comma)? {
                            return Err(self.unexpected("`,` or `]` in the array"));
                        }
                    }
                }
                self.leave();
                Value::Array(items)
            }
            Tok::LBrace => {
                self.enter()?;
                let mut map = Map::new();
                if !self.eat(&Tok::RBrace)? {
                    loop {
                        let key = match self.peek_tok()? {
                            Tok::Str(s) => s.clone(),
                            _ => return Err(self.unexpected("a double-quoted key in the object")),
                        };
                        self.pos += 1;
                        self.expect(&Tok::Colon, "`:` after the object key")?;
                        let value = self.parse_value_in("a JSON value in the object")?;
                        // Python dict: a repeated key keeps its first place
                        // and takes the last value.
                        map.insert(key, value);
                        if self.eat(&Tok::RBrace)? {
                            break;
                        }
                        if !self.eat(&Tok::Comma)? {
                            return Err(self.unexpected("`,` or `}` in the object"));
                        }
                    }
                }
                self.leave();
                Value::Object(map)
            }
            _ => {
                self.pos -= usize::from(token.tok != Tok::Eof);
                return Err(self.unexpected("a JSON value"));
            }
        })
    }

    fn parse_value_in(&mut self, expected: &str) -> Result<Value, ParseError> {
        match self.peek_tok()? {
            Tok::Str(_)
            | Tok::Number(_)
            | Tok::LBrace
            | Tok::LBracket
            | Tok::True
            | Tok::False
            | Tok::Null => self.parse_value(),
            _ => Err(self.unexpected(expected)),
        }
    }
}

/// Saturating conversion of an integer NUMBER token.
fn saturating_int(text: &str) -> i64 {
    text.parse::<i64>().unwrap_or(if text.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// A NUMBER in a value position: a Python `float` when it has a fraction or
/// an exponent, otherwise an `int`. Ints beyond `u64`/`i64` become floats
/// (with the saturated int kept aside); infinite floats are clamped to the
/// largest finite ones, since JSON values cannot hold infinities.
fn number_literal(text: &str) -> (Value, Option<i64>) {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(i) = text.parse::<i64>() {
            return (Value::Number(i.into()), None);
        }
        if let Ok(u) = text.parse::<u64>() {
            return (Value::Number(u.into()), None);
        }
        return (float_value(text), Some(saturating_int(text)));
    }
    (float_value(text), None)
}

fn float_value(text: &str) -> Value {
    let f: f64 = text.parse().unwrap_or(0.0);
    let f = if f.is_finite() {
        f
    } else if f > 0.0 {
        f64::MAX
    } else {
        f64::MIN
    };
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}
