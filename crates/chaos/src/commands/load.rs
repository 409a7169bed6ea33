//! Loading an experiment from a path or an http(s) URL (spec §1.2).

use chaos_experiment::load::{self, Document};

/// Loads SOURCE: an existing path, else an http(s) URL.
pub fn load(
    source: &str,
    verify_tls: bool,
    settings: &serde_json::Value,
) -> anyhow::Result<Document> {
    let path = std::path::Path::new(source);
    if path.exists() {
        return Ok(load::load_file(path)?);
    }
    match source.split_once("://") {
        Some((scheme, _)) if scheme == "http" || scheme == "https" => {
            fetch(source, verify_tls, settings)
        }
        Some((scheme, _)) => anyhow::bail!("'{scheme}' is not a supported source scheme."),
        None => Err(load::LoadError::NotFound(source.to_string()).into()),
    }
}

fn fetch(url: &str, verify_tls: bool, settings: &serde_json::Value) -> anyhow::Result<Document> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(!verify_tls)
            .build()?;
        let mut request = client
            .get(url)
            .header("Accept", "application/json, application/x-yaml");
        if let Some(auth) = authorization(url, settings) {
            request = request.header("Authorization", auth);
        }
        let response = request
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("Failed to fetch the experiment from {url}: {e}"))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await?;
        if status.as_u16() != 200 {
            anyhow::bail!(
                "Failed to fetch the experiment: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(load::parse_remote(&body, content_type.as_deref(), url)?)
    })
}

/// `CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN`, else the settings' `auths` entry
/// for the URL's host[:port].
fn authorization(url: &str, settings: &serde_json::Value) -> Option<String> {
    if let Ok(token) = std::env::var("CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN") {
        return Some(format!("bearer {}", token.trim()));
    }
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let netloc = match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let auth = settings.get("auths")?.get(&netloc)?;
    let kind = auth.get("type").map(chaos_pyvalue::py_str)?;
    let value = auth.get("value").map(chaos_pyvalue::py_str)?;
    Some(format!("{kind} {value}"))
}
