//! Label selectors (query-string syntax and `metav1.LabelSelector` objects)
//! and field selectors, with the parse errors the API server reports as 400.

use serde_json::{Map, Value};

use crate::util::at;

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    NotExists,
}

#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    key: String,
    op: Op,
}

/// A parsed `labelSelector` query; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LabelSelector {
    reqs: Vec<Requirement>,
}

fn valid_key(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
    });
    name_ok && prefix_ok
}

fn valid_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// Splits on commas that are not inside parentheses.
fn split_top(s: &str) -> Result<Vec<String>, String> {
    let mut parts = vec![];
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unexpected ')'".into());
                }
                cur.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if depth != 0 {
        return Err("found '', expected: ')'".into());
    }
    parts.push(cur);
    Ok(parts)
}

fn parse_set(rest: &str) -> Result<Vec<String>, String> {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("found '{rest}', expected: '('"))?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    for v in &values {
        if !valid_value(v) {
            return Err(format!("invalid label value: \"{v}\""));
        }
    }
    Ok(values)
}

impl LabelSelector {
    pub(crate) fn parse(s: &str) -> Result<LabelSelector, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(LabelSelector::default());
        }
        let mut reqs = vec![];
        for part in split_top(s).map_err(|e| format!("unable to parse requirement: {e}"))? {
            reqs.push(
                Self::parse_requirement(part.trim())
                    .map_err(|e| format!("unable to parse requirement: {e}"))?,
            );
        }
        Ok(LabelSelector { reqs })
    }

    fn parse_requirement(p: &str) -> Result<Requirement, String> {
        if p.is_empty() {
            return Err("found '', expected: identifier".into());
        }
        if let Some(key) = p.strip_prefix('!') {
            let key = key.trim();
            if !valid_key(key) {
                return Err(format!("invalid label key \"{key}\""));
            }
            return Ok(Requirement {
                key: key.into(),
                op: Op::NotExists,
            });
        }
        let (key, op) = if let Some((k, v)) = p.split_once("!=") {
            (k, Op::NotEq(v.trim().into()))
        } else if let Some((k, v)) = p.split_once("==") {
            (k, Op::Eq(v.trim().into()))
        } else if let Some((k, v)) = p.split_once('=') {
            (k, Op::Eq(v.trim().into()))
        } else if let Some(idx) = p.find(" notin ").or_else(|| p.find(" notin(")) {
            (&p[..idx], Op::NotIn(parse_set(&p[idx + 6..])?))
        } else if let Some(idx) = p.find(" in ").or_else(|| p.find(" in(")) {
            (&p[..idx], Op::In(parse_set(&p[idx + 3..])?))
        } else if p.contains(['<', '>', ' ', '(', ')']) {
            return Err(format!(
                "found '{p}', expected: '=', '!=', '==', 'in', notin'"
            ));
        } else {
            (p, Op::Exists)
        };
        let key = key.trim();
        if !valid_key(key) {
            return Err(format!("invalid label key \"{key}\""));
        }
        if let Op::Eq(v) | Op::NotEq(v) = &op {
            if !valid_value(v) {
                return Err(format!("invalid label value: \"{v}\""));
            }
        }
        Ok(Requirement {
            key: key.into(),
            op,
        })
    }

    /// From a `metav1.LabelSelector` object; `None` means the selector is
    /// invalid (unknown operator), which matches nothing.
    pub(crate) fn from_object(sel: &Value) -> Option<LabelSelector> {
        let mut reqs = vec![];
        if let Some(ml) = sel.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in ml {
                reqs.push(Requirement {
                    key: k.clone(),
                    op: Op::Eq(v.as_str().unwrap_or("").into()),
                });
            }
        }
        if let Some(exprs) = sel.get("matchExpressions").and_then(Value::as_array) {
            for e in exprs {
                let key = e.get("key").and_then(Value::as_str)?.to_string();
                let values: Vec<String> = e
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let op = match e.get("operator").and_then(Value::as_str)? {
                    "In" => Op::In(values),
                    "NotIn" => Op::NotIn(values),
                    "Exists" => Op::Exists,
                    "DoesNotExist" => Op::NotExists,
                    _ => return None,
                };
                reqs.push(Requirement { key, op });
            }
        }
        Some(LabelSelector { reqs })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    pub(crate) fn matches(&self, labels: &Map<String, Value>) -> bool {
        self.reqs.iter().all(|r| {
            let v = labels.get(&r.key).and_then(Value::as_str);
            match &r.op {
                Op::Eq(x) => v == Some(x.as_str()),
                Op::NotEq(x) => v != Some(x.as_str()),
                Op::In(xs) => v.is_some_and(|v| xs.iter().any(|x| x == v)),
                Op::NotIn(xs) => v.is_none_or(|v| !xs.iter().any(|x| x == v)),
                Op::Exists => v.is_some(),
                Op::NotExists => v.is_none(),
            }
        })
    }

    /// The string form (`app=web,tier in (a,b)`) used in `Scale.status.selector`.
    pub(crate) fn to_query(&self) -> String {
        let mut parts: Vec<String> = self
            .reqs
            .iter()
            .map(|r| match &r.op {
                Op::Eq(v) => format!("{}={v}", r.key),
                Op::NotEq(v) => format!("{}!={v}", r.key),
                Op::In(vs) => format!("{} in ({})", r.key, sorted(vs).join(",")),
                Op::NotIn(vs) => format!("{} notin ({})", r.key, sorted(vs).join(",")),
                Op::Exists => r.key.clone(),
                Op::NotExists => format!("!{}", r.key),
            })
            .collect();
        parts.sort();
        parts.join(",")
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// `metav1.LabelSelector` object match; a missing/invalid selector matches
/// nothing, an empty one everything (policy/v1 semantics).
pub(crate) fn object_selector_matches(sel: Option<&Value>, labels: &Map<String, Value>) -> bool {
    match sel
        .filter(|s| !s.is_null())
        .and_then(LabelSelector::from_object)
    {
        Some(s) => s.matches(labels),
        None => false,
    }
}

/// A parsed `fieldSelector`.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldSelector {
    reqs: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// `allowed` are the resource's extra field labels; metadata.name and
    /// metadata.namespace are always allowed.
    pub(crate) fn parse(s: &str, allowed: &[String]) -> Result<FieldSelector, String> {
        let mut reqs = vec![];
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, eq, v) = if let Some((k, v)) = part.split_once("!=") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, true, v)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            };
            let k = k.trim();
            if k != "metadata.name" && k != "metadata.namespace" && !allowed.iter().any(|a| a == k)
            {
                return Err(format!("field label not supported: {k}"));
            }
            reqs.push((k.to_string(), eq, v.trim().to_string()));
        }
        Ok(FieldSelector { reqs })
    }

    pub(crate) fn matches(&self, obj: &Value) -> bool {
        self.reqs.iter().all(|(k, eq, v)| {
            let path: Vec<&str> = k.split('.').collect();
            let actual = match at(obj, &path) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => b.to_string(),
                Some(Value::Number(n)) => n.to_string(),
                // Unset booleans select as "false", like the typed
                // field-label functions that read Go zero values.
                None | Some(Value::Null)
                    if k == "spec.unschedulable" || k == "spec.hostNetwork" =>
                {
                    "false".into()
                }
                _ => String::new(),
            };
            (actual == *v) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn label_ops() {
        let l = labels(json!({"app": "web", "tier": "front"}));
        let ok = |s: &str| LabelSelector::parse(s).unwrap().matches(&l);
        assert!(ok("app=web"));
        assert!(ok("app==web"));
        assert!(!ok("app!=web"));
        assert!(ok("app in (web, db)"));
        assert!(!ok("app notin (web,db)"));
        assert!(ok("tier,app=web"));
        assert!(ok("!missing"));
        assert!(!ok("!app"));
        assert!(ok("missing notin (x)"));
        assert!(ok(""));
        assert!(LabelSelector::parse("app in (a").is_err());
        assert!(LabelSelector::parse("a b").is_err());
        assert!(LabelSelector::parse("app=we b").is_err());
        assert!(LabelSelector::parse("x>1").is_err());
    }

    #[test]
    fn object_selector() {
        let l = labels(json!({"app": "web"}));
        assert!(object_selector_matches(Some(&json!({})), &l));
        assert!(!object_selector_matches(None, &l));
        assert!(object_selector_matches(
            Some(
                &json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]})
            ),
            &l
        ));
        assert_eq!(
            LabelSelector::from_object(&json!({"matchLabels": {"b": "2", "a": "1"}}))
                .unwrap()
                .to_query(),
            "a=1,b=2"
        );
    }

    #[test]
    fn fields() {
        let allowed = vec!["spec.nodeName".to_string(), "status.phase".to_string()];
        let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}});
        assert!(FieldSelector::parse("spec.nodeName=n1", &allowed)
            .unwrap()
            .matches(&pod));
        assert!(
            FieldSelector::parse("status.phase!=Pending,metadata.name==p", &allowed)
                .unwrap()
                .matches(&pod)
        );
        assert!(!FieldSelector::parse("spec.nodeName=", &allowed)
            .unwrap()
            .matches(&pod));
        assert!(FieldSelector::parse("spec.foo=1", &allowed).is_err());
    }
}
