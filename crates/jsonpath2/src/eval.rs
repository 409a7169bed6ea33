//! Evaluation, following jsonpath2's `match` generators: depth-first, in
//! document order, lazy enough that existence tests stop at the first match.
//!
//! A path is walked with an explicit work stack (no recursion per step or
//! per document level); only filters and embedded paths recurse, which the
//! parser bounds by its nesting limit. Every unit of work is charged to a
//! budget so that pathological paths end with an error instead of hanging.

use std::cmp::Ordering;
use std::ops::ControlFlow;
use std::rc::Rc;

use serde_json::Value;

use crate::ast::{CmpOp, Expr, Func, Operand, Path, Selector, Start};
use crate::EvalError;

/// A matched value: borrowed from the document, or made by a function
/// (`keys()`, `length()`, …) or derived from such a value.
#[derive(Debug, Clone)]
pub(crate) enum Node<'a> {
    Borrowed(&'a Value),
    Owned(Rc<Value>),
}

impl<'a> Node<'a> {
    pub(crate) fn value(&self) -> &Value {
        match self {
            Node::Borrowed(v) => v,
            Node::Owned(v) => v,
        }
    }

    pub(crate) fn into_value(self) -> Value {
        match self {
            Node::Borrowed(v) => v.clone(),
            Node::Owned(v) => Rc::try_unwrap(v).unwrap_or_else(|rc| (*rc).clone()),
        }
    }

    /// A part of this value, borrowed when this value is.
    fn derive(
        &self,
        ctx: &mut Ctx,
        pick: impl for<'v> FnOnce(&'v Value) -> Option<&'v Value>,
    ) -> Result<Option<Node<'a>>, EvalError> {
        match self {
            Node::Borrowed(v) => Ok(pick(v).map(Node::Borrowed)),
            Node::Owned(v) => match pick(v) {
                Some(part) => {
                    ctx.charge(weight(part, ctx.remaining()))?;
                    Ok(Some(Node::Owned(Rc::new(part.clone()))))
                }
                None => Ok(None),
            },
        }
    }
}

/// The remaining work budget.
pub(crate) struct Ctx {
    remaining: u64,
    limit: u64,
}

impl Ctx {
    pub(crate) fn new(limit: u64) -> Ctx {
        Ctx {
            remaining: limit,
            limit,
        }
    }

    fn remaining(&self) -> u64 {
        self.remaining
    }

    pub(crate) fn charge(&mut self, units: u64) -> Result<(), EvalError> {
        if units > self.remaining {
            self.remaining = 0;
            return Err(EvalError::BudgetExceeded { limit: self.limit });
        }
        self.remaining -= units;
        Ok(())
    }
}

