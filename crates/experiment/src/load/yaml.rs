//! YAML as PyYAML's `safe_load` reads it (YAML 1.1), on top of the
//! `saphyr-parser` event stream.
//!
//! Two passes, like PyYAML's composer and constructor:
//!
//! 1. **compose**: events become a graph of nodes. An alias is a node that
//!    points at its anchored node (nothing is copied), and each mapping's
//!    merge keys (`<<`) are flattened when it ends, as PyYAML's
//!    `flatten_mapping` does: merged pairs first (for a list of mappings,
//!    the last one first), then the mapping's own pairs; the last of equal
//!    keys wins, at the place of the first.
//! 2. **construct**: the graph becomes a [`Value`] tree and a parallel tree
//!    of source positions ([`Spans`]).
//!
//! Scalars follow PyYAML's resolver and `SafeConstructor` (see
//! [`scalar`]): a plain scalar, or one tagged with the non-specific `!`,
//! is resolved by its text; a quoted or block scalar is a string; the
//! standard tags (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
//! `!!timestamp`, `!!binary`, `!!seq`, `!!map`, `!!set`, `!!omap`,
//! `!!pairs`) are honoured and any other tag (`!!python/...`, `!foo`) is an
//! error, as in the reference.
//!
//! Where a Python value has no JSON form:
//!
//! * dates and timestamps become the strings `isoformat()` gives
//!   (`2024-01-02`, `2024-01-02T03:04:05+00:00`);
//! * a mapping key that is not a string becomes Python's `str()` of it
//!   (`1` → `"1"`, `true` → `"True"`, `~` → `"None"`, `1.5` → `"1.5"`, a
//!   date → `"2024-01-02"`, a timestamp → `"2024-01-02 03:04:05"`); keys
//!   are compared after that conversion (Python would also merge `1` and
//!   `true`, which are equal there); a sequence or mapping as a key is an
//!   error (`found unhashable key`), as in the reference;
//! * `!!set` becomes a mapping to nulls, `!!omap`/`!!pairs` a list of
//!   `[key, value]` lists;
//! * `!!binary` becomes its decoded text when that is UTF-8, else an error;
//! * `.inf` and `.nan` (and `!!float` values that are infinite) are errors
//!   as values (they are allowed as keys: `"inf"`, `"nan"`);
//! * a recursive alias (a node containing an alias to itself) is an error.
//!
//! Limits (the reference has none and hangs on an alias bomb): nesting
//! deeper than [`MAX_NESTING`] levels, or aliases and merge keys adding more
//! than [`MAX_ALIAS_EXPANSION`] nodes, fail with a located error. Nothing
//! here recurses deeper than [`MAX_NESTING`].
//!
//! The parser reads YAML 1.2 syntax; the YAML 1.1 differences that
//! matter (scalar types) are handled here. Characters PyYAML refuses
//! (control characters, `#x7F`-`#x9F` but `#x85`, `#xFFFE`, `#xFFFF`) are
//! refused, with PyYAML's message.

mod scalar;

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use super::{text, MAX_ALIAS_EXPANSION, MAX_NESTING};
use crate::{Location, Map, PathSeg, Value};

use scalar::YAML_TAG;

type Error = (String, Option<Location>);

/// Positions of a constructed document, parallel to its [`Value`].
#[derive(Debug, Clone)]
pub(crate) struct Spans {
    nodes: Vec<SpanNode>,
    root: usize,
    /// For large mappings, key → pair, built on first need: locating
    /// thousands of diagnostics must not search every key each time.
    keys: std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<usize, std::collections::HashMap<String, usize>>,
        >,
    >,
}

#[derive(Debug, Clone)]
enum SpanNode {
    Leaf(Location),
    Seq(Location, Vec<usize>),
    /// Every pair as written (merged pairs first); the last of equal keys
    /// is the one that counts.
    Map(Location, Vec<(String, Location, usize)>),
}

impl SpanNode {
    fn location(&self) -> Location {
        match self {
            SpanNode::Leaf(l) | SpanNode::Seq(l, _) | SpanNode::Map(l, _) => *l,
        }
    }
}

