//! The three patch formats the API server accepts for JSON: RFC 7386 merge
//! patch, strategic merge patch (merge patch plus keyed list merging and the
//! `$patch` / `$setElementOrder` / `$retainKeys` / `$deleteFromPrimitiveList`
//! directives kubectl emits), and RFC 6902 JSON patch.

use serde_json::{Map, Value};

/// RFC 7386.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The merge key of the well-known lists that Kubernetes' Go structs tag
/// with `patchStrategy:"merge"`. Keyed by field name alone: the same field
/// name has the same key everywhere it is used in core types.
fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    Some(match field {
        // Container ports merge on containerPort, Service ports on port.
        "ports"
            if items
                .first()
                .is_some_and(|i| i.get("containerPort").is_none()) =>
        {
            "port"
        }
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "ports" => "containerPort",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "addresses" => "type",
        _ => return None,
    })
}

/// Lists of scalars merged as sets (`patchStrategy:"merge"` on []string).
fn merges_primitives(field: &str) -> bool {
    field == "finalizers"
}

pub(crate) fn strategic_merge_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    if let Some(directive) = p.get("$patch").and_then(Value::as_str) {
        match directive {
            "replace" => {
                let mut p = p.clone();
                p.remove("$patch");
                *target = Value::Object(p);
                return Ok(());
            }
            "delete" => {
                *target = Value::Null;
                return Ok(());
            }
            "merge" => {}
            other => return Err(format!("Unknown patch type: {other}")),
        }
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let retain: Option<Vec<String>> = p.get("$retainKeys").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect()
    });
    let t = target.as_object_mut().expect("object");
    for (k, v) in p {
        if k.starts_with("$setElementOrder/") || k == "$retainKeys" || k == "$patch" {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(remove)) = (t.get_mut(field), v.as_array()) {
                list.retain(|x| !remove.contains(x));
            }
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (t.get_mut(k), v) {
            (Some(Value::Array(cur)), Value::Array(items)) => {
                if let Some(key) =
                    merge_key(k, items).filter(|_| items.iter().all(Value::is_object))
                {
                    merge_keyed_list(cur, items, key)?;
                } else if merges_primitives(k) {
                    for item in items {
                        if !cur.contains(item) {
                            cur.push(item.clone());
                        }
                    }
                } else {
                    *cur = items.clone();
                }
            }
            (Some(cur @ Value::Object(_)), Value::Object(_)) => {
                strategic_merge_patch(cur, v)?;
                if cur.is_null() {
                    t.remove(k);
                }
            }
            _ => {
                let mut fresh = Value::Null;
                if v.is_object() {
                    strategic_merge_patch(&mut fresh, v)?;
                } else {
                    fresh = strip_directives(v);
                }
                t.insert(k.clone(), fresh);
            }
        }
    }
    if let Some(keep) = retain {
        t.retain(|k, _| keep.contains(k));
    }
    Ok(())
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .filter(|x| x.get("$patch").and_then(Value::as_str) != Some("delete"))
                .map(strip_directives)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn merge_keyed_list(cur: &mut Vec<Value>, items: &[Value], key: &str) -> Result<(), String> {
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        *cur = items
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .map(strip_directives)
            .collect();
        return Ok(());
    }
    for item in items {
        let Some(k) = item.get(key) else {
            return Err(format!(
                "map: {item} does not contain declared merge key: {key}"
            ));
        };
        let pos = cur.iter().position(|c| c.get(key) == Some(k));
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(pos) = pos {
                cur.remove(pos);
            }
            continue;
        }
        match pos {
            Some(pos) => strategic_merge_patch(&mut cur[pos], item)?,
            None => {
                let mut fresh = Value::Null;
                strategic_merge_patch(&mut fresh, item)?;
                cur.push(fresh);
            }
        }
    }
    Ok(())
}

/// Why a JSON patch failed: malformed documents are 400s, operations that
/// do not apply to this object are 422s, as in the API server.
#[derive(Debug)]
pub(crate) enum JsonPatchError {
    Malformed(String),
    NotApplicable(String),
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn tokens(path: &str) -> Result<Vec<String>, JsonPatchError> {
    if path.is_empty() {
        return Ok(vec![]);
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| JsonPatchError::Malformed(format!("invalid JSON pointer {path:?}")))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn missing(path: &str) -> JsonPatchError {
    JsonPatchError::NotApplicable(format!("doc is missing path: \"{path}\": missing value"))
}

fn get_ptr<'a>(doc: &'a Value, path: &str) -> Result<&'a Value, JsonPatchError> {
    let mut cur = doc;
    for t in tokens(path)? {
        cur = match cur {
            Value::Object(m) => m.get(&t).ok_or_else(|| missing(path))?,
            Value::Array(a) => t
                .parse::<usize>()
                .ok()
                .and_then(|i| a.get(i))
                .ok_or_else(|| missing(path))?,
            _ => return Err(missing(path)),
        };
    }
    Ok(cur)
}