/// The number of JSON nodes in `v`, counted without recursion and up to
/// `cap + 1`.
pub(crate) fn weight(v: &Value, cap: u64) -> u64 {
    let mut count = 0u64;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        count += 1;
        if count > cap {
            break;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    count
}

type Sink<'s, 'a> = dyn FnMut(Node<'a>, &mut Ctx) -> Result<ControlFlow<()>, EvalError> + 's;

enum Work<'a> {
    /// `value` has gone through the steps before `step`.
    Visit(usize, Node<'a>),
    /// Apply selector `sel` of step `step` to `value` (later selectors and,
    /// for `..`, the descendants follow).
    Select(usize, usize, Node<'a>),
    /// `..` at step `step`: visit every child of `value` with that step.
    Children(usize, Node<'a>),
}

/// Feeds every match of `path` to `sink`, in jsonpath2's order, until the
/// sink breaks. Returns `Break` if it did.
pub(crate) fn walk<'a>(
    path: &Path,
    root: &'a Value,
    current: Node<'a>,
    ctx: &mut Ctx,
    sink: &mut Sink<'_, 'a>,
) -> Result<ControlFlow<()>, EvalError> {
    let start = match path.start {
        Start::Root => Node::Borrowed(root),
        Start::Current => current,
    };
    let steps = &path.steps;
    let mut stack = vec![Work::Visit(0, start)];
    while let Some(work) = stack.pop() {
        ctx.charge(1)?;
        match work {
            Work::Visit(i, value) => {
                if i == steps.len() {
                    if sink(value, ctx)?.is_break() {
                        return Ok(ControlFlow::Break(()));
                    }
                } else {
                    stack.push(Work::Select(i, 0, value));
                }
            }
            Work::Select(i, k, value) => {
                let step = &steps[i];
                let matches = select(&step.selectors[k], root, &value, ctx)?;
                if k + 1 < step.selectors.len() {
                    stack.push(Work::Select(i, k + 1, value));
                } else if step.recursive {
                    stack.push(Work::Children(i, value));
                }
                stack.extend(matches.into_iter().rev().map(|m| Work::Visit(i + 1, m)));
            }
            Work::Children(i, value) => {
                let children = children(&value, ctx)?;
                stack.extend(children.into_iter().rev().map(|c| Work::Visit(i, c)));
            }
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// [`walk`] without early exit.
pub(crate) fn walk_all<'a>(
    path: &Path,
    root: &'a Value,
    current: Node<'a>,
    ctx: &mut Ctx,
    mut each: impl FnMut(Node<'a>, &mut Ctx) -> Result<(), EvalError>,
) -> Result<(), EvalError> {
    let _always_continues = walk(path, root, current, ctx, &mut |m, ctx| {
        each(m, ctx)?;
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(())
}

/// Wildcard: mapping values in key order, list elements; nothing otherwise.
fn children<'a>(value: &Node<'a>, ctx: &mut Ctx) -> Result<Vec<Node<'a>>, EvalError> {
    fn parts(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
        match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => Box::new(std::iter::empty()),
        }
    }
    Ok(match value {
        Node::Borrowed(v) => {
            let out: Vec<Node<'a>> = parts(v).map(Node::Borrowed).collect();
            ctx.charge(out.len() as u64)?;
            out
        }
        Node::Owned(v) => {
            let mut out = Vec::new();
            for part in parts(v) {
                ctx.charge(1 + weight(part, ctx.remaining()))?;
                out.push(Node::Owned(Rc::new(part.clone())));
            }
            out
        }
    })
}

/// jsonpath2's `ArrayIndexSubscript`: a negative index counts from the end.
fn index<'a>(value: &Node<'a>, i: i128, ctx: &mut Ctx) -> Result<Option<Node<'a>>, EvalError> {
    let Value::Array(items) = value.value() else {
        return Ok(None);
    };
    let len = items.len() as i128;
    let i = if i < 0 { i + len } else { i };
    if !(0..len).contains(&i) {
        return Ok(None);
    }
    let i = i as usize;
    value.derive(ctx, |v| v.as_array().and_then(|a| a.get(i)))
}

fn key<'a>(value: &Node<'a>, k: &str, ctx: &mut Ctx) -> Result<Option<Node<'a>>, EvalError> {
    value.derive(ctx, |v| v.as_object().and_then(|m| m.get(k)))
}

/// The matches of one subscriptable on `value`.
fn select<'a>(
    selector: &Selector,
    root: &'a Value,
    value: &Node<'a>,
    ctx: &mut Ctx,
) -> Result<Vec<Node<'a>>, EvalError> {
    Ok(match selector {
        Selector::Key(k) => key(value, k, ctx)?.into_iter().collect(),
        Selector::Index(i) => index(value, i128::from(*i), ctx)?.into_iter().collect(),
        Selector::Wildcard => children(value, ctx)?,
        Selector::Slice { start, end, step } => {
            let Value::Array(items) = value.value() else {
                return Ok(Vec::new());
            };
            let indices = slice_indices(items.len(), *start, *end, *step)?;
            ctx.charge(indices.len() as u64)?;
            let mut out = Vec::with_capacity(indices.len());
            for i in indices {
                out.extend(index(value, i128::from(i as u64), ctx)?);
            }
            out
        }
        Selector::Filter(expr) => {
            if eval_expr(expr, root, value, ctx)? {
                vec![value.clone()]
            } else {
                Vec::new()
            }
        }
        Selector::Path(path) => {
            // Every int (bool included) is an index, every string a key.
            enum Sub {
                Index(i128),
                Key(String),
            }
            let mut subs = Vec::new();
            walk_all(path, root, value.clone(), ctx, |m, _| {
                match m.value() {
                    Value::String(s) => subs.push(Sub::Key(s.clone())),
                    other => {
                        if let Some(i) = py_int(other) {
                            subs.push(Sub::Index(i));
                        }
                    }
                }
                Ok(())
            })?;
            let mut out = Vec::new();
            for sub in subs {
                ctx.charge(1)?;
                out.extend(match sub {
                    Sub::Index(i) => index(value, i, ctx)?,
                    Sub::Key(k) => key(value, &k, ctx)?,
                });
            }
            out
        }
        Selector::Call(func, args) => call(*func, args, root, value, ctx)?,
    })
}