impl Spans {
    /// See [`Document::locate`](crate::Document::locate).
    pub(crate) fn locate(&self, path: &[PathSeg]) -> Option<Location> {
        let mut current_id = self.root;
        let mut current = self.nodes.get(self.root)?;
        let mut found = current.location();
        for seg in path {
            let next = match (seg, current) {
                (PathSeg::Key(k), SpanNode::Map(_, pairs)) => {
                    let pair = if pairs.len() > 16 {
                        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
                        let index = keys.entry(current_id).or_insert_with(|| {
                            // Later pairs overwrite earlier ones: the last of equal keys counts.
                            pairs
                                .iter()
                                .enumerate()
                                .map(|(i, p)| (p.0.clone(), i))
                                .collect()
                        });
                        index.get(k).map(|i| &pairs[*i])
                    } else {
                        pairs.iter().rev().find(|p| p.0 == *k)
                    };
                    match pair {
                        Some((_, key_at, child)) => {
                            found = *key_at;
                            *child
                        }
                        None => break,
                    }
                }
                (PathSeg::Index(i), SpanNode::Seq(_, items)) => match items.get(*i) {
                    Some(child) => {
                        found = self
                            .nodes
                            .get(*child)
                            .map(SpanNode::location)
                            .unwrap_or(found);
                        *child
                    }
                    None => break,
                },
                _ => break,
            };
            match self.nodes.get(next) {
                Some(n) => {
                    current = n;
                    current_id = next;
                }
                None => break,
            }
        }
        Some(found)
    }
}

/// Parses a YAML document into a value and its positions.
pub(super) fn parse(src: &str) -> Result<(Value, Spans), Error> {
    check_printable(src)?;
    check_version(src)?;
    // See `reindent_quoted`: the source may be re-indented and parsed again.
    let mut shifts = Shifts::default();
    let mut fixed: Option<String> = None;
    let max_fixes = (MAX_REPARSE_BYTES / src.len().max(1)).min(MAX_QUOTED_FIXES);
    let mut fixes = 0;
    loop {
        let text = fixed.as_deref().unwrap_or(src);
        match compose(text, &shifts) {
            Ok(graph) => return construct(&graph),
            Err(Failure::QuotedIndent(e)) => {
                let again = if fixes < max_fixes {
                    reindent_quoted(text, e.marker(), &mut shifts)
                } else {
                    None
                };
                match again {
                    Some(t) => {
                        fixes += 1;
                        fixed = Some(t);
                    }
                    None => return Err(scan_error(&e, &shifts)),
                }
            }
            Err(Failure::Other(e)) => return Err(e),
        }
    }
}

/// At most this many quoted scalars are re-indented ...
const MAX_QUOTED_FIXES: usize = 1000;
/// ... and at most this many bytes parsed again in all.
const MAX_REPARSE_BYTES: usize = 64 << 20;

fn construct(graph: &Graph<'_>) -> Result<(Value, Spans), Error> {
    let mut b = Builder {
        nodes: &graph.nodes,
        memo: HashMap::new(),
        in_progress: vec![false; graph.nodes.len()],
        spans: Vec::new(),
        produced: 0,
        limit: graph.nodes.len().saturating_add(MAX_ALIAS_EXPANSION),
    };
    match graph.root {
        None => {
            b.spans
                .push(SpanNode::Leaf(Location { line: 1, column: 1 }));
            Ok((
                Value::Null,
                Spans {
                    nodes: b.spans,
                    root: 0,
                    keys: Default::default(),
                },
            ))
        }
        Some(root) => {
            let built = b.build(root, 0)?;
            Ok((
                built.value,
                Spans {
                    nodes: b.spans,
                    root: built.span,
                    keys: Default::default(),
                },
            ))
        }
    }
}

/// Spaces added at the start of lines by [`reindent_quoted`], to take
/// off the columns the parser reports.
#[derive(Debug, Default)]
struct Shifts(HashMap<usize, usize>);

