//! `?watch=true`: a chunked stream of `{"type":..,"object":..}` lines, fed
//! from the store's event broadcast. Resumes from `resourceVersion` via the
//! store history (410 Expired when too old), sends synthetic ADDED events
//! for rv "" / "0", supports `sendInitialEvents` with the
//! `k8s.io/initial-events-end` bookmark, and translates updates that move an
//! object in or out of a label/field selection into ADDED/DELETED, as the
//! API server's watch cache does.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Frame;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use crate::http::{selectors, served, Info};
use crate::resources::ResourceDef;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::state::State;
use crate::status::ApiError;
use crate::store::{EventType, StoreEvent};
use crate::table;
use crate::util::{labels_of, name_of, namespace_of};

/// Response body fed by the watch task; ends when the task drops its
/// sender (timeout, error, shutdown).
pub(crate) struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

struct Filter {
    def: ResourceDef,
    /// `kubectl get -w` asks for Table rows; `Some(includeObject)`.
    table: Option<Option<String>>,
    ns: Option<String>,
    name: Option<String>,
    label: LabelSelector,
    field: FieldSelector,
}

impl Filter {
    fn matches(&self, obj: &Value) -> bool {
        self.ns.as_deref().is_none_or(|ns| ns == namespace_of(obj))
            && self.name.as_deref().is_none_or(|n| n == name_of(obj))
            && self.label.matches(&labels_of(obj))
            && self.field.matches(obj)
    }

    fn translate(&self, ev: &StoreEvent) -> Option<Value> {
        if ev.group != self.def.group || ev.plural != self.def.plural {
            return None;
        }
        let now = self.matches(&ev.object);
        let before = ev.old.as_ref().is_some_and(|o| self.matches(o));
        let kind = match ev.kind {
            EventType::Added if now => "ADDED",
            EventType::Modified if now && before => "MODIFIED",
            EventType::Modified if now => "ADDED",
            EventType::Modified if before => "DELETED",
            EventType::Deleted if before => "DELETED",
            _ => return None,
        };
        Some(self.event(kind, &ev.object))
    }

    fn event(&self, kind: &str, obj: &Value) -> Value {
        let obj = served(&self.def, obj.clone());
        match &self.table {
            Some(include) => {
                let list = json!({"metadata": {"resourceVersion": obj["metadata"]["resourceVersion"].clone()}, "items": [obj]});
                event(kind, table::table(&self.def, &list, include.as_deref()))
            }
            None => event(kind, obj),
        }
    }
}

fn event(kind: &str, object: Value) -> Value {
    json!({"type": kind, "object": object})
}

fn line(v: &Value) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

fn expired(message: String) -> Value {
    event("ERROR", ApiError::gone(message).to_json())
}

fn bookmark(def: &ResourceDef, rv: u64, initial_end: bool) -> Value {
    let mut md = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        md["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    event(
        "BOOKMARK",
        json!({"kind": def.kind, "apiVersion": def.api_version(), "metadata": md}),
    )
}

pub(crate) fn start(
    st: &mut State,
    info: &Info,
    def: &ResourceDef,
    ns: Option<String>,
    name: Option<String>,
    table: bool,
) -> Result<ChannelBody, ApiError> {
    let (label, field) = selectors(info, def)?;
    let table = table.then(|| info.q("includeObject").map(str::to_string));
    let filter = Filter {
        def: def.clone(),
        table,
        ns,
        name,
        label,
        field,
    };
    let rv_param = info.q("resourceVersion").unwrap_or("");
    let send_initial = matches!(info.q("sendInitialEvents"), Some("true" | "1"));
    let bookmarks = matches!(info.q("allowWatchBookmarks"), Some("true" | "1"));
    let timeout = match info.q("timeoutSeconds") {
        Some(t) => Duration::from_secs(
            t.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds {t:?}")))?,
        ),
        // The API server picks 30-60 minutes; the client reconnects.
        None => Duration::from_secs(1800),
    };
    let mut rx = st.store.subscribe();
    let mut initial: Vec<Value> = vec![];
    let current = st.store.current_rv();
    let mut start_rv = current;
    let mut end_after_initial = false;
    if send_initial || rv_param.is_empty() || rv_param == "0" {
        let ns = if def.namespaced {
            filter.ns.as_deref()
        } else {
            None
        };
        for obj in st.store.list(&def.group, &def.plural, ns) {
            if filter.matches(obj) {
                initial.push(filter.event("ADDED", obj));
            }
        }
        if send_initial && bookmarks {
            initial.push(bookmark(def, current, true));
        }
    } else {
        let rv: u64 = rv_param.parse().map_err(|_| {
            ApiError::bad_request(format!("invalid resource version: {rv_param:?}"))
        })?;
        match st.store.events_since(rv) {
            Ok(events) => {
                initial.extend(events.iter().filter_map(|e| filter.translate(e)));
                start_rv = current.max(rv);
            }
            Err(oldest) => {
                initial.push(expired(format!(
                    "too old resource version: {rv} ({oldest})"
                )));
                end_after_initial = true;
            }
        }
    }
    let (tx, body_rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(async move {
        for e in &initial {
            if tx.send(line(e)).await.is_err() {
                return;
            }
        }
        if end_after_initial {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                received = rx.recv() => match received {
                    Ok(ev) => {
                        if ev.rv <= start_rv {
                            continue;
                        }
                        if let Some(e) = filter.translate(&ev) {
                            if tx.send(line(&e)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = tx.send(line(&expired("watch fell behind; relist required".into()))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    Ok(ChannelBody { rx: body_rx })
}
