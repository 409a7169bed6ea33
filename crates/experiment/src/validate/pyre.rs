//! Python `re` patterns: checked the way `re.compile` checks them (same
//! accepted syntax, same error messages), then translated to the syntax of
//! `fancy_regex` so they can be matched with Python's meaning.
//!
//! The checker is a port of CPython 3.11's `re._parser` (and the one check
//! `re._compiler` adds: look-behinds must have a fixed width). The
//! translation keeps Python's meaning where the two dialects differ:
//! `$` also matches before a final newline, `{` that does not start a
//! quantifier is a literal, `\Z` is the end of the text, `\s` includes
//! `\x1c`–`\x1f`, `(?a)` makes `\d`, `\w`, `\s` and `\b` ASCII-only, and
//! character classes never nest or combine as they do in the `regex` crate.
//!
//! Known gaps (reported as [`PyReErrorKind::Unsupported`], never as a Python
//! syntax error): `\N{...}` named characters, and the few constructs Python
//! accepts but `fancy_regex` cannot compile (a back-reference inside a
//! look-behind, a conditional on a group opened later, nesting deeper than
//! [`MAX_DEPTH`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Deepest group nesting accepted (Python's own limit is its recursion limit).
pub const MAX_DEPTH: usize = 48;

/// `_sre.MAXREPEAT` on 64-bit builds.
const MAXREPEAT: u64 = 4_294_967_295;
/// `_parser.MAXWIDTH`.
const MAXWIDTH: u128 = 1 << 64;
/// `_sre.MAXCODE` (4-byte code words).
const MAXCODE: u128 = (1 << 32) - 1;

const F_TEMPLATE: u32 = 1;
const F_IGNORECASE: u32 = 2;
const F_LOCALE: u32 = 4;
const F_MULTILINE: u32 = 8;
const F_DOTALL: u32 = 16;
const F_UNICODE: u32 = 32;
const F_VERBOSE: u32 = 64;
const F_ASCII: u32 = 256;
const TYPE_FLAGS: u32 = F_ASCII | F_LOCALE | F_UNICODE;
const GLOBAL_FLAGS: u32 = F_TEMPLATE;

fn flag_of(c: char) -> Option<u32> {
    Some(match c {
        'i' => F_IGNORECASE,
        'L' => F_LOCALE,
        'm' => F_MULTILINE,
        's' => F_DOTALL,
        'x' => F_VERBOSE,
        'a' => F_ASCII,
        't' => F_TEMPLATE,
        'u' => F_UNICODE,
        _ => return None,
    })
}

/// Whether an error means "Python rejects this" or "this build cannot".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyReErrorKind {
    /// `re.compile` raises: the message is Python's `re.error.msg`.
    Syntax,
    /// Python accepts the pattern, this build cannot match it.
    Unsupported,
}

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyReError {
    /// Python's message (for [`PyReErrorKind::Syntax`]) or ours.
    pub msg: String,
    /// Offset, in characters, where Python reports the problem.
    pub pos: usize,
    /// Which side refuses the pattern.
    pub kind: PyReErrorKind,
}

impl fmt::Display for PyReError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for PyReError {}

fn syntax(msg: impl Into<String>, pos: usize) -> PyReError {
    PyReError {
        msg: msg.into(),
        pos,
        kind: PyReErrorKind::Syntax,
    }
}

fn unsupported(msg: impl Into<String>, pos: usize) -> PyReError {
    PyReError {
        msg: msg.into(),
        pos,
        kind: PyReErrorKind::Unsupported,
    }
}

/// Checks `pattern` as `re.compile(pattern)` would and returns the
/// equivalent `fancy_regex` source.
pub fn translate(pattern: &str) -> Result<String, PyReError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut src = Src::new(chars)?;
    let mut state = State::new();
    let p = parse_sub(&mut src, &mut state, false, 0)?;
    // fix_flags
    if state.flags & F_LOCALE != 0 {
        return Err(syntax("cannot use LOCALE flag with a str pattern", 0));
    }
    if state.flags & F_ASCII != 0 && state.flags & F_UNICODE != 0 {
        return Err(syntax("ASCII and UNICODE flags are incompatible", 0));
    }
    if src.next.is_some() {
        return Err(src.error("unbalanced parenthesis", 0));
    }
    for (&g, &pos) in &state.grouprefpos {
        if g >= state.groups() {
            return Err(syntax(format!("invalid group reference {g}"), pos));
        }
    }
    check_compile(&p, &state, 0)?;
    let ctx = Ctx { flags: state.flags };
    let mut out = String::new();
    if ctx.regex_casei() {
        out.push_str("(?i)");
    }
    emit_seq(&p, ctx, &state, &mut out, 0)?;
    Ok(out)
}

/// Checks and compiles a Python `re` pattern for searching (`re.search`).
pub fn compile(pattern: &str) -> Result<fancy_regex::Regex, PyReError> {
    let source = translate(pattern)?;
    fancy_regex::RegexBuilder::new(&source)
        .build()
        .map_err(|e| unsupported(format!("this build cannot compile it ({e})"), 0))
}

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tok {
    c: char,
    esc: bool,
}

impl Tok {
    fn len(self) -> usize {
        if self.esc {
            2
        } else {
            1
        }
    }

    fn text(self) -> String {
        if self.esc {
            format!("\\{}", self.c)
        } else {
            self.c.to_string()
        }
    }

    fn is(self, c: char) -> bool {
        !self.esc && self.c == c
    }
}

struct Src {
    s: Vec<char>,
    index: usize,
    next: Option<Tok>,
}

impl Src {
    fn new(s: Vec<char>) -> Result<Src, PyReError> {
        let mut src = Src {
            s,
            index: 0,
            next: None,
        };
        src.advance()?;
        Ok(src)
    }

    fn advance(&mut self) -> Result<(), PyReError> {
        let i = self.index;
        let Some(&c) = self.s.get(i) else {
            self.next = None;
            return Ok(());
        };
        if c == '\\' {
            let Some(&d) = self.s.get(i + 1) else {
                return Err(syntax(
                    "bad escape (end of pattern)",
                    self.s.len().saturating_sub(1),
                ));
            };
            self.index = i + 2;
            self.next = Some(Tok { c: d, esc: true });
        } else {
            self.index = i + 1;
            self.next = Some(Tok { c, esc: false });
        }
        Ok(())
    }

    fn next_is(&self, c: char) -> bool {
        self.next.is_some_and(|t| t.is(c))
    }

    fn next_in(&self, set: &str) -> bool {
        self.next.is_some_and(|t| !t.esc && set.contains(t.c))
    }