/// PyYAML accepts continuation lines of a quoted scalar at any
/// indentation:
///
/// ```yaml
/// description: "a long
/// text"
/// ```
///
/// The parser follows YAML 1.2, which wants them indented. The leading
/// white space of a continuation line is not part of the value, so when
/// the parser refuses one, the scalar's continuation lines are indented
/// past its opening quote and the text parsed again; the spaces added are
/// remembered so that positions still point into the original text.
/// `None` when that cannot help.
fn reindent_quoted(text: &str, at: &saphyr_parser::Marker, shifts: &mut Shifts) -> Option<String> {
    let line_start = text::line_start(text, at.line())?;
    let open = line_start + text.get(line_start..)?.char_indices().nth(at.col())?.0;
    let quote = *text.as_bytes().get(open)?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let need = at.col() + 1;
    // Find the closing quote.
    let bytes = text.as_bytes();
    let mut i = open + 1;
    let close = loop {
        match bytes.get(i)? {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            c if *c == quote => break i,
            _ => i += 1,
        }
    };
    let mut out = String::with_capacity(text.len() + 64);
    let mut last = 0;
    let mut line = at.line();
    let mut j = open;
    let mut changed = false;
    while j < close {
        let c = bytes[j];
        j += 1;
        if c != b'\n' && c != b'\r' {
            continue;
        }
        if c == b'\r' && bytes.get(j) == Some(&b'\n') {
            j += 1;
        }
        line += 1;
        let rest = &text[j..];
        let indent = rest.bytes().take_while(|b| *b == b' ').count();
        let marker = (rest.starts_with("---") || rest.starts_with("..."))
            && matches!(
                rest.as_bytes().get(3),
                None | Some(b' ' | b'\t' | b'\r' | b'\n')
            );
        if indent < need && !marker {
            out.push_str(&text[last..j]);
            out.extend(std::iter::repeat_n(' ', need - indent));
            last = j;
            *shifts.0.entry(line).or_insert(0) += need - indent;
            changed = true;
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// PyYAML refuses a `%YAML` directive whose major version is not 1.
fn check_version(src: &str) -> Result<(), Error> {
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("%YAML") {
            let version = rest.split_whitespace().next().unwrap_or("");
            if version.split('.').next() != Some("1") {
                return Err((
                    "found incompatible YAML document (version 1.* is required)".into(),
                    Some(text::location_at(src, offset)),
                ));
            }
        }
        offset += line.len();
    }
    Ok(())
}

/// PyYAML's reader refuses these characters before parsing.
fn check_printable(src: &str) -> Result<(), Error> {
    for (i, c) in src.char_indices() {
        let ok = matches!(c,
            '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}');
        if !ok {
            return Err((
                format!(
                    "unacceptable character #x{:04x}: special characters are not allowed",
                    c as u32
                ),
                Some(text::location_at(src, i)),
            ));
        }
    }
    Ok(())
}

fn loc(m: &saphyr_parser::Marker, shifts: &Shifts) -> Location {
    let shift = shifts.0.get(&m.line()).copied().unwrap_or(0);
    Location {
        line: m.line().max(1),
        column: (m.col() + 1).saturating_sub(shift).max(1),
    }
}

/// Why composing failed.
enum Failure {
    /// The parser's "invalid indentation in quoted scalar".
    QuotedIndent(ScanError),
    Other(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Other(e)
    }
}

fn scan_error(e: &ScanError, shifts: &Shifts) -> Error {
    let message = match e.info() {
        // The scanner's own limit on flow nesting, met when it scans ahead.
        "recursion limit exceeded" => nested_too_deep(),
        info => info.to_string(),
    };
    (message, Some(loc(e.marker(), shifts)))
}

fn nested_too_deep() -> String {
    format!("the document nests more than {MAX_NESTING} levels deep")
}

/// A node's tag, as written.
#[derive(Debug, Clone, PartialEq)]
enum NodeTag {
    /// No tag.
    None,
    /// `!` alone: resolve by content, even when quoted (as PyYAML does).
    NonSpecific,
    /// A full tag: `tag:yaml.org,2002:str`, `!foo`.
    Named(String),
}

fn node_tag(tag: Option<Cow<'_, Tag>>) -> NodeTag {
    match tag {
        None => NodeTag::None,
        Some(t) if t.handle.is_empty() && t.suffix == "!" => NodeTag::NonSpecific,
        Some(t) => NodeTag::Named(format!("{}{}", t.handle, t.suffix)),
    }
}

#[derive(Debug)]
enum Kind<'a> {
    Scalar {
        value: Cow<'a, str>,
        plain: bool,
    },
    Seq(Vec<usize>),
    Map(Vec<(usize, usize)>),
    /// An alias of the node at that index.
    Alias(usize),
}

#[derive(Debug)]
struct Node<'a> {
    at: Location,
    tag: NodeTag,
    kind: Kind<'a>,
    /// The target of an alias: its value is kept to be copied.
    referenced: bool,
    /// Started and not yet ended (an alias to it would be recursive).
    open: bool,
}

