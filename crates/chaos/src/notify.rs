//! Notifications: the settings file's `notifications` channels receive the
//! reference's events (`run-started`, `run-completed`, `run-failed`,
//! `run-deviated`, `validate-*`, `discovery-*`) with its payload
//! (`{"name", "payload", "phase", "ts", "error"}`), as chaoslib 1.44's
//! `notification.py` sends them (`docs/design/controls.md` §2). A channel
//! that refuses, fails or hangs never changes the command's outcome; it
//! costs at most the reference's timeouts (2 s to connect, 5 s to answer).
//!
//! `type: http` channels get the reference's payload. `type: slack` (ours)
//! is a Slack-style incoming webhook (Slack, Mattermost, Rocket.Chat,
//! Discord's `/slack` endpoints): the same events, as one line of text a
//! person reads in a channel. A `type: plugin` channel (a Python function)
//! is skipped, as any unknown channel type is.

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
                match channel.get("type").and_then(Value::as_str) {
                    Some("http") => send_one(channel, &body).await,
                    Some("slack") => {
                        let text = slack_text(name, payload, error);
                        send_slack(channel, &text).await
                    }
                    _ => {}
                }
            }
        });
    }
}

/// A client with the reference's timeouts and the channel's TLS choice.
fn client(channel: &Map<String, Value>) -> Option<reqwest::Client> {
    let verify = channel
        .get("verify_tls")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(7))
        .danger_accept_invalid_certs(!verify)
        .build()
        .ok()
}

async fn send_one(channel: &Map<String, Value>, body: &Value) {
    let Some(url) = channel.get("url").and_then(Value::as_str) else {
        return;
    };
    let Some(client) = client(channel) else {
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

/// Posts `{"text": ...}` (plus the optional `channel`, `username` and
/// `icon_emoji` of the channel's settings) to an incoming webhook.
async fn send_slack(channel: &Map<String, Value>, text: &str) {
    let Some(url) = channel.get("url").and_then(Value::as_str) else {
        return;
    };
    let Some(client) = client(channel) else {
        return;
    };
    let mut body = Map::new();
    body.insert("text".into(), Value::from(text));
    for key in ["channel", "username", "icon_emoji"] {
        if let Some(v) = channel.get(key).and_then(Value::as_str) {
            body.insert(key.into(), Value::from(v));
        }
    }
    let _ = client.post(url).json(&Value::Object(body)).send().await;
}

/// One line for people: what happened to which experiment.
fn slack_text(event: &str, payload: &Value, error: Option<&str>) -> String {
    let title = payload
        .get("title")
        .or_else(|| payload.pointer("/experiment/title"))
        .and_then(Value::as_str)
        .unwrap_or("(untitled)");
    let duration = payload
        .get("duration")
        .and_then(Value::as_f64)
        .map(|d| format!(" in {d:.1} s"))
        .unwrap_or_default();
    let status = payload
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("failed");
    let why = error.map(|e| format!(": {e}")).unwrap_or_default();
    match event {
        "run-started" => format!(":arrow_forward: Chaos experiment *{title}* started"),
        "run-completed" => {
            format!(":white_check_mark: Chaos experiment *{title}* completed{duration}")
        }
        "run-failed" => {
            format!(":x: Chaos experiment *{title}* ended *{status}*{duration}{why}")
        }
        "run-deviated" => format!(
            ":warning: Chaos experiment *{title}* deviated from its steady state: a weakness may have been found"
        ),
        "validate-started" => format!(":mag: Validating chaos experiment *{title}*"),
        "validate-completed" => format!(":white_check_mark: Chaos experiment *{title}* is valid"),
        "validate-failed" => format!(":x: Chaos experiment *{title}* is not valid{why}"),
        other if other.starts_with("discovery-") => {
            let target = payload.as_str().unwrap_or("an extension");
            format!("Discovery of {target}: {}{why}", &other["discovery-".len()..])
        }
        other => format!("Chaos experiment *{title}*: {other}{why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slack_lines_say_what_happened_to_which_experiment() {
        let journal = json!({"experiment": {"title": "cache loss"}, "status": "interrupted", "duration": 12.34});
        assert_eq!(
            slack_text("run-failed", &journal, None),
            ":x: Chaos experiment *cache loss* ended *interrupted* in 12.3 s"
        );
        assert_eq!(
            slack_text("run-started", &json!({"title": "cache loss"}), None),
            ":arrow_forward: Chaos experiment *cache loss* started"
        );
        assert!(
            slack_text("validate-failed", &json!({"title": "t"}), Some("bad"))
                .ends_with("is not valid: bad")
        );
    }
}