/// The list indices a jsonpath2 slice yields, in order, already resolved
/// (jsonpath2 iterates Python's `range(start, end, step)` and indexes with
/// each value, so a negative value counts from the end again). Values that
/// index nothing are skipped without being enumerated.
fn slice_indices(
    len: usize,
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Result<Vec<usize>, EvalError> {
    let step = i128::from(step.unwrap_or(1));
    if step == 0 {
        return Err(EvalError::ZeroSliceStep);
    }
    let n = len as i128;
    let lo = match start {
        None => 0,
        Some(s) => {
            let s = i128::from(s);
            if s < 0 {
                if s.abs() < n {
                    s + n
                } else {
                    0
                }
            } else {
                s
            }
        }
    };
    let hi = match end {
        None => n,
        Some(e) => {
            let e = i128::from(e);
            if e < 0 {
                e + n
            } else {
                e
            }
        }
    };
    let mut out = Vec::new();
    if n == 0 {
        return Ok(out);
    }
    if step > 0 {
        let mut i = lo;
        while i < hi.min(n) {
            out.push(i as usize);
            i += step;
        }
    } else {
        let down = -step;
        let mut i = lo;
        if i >= n {
            let k = (i - (n - 1) + down - 1) / down;
            i -= k * down;
        }
        while i > hi && i >= -n {
            out.push(if i < 0 { (i + n) as usize } else { i as usize });
            i -= down;
        }
    }
    Ok(out)
}

/// Python `isinstance(v, int)` (bools are ints).
fn py_int(v: &Value) -> Option<i128> {
    match v {
        Value::Bool(b) => Some(i128::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    }
}

fn call<'a>(
    func: Func,
    args: &[Operand],
    root: &'a Value,
    value: &Node<'a>,
    ctx: &mut Ctx,
) -> Result<Vec<Node<'a>>, EvalError> {
    // jsonpath2 calls the function once per element of the cartesian
    // product of the arguments' matches.
    // The functions only use arguments that are Python ints, so each
    // argument value is kept as `Some(int)` or `None`.
    let mut choices: Vec<Vec<Option<i128>>> = Vec::with_capacity(args.len());
    for arg in args {
        let mut options = Vec::new();
        match arg {
            Operand::Literal {
                value: lit,
                big_int,
            } => {
                options.push(big_int.map(i128::from).or_else(|| py_int(lit)));
            }
            Operand::Path(path) => {
                walk_all(path, root, value.clone(), ctx, |m, _| {
                    options.push(py_int(m.value()));
                    Ok(())
                })?;
            }
        }
        choices.push(options);
    }
    let mut out = Vec::new();
    if choices.iter().any(Vec::is_empty) {
        return Ok(out);
    }
    let mut picks = vec![0usize; choices.len()];
    loop {
        ctx.charge(1)?;
        let combo: Vec<Option<i128>> = picks.iter().zip(&choices).map(|(&p, c)| c[p]).collect();
        if let Some(result) = apply(func, &combo, value.value(), ctx)? {
            out.push(Node::Owned(Rc::new(result)));
        }
        // Next combination, the last argument varying fastest.
        let mut k = picks.len();
        loop {
            if k == 0 {
                return Ok(out);
            }
            k -= 1;
            picks[k] += 1;
            if picks[k] < choices[k].len() {
                break;
            }
            picks[k] = 0;
        }
    }
}