impl Node<'_> {
    /// PyYAML's `node.id`.
    fn id(&self) -> &'static str {
        match self.kind {
            Kind::Scalar { .. } => "scalar",
            Kind::Seq(_) => "sequence",
            Kind::Map(_) => "mapping",
            Kind::Alias(_) => "alias",
        }
    }
}

struct Graph<'a> {
    nodes: Vec<Node<'a>>,
    root: Option<usize>,
}

/// A parent being filled: its index and, for a mapping, a key waiting for
/// its value.
struct Open {
    node: usize,
    key: Option<usize>,
}

fn compose<'a>(src: &'a str, shifts: &Shifts) -> Result<Graph<'a>, Failure> {
    let mut nodes: Vec<Node<'_>> = Vec::new();
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut root = None;
    let mut documents = 0;
    let mut merged = 0usize;
    for event in Parser::new_from_str(src) {
        let (event, span): (Event<'_>, Span) = match event {
            Ok(e) => e,
            Err(e) if e.info() == "invalid indentation in quoted scalar" => {
                return Err(Failure::QuotedIndent(e))
            }
            Err(e) => return Err(Failure::Other(scan_error(&e, shifts))),
        };
        let at = loc(&span.start, shifts);
        let new = match event {
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(Failure::Other((
                        "expected a single document in the stream, but found another document"
                            .into(),
                        Some(at),
                    )));
                }
                None
            }
            Event::Alias(id) => {
                let target = *anchors
                    .get(&id)
                    .ok_or_else(|| ("found undefined alias".to_string(), Some(at)))?;
                nodes[target].referenced = true;
                Some((
                    Node {
                        at,
                        tag: NodeTag::None,
                        kind: Kind::Alias(target),
                        referenced: false,
                        open: false,
                    },
                    0,
                    false,
                ))
            }
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain;
                let node = Node {
                    at,
                    tag: node_tag(tag),
                    kind: Kind::Scalar { value, plain },
                    referenced: false,
                    open: false,
                };
                Some((node, anchor, false))
            }
            Event::SequenceStart(anchor, tag) => {
                let node = Node {
                    at,
                    tag: node_tag(tag),
                    kind: Kind::Seq(Vec::new()),
                    referenced: false,
                    open: true,
                };
                Some((node, anchor, true))
            }
            Event::MappingStart(anchor, tag) => {
                let node = Node {
                    at,
                    tag: node_tag(tag),
                    kind: Kind::Map(Vec::new()),
                    referenced: false,
                    open: true,
                };
                Some((node, anchor, true))
            }
            Event::SequenceEnd => {
                if let Some(o) = stack.pop() {
                    nodes[o.node].open = false;
                }
                None
            }
            Event::MappingEnd => {
                if let Some(o) = stack.pop() {
                    flatten(&mut nodes, o.node, &mut merged)?;
                    nodes[o.node].open = false;
                }
                None
            }
        };
        let Some((node, anchor, opens)) = new else {
            continue;
        };
        let id = nodes.len();
        nodes.push(node);
        if anchor > 0 {
            anchors.insert(anchor, id);
        }
        match stack.last_mut() {
            None => root = Some(id),
            Some(parent) => match &mut nodes[parent.node].kind {
                Kind::Seq(items) => items.push(id),
                Kind::Map(pairs) => match parent.key.take() {
                    None => parent.key = Some(id),
                    Some(k) => pairs.push((k, id)),
                },
                _ => {}
            },
        }
        if opens {
            if stack.len() >= MAX_NESTING {
                return Err(Failure::Other((nested_too_deep(), Some(at))));
            }
            stack.push(Open {
                node: id,
                key: None,
            });
        }
    }
    Ok(Graph { nodes, root })
}

