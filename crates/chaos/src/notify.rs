//! Notifications: the settings file's `notifications` channels receive the
//! reference's events (`run-started`, `run-completed`, `run-failed`,
//! `run-deviated`, `validate-*`, `discovery-*`) with its payload
//! (`{"name", "payload", "phase", "ts", "error"}`), as chaoslib 1.44's
//! `notification.py` sends them (`docs/design/controls.md` §2). A channel
//! that refuses, fails or hangs never changes the command's outcome; it
//! costs at most the reference's timeouts (2 s to connect, 5 s to answer).
//!
//! Only `type: http` channels are served; a `type: plugin` channel (a
//! Python function) is skipped, as any unknown channel type is.

use std::time::Duration;

use serde_json::{Map, Value};

/// Where events go, from the settings file.
pub struct Notifier {
    channels: Vec<Map<String, Value>>,
}

impl Notifier {
    /// The channels of `settings.notifications` (none when absent).
    pub fn from_settings(settings: &Value) -> Notifier {
        let channels = settings
            .get("notifications")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|c| c.as_object().cloned()).collect())
            .unwrap_or_default();
        Notifier { channels }
    }

    /// Sends `name` to every channel that wants it, one after the other, as
    /// the reference does; returns once all have answered or timed out.
    pub fn send(&self, name: &str, phase: &str, payload: &Value, error: Option<&str>) {
        let wanted: Vec<&Map<String, Value>> = self
            .channels
            .iter()
            .filter(|c| match c.get("events").and_then(Value::as_array) {
                Some(events) if !events.is_empty() => {
                    events.iter().any(|e| e.as_str() == Some(name))
                }
                _ => true,
            })
            .collect();
        if wanted.is_empty() {
            return;
        }
        let mut body = Map::new();
        body.insert("name".into(), Value::from(name));
        body.insert("payload".into(), payload.clone());
        body.insert("phase".into(), Value::from(phase));
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        body.insert("ts".into(), Value::from(ts));
        if let Some(e) = error.filter(|e| !e.is_empty()) {
            body.insert("error".into(), Value::from(e));
        }
        let body = Value::Object(body);
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async {
            for channel in wanted {
                send_one(channel, &body).await;
            }
        });
    }
}

async fn send_one(channel: &Map<String, Value>, body: &Value) {
    if channel.get("type").and_then(Value::as_str) != Some("http") {
        return;
    }
    let Some(url) = channel.get("url").and_then(Value::as_str) else {
        return;
    };
    let verify = channel
        .get("verify_tls")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let Ok(client) = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(7))
        .danger_accept_invalid_certs(!verify)
        .build()
    else {
        return;
    };
    let forward = channel
        .get("forward_event_payload")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut request = if forward {
        client.post(url).json(body)
    } else {
        client.get(url)
    };
    if let Some(Value::Object(headers)) = channel.get("headers") {
        for (k, v) in headers {
            request = request.header(k.as_str(), chaos_pyvalue::py_str(v));
        }
    }
    // The reference logs failures at debug level only: nothing reaches the
    // user or the exit code.
    let _ = request.send().await;
}