/// One call of `func` on `value`; `ints` holds each argument as a Python
/// int, if it is one.
fn apply(
    func: Func,
    ints: &[Option<i128>],
    value: &Value,
    ctx: &mut Ctx,
) -> Result<Option<Value>, EvalError> {
    let args = ints;
    Ok(match (func, value) {
        (Func::Length, Value::Array(items)) if args.is_empty() => Some(items.len().into()),
        (Func::Length, Value::String(s)) if args.is_empty() => Some(s.chars().count().into()),
        (Func::CharAt, Value::String(s)) => match ints {
            [Some(i)] => {
                let n = s.chars().count() as i128;
                let i = if *i < 0 { i + n } else { *i };
                if (0..n).contains(&i) {
                    s.chars()
                        .nth(i as usize)
                        .map(|c| Value::String(c.to_string()))
                } else {
                    None
                }
            }
            _ => None,
        },
        (Func::Substring, Value::String(s)) => {
            let n = s.chars().count() as i128;
            let (from, to) = match ints {
                [Some(a)] => (*a, n),
                [Some(a), Some(b)] => (*a, *b),
                _ => return Ok(None),
            };
            let clamp = |x: i128| if x < 0 { (x + n).max(0) } else { x.min(n) };
            let (from, to) = (clamp(from) as usize, clamp(to) as usize);
            let text: String = if from < to {
                s.chars().skip(from).take(to - from).collect()
            } else {
                String::new()
            };
            Some(Value::String(text))
        }
        (Func::Keys, Value::Object(map)) if args.is_empty() => {
            ctx.charge(map.len() as u64)?;
            Some(Value::Array(
                map.keys().map(|k| Value::String(k.clone())).collect(),
            ))
        }
        (Func::Keys, Value::Array(items)) if args.is_empty() => {
            ctx.charge(items.len() as u64)?;
            Some(Value::Array((0..items.len()).map(Value::from).collect()))
        }
        (Func::Values, Value::Object(map)) if args.is_empty() => {
            ctx.charge(weight(value, ctx.remaining()))?;
            Some(Value::Array(map.values().cloned().collect()))
        }
        (Func::Values, Value::Array(_)) if args.is_empty() => {
            ctx.charge(weight(value, ctx.remaining()))?;
            Some(value.clone())
        }
        (Func::Entries, Value::Object(map)) if args.is_empty() => {
            ctx.charge(weight(value, ctx.remaining()))?;
            Some(Value::Array(
                map.iter()
                    .map(|(k, v)| Value::Array(vec![Value::String(k.clone()), v.clone()]))
                    .collect(),
            ))
        }
        (Func::Entries, Value::Array(items)) if args.is_empty() => {
            ctx.charge(weight(value, ctx.remaining()))?;
            Some(Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Value::Array(vec![i.into(), v.clone()]))
                    .collect(),
            ))
        }
        _ => None,
    })
}

