//! Which cluster an activity talks to, decided as chaostoolkit-kubernetes
//! decides it (`create_k8s_api_client`), on every call:
//!
//! 1. a kubeconfig file (`KUBECONFIG`, else `~/.kube/config`), with the
//!    context `KUBERNETES_CONTEXT` (the activity's secrets, then the
//!    environment) or the file's current context;
//! 2. else, inside a pod (`CHAOSTOOLKIT_IN_POD=true`), the service account;
//! 3. else the `KUBERNETES_*` variables (secrets first, then environment):
//!    `KUBERNETES_HOST`, `KUBERNETES_API_KEY` and `KUBERNETES_API_KEY_PREFIX`,
//!    `KUBERNETES_CERT_FILE`/`KUBERNETES_KEY_FILE`, `KUBERNETES_CA_CERT_FILE`,
//!    `KUBERNETES_VERIFY_SSL`.
//!
//! Clients are cached by what decided them, so a run of many activities
//! builds one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use chaos_pyvalue::{py_str, Map, Value};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// A client and what it is connected to, for messages.
#[derive(Clone)]
pub struct Connection {
    /// The client.
    pub client: kube::Client,
    /// "cluster <url> (context <name>)", or how the credentials were found.
    pub target: String,
}

/// Connections already made, by the inputs that decided them.
#[derive(Default)]
pub struct Connections {
    made: Mutex<HashMap<String, Connection>>,
}

/// A credentials value: the activity's secrets first, then the environment.
fn lookup(secrets: &Map<String, Value>, key: &str) -> Option<Value> {
    secrets
        .get(key)
        .cloned()
        .or_else(|| std::env::var(key).ok().map(Value::String))
}

fn lookup_str(secrets: &Map<String, Value>, key: &str) -> Option<String> {
    lookup(secrets, key).map(|v| py_str(&v))
}

fn kubeconfig_path() -> Option<PathBuf> {
    let raw = std::env::var("KUBECONFIG")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "~/.kube/config".into());
    // kubectl accepts a list; the first existing file is the one we read.
    raw.split(':').map(expand_user).find(|p| p.is_file())
}

fn expand_user(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

impl Connections {
    /// The client for an activity whose secrets are `secrets`.
    pub async fn connect(&self, secrets: &Map<String, Value>) -> Result<Connection, String> {
        let context = lookup_str(secrets, "KUBERNETES_CONTEXT");
        let (key, how) = if let Some(path) = kubeconfig_path() {
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .map(|t| format!("{t:?}"))
                .unwrap_or_default();
            (
                format!("kubeconfig {} {modified} {context:?}", path.display()),
                How::Kubeconfig(path, context),
            )
        } else if std::env::var("CHAOSTOOLKIT_IN_POD").as_deref() == Ok("true") {
            ("in-pod".to_string(), How::InPod)
        } else {
            let explicit = Explicit::from(secrets);
            (format!("explicit {explicit:?}"), How::Explicit(explicit))
        };
        if let Some(c) = self
            .made
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(c.clone());
        }
        let (config, target) = how.config().await?;
        let client = kube::Client::try_from(config)
            .map_err(|e| format!("cannot create a Kubernetes client for {target}: {e}"))?;
        let connection = Connection { client, target };
        self.made
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, connection.clone());
        Ok(connection)
    }
}

enum How {
    Kubeconfig(PathBuf, Option<String>),
    InPod,
    Explicit(Explicit),
}