/// The node an alias stands for (the node itself otherwise).
fn deref(nodes: &[Node<'_>], id: usize) -> usize {
    match nodes[id].kind {
        Kind::Alias(t) => t,
        _ => id,
    }
}

/// How a scalar's tag resolves.
fn scalar_tag(tag: &NodeTag, value: &str, plain: bool) -> Cow<'static, str> {
    let kind = match tag {
        NodeTag::Named(t) => return Cow::Owned(t.clone()),
        NodeTag::NonSpecific => scalar::resolve(value),
        NodeTag::None if plain => scalar::resolve(value),
        NodeTag::None => scalar::Kind::Str,
    };
    Cow::Borrowed(match kind {
        scalar::Kind::Null => "tag:yaml.org,2002:null",
        scalar::Kind::Bool => "tag:yaml.org,2002:bool",
        scalar::Kind::Int => "tag:yaml.org,2002:int",
        scalar::Kind::Float => "tag:yaml.org,2002:float",
        scalar::Kind::Timestamp => "tag:yaml.org,2002:timestamp",
        scalar::Kind::Merge => "tag:yaml.org,2002:merge",
        scalar::Kind::Value => "tag:yaml.org,2002:value",
        scalar::Kind::Yaml => "tag:yaml.org,2002:yaml",
        scalar::Kind::Str => "tag:yaml.org,2002:str",
    })
}