/// Evaluates a filter expression with `@` = `current`.
fn eval_expr<'a>(
    expr: &Expr,
    root: &'a Value,
    current: &Node<'a>,
    ctx: &mut Ctx,
) -> Result<bool, EvalError> {
    ctx.charge(1)?;
    match expr {
        Expr::And(all) => {
            for e in all {
                if !eval_expr(e, root, current, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Expr::Or(any) => {
            for e in any {
                if eval_expr(e, root, current, ctx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Expr::Not(e) => Ok(!eval_expr(e, root, current, ctx)?),
        Expr::Some(Operand::Literal { value, .. }) => Ok(py_truthy(value)),
        Expr::Some(Operand::Path(path)) => {
            let flow = walk(path, root, current.clone(), ctx, &mut |_, _| {
                Ok(ControlFlow::Break(()))
            })?;
            Ok(flow.is_break())
        }
        Expr::Cmp(left, op, right) => compare(left, *op, right, root, current, ctx),
    }
}

/// jsonpath2's `BinaryOperatorExpression.evaluate`:
/// `any(op(l, r) for l in left_values for r in right_values)`.
///
/// When the right operand is a path its values come from a generator, which
/// the first left value exhausts: only that first left value is compared
/// (the remaining left values are still enumerated, as in Python).
fn compare<'a>(
    left: &Operand,
    op: CmpOp,
    right: &Operand,
    root: &'a Value,
    current: &Node<'a>,
    ctx: &mut Ctx,
) -> Result<bool, EvalError> {
    match (left, right) {
        (Operand::Literal { value: l, .. }, Operand::Literal { value: r, .. }) => {
            Ok(cmp_values(l, op, r))
        }
        (Operand::Path(lp), Operand::Literal { value: r, .. }) => {
            let flow = walk(lp, root, current.clone(), ctx, &mut |l, ctx| {
                ctx.charge(1)?;
                Ok(if cmp_values(l.value(), op, r) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })?;
            Ok(flow.is_break())
        }
        (Operand::Literal { value: l, .. }, Operand::Path(rp)) => {
            right_any(l, op, rp, root, current, ctx)
        }
        (Operand::Path(lp), Operand::Path(rp)) => {
            let mut first = true;
            let flow = walk(lp, root, current.clone(), ctx, &mut |l, ctx| {
                if !first {
                    return Ok(ControlFlow::Continue(()));
                }
                first = false;
                Ok(if right_any(l.value(), op, rp, root, current, ctx)? {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                })
            })?;
            Ok(flow.is_break())
        }
    }
}

/// Whether `left op r` holds for some value `r` of the path `right`.
fn right_any<'a>(
    left: &Value,
    op: CmpOp,
    right: &Path,
    root: &'a Value,
    current: &Node<'a>,
    ctx: &mut Ctx,
) -> Result<bool, EvalError> {
    let flow = walk(right, root, current.clone(), ctx, &mut |r, ctx| {
        ctx.charge(1)?;
        Ok(if cmp_values(left, op, r.value()) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    })?;
    Ok(flow.is_break())
}

/// One comparison. Equality is Python `==`; the orderings hold only between
/// numbers (bools included), as jsonpath2 guards them with
/// `isinstance(x, (float, int))`.
fn cmp_values(l: &Value, op: CmpOp, r: &Value) -> bool {
    match op {
        CmpOp::Eq => chaos_pyvalue::py_eq(l, r),
        CmpOp::Ne => !chaos_pyvalue::py_eq(l, r),
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => match num_cmp(l, r) {
            Some(ord) => match op {
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Le => ord != Ordering::Greater,
                CmpOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            },
            None => false,
        },
    }
}

enum Num {
    Int(i128),
    Float(f64),
}

fn as_num(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int(i128::from(*b))),
        Value::Number(n) => Some(match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Num::Int(i128::from(i)),
            (None, Some(u)) => Num::Int(i128::from(u)),
            _ => Num::Float(n.as_f64()?),
        }),
        _ => None,
    }
}

/// Exact Python ordering between ints and floats; `None` when either side is
/// not a number (or is NaN).
pub(crate) fn num_cmp(l: &Value, r: &Value) -> Option<Ordering> {
    match (as_num(l)?, as_num(r)?) {
        (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
        (Num::Float(a), Num::Float(b)) => a.partial_cmp(&b),
        (Num::Int(a), Num::Float(b)) => int_float_cmp(a, b),
        (Num::Float(a), Num::Int(b)) => int_float_cmp(b, a).map(Ordering::reverse),
    }
}

fn int_float_cmp(i: i128, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // |i| < 2^65 here, well inside what these bounds separate.
    if f >= 1e30 {
        return Some(Ordering::Less);
    }
    if f <= -1e30 {
        return Some(Ordering::Greater);
    }
    let floor = f.floor();
    let whole = floor as i128;
    Some(match i.cmp(&whole) {
        Ordering::Equal if f > floor => Ordering::Less,
        other => other,
    })
}

/// Python `bool(v)`.
fn py_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i != 0,
            (None, Some(u)) => u != 0,
            _ => n.as_f64().is_some_and(|f| f != 0.0),
        },
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slice_indices_follow_python_range_then_index() {
        let s = |len, a, b, c| slice_indices(len, a, b, c).unwrap();
        assert_eq!(s(5, None, None, None), vec![0, 1, 2, 3, 4]);
        assert_eq!(s(5, Some(1), Some(3), None), vec![1, 2]);
        assert_eq!(s(5, Some(-2), None, None), vec![3, 4]);
        assert_eq!(s(5, Some(-10), Some(2), None), vec![0, 1]);
        assert_eq!(s(5, None, Some(-1), None), vec![0, 1, 2, 3]);
        assert_eq!(s(5, None, Some(-10), None), Vec::<usize>::new());
        assert_eq!(s(5, None, None, Some(2)), vec![0, 2, 4]);
        assert_eq!(s(5, None, None, Some(-1)), Vec::<usize>::new());
        assert_eq!(s(5, Some(2), Some(0), Some(-1)), vec![2, 1]);
        assert_eq!(s(5, None, Some(-10), Some(-1)), vec![0, 4, 3, 2, 1]);
        assert_eq!(s(5, Some(9), Some(2), Some(-2)), vec![3]);
        assert_eq!(s(5, Some(8), None, Some(-3)), Vec::<usize>::new());
        assert_eq!(
            s(3, Some(i64::MAX), Some(i64::MIN), Some(-1)),
            vec![2, 1, 0, 2, 1, 0]
        );
        assert_eq!(s(3, Some(0), Some(i64::MAX), Some(i64::MAX)), vec![0]);
        assert_eq!(s(0, None, None, Some(-1)), Vec::<usize>::new());
        assert_eq!(
            slice_indices(3, None, None, Some(0)),
            Err(EvalError::ZeroSliceStep)
        );
    }

    #[test]
    fn numeric_ordering_is_exact() {
        assert_eq!(num_cmp(&json!(1), &json!(1.0)), Some(Ordering::Equal));
        assert_eq!(num_cmp(&json!(true), &json!(0.5)), Some(Ordering::Greater));
        assert_eq!(
            num_cmp(&json!(9007199254740993u64), &json!(9007199254740992.0)),
            Some(Ordering::Greater)
        );
        assert_eq!(num_cmp(&json!(-3), &json!(-2.5)), Some(Ordering::Less));
        assert_eq!(
            num_cmp(&json!(u64::MAX), &json!(1e300)),
            Some(Ordering::Less)
        );
        assert_eq!(num_cmp(&json!("1"), &json!(1)), None);
        assert_eq!(num_cmp(&json!(null), &json!(1)), None);
    }

    #[test]
    fn truthiness_is_python_bool() {
        for v in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(!py_truthy(&v), "{v}");
        }
        for v in [
            json!(true),
            json!(-1),
            json!(0.5),
            json!(" "),
            json!([0]),
            json!({"a": null}),
        ] {
            assert!(py_truthy(&v), "{v}");
        }
    }

    #[test]
    fn weight_counts_nodes_and_stops_at_cap() {
        assert_eq!(weight(&json!({"a": [1, 2], "b": 3}), 100), 5);
        assert_eq!(weight(&json!([1, 2, 3, 4]), 2), 3);
    }
}