    fn matches(&mut self, c: char) -> Result<bool, PyReError> {
        if self.next_is(c) {
            self.advance()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn get(&mut self) -> Result<Option<Tok>, PyReError> {
        let t = self.next;
        self.advance()?;
        Ok(t)
    }

    fn getwhile(&mut self, n: usize, set: &str) -> Result<String, PyReError> {
        let mut out = String::new();
        for _ in 0..n {
            match self.next {
                Some(t) if !t.esc && set.contains(t.c) => {
                    out.push(t.c);
                    self.advance()?;
                }
                _ => break,
            }
        }
        Ok(out)
    }

    fn getuntil(&mut self, terminator: char, name: &str) -> Result<String, PyReError> {
        let mut result = String::new();
        let mut count = 0usize;
        loop {
            let c = self.next;
            self.advance()?;
            match c {
                None => {
                    if result.is_empty() {
                        return Err(self.error(format!("missing {name}"), 0));
                    }
                    return Err(
                        self.error(format!("missing {terminator}, unterminated name"), count)
                    );
                }
                Some(t) if t.is(terminator) => {
                    if result.is_empty() {
                        return Err(self.error(format!("missing {name}"), 1));
                    }
                    break;
                }
                Some(t) => {
                    result.push_str(&t.text());
                    count += t.len();
                }
            }
        }
        Ok(result)
    }

    fn tell(&self) -> usize {
        self.index - self.next.map_or(0, Tok::len)
    }

    fn seek(&mut self, index: usize) -> Result<(), PyReError> {
        self.index = index;
        self.advance()
    }

    fn error(&self, msg: impl Into<String>, offset: usize) -> PyReError {
        syntax(msg, self.tell().saturating_sub(offset))
    }

    fn checkgroupname(&self, name: &str, offset: usize) -> Result<(), PyReError> {
        if !is_identifier(name) {
            return Err(self.error(
                format!("bad character in group name {}", py_repr_str(name)),
                name.chars().count() + offset,
            ));
        }
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut it = s.chars();
    match it.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    it.all(|c| c == '_' || c.is_alphanumeric())
}

/// Python `repr()` of a string, for names quoted in messages.
fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

// ---------------------------------------------------------------- tree

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cat {
    Digit,
    NotDigit,
    Space,
    NotSpace,
    Word,
    NotWord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Beginning,
    BeginningString,
    Boundary,
    NonBoundary,
    End,
    EndString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetItem {
    Lit(u32),
    Range(u32, u32),
    Cat(Cat),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RepKind {
    Greedy,
    Lazy,
    Possessive,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Lit(u32),
    NotLit(u32),
    Any,
    In {
        negate: bool,
        items: Vec<SetItem>,
    },
    At(At),
    Branch(Vec<Vec<Node>>),
    Repeat {
        min: u64,
        max: u64,
        kind: RepKind,
        item: Vec<Node>,
    },
    Sub {
        group: Option<usize>,
        add: u32,
        del: u32,
        body: Vec<Node>,
    },
    Atomic(Vec<Node>),
    Assert {
        behind: bool,
        neg: bool,
        body: Vec<Node>,
    },
    GroupRef(usize),
    GroupRefExists {
        group: usize,
        yes: Vec<Node>,
        no: Option<Vec<Node>>,
    },
}

/// What an escape stands for.
enum Code {
    Lit(u32),
    Cat(Cat),
    At(At),
    GroupRef(usize),
}

#[derive(Default)]
struct State {
    flags: u32,
    groupdict: HashMap<String, usize>,
    /// Widths of groups 0.. (None while open); group 0 is never closed.
    groupwidths: Vec<Option<(u128, u128)>>,
    lookbehindgroups: Option<usize>,
    grouprefpos: BTreeMap<usize, usize>,
}

impl State {
    fn new() -> State {
        State {
            groupwidths: vec![None],
            ..State::default()
        }
    }

    fn groups(&self) -> usize {
        self.groupwidths.len()
    }

    fn opengroup(&mut self, name: Option<&str>) -> Result<usize, String> {
        let gid = self.groups();
        self.groupwidths.push(None);
        if let Some(name) = name {
            if let Some(&ogid) = self.groupdict.get(name) {
                return Err(format!(
                    "redefinition of group name {} as group {gid}; was group {ogid}",
                    py_repr_str(name)
                ));
            }
            self.groupdict.insert(name.to_string(), gid);
        }
        Ok(gid)
    }

    fn checkgroup(&self, gid: usize) -> bool {
        gid < self.groups() && self.groupwidths.get(gid).is_some_and(|w| w.is_some())
    }

    fn checklookbehindgroup(&self, gid: usize, src: &Src) -> Result<(), PyReError> {
        if let Some(lb) = self.lookbehindgroups {
            if !self.checkgroup(gid) {
                return Err(src.error("cannot refer to an open group", 0));
            }
            if gid >= lb {
                return Err(src.error(
                    "cannot refer to group defined in the same lookbehind subpattern",
                    0,
                ));
            }
        }
        Ok(())
    }
}

fn width(nodes: &[Node], state: &State) -> (u128, u128) {
    let mut lo: u128 = 0;
    let mut hi: u128 = 0;
    for n in nodes {
        match n {
            Node::Branch(alts) => {
                let mut i = MAXWIDTH;
                let mut j = 0;
                for a in alts {
                    let (l, h) = width(a, state);
                    i = i.min(l);
                    j = j.max(h);
                }
                lo = lo.saturating_add(i);
                hi = hi.saturating_add(j);
            }
            Node::Atomic(b) | Node::Sub { body: b, .. } => {
                let (i, j) = width(b, state);
                lo = lo.saturating_add(i);
                hi = hi.saturating_add(j);
            }
            Node::Repeat { min, max, item, .. } => {
                let (i, j) = width(item, state);
                lo = lo.saturating_add(i.saturating_mul(*min as u128));
                if *max == MAXREPEAT && j != 0 {
                    hi = MAXWIDTH;
                } else {
                    hi = hi.saturating_add(j.saturating_mul(*max as u128));
                }
            }
            Node::Lit(_) | Node::NotLit(_) | Node::Any | Node::In { .. } => {
                lo = lo.saturating_add(1);
                hi = hi.saturating_add(1);
            }
            Node::GroupRef(g) => {
                let (i, j) = state
                    .groupwidths
                    .get(*g)
                    .copied()
                    .flatten()
                    .unwrap_or((0, 0));
                lo = lo.saturating_add(i);
                hi = hi.saturating_add(j);
            }
            Node::GroupRefExists { yes, no, .. } => {
                let (mut i, mut j) = width(yes, state);
                if let Some(no) = no {
                    let (l, h) = width(no, state);
                    i = i.min(l);
                    j = j.max(h);
                } else {
                    i = 0;
                }
                lo = lo.saturating_add(i);
                hi = hi.saturating_add(j);
            }
            Node::At(_) | Node::Assert { .. } => {}
        }
    }
    (lo.min(MAXWIDTH), hi.min(MAXWIDTH))
}

// ---------------------------------------------------------------- escapes

const DIGITS: &str = "0123456789";
const OCTDIGITS: &str = "01234567";
const HEXDIGITS: &str = "0123456789abcdefABCDEF";
const WHITESPACE: &str = " \t\n\r\u{b}\u{c}";

fn common_escape(src: &mut Src, c: char, escape: &mut String) -> Result<Option<Code>, PyReError> {
    let digits = match c {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        'N' => {
            if !src.matches('{')? {
                return Err(src.error("missing {", 0));
            }
            let name = src.getuntil('}', "character name")?;
            return Err(unsupported(
                format!("named Unicode characters (\\N{{{name}}}) are not supported by this build; use \\uXXXX"),
                src.tell(),
            ));
        }
        _ => return Ok(None),
    };
    let hex = src.getwhile(digits, HEXDIGITS)?;
    escape.push_str(&hex);
    if hex.len() != digits {
        return Err(src.error(
            format!("incomplete escape {escape}"),
            escape.chars().count(),
        ));
    }
    let v = u32::from_str_radix(&hex, 16).unwrap_or(u32::MAX);
    if c == 'U' && v > 0x10FFFF {
        return Err(src.error(format!("bad escape {escape}"), escape.chars().count()));
    }
    Ok(Some(Code::Lit(v)))
}

fn simple_escape(c: char) -> Option<u32> {
    Some(match c {
        'a' => 7,
        'f' => 12,
        'n' => 10,
        'r' => 13,
        't' => 9,
        'v' => 11,
        '\\' => 92,
        _ => return None,
    })
}

fn category(c: char) -> Option<Cat> {
    Some(match c {
        'd' => Cat::Digit,
        'D' => Cat::NotDigit,
        's' => Cat::Space,
        'S' => Cat::NotSpace,
        'w' => Cat::Word,
        'W' => Cat::NotWord,
        _ => return None,
    })
}

fn class_escape(src: &mut Src, c: char) -> Result<Code, PyReError> {
    if c == 'b' {
        return Ok(Code::Lit(8));
    }
    if let Some(v) = simple_escape(c) {
        return Ok(Code::Lit(v));
    }
    if let Some(cat) = category(c) {
        return Ok(Code::Cat(cat));
    }
    let mut escape = format!("\\{c}");
    if let Some(code) = common_escape(src, c, &mut escape)? {
        return Ok(code);
    }
    if OCTDIGITS.contains(c) {
        escape.push_str(&src.getwhile(2, OCTDIGITS)?);
        let v = u32::from_str_radix(&escape[1..], 8).unwrap_or(u32::MAX);
        if v > 0o377 {
            return Err(src.error(
                format!("octal escape value {escape} outside of range 0-0o377"),
                escape.chars().count(),
            ));
        }
        return Ok(Code::Lit(v));
    }
    if DIGITS.contains(c) || c.is_ascii_alphabetic() {
        return Err(src.error(format!("bad escape {escape}"), escape.chars().count()));
    }
    Ok(Code::Lit(c as u32))
}

fn escape(src: &mut Src, c: char, state: &State) -> Result<Code, PyReError> {
    match c {
        'A' => return Ok(Code::At(At::BeginningString)),
        'b' => return Ok(Code::At(At::Boundary)),
        'B' => return Ok(Code::At(At::NonBoundary)),
        'Z' => return Ok(Code::At(At::EndString)),
        _ => {}
    }
    if let Some(cat) = category(c) {
        return Ok(Code::Cat(cat));
    }
    if let Some(v) = simple_escape(c) {
        return Ok(Code::Lit(v));
    }
    let mut escape = format!("\\{c}");
    if let Some(code) = common_escape(src, c, &mut escape)? {
        return Ok(code);
    }
    if c == '0' {
        escape.push_str(&src.getwhile(2, OCTDIGITS)?);
        return Ok(Code::Lit(u32::from_str_radix(&escape[1..], 8).unwrap_or(0)));
    }
    if DIGITS.contains(c) {
        if let Some(t) = src.next.filter(|t| !t.esc && DIGITS.contains(t.c)) {
            src.advance()?;
            escape.push(t.c);
            let b: Vec<char> = escape.chars().collect();
            if OCTDIGITS.contains(b[1]) && OCTDIGITS.contains(b[2]) && src.next_in(OCTDIGITS) {
                if let Some(t) = src.get()? {
                    escape.push(t.c);
                }
                let v = u32::from_str_radix(&escape[1..], 8).unwrap_or(u32::MAX);
                if v > 0o377 {
                    return Err(src.error(
                        format!("octal escape value {escape} outside of range 0-0o377"),
                        escape.chars().count(),
                    ));
                }
                return Ok(Code::Lit(v));
            }
        }
        let group: usize = escape[1..].parse().unwrap_or(usize::MAX);
        if group < state.groups() {
            if !state.checkgroup(group) {
                return Err(src.error("cannot refer to an open group", escape.chars().count()));
            }
            state.checklookbehindgroup(group, src)?;
            return Ok(Code::GroupRef(group));
        }
        return Err(src.error(
            format!("invalid group reference {group}"),
            escape.chars().count() - 1,
        ));
    }
    if c.is_ascii_alphabetic() {
        return Err(src.error(format!("bad escape {escape}"), escape.chars().count()));
    }
    Ok(Code::Lit(c as u32))
}

// ---------------------------------------------------------------- parser

fn parse_sub(
    src: &mut Src,
    state: &mut State,
    mut verbose: bool,
    nested: usize,
) -> Result<Vec<Node>, PyReError> {
    if nested > MAX_DEPTH {
        return Err(unsupported(
            format!("the pattern nests groups more than {MAX_DEPTH} deep"),
            src.tell(),
        ));
    }
    let mut items: Vec<Vec<Node>> = Vec::new();
    loop {
        let first = nested == 0 && items.is_empty();
        items.push(parse(src, state, verbose, nested + 1, first)?);
        if !src.matches('|')? {
            break;
        }
        if nested == 0 {
            verbose = state.flags & F_VERBOSE != 0;
        }
    }
    if items.len() == 1 {
        return Ok(items.pop().unwrap_or_default());
    }
    Ok(vec![Node::Branch(items)])
}

fn parse(
    src: &mut Src,
    state: &mut State,
    mut verbose: bool,
    nested: usize,
    first: bool,
) -> Result<Vec<Node>, PyReError> {
    let mut sub: Vec<Node> = Vec::new();
    while let Some(this) = src.next {
        if this.is('|') || this.is(')') {
            break;
        }
        src.advance()?;
        if verbose && !this.esc {
            if WHITESPACE.contains(this.c) {
                continue;
            }
            if this.c == '#' {
                loop {
                    match src.get()? {
                        None => break,
                        Some(t) if t.is('\n') => break,
                        _ => {}
                    }
                }
                continue;
            }
        }
        if this.esc {
            match escape(src, this.c, state)? {
                Code::Lit(v) => sub.push(Node::Lit(v)),
                Code::Cat(c) => sub.push(Node::In {
                    negate: false,
                    items: vec![SetItem::Cat(c)],
                }),
                Code::At(a) => sub.push(Node::At(a)),
                Code::GroupRef(g) => sub.push(Node::GroupRef(g)),
            }
            continue;
        }
        match this.c {
            '[' => sub.push(parse_set(src)?),
            '?' | '*' | '+' | '{' => {
                let here = src.tell();
                let (min, max) = match this.c {
                    '?' => (0, 1),
                    '*' => (0, MAXREPEAT),
                    '+' => (1, MAXREPEAT),
                    _ => {
                        if src.next_is('}') {
                            sub.push(Node::Lit('{' as u32));
                            continue;
                        }
                        let mut lo = String::new();
                        let mut hi = String::new();
                        while src.next_in(DIGITS) {
                            if let Some(t) = src.get()? {
                                lo.push(t.c);
                            }
                        }
                        if src.matches(',')? {
                            while src.next_in(DIGITS) {
                                if let Some(t) = src.get()? {
                                    hi.push(t.c);
                                }
                            }
                        } else {
                            hi = lo.clone();
                        }
                        if !src.matches('}')? {
                            sub.push(Node::Lit('{' as u32));
                            src.seek(here)?;
                            continue;
                        }
                        let mut min = 0;
                        let mut max = MAXREPEAT;
                        if !lo.is_empty() {
                            min = parse_count(&lo).ok_or_else(|| {
                                src.error("the repetition number is too large", 0)
                            })?;
                        }
                        if !hi.is_empty() {
                            max = parse_count(&hi).ok_or_else(|| {
                                src.error("the repetition number is too large", 0)
                            })?;
                            if max < min {
                                return Err(src.error(
                                    "min repeat greater than max repeat",
                                    src.tell() - here,
                                ));
                            }
                        }
                        (min, max)
                    }
                };
                let back = src.tell() - here + 1;
                let item = match sub.last() {
                    None | Some(Node::At(_)) => return Err(src.error("nothing to repeat", back)),
                    Some(Node::Repeat { .. }) => return Err(src.error("multiple repeat", back)),
                    Some(Node::Sub {
                        group: None,
                        add: 0,
                        del: 0,
                        body,
                    }) => body.clone(),
                    Some(n) => vec![n.clone()],
                };
                let kind = if src.matches('?')? {
                    RepKind::Lazy
                } else if src.matches('+')? {
                    RepKind::Possessive
                } else {
                    RepKind::Greedy
                };
                sub.pop();
                sub.push(Node::Repeat {
                    min,
                    max,
                    kind,
                    item,
                });
            }
            '.' => sub.push(Node::Any),
            '(' => {
                if let Some(node) =
                    parse_group(src, state, &mut verbose, nested, first, sub.is_empty())?
                {
                    sub.push(node);
                }
            }
            '^' => sub.push(Node::At(At::Beginning)),
            '$' => sub.push(Node::At(At::End)),
            c => sub.push(Node::Lit(c as u32)),
        }
    }
    Ok(sub)
}

fn parse_count(digits: &str) -> Option<u64> {
    let v: u64 = digits.parse().ok()?;
    (v < MAXREPEAT).then_some(v)
}

fn parse_set(src: &mut Src) -> Result<Node, PyReError> {
    let here = src.tell() - 1;
    let negate = src.matches('^')?;
    let mut set: Vec<SetItem> = Vec::new();
    loop {
        let Some(this) = src.get()? else {
            return Err(src.error("unterminated character set", src.tell() - here));
        };
        if this.is(']') && !set.is_empty() {
            break;
        }
        let code1 = if this.esc {
            class_escape(src, this.c)?
        } else {
            Code::Lit(this.c as u32)
        };
        if src.matches('-')? {
            let Some(that) = src.get()? else {
                return Err(src.error("unterminated character set", src.tell() - here));
            };
            if that.is(']') {
                set.push(set_item(code1));
                set.push(SetItem::Lit('-' as u32));
                break;
            }
            let code2 = if that.esc {
                class_escape(src, that.c)?
            } else {
                Code::Lit(that.c as u32)
            };
            let bad = || format!("bad character range {}-{}", this.text(), that.text());
            let off = this.len() + 1 + that.len();
            match (code1, code2) {
                (Code::Lit(lo), Code::Lit(hi)) => {
                    if hi < lo {
                        return Err(src.error(bad(), off));
                    }
                    set.push(SetItem::Range(lo, hi));
                }
                _ => return Err(src.error(bad(), off)),
            }
        } else {
            set.push(set_item(code1));
        }
    }
    let mut uniq: Vec<SetItem> = Vec::new();
    for i in set {
        if !uniq.contains(&i) {
            uniq.push(i);
        }
    }
    if uniq.len() == 1 {
        if let SetItem::Lit(v) = uniq[0] {
            return Ok(if negate {
                Node::NotLit(v)
            } else {
                Node::Lit(v)
            });
        }
    }
    Ok(Node::In {
        negate,
        items: uniq,
    })
}

fn set_item(code: Code) -> SetItem {
    match code {
        Code::Lit(v) => SetItem::Lit(v),
        Code::Cat(c) => SetItem::Cat(c),
        // class_escape only returns literals and categories
        Code::At(_) | Code::GroupRef(_) => SetItem::Lit(0),
    }
}

/// After `(`: returns the node to append, or None (comment, global flags,
/// which append nothing).
fn parse_group(
    src: &mut Src,
    state: &mut State,
    verbose: &mut bool,
    nested: usize,
    first: bool,
    sub_empty: bool,
) -> Result<Option<Node>, PyReError> {
    let start = src.tell() - 1;
    let mut capture = true;
    let mut atomic = false;
    let mut name: Option<String> = None;
    let mut add_flags = 0;
    let mut del_flags = 0;
    if src.matches('?')? {
        let Some(ch) = src.get()? else {
            return Err(src.error("unexpected end of pattern", 0));
        };
        let c = if ch.esc { '\\' } else { ch.c };
        match c {
            'P' => {
                if src.matches('<')? {
                    let n = src.getuntil('>', "group name")?;
                    src.checkgroupname(&n, 1)?;
                    name = Some(n);
                } else if src.matches('=')? {
                    let n = src.getuntil(')', "group name")?;
                    src.checkgroupname(&n, 1)?;
                    let off = n.chars().count() + 1;
                    let Some(&gid) = state.groupdict.get(&n) else {
                        return Err(
                            src.error(format!("unknown group name {}", py_repr_str(&n)), off)
                        );
                    };
                    if !state.checkgroup(gid) {
                        return Err(src.error("cannot refer to an open group", off));
                    }
                    state.checklookbehindgroup(gid, src)?;
                    return Ok(Some(Node::GroupRef(gid)));
                } else {
                    let Some(ch) = src.get()? else {
                        return Err(src.error("unexpected end of pattern", 0));
                    };
                    return Err(
                        src.error(format!("unknown extension ?P{}", ch.text()), ch.len() + 2)
                    );
                }
            }
            ':' => capture = false,
            '#' => {
                loop {
                    if src.next.is_none() {
                        return Err(
                            src.error("missing ), unterminated comment", src.tell() - start)
                        );
                    }
                    if src.get()?.is_some_and(|t| t.is(')')) {
                        break;
                    }
                }
                return Ok(None);
            }
            '=' | '!' | '<' => {
                let mut c = c;
                let mut behind = false;
                let mut outer_lb = None;
                if c == '<' {
                    let Some(ch) = src.get()? else {
                        return Err(src.error("unexpected end of pattern", 0));
                    };
                    if !(ch.is('=') || ch.is('!')) {
                        return Err(
                            src.error(format!("unknown extension ?<{}", ch.text()), ch.len() + 2)
                        );
                    }
                    c = ch.c;
                    behind = true;
                    outer_lb = Some(state.lookbehindgroups);
                    if state.lookbehindgroups.is_none() {
                        state.lookbehindgroups = Some(state.groups());
                    }
                }
                let p = parse_sub(src, state, *verbose, nested + 1)?;
                if let Some(None) = outer_lb {
                    state.lookbehindgroups = None;
                }
                if !src.matches(')')? {
                    return Err(src.error("missing ), unterminated subpattern", src.tell() - start));
                }
                return Ok(Some(Node::Assert {
                    behind,
                    neg: c == '!',
                    body: p,
                }));
            }
            '(' => {
                let condname = src.getuntil(')', "group name")?;
                let off = condname.chars().count() + 1;
                let condgroup = if is_identifier(&condname) {
                    match state.groupdict.get(&condname) {
                        Some(&g) => g,
                        None => {
                            return Err(src.error(
                                format!("unknown group name {}", py_repr_str(&condname)),
                                off,
                            ))
                        }
                    }
                } else {
                    let g = py_int(&condname).ok_or_else(|| {
                        src.error(
                            format!("bad character in group name {}", py_repr_str(&condname)),
                            off,
                        )
                    })?;
                    if g == 0 {
                        return Err(src.error("bad group number", off));
                    }
                    if g >= (1u128 << 30) - 1 {
                        return Err(src.error(format!("invalid group reference {g}"), off));
                    }
                    let g = g as usize;
                    state
                        .grouprefpos
                        .entry(g)
                        .or_insert(src.tell().saturating_sub(off));
                    g
                };
                state.checklookbehindgroup(condgroup, src)?;
                let yes = parse(src, state, *verbose, nested + 1, false)?;
                let no = if src.matches('|')? {
                    let no = parse(src, state, *verbose, nested + 1, false)?;
                    if src.next_is('|') {
                        return Err(src.error("conditional backref with more than two branches", 0));
                    }
                    Some(no)
                } else {
                    None
                };
                if !src.matches(')')? {
                    return Err(src.error("missing ), unterminated subpattern", src.tell() - start));
                }
                return Ok(Some(Node::GroupRefExists {
                    group: condgroup,
                    yes,
                    no,
                }));
            }
            '>' => {
                capture = false;
                atomic = true;
            }
            c if !ch.esc && (flag_of(c).is_some() || c == '-') => match parse_flags(src, state, c)?
            {
                None => {
                    if !first || !sub_empty {
                        return Err(src.error(
                            "global flags not at the start of the expression",
                            src.tell() - start,
                        ));
                    }
                    *verbose = state.flags & F_VERBOSE != 0;
                    return Ok(None);
                }
                Some((a, d)) => {
                    add_flags = a;
                    del_flags = d;
                    capture = false;
                }
            },
            _ => return Err(src.error(format!("unknown extension ?{}", ch.text()), ch.len() + 1)),
        }
    }
    let group = if capture {
        match state.opengroup(name.as_deref()) {
            Ok(g) => Some(g),
            Err(msg) => return Err(src.error(msg, name.map_or(0, |n| n.chars().count()) + 1)),
        }
    } else {
        None
    };
    let sub_verbose = (*verbose || add_flags & F_VERBOSE != 0) && del_flags & F_VERBOSE == 0;
    let p = parse_sub(src, state, sub_verbose, nested + 1)?;
    if !src.matches(')')? {
        return Err(src.error("missing ), unterminated subpattern", src.tell() - start));
    }
    if let Some(g) = group {
        let w = width(&p, state);
        if let Some(slot) = state.groupwidths.get_mut(g) {
            *slot = Some(w);
        }
    }
    if atomic {
        return Ok(Some(Node::Atomic(p)));
    }
    Ok(Some(Node::Sub {
        group,
        add: add_flags,
        del: del_flags,
        body: p,
    }))
}

/// Python `int(s)` for a group number: optional sign, digits, surrounding
/// whitespace and underscores between digits; negatives are refused.
fn py_int(s: &str) -> Option<u128> {
    let t = s.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let mut v: u128 = 0;
    for c in t.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(10)?;
        v = v.saturating_mul(10).saturating_add(d as u128);
    }
    Some(v)
}

fn parse_flags(
    src: &mut Src,
    state: &mut State,
    first_char: char,
) -> Result<Option<(u32, u32)>, PyReError> {
    let mut add_flags = 0;
    let mut del_flags = 0;
    let mut ch = first_char;
    if ch != '-' {
        loop {
            let flag = flag_of(ch).unwrap_or(0);
            if ch == 'L' {
                return Err(src.error(
                    "bad inline flags: cannot use 'L' flag with a str pattern",
                    0,
                ));
            }
            add_flags |= flag;
            if flag & TYPE_FLAGS != 0 && add_flags & TYPE_FLAGS != flag {
                return Err(src.error(
                    "bad inline flags: flags 'a', 'u' and 'L' are incompatible",
                    0,
                ));
            }
            let Some(t) = src.get()? else {
                return Err(src.error("missing -, : or )", 0));
            };
            if !t.esc && ")-:".contains(t.c) {
                ch = t.c;
                break;
            }
            if t.esc || flag_of(t.c).is_none() {
                let msg = if !t.esc && t.c.is_alphabetic() {
                    "unknown flag"
                } else {
                    "missing -, : or )"
                };
                return Err(src.error(msg, t.len()));
            }
            ch = t.c;
        }
    }
    if ch == ')' {
        state.flags |= add_flags;
        return Ok(None);
    }
    if add_flags & GLOBAL_FLAGS != 0 {
        return Err(src.error("bad inline flags: cannot turn on global flag", 1));
    }
    if ch == '-' {
        let Some(t) = src.get()? else {
            return Err(src.error("missing flag", 0));
        };
        if t.esc || flag_of(t.c).is_none() {
            let msg = if !t.esc && t.c.is_alphabetic() {
                "unknown flag"
            } else {
                "missing flag"
            };
            return Err(src.error(msg, t.len()));
        }
        let mut ch = t.c;
        loop {
            let flag = flag_of(ch).unwrap_or(0);
            if flag & TYPE_FLAGS != 0 {
                return Err(src.error(
                    "bad inline flags: cannot turn off flags 'a', 'u' and 'L'",
                    0,
                ));
            }
            del_flags |= flag;
            let Some(t) = src.get()? else {
                return Err(src.error("missing :", 0));
            };
            if t.is(':') {
                break;
            }
            if t.esc || flag_of(t.c).is_none() {
                let msg = if !t.esc && t.c.is_alphabetic() {
                    "unknown flag"
                } else {
                    "missing :"
                };
                return Err(src.error(msg, t.len()));
            }
            ch = t.c;
        }
    }
    if del_flags & GLOBAL_FLAGS != 0 {
        return Err(src.error("bad inline flags: cannot turn off global flag", 1));
    }
    if add_flags & del_flags != 0 {
        return Err(src.error("bad inline flags: flag turned on and off", 1));
    }
    Ok(Some((add_flags, del_flags)))
}

/// The checks `re._compiler` adds: look-behinds have a fixed width, and
/// the (deprecated) template flag refuses repeats.
fn check_compile(nodes: &[Node], state: &State, depth: usize) -> Result<(), PyReError> {
    if depth > 4 * MAX_DEPTH {
        return Ok(());
    }
    for n in nodes {
        match n {
            Node::Assert { behind, body, .. } => {
                if *behind {
                    let (lo, hi) = width(body, state);
                    if lo > MAXCODE {
                        return Err(syntax("looks too much behind", 0));
                    }
                    if lo != hi {
                        return Err(syntax("look-behind requires fixed-width pattern", 0));
                    }
                }
                check_compile(body, state, depth + 1)?;
            }
            Node::Repeat { kind, .. } if state.flags & F_TEMPLATE != 0 => {
                let op = match kind {
                    RepKind::Greedy => "MAX_REPEAT",
                    RepKind::Lazy => "MIN_REPEAT",
                    RepKind::Possessive => "POSSESSIVE_REPEAT",
                };
                return Err(syntax(
                    format!("internal: unsupported template operator {op}"),
                    0,
                ));
            }
            Node::Branch(alts) => {
                for a in alts {
                    check_compile(a, state, depth + 1)?;
                }
            }
            Node::Repeat { item: b, .. } | Node::Sub { body: b, .. } | Node::Atomic(b) => {
                check_compile(b, state, depth + 1)?
            }
            Node::GroupRefExists { yes, no, .. } => {
                check_compile(yes, state, depth + 1)?;
                if let Some(no) = no {
                    check_compile(no, state, depth + 1)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- emitter

#[derive(Clone, Copy)]
struct Ctx {
    flags: u32,
}

impl Ctx {
    fn has(self, f: u32) -> bool {
        self.flags & f != 0
    }

    /// Case-insensitive the `regex` way (Unicode folding).
    fn regex_casei(self) -> bool {
        self.has(F_IGNORECASE) && !self.has(F_ASCII)
    }

    /// Case-insensitive for ASCII letters only, which we spell out.
    fn ascii_casei(self) -> bool {
        self.has(F_IGNORECASE) && self.has(F_ASCII)
    }
}

const ASCII_WORD: &str = "0-9A-Za-z_";
const NEVER: &str = "[^\\x{0}-\\x{10FFFF}]";

fn push_char(out: &mut String, v: u32) {
    match char::from_u32(v) {
        Some(c)
            if c.is_ascii_alphanumeric()
                || (!c.is_ascii() && !c.is_whitespace() && !c.is_control()) =>
        {
            out.push(c)
        }
        Some(_) => out.push_str(&format!("\\x{{{v:X}}}")),
        None => out.push_str(NEVER),
    }
}

fn push_class_char(out: &mut String, v: u32) {
    match char::from_u32(v) {
        Some(c) if c.is_ascii_alphanumeric() => out.push(c),
        Some(_) => out.push_str(&format!("\\x{{{v:X}}}")),
        None => {}
    }
}

fn space_items(ascii: bool) -> &'static str {
    if ascii {
        "\\x{9}-\\x{D}\\x{20}"
    } else {
        "\\s\\x{1C}-\\x{1F}"
    }
}

/// A category as items inside a character class.
fn cat_items(c: Cat, ascii: bool) -> String {
    match c {
        Cat::Digit => (if ascii { "0-9" } else { "\\d" }).to_string(),
        Cat::NotDigit => (if ascii { "[^0-9]" } else { "\\D" }).to_string(),
        Cat::Space => space_items(ascii).to_string(),
        Cat::NotSpace => format!("[^{}]", space_items(ascii)),
        Cat::Word => (if ascii { ASCII_WORD } else { "\\p{L}\\p{N}_" }).to_string(),
        Cat::NotWord => format!("[^{}]", if ascii { ASCII_WORD } else { "\\p{L}\\p{N}_" }),
    }
}

/// The other-case ASCII letters of the range `lo..=hi`, as ranges.
fn ascii_swapped(lo: u32, hi: u32) -> Vec<SetItem> {
    let mut out = Vec::new();
    for (a, b, delta) in [(0x41u32, 0x5Au32, 0x20i64), (0x61, 0x7A, -0x20)] {
        let (l, h) = (lo.max(a), hi.min(b));
        if l <= h {
            out.push(SetItem::Range(
                (l as i64 + delta) as u32,
                (h as i64 + delta) as u32,
            ));
        }
    }
    out
}

fn emit_set(negate: bool, items: &[SetItem], ctx: Ctx, out: &mut String) {
    let ascii = ctx.has(F_ASCII);
    let mut all: Vec<SetItem> = items.to_vec();
    if ctx.ascii_casei() {
        for it in items {
            match *it {
                SetItem::Lit(v) => all.extend(ascii_swapped(v, v)),
                SetItem::Range(lo, hi) => all.extend(ascii_swapped(lo, hi)),
                SetItem::Cat(_) => {}
            }
        }
    }
    let mut body = String::new();
    for it in &all {
        match *it {
            SetItem::Lit(v) => push_class_char(&mut body, v),
            SetItem::Range(lo, hi) => {
                // split around the surrogates, which Rust strings never hold
                let mut ranges = Vec::new();
                if lo < 0xD800 {
                    ranges.push((lo, hi.min(0xD7FF)));
                }
                if hi > 0xDFFF {
                    ranges.push((lo.max(0xE000), hi.min(0x10FFFF)));
                }
                for (a, b) in ranges {
                    if a <= b {
                        push_class_char(&mut body, a);
                        body.push('-');
                        push_class_char(&mut body, b);
                    }
                }
            }
            SetItem::Cat(c) => body.push_str(&cat_items(c, ascii)),
        }
    }
    if body.is_empty() {
        out.push_str(if negate { "(?s:.)" } else { NEVER });
        return;
    }
    out.push('[');
    if negate {
        out.push('^');
    }
    out.push_str(&body);
    out.push(']');
}

fn word_boundary(ascii: bool, negated: bool) -> &'static str {
    match (ascii, negated) {
        (false, false) => "\\b",
        // sre's \B never matches in an empty text
        (false, true) => "(?:\\B(?!\\A\\z))",
        (true, false) => "(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))",
        (true, true) => {
            "(?:(?<=[0-9A-Za-z_])(?=[0-9A-Za-z_])|(?<![0-9A-Za-z_])(?![0-9A-Za-z_])(?!\\A\\z))"
        }
    }
}

/// True when the emitted form of `nodes` can take a quantifier as is.
fn is_atom(nodes: &[Node]) -> bool {
    matches!(
        nodes,
        [Node::Lit(_)
            | Node::NotLit(_)
            | Node::Any
            | Node::In { .. }
            | Node::Branch(_)
            | Node::GroupRef(_)
            | Node::Atomic(_)
            | Node::Sub { .. }
            | Node::GroupRefExists { .. }]
    )
}

fn emit_seq(
    nodes: &[Node],
    ctx: Ctx,
    state: &State,
    out: &mut String,
    depth: usize,
) -> Result<(), PyReError> {
    if depth > 4 * MAX_DEPTH {
        return Err(unsupported("the pattern is nested too deeply", 0));
    }
    for n in nodes {
        emit_node(n, ctx, state, out, depth)?;
    }
    Ok(())
}

fn emit_node(
    n: &Node,
    ctx: Ctx,
    state: &State,
    out: &mut String,
    depth: usize,
) -> Result<(), PyReError> {
    let ascii = ctx.has(F_ASCII);
    match n {
        Node::Lit(v) => match char::from_u32(*v) {
            Some(c) if ctx.ascii_casei() && c.is_ascii_alphabetic() => {
                emit_set(false, &[SetItem::Lit(*v)], ctx, out)
            }
            _ => push_char(out, *v),
        },
        Node::NotLit(v) => emit_set(true, &[SetItem::Lit(*v)], ctx, out),
        Node::Any => out.push_str(if ctx.has(F_DOTALL) {
            "(?s:.)"
        } else {
            "[^\\n]"
        }),
        Node::In { negate, items } => match (negate, items.as_slice()) {
            (false, [SetItem::Cat(Cat::Digit)]) if !ascii => out.push_str("\\d"),
            (false, [SetItem::Cat(Cat::NotDigit)]) if !ascii => out.push_str("\\D"),
            _ => emit_set(*negate, items, ctx, out),
        },
        Node::At(a) => out.push_str(match a {
            At::Beginning => {
                if ctx.has(F_MULTILINE) {
                    "(?m:^)"
                } else {
                    "\\A"
                }
            }
            At::BeginningString => "\\A",
            At::End => {
                if ctx.has(F_MULTILINE) {
                    "(?m:$)"
                } else {
                    "(?=\\n?\\z)"
                }
            }
            At::EndString => "\\z",
            At::Boundary => word_boundary(ascii, false),
            At::NonBoundary => word_boundary(ascii, true),
        }),
        Node::Branch(alts) => {
            out.push_str("(?:");
            for (i, a) in alts.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit_seq(a, ctx, state, out, depth + 1)?;
            }
            out.push(')');
        }
        Node::Repeat {
            min,
            max,
            kind,
            item,
        } => {
            let (_, hi) = width(item, state);
            if hi == 0 {
                // a zero-width item: repeating it changes nothing
                if *min > 0 {
                    out.push_str("(?:");
                    emit_seq(item, ctx, state, out, depth + 1)?;
                    out.push(')');
                }
                return Ok(());
            }
            if is_atom(item) {
                emit_seq(item, ctx, state, out, depth + 1)?;
            } else {
                out.push_str("(?:");
                emit_seq(item, ctx, state, out, depth + 1)?;
                out.push(')');
            }
            match (*min, *max) {
                (0, MAXREPEAT) => out.push('*'),
                (1, MAXREPEAT) => out.push('+'),
                (0, 1) => out.push('?'),
                (m, MAXREPEAT) => out.push_str(&format!("{{{m},}}")),
                (m, x) if m == x => out.push_str(&format!("{{{m}}}")),
                (m, x) => out.push_str(&format!("{{{m},{x}}}")),
            }
            match kind {
                RepKind::Greedy => {}
                RepKind::Lazy => out.push('?'),
                RepKind::Possessive => out.push('+'),
            }
        }
        Node::Sub {
            group,
            add,
            del,
            body,
        } => {
            let inner = Ctx {
                flags: (ctx.flags | add) & !del,
            };
            out.push_str(if group.is_some() { "(" } else { "(?:" });
            let was_i = ctx.regex_casei();
            let now_i = inner.regex_casei();
            if was_i != now_i {
                out.push_str(if now_i { "(?i:" } else { "(?-i:" });
            }
            emit_seq(body, inner, state, out, depth + 1)?;
            if was_i != now_i {
                out.push(')');
            }
            out.push(')');
        }
        Node::Atomic(body) => {
            out.push_str("(?>");
            emit_seq(body, ctx, state, out, depth + 1)?;
            out.push(')');
        }
        Node::Assert { behind, neg, body } => {
            out.push_str(match (behind, neg) {
                (false, false) => "(?=",
                (false, true) => "(?!",
                (true, false) => "(?<=",
                (true, true) => "(?<!",
            });
            emit_seq(body, ctx, state, out, depth + 1)?;
            out.push(')');
        }
        Node::GroupRef(g) => out.push_str(&format!("(?:\\{g})")),
        Node::GroupRefExists { group, yes, no } => {
            out.push_str(&format!("(?:(?({group})(?:"));
            emit_seq(yes, ctx, state, out, depth + 1)?;
            out.push(')');
            if let Some(no) = no {
                out.push_str("|(?:");
                emit_seq(no, ctx, state, out, depth + 1)?;
                out.push(')');
            }
            out.push_str("))");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(p: &str) -> String {
        match translate(p) {
            Ok(t) => panic!("{p:?} accepted as {t:?}"),
            Err(e) => e.msg,
        }
    }

    fn search(p: &str, text: &str) -> bool {
        compile(p)
            .unwrap_or_else(|e| panic!("{p:?}: {e}"))
            .is_match(text)
            .unwrap_or(false)
    }

    #[test]
    fn python_error_messages() {
        assert_eq!(err("(unclosed"), "missing ), unterminated subpattern");
        assert_eq!(err("[0-9"), "unterminated character set");
        assert_eq!(err("*a"), "nothing to repeat");
        assert_eq!(err("a**"), "multiple repeat");
        assert_eq!(err("^*"), "nothing to repeat");
        assert_eq!(err("\\q"), "bad escape \\q");
        assert_eq!(err("a)"), "unbalanced parenthesis");
        assert_eq!(err("[z-a]"), "bad character range z-a");
        assert_eq!(err("[\\d-z]"), "bad character range \\d-z");
        assert_eq!(err("a{3,1}"), "min repeat greater than max repeat");
        assert_eq!(err("\\1(a)"), "invalid group reference 1");
        assert_eq!(err("(a\\1)"), "cannot refer to an open group");
        assert_eq!(err("(?<=a+)b"), "look-behind requires fixed-width pattern");
        assert_eq!(
            err("(?<=a|bc)d"),
            "look-behind requires fixed-width pattern"
        );
        assert_eq!(
            err("a(?i)b"),
            "global flags not at the start of the expression"
        );
        assert_eq!(err("(?P<1a>x)"), "bad character in group name '1a'");
        assert_eq!(err("(?P=nope)"), "unknown group name 'nope'");
        assert_eq!(
            err("(?P<a>x)(?P<a>y)"),
            "redefinition of group name 'a' as group 2; was group 1"
        );
        assert_eq!(err("(?z)"), "unknown extension ?z");
        assert_eq!(
            err("(?L)"),
            "bad inline flags: cannot use 'L' flag with a str pattern"
        );
        assert_eq!(
            err("(?au)"),
            "bad inline flags: flags 'a', 'u' and 'L' are incompatible"
        );
        assert_eq!(err("\\x4"), "incomplete escape \\x4");
        assert_eq!(err("a\\"), "bad escape (end of pattern)");
        assert_eq!(err("[\\A]"), "bad escape \\A");
        assert_eq!(
            err("\\777"),
            "octal escape value \\777 outside of range 0-0o377"
        );
        assert_eq!(err("(?#abc"), "missing ), unterminated comment");
        assert_eq!(err("(?P<a"), "missing >, unterminated name");
        assert_eq!(err("(?"), "unexpected end of pattern");
        assert_eq!(
            err("(?(1)a|b|c)(x)"),
            "conditional backref with more than two branches"
        );
        assert_eq!(err("(?(2)a)(x)"), "invalid group reference 2");
        assert_eq!(err("(?i-i:a)"), "bad inline flags: flag turned on and off");
    }

    #[test]
    fn python_accepts() {
        for p in [
            "${x}",
            "{x}",
            "}",
            "a{",
            "a{,}",
            "a{,3}",
            "x{}",
            "]",
            "[]a]",
            "[^]]",
            "[a-]",
            "[-a]",
            "[[]",
            "(?P<n>a)(?P=n)",
            "(?:^)*",
            "(?=a)*b",
            "a*+",
            "(?>a|ab)c",
            "(?i)abc",
            "(?x) a b # comment\n c",
            "(?i:a)b",
            "(a)(?(1)b|c)",
            "\\d+\\.\\d*",
            "^[0-9] \\$\\{level\\} ${msg} - done$",
            "\\ud800",
            "(?a)\\w+\\b",
        ] {
            translate(p).unwrap_or_else(|e| panic!("{p:?} rejected: {e}"));
            compile(p).unwrap_or_else(|e| panic!("{p:?} not compiled: {e}"));
        }
    }

    #[test]
    fn python_meaning() {
        assert!(search("^hello$", "hello\n"));
        assert!(!search("^hello\\Z", "hello\n"));
        assert!(!search("${x}", "a${x}"));
        assert!(search("\\$\\{x\\}", "a${x}"));
        assert!(search("[0-9]{2}", "you are number 87"));
        assert!(!search("[0-9]{2}", "you are number 8"));
        assert!(search("a{,}b", "aaab"));
        assert!(search("[[]", "["));
        assert!(search("\\s", "\u{1c}"));
        assert!(!search("(?a)\\w", "é"));
        assert!(search("\\w", "é"));
        assert!(search("(?m)^b$", "a\nb\nc"));
        assert!(!search("^b$", "a\nb\nc"));
        assert!(search("(?i)HeLLo", "hello"));
        assert!(search("a.c", "abc") && !search("a.c", "a\nc") && search("(?s)a.c", "a\nc"));
        assert!(search("(a)\\1", "aa"));
        assert!(search(
            "^[0-9] \\$\\{level\\} hello - done$",
            "1 ${level} hello - done"
        ));
    }
}