fn parent_mut<'a>(
    doc: &'a mut Value,
    path: &str,
) -> Result<(&'a mut Value, String), JsonPatchError> {
    let mut toks = tokens(path)?;
    let last = toks
        .pop()
        .ok_or_else(|| JsonPatchError::NotApplicable("cannot operate on the root".into()))?;
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get_mut(&t).ok_or_else(|| missing(path))?,
            Value::Array(a) => t
                .parse::<usize>()
                .ok()
                .and_then(|i| a.get_mut(i))
                .ok_or_else(|| missing(path))?,
            _ => return Err(missing(path)),
        };
    }
    Ok((cur, last))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), JsonPatchError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = parent_mut(doc, path)?;
    match parent {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
            } else {
                let i = last
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i <= a.len())
                    .ok_or_else(|| missing(path))?;
                a.insert(i, value);
            }
        }
        _ => return Err(missing(path)),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, JsonPatchError> {
    let (parent, last) = parent_mut(doc, path)?;
    match parent {
        Value::Object(m) => m.remove(&last).ok_or_else(|| missing(path)),
        Value::Array(a) => {
            let i = last
                .parse::<usize>()
                .ok()
                .filter(|i| *i < a.len())
                .ok_or_else(|| missing(path))?;
            Ok(a.remove(i))
        }
        _ => Err(missing(path)),
    }
}

/// RFC 6902, applied atomically to a copy.
pub(crate) fn json_patch(doc: &Value, patch: &Value) -> Result<Value, JsonPatchError> {
    let ops = patch.as_array().ok_or_else(|| {
        JsonPatchError::Malformed(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch".into(),
        )
    })?;
    let mut doc = doc.clone();
    for op in ops {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .ok_or_else(|| JsonPatchError::Malformed("Unexpected kind: unknown".into()))?;
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| JsonPatchError::Malformed(format!("operation missing path: {op}")))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| JsonPatchError::Malformed(format!("operation missing value: {op}")))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| JsonPatchError::Malformed(format!("operation missing from: {op}")))
        };
        match kind {
            "add" => add(&mut doc, path, value()?)?,
            "remove" => {
                remove(&mut doc, path)?;
            }
            "replace" => {
                get_ptr(&doc, path)?;
                if path.is_empty() {
                    doc = value()?;
                } else {
                    remove(&mut doc, path)?;
                    add(&mut doc, path, value()?)?;
                }
            }
            "move" => {
                let v = remove(&mut doc, from()?)?;
                add(&mut doc, path, v)?;
            }
            "copy" => {
                let v = get_ptr(&doc, from()?)?.clone();
                add(&mut doc, path, v)?;
            }
            "test" => {
                let want = value()?;
                let got = get_ptr(&doc, path)?;
                if *got != want {
                    return Err(JsonPatchError::NotApplicable(
                        "testing value failed".to_string(),
                    ));
                }
            }
            other => {
                return Err(JsonPatchError::Malformed(format!(
                    "Unexpected kind: {other}"
                )))
            }
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        merge_patch(&mut t, &json!({"a": {"b": null, "d": 3}, "l": [3]}));
        assert_eq!(t, json!({"a": {"c": 2, "d": 3}, "l": [3]}));
    }

    #[test]
    fn strategic_containers() {
        let mut t = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}], "unschedulable": true}});
        strategic_merge_patch(
            &mut t,
            &json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
                "containers": [{"name": "b", "image": "z"}, {"name": "a", "$patch": "delete"}], "unschedulable": null}}),
        )
        .unwrap();
        assert_eq!(
            t,
            json!({"spec": {"containers": [{"name": "b", "image": "z"}]}})
        );
        let mut t = json!({"metadata": {"finalizers": ["a"]}, "spec": {"args": ["1"]}});
        strategic_merge_patch(
            &mut t,
            &json!({"metadata": {"finalizers": ["b"]}, "spec": {"args": ["2"]}}),
        )
        .unwrap();
        assert_eq!(
            t,
            json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"args": ["2"]}})
        );
    }

    #[test]
    fn rfc6902() {
        let doc = json!({"a": [1, 2], "b": {"c": "d"}});
        let out = json_patch(
            &doc,
            &json!([
                {"op": "add", "path": "/a/-", "value": 3},
                {"op": "replace", "path": "/b/c", "value": "e"},
                {"op": "copy", "from": "/b", "path": "/f"},
                {"op": "move", "from": "/a/0", "path": "/g"},
                {"op": "remove", "path": "/b"},
                {"op": "test", "path": "/g", "value": 1},
                {"op": "add", "path": "/h~1i", "value": true}
            ]),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"a": [2, 3], "f": {"c": "e"}, "g": 1, "h/i": true})
        );
        assert!(matches!(
            json_patch(&doc, &json!([{"op": "remove", "path": "/zz"}])),
            Err(JsonPatchError::NotApplicable(_))
        ));
        assert!(matches!(
            json_patch(&doc, &json!({"op": "x"})),
            Err(JsonPatchError::Malformed(_))
        ));
        assert!(matches!(
            json_patch(&doc, &json!([{"op": "test", "path": "/a/0", "value": 9}])),
            Err(JsonPatchError::NotApplicable(_))
        ));
    }
}