impl How {
    async fn config(self) -> Result<(kube::Config, String), String> {
        match self {
            How::Kubeconfig(path, context) => {
                let kubeconfig = Kubeconfig::read_from(&path)
                    .map_err(|e| format!("cannot read the kubeconfig {}: {e}", path.display()))?;
                let chosen = context
                    .clone()
                    .or_else(|| kubeconfig.current_context.clone())
                    .unwrap_or_default();
                let options = KubeConfigOptions {
                    context: context.clone(),
                    ..Default::default()
                };
                let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .map_err(|e| {
                        format!(
                            "cannot use context '{chosen}' of the kubeconfig {}: {e}",
                            path.display()
                        )
                    })?;
                let target = format!("cluster {} (context '{chosen}')", config.cluster_url);
                Ok((config, target))
            }
            How::InPod => {
                let config = kube::Config::incluster()
                    .map_err(|e| format!("cannot use the pod's service account: {e}"))?;
                let target = format!("cluster {} (in-pod service account)", config.cluster_url);
                Ok((config, target))
            }
            How::Explicit(e) => e.config(),
        }
    }
}

/// The `KUBERNETES_*` variables of the explicit mode.
#[derive(Debug)]
struct Explicit {
    host: String,
    api_key: Option<String>,
    api_key_prefix: String,
    cert_file: Option<String>,
    key_file: Option<String>,
    ca_file: Option<String>,
    verify: bool,
}

impl Explicit {
    fn from(secrets: &Map<String, Value>) -> Self {
        Explicit {
            host: lookup_str(secrets, "KUBERNETES_HOST")
                .unwrap_or_else(|| "http://localhost".into()),
            api_key: lookup_str(secrets, "KUBERNETES_API_KEY"),
            api_key_prefix: lookup_str(secrets, "KUBERNETES_API_KEY_PREFIX")
                .unwrap_or_else(|| "Bearer".into()),
            cert_file: lookup_str(secrets, "KUBERNETES_CERT_FILE"),
            key_file: lookup_str(secrets, "KUBERNETES_KEY_FILE"),
            ca_file: lookup_str(secrets, "KUBERNETES_CA_CERT_FILE"),
            // The reference verifies TLS when the variable is set to anything
            // but a JSON `false`, and not at all when it is unset.
            verify: match lookup(secrets, "KUBERNETES_VERIFY_SSL") {
                None | Some(Value::Bool(false)) => false,
                Some(_) => true,
            },
        }
    }

    fn config(self) -> Result<(kube::Config, String), String> {
        let url: http::Uri = self
            .host
            .parse()
            .map_err(|e| format!("KUBERNETES_HOST '{}' is not a URL: {e}", self.host))?;
        let mut config = kube::Config::new(url);
        config.accept_invalid_certs = !self.verify;
        if let Some(ca) = &self.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| format!("cannot read KUBERNETES_CA_CERT_FILE {ca}: {e}"))?;
            let certs = pem_certificates(&pem);
            if certs.is_empty() {
                return Err(format!("KUBERNETES_CA_CERT_FILE {ca} holds no certificate"));
            }
            config.root_cert = Some(certs);
        }
        if let Some(key) = &self.api_key {
            let value = format!("{} {key}", self.api_key_prefix);
            let header = http::HeaderValue::from_str(&value)
                .map_err(|_| "KUBERNETES_API_KEY holds characters a header cannot".to_string())?;
            config.headers.push((http::header::AUTHORIZATION, header));
        } else if let (Some(cert), Some(key)) = (&self.cert_file, &self.key_file) {
            config.auth_info.client_certificate = Some(cert.clone());
            config.auth_info.client_key = Some(key.clone());
        }
        let target = format!("cluster {} (KUBERNETES_HOST)", self.host);
        Ok((config, target))
    }
}

/// The DER certificates of a PEM bundle.
fn pem_certificates(pem: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(pem);
    let mut certs = Vec::new();
    let mut inside = None::<String>;
    for line in text.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            inside = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            if let Some(b64) = inside.take() {
                if let Ok(der) = base64_decode(&b64) {
                    certs.push(der);
                }
            }
        } else if let Some(b) = inside.as_mut() {
            b.push_str(line);
        }
    }
    certs
}

fn base64_decode(s: &str) -> Result<Vec<u8>, ()> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| ())
}
