//! The object store: every object as JSON, keyed by (group, plural) and
//! (namespace, name), with one global resourceVersion counter (etcd's
//! revision) and an event history so watches can resume from any recent
//! resourceVersion the way they do against a real API server.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::util::{name_of, namespace_of, obj_at};

/// How many past events a watch can resume from before getting 410 Gone.
const HISTORY: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug)]
pub(crate) struct StoreEvent {
    pub rv: u64,
    pub group: String,
    pub plural: String,
    pub kind: EventType,
    pub object: Value,
    /// The previous state, so a label-selected watch can turn an update
    /// that leaves the selection into DELETED (as the watch cache does).
    pub old: Option<Value>,
}

type Key = (String, String);

pub(crate) struct Store {
    objects: HashMap<Key, BTreeMap<Key, Value>>,
    rv: u64,
    history: VecDeque<Arc<StoreEvent>>,
    tx: broadcast::Sender<Arc<StoreEvent>>,
}

impl Store {
    pub(crate) fn new(tx: broadcast::Sender<Arc<StoreEvent>>) -> Store {
        Store {
            objects: HashMap::new(),
            rv: 1,
            history: VecDeque::new(),
            tx,
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<StoreEvent>> {
        self.tx.subscribe()
    }

    pub(crate) fn current_rv(&self) -> u64 {
        self.rv
    }

    /// Events strictly after `rv`, or `Err(oldest)` when `rv` fell out of
    /// the history window.
    pub(crate) fn events_since(&self, rv: u64) -> Result<Vec<Arc<StoreEvent>>, u64> {
        let oldest = self.history.front().map(|e| e.rv).unwrap_or(self.rv + 1);
        // Only a trimmed history can have lost events after `rv`.
        if self.history.len() >= HISTORY && rv.saturating_add(1) < oldest {
            return Err(oldest);
        }
        Ok(self.history.iter().filter(|e| e.rv > rv).cloned().collect())
    }

    pub(crate) fn get(&self, group: &str, plural: &str, ns: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(&(group.to_string(), plural.to_string()))?
            .get(&(ns.to_string(), name.to_string()))
    }

    /// Objects in key order (namespace, then name), like etcd range reads.
    pub(crate) fn list(&self, group: &str, plural: &str, ns: Option<&str>) -> Vec<&Value> {
        match self.objects.get(&(group.to_string(), plural.to_string())) {
            Some(m) => m
                .iter()
                .filter(|((n, _), _)| ns.is_none_or(|ns| ns == n))
                .map(|(_, v)| v)
                .collect(),
            None => vec![],
        }
    }

    pub(crate) fn list_cloned(&self, group: &str, plural: &str, ns: Option<&str>) -> Vec<Value> {
        self.list(group, plural, ns).into_iter().cloned().collect()
    }

    /// Every (group, plural) that has objects in namespace `ns`.
    pub(crate) fn kinds_in_namespace(&self, ns: &str) -> Vec<(String, String)> {
        self.objects
            .iter()
            .filter(|(_, m)| m.keys().any(|(n, _)| n == ns))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn emit(&mut self, ev: StoreEvent) {
        let ev = Arc::new(ev);
        self.history.push_back(ev.clone());
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        // No receivers is normal (no watch open).
        let _ = self.tx.send(ev);
    }

    /// Creates or replaces; assigns the next resourceVersion and returns the
    /// stored object.
    pub(crate) fn put(&mut self, group: &str, plural: &str, mut obj: Value) -> Value {
        self.rv += 1;
        obj_at(&mut obj, &["metadata"])
            .insert("resourceVersion".into(), json!(self.rv.to_string()));
        let key = (namespace_of(&obj).to_string(), name_of(&obj).to_string());
        let old = self
            .objects
            .entry((group.to_string(), plural.to_string()))
            .or_default()
            .insert(key, obj.clone());
        let kind = if old.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.emit(StoreEvent {
            rv: self.rv,
            group: group.into(),
            plural: plural.into(),
            kind,
            object: obj.clone(),
            old,
        });
        obj
    }

    pub(crate) fn remove(
        &mut self,
        group: &str,
        plural: &str,
        ns: &str,
        name: &str,
    ) -> Option<Value> {
        let mut obj = self
            .objects
            .get_mut(&(group.to_string(), plural.to_string()))?
            .remove(&(ns.to_string(), name.to_string()))?;
        self.rv += 1;
        let old = obj.clone();
        obj_at(&mut obj, &["metadata"])
            .insert("resourceVersion".into(), json!(self.rv.to_string()));
        self.emit(StoreEvent {
            rv: self.rv,
            group: group.into(),
            plural: plural.into(),
            kind: EventType::Deleted,
            object: obj.clone(),
            old: Some(old),
        });
        Some(obj)
    }

    /// All objects of every type, for garbage collection by owner uid.
    pub(crate) fn all_objects(&self) -> Vec<(String, String, Value)> {
        self.objects
            .iter()
            .flat_map(|((g, p), m)| m.values().map(move |v| (g.clone(), p.clone(), v.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rv_and_events() {
        let (tx, _) = broadcast::channel(16);
        let mut s = Store::new(tx);
        let a = s.put(
            "",
            "pods",
            json!({"metadata": {"name": "a", "namespace": "d"}}),
        );
        let b = s.put(
            "",
            "pods",
            json!({"metadata": {"name": "a", "namespace": "d"}, "x": 1}),
        );
        assert!(
            a["metadata"]["resourceVersion"].as_str() < b["metadata"]["resourceVersion"].as_str()
        );
        let evs = s.events_since(0).unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[1].kind, EventType::Modified);
        let gone = s.remove("", "pods", "d", "a").unwrap();
        assert_eq!(gone["metadata"]["resourceVersion"], "4");
        assert!(s.get("", "pods", "d", "a").is_none());
        assert_eq!(s.events_since(3).unwrap().len(), 1);
    }
}
