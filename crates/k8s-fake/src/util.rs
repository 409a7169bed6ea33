//! Small helpers shared by the store, the HTTP layer and the controllers:
//! a seedable random source for names and uids, Kubernetes timestamps, and
//! JSON accessors that never panic on odd client input.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// The alphabet Kubernetes uses for generated name suffixes and template
/// hashes (`k8s.io/apimachinery/pkg/util/rand`): no vowels, no confusable
/// digits, so generated names never spell words.
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// splitmix64: tiny, dependency-free, good enough for names and uids.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn from_entropy() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed);
        let stack = &nanos as *const u64 as u64;
        Rng(nanos ^ stack.rotate_left(32) ^ u64::from(std::process::id()))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A random RFC 4122 version-4 UUID, the format of `metadata.uid`.
    pub(crate) fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let bytes: Vec<u8> = a
            .to_be_bytes()
            .iter()
            .chain(b.to_be_bytes().iter())
            .copied()
            .collect();
        let mut out = String::with_capacity(36);
        for (i, byte) in bytes.iter().enumerate() {
            let byte = match i {
                6 => (byte & 0x0f) | 0x40,
                8 => (byte & 0x3f) | 0x80,
                _ => *byte,
            };
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push('-');
            }
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// `n` characters of the safe alphabet, as in `generateName` suffixes.
    pub(crate) fn suffix(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| SAFE_ALPHABET[(self.next_u64() % SAFE_ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    pub(crate) fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }
}

/// Same encoding as `rand.SafeEncodeString(fmt.Sprint(fnv32a(template)))`
/// so ReplicaSet names look like the real `web-7c5ddbdf54`.
pub(crate) fn template_hash(template: &Value, collision_count: u64) -> String {
    let mut h: u32 = 0x811c_9dc5;
    let text = format!("{template}{collision_count}");
    for b in text.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string()
        .bytes()
        .map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// 16 hex digits of FNV-1a over `text` and `salt`: stable fake ids.
pub(crate) fn template_hash_hex(text: &str, salt: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes().chain(salt.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

/// `metav1.Time`: second precision, always `Z`.
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn now_ts() -> String {
    timestamp(now())
}

pub(crate) fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = cur.as_object()?.get(*p)?;
    }
    Some(cur)
}

/// Walks to `path`, creating objects on the way (replacing non-objects),
/// so controllers can write `status.x` into whatever a client stored.
pub(crate) fn obj_at<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    let mut cur = v;
    for p in path {
        let map = cur.as_object_mut().expect("ensured object");
        let entry = map
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        cur = entry;
    }
    cur.as_object_mut().expect("ensured object")
}

pub(crate) fn name_of(v: &Value) -> &str {
    str_at(v, &["metadata", "name"]).unwrap_or("")
}

pub(crate) fn namespace_of(v: &Value) -> &str {
    str_at(v, &["metadata", "namespace"]).unwrap_or("")
}

pub(crate) fn uid_of(v: &Value) -> &str {
    str_at(v, &["metadata", "uid"]).unwrap_or("")
}

pub(crate) fn labels_of(v: &Value) -> Map<String, Value> {
    at(v, &["metadata", "labels"])
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Integer fields may arrive as JSON floats (`3.0`) from some clients.
pub(crate) fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    let x = at(v, path)?;
    x.as_i64()
        .or_else(|| x.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
}

/// The controller reference (`ownerReferences[].controller == true`).
pub(crate) fn controller_ref(v: &Value) -> Option<&Value> {
    at(v, &["metadata", "ownerReferences"])?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
}

pub(crate) fn owner_ref(owner: &Value) -> Value {
    serde_json::json!({
        "apiVersion": owner.get("apiVersion").cloned().unwrap_or(Value::Null),
        "kind": owner.get("kind").cloned().unwrap_or(Value::Null),
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Percent-decoding for query strings. Invalid escapes are kept literally
/// instead of failing the request: selectors parsed from the result report
/// their own, more useful, errors.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// The same resourceVersion-independent comparison the controllers use to
/// avoid writing (and waking watchers) when nothing changed.
pub(crate) fn same_ignoring_rv(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
        }
        v
    };
    strip(a) == strip(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let mut r = Rng(1);
        let u = r.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn decode() {
        assert_eq!(percent_decode("app%3Dweb%2Ctier+in"), "app=web,tier in");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn hash_alphabet() {
        let h = template_hash(&serde_json::json!({"a": 1}), 0);
        assert!(h.chars().all(|c| SAFE_ALPHABET.contains(&(c as u8))));
        assert!(!h.is_empty() && h.len() <= 10);
    }
}