fn is_merge_key(nodes: &[Node<'_>], key: usize) -> bool {
    let n = &nodes[deref(nodes, key)];
    match &n.kind {
        Kind::Scalar { value, plain } => match &n.tag {
            NodeTag::Named(t) => t.strip_prefix(YAML_TAG) == Some("merge"),
            NodeTag::NonSpecific => value == "<<",
            NodeTag::None => *plain && value == "<<",
        },
        _ => false,
    }
}

/// PyYAML's `flatten_mapping`, done once when a mapping ends (the mappings
/// it merges have ended before, so they are flat already).
fn flatten(nodes: &mut [Node<'_>], id: usize, merged_total: &mut usize) -> Result<(), Error> {
    let Kind::Map(pairs) = &nodes[id].kind else {
        return Ok(());
    };
    if !pairs.iter().any(|(k, _)| is_merge_key(nodes, *k)) {
        return Ok(());
    }
    let pairs = pairs.clone();
    let mut merge: Vec<(usize, usize)> = Vec::new();
    let mut own = Vec::with_capacity(pairs.len());
    let source_pairs =
        |nodes: &[Node<'_>], m: usize, at: Location| -> Result<Vec<(usize, usize)>, Error> {
            let n = &nodes[m];
            match &n.kind {
                Kind::Map(p) if !n.open => Ok(p.clone()),
                Kind::Map(_) => Err((
                    "found a merge key that merges a mapping into itself (recursive alias)".into(),
                    Some(at),
                )),
                _ => Err((
                    format!("expected a mapping for merging, but found {}", n.id()),
                    Some(n.at),
                )),
            }
        };
    for (k, v) in pairs {
        if !is_merge_key(nodes, k) {
            own.push((k, v));
            continue;
        }
        let target = deref(nodes, v);
        let copied = match &nodes[target].kind {
            Kind::Map(_) => source_pairs(nodes, target, nodes[v].at)?,
            Kind::Seq(items) => {
                let mut sub = Vec::new();
                for item in items {
                    sub.push(source_pairs(nodes, deref(nodes, *item), nodes[*item].at)?);
                }
                sub.into_iter().rev().flatten().collect()
            }
            _ => {
                return Err((
                    format!(
                        "expected a mapping or list of mappings for merging, but found {}",
                        nodes[target].id()
                    ),
                    Some(nodes[v].at),
                ))
            }
        };
        *merged_total = merged_total.saturating_add(copied.len());
        if *merged_total > MAX_ALIAS_EXPANSION {
            return Err((too_large(), Some(nodes[v].at)));
        }
        merge.extend(copied);
    }
    merge.extend(own);
    nodes[id].kind = Kind::Map(merge);
    Ok(())
}

fn too_large() -> String {
    format!(
        "aliases and merge keys expand this document by more than {MAX_ALIAS_EXPANSION} nodes (an \"alias bomb\"?); refusing to load it"
    )
}

/// A constructed node.
struct Built {
    value: Value,
    span: usize,
    /// How many values it holds (itself included).
    size: usize,
    /// How many levels of collections it holds (0 for a scalar).
    height: usize,
}

struct Builder<'g, 'a> {
    nodes: &'g [Node<'a>],
    /// Constructed anchored nodes that aliases copy.
    memo: HashMap<usize, (Value, usize, usize, usize)>,
    in_progress: Vec<bool>,
    spans: Vec<SpanNode>,
    /// Values made so far, copies included.
    produced: usize,
    limit: usize,
}

impl Builder<'_, '_> {
    fn charge(&mut self, n: usize, at: Location) -> Result<(), Error> {
        self.produced = self.produced.saturating_add(n);
        if self.produced > self.limit {
            return Err((too_large(), Some(at)));
        }
        Ok(())
    }

    fn push_span(&mut self, s: SpanNode) -> usize {
        self.spans.push(s);
        self.spans.len() - 1
    }

    /// Constructs node `id`, found `depth` collections deep.
    fn build(&mut self, id: usize, depth: usize) -> Result<Built, Error> {
        let node = &self.nodes[id];
        let (target, at) = match node.kind {
            Kind::Alias(t) => (t, node.at),
            _ => (id, node.at),
        };
        if self.in_progress[target] {
            return Err((
                "found a recursive alias (a node that contains itself), which cannot be represented".into(),
                Some(at),
            ));
        }
        if let Some((value, span, size, height)) = self.memo.get(&target) {
            let (span, size, height) = (*span, *size, *height);
            if depth + height > MAX_NESTING {
                return Err((nested_too_deep(), Some(at)));
            }
            let value = value.clone();
            self.charge(size, at)?;
            return Ok(Built {
                value,
                span,
                size,
                height,
            });
        }
        self.in_progress[target] = true;
        let built = self.construct(target, depth);
        self.in_progress[target] = false;
        let built = built?;
        if self.nodes[target].referenced {
            self.memo.insert(
                target,
                (built.value.clone(), built.span, built.size, built.height),
            );
        }
        Ok(built)
    }

    fn construct(&mut self, id: usize, depth: usize) -> Result<Built, Error> {
        let node = &self.nodes[id];
        let at = node.at;
        match &node.kind {
            Kind::Scalar { value, plain } => {
                let tag = scalar_tag(&node.tag, value, *plain);
                let v = construct_scalar(&tag, value, node)?;
                self.charge(1, at)?;
                let span = self.push_span(SpanNode::Leaf(at));
                Ok(Built {
                    value: v,
                    span,
                    size: 1,
                    height: 0,
                })
            }
            Kind::Seq(items) => {
                let tag = collection_tag(&node.tag, "seq");
                if depth >= MAX_NESTING {
                    return Err((nested_too_deep(), Some(at)));
                }
                match tag.strip_prefix(YAML_TAG) {
                    Some("seq") => {}
                    Some("omap" | "pairs") => return self.construct_pairs(id, items, depth),
                    Some("map" | "set") => return Err(expected("a mapping node", node)),
                    Some("str" | "int" | "float" | "bool" | "null" | "timestamp" | "binary") => {
                        return Err(expected("a scalar node", node))
                    }
                    _ => return Err(no_constructor(&tag, at)),
                }
                self.charge(1, at)?;
                let mut out = Vec::with_capacity(items.len());
                let mut spans = Vec::with_capacity(items.len());
                let (mut size, mut height) = (1, 1);
                for item in items {
                    let b = self.build(*item, depth + 1)?;
                    size += b.size;
                    height = height.max(b.height + 1);
                    out.push(b.value);
                    spans.push(b.span);
                }
                let span = self.push_span(SpanNode::Seq(at, spans));
                Ok(Built {
                    value: Value::Array(out),
                    span,
                    size,
                    height,
                })
            }
            Kind::Map(pairs) => {
                let tag = collection_tag(&node.tag, "map");
                if depth >= MAX_NESTING {
                    return Err((nested_too_deep(), Some(at)));
                }
                let is_set = match tag.strip_prefix(YAML_TAG) {
                    Some("map") => false,
                    Some("set") => true,
                    Some("seq") => return Err(expected("a sequence node", node)),
                    Some("omap" | "pairs") => {
                        return Err((
                            format!("expected a sequence, but found {}", node.id()),
                            Some(at),
                        ))
                    }
                    Some("str" | "int" | "float" | "bool" | "null" | "timestamp" | "binary") => {
                        return Err(expected("a scalar node", node))
                    }
                    _ => return Err(no_constructor(&tag, at)),
                };
                self.charge(1, at)?;
                let mut map = Map::new();
                let mut entries = Vec::with_capacity(pairs.len());
                let (mut size, mut height) = (1, 1);
                for (k, v) in pairs {
                    let key = self.key(*k)?;
                    let b = self.build(*v, depth + 1)?;
                    size += b.size;
                    height = height.max(b.height + 1);
                    entries.push((key.clone(), self.nodes[*k].at, b.span));
                    map.insert(key, if is_set { Value::Null } else { b.value });
                }
                let span = self.push_span(SpanNode::Map(at, entries));
                Ok(Built {
                    value: Value::Object(map),
                    span,
                    size,
                    height,
                })
            }
            Kind::Alias(t) => self.build(*t, depth),
        }
    }

    /// `!!omap` / `!!pairs`: a list of one-pair mappings, as `[key, value]`.
    fn construct_pairs(
        &mut self,
        id: usize,
        items: &[usize],
        depth: usize,
    ) -> Result<Built, Error> {
        let at = self.nodes[id].at;
        if depth + 2 > MAX_NESTING {
            return Err((nested_too_deep(), Some(at)));
        }
        self.charge(1, at)?;
        let mut out = Vec::with_capacity(items.len());
        let mut spans = Vec::with_capacity(items.len());
        let (mut size, mut height) = (1, 2);
        for item in items {
            let n = &self.nodes[deref(self.nodes, *item)];
            let Kind::Map(p) = &n.kind else {
                return Err((
                    format!("expected a mapping of length 1, but found {}", n.id()),
                    Some(n.at),
                ));
            };
            if p.len() != 1 {
                return Err((
                    format!(
                        "expected a single mapping item, but found {} items",
                        p.len()
                    ),
                    Some(n.at),
                ));
            }
            let (k, v) = p[0];
            let item_at = n.at;
            self.charge(1, item_at)?;
            let kb = self.build(k, depth + 2)?;
            let vb = self.build(v, depth + 2)?;
            size += 1 + kb.size + vb.size;
            height = height.max(vb.height.max(kb.height) + 2);
            out.push(Value::Array(vec![kb.value, vb.value]));
            let s = self.push_span(SpanNode::Seq(item_at, vec![kb.span, vb.span]));
            spans.push(s);
        }
        let span = self.push_span(SpanNode::Seq(at, spans));
        Ok(Built {
            value: Value::Array(out),
            span,
            size,
            height,
        })
    }

    /// A mapping key, as the string it becomes.
    fn key(&mut self, id: usize) -> Result<String, Error> {
        let n = &self.nodes[deref(self.nodes, id)];
        let Kind::Scalar { value, plain } = &n.kind else {
            let at = self.nodes[id].at;
            return Err((
                "while constructing a mapping, found unhashable key".into(),
                Some(at),
            ));
        };
        let mut tag = scalar_tag(&n.tag, value, *plain);
        if tag.strip_prefix(YAML_TAG) == Some("value") {
            // PyYAML's flatten_mapping retags `=` keys as strings.
            tag = Cow::Borrowed("tag:yaml.org,2002:str");
        }
        key_string(&tag, value, n)
    }
}

/// A collection's tag, with the default for no tag or `!`.
fn collection_tag(tag: &NodeTag, default: &str) -> String {
    match tag {
        NodeTag::Named(t) => t.clone(),
        _ => format!("{YAML_TAG}{default}"),
    }
}

fn expected(what: &str, node: &Node<'_>) -> Error {
    (
        format!("expected {what}, but found {}", node.id()),
        Some(node.at),
    )
}

fn no_constructor(tag: &str, at: Location) -> Error {
    (
        format!("could not determine a constructor for the tag '{tag}'"),
        Some(at),
    )
}

fn constructor_error(message: String, node: &Node<'_>) -> Error {
    (message, Some(node.at))
}

/// The value of a scalar with a resolved tag.
fn construct_scalar(tag: &str, value: &str, node: &Node<'_>) -> Result<Value, Error> {
    let Some(name) = tag.strip_prefix(YAML_TAG) else {
        return Err(no_constructor(tag, node.at));
    };
    let finite = |f: f64| {
        serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(|| {
            constructor_error(
                format!("the float '{value}' ({}) cannot be represented: infinity and NaN have no JSON form; use a number or a string", scalar::float_repr(f)),
                node,
            )
        })
    };
    match name {
        "null" => Ok(Value::Null),
        "bool" => scalar::boolean(value)
            .map(Value::Bool)
            .map_err(|m| constructor_error(m, node)),
        "int" => scalar::int(value)
            .map(scalar::PyInt::to_value)
            .map_err(|m| constructor_error(m, node)),
        "float" => finite(scalar::float(value).map_err(|m| constructor_error(m, node))?),
        "str" => Ok(Value::String(value.to_string())),
        "timestamp" => scalar::timestamp(value)
            .map(|t| Value::String(t.iso))
            .map_err(|m| constructor_error(m, node)),
        "binary" => {
            let bytes = scalar::binary(value).map_err(|m| constructor_error(m, node))?;
            String::from_utf8(bytes).map(Value::String).map_err(|_| {
                constructor_error(
                    "!!binary data that is not UTF-8 text cannot be represented".into(),
                    node,
                )
            })
        }
        "seq" => Err(expected("a sequence node", node)),
        "map" | "set" => Err(expected("a mapping node", node)),
        "omap" | "pairs" => Err((
            format!("expected a sequence, but found {}", node.id()),
            Some(node.at),
        )),
        _ => Err(no_constructor(tag, node.at)),
    }
}

/// Python `str()` of a scalar key.
fn key_string(tag: &str, value: &str, node: &Node<'_>) -> Result<String, Error> {
    let Some(name) = tag.strip_prefix(YAML_TAG) else {
        return Err(no_constructor(tag, node.at));
    };
    let err = |m: String| constructor_error(m, node);
    Ok(match name {
        "str" => value.to_string(),
        "null" => "None".into(),
        "bool" => if scalar::boolean(value).map_err(err)? {
            "True"
        } else {
            "False"
        }
        .into(),
        "int" => scalar::int(value).map_err(err)?.py_str(),
        "float" => scalar::float_repr(scalar::float(value).map_err(err)?),
        "timestamp" => scalar::timestamp(value).map_err(err)?.str_form,
        "binary" => scalar::bytes_repr(&scalar::binary(value).map_err(err)?),
        _ => {
            return Err(construct_scalar(tag, value, node)
                .err()
                .unwrap_or_else(|| no_constructor(tag, node.at)))
        }
    })
}
