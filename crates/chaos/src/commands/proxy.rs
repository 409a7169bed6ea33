//! `chaos proxy serve`: the fault-injection proxy with Toxiproxy's API.

use super::CmdResult;
use crate::cli::{Cli, ProxyAction, ProxyServeArgs};
use crate::console::Console;
use crate::logfile::LogFile;

pub fn proxy(cli: &Cli, action: &ProxyAction, log: LogFile) -> CmdResult {
    match action {
        ProxyAction::Serve(args) => serve(cli, args, log),
    }
}

fn serve(cli: &Cli, args: &ProxyServeArgs, log: LogFile) -> CmdResult {
    let console = Console::new(cli.verbose, cli.log_format == "json", log);
    let runtime = match std::env::var("CHAOS_PROXY_THREADS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
    {
        Some(n) if n > 1 => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()?,
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
    };
    runtime.block_on(async {
        let proxies = chaos_proxy::Proxies::new(args.seed);
        if let Some(path) = &args.config {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read '{}': {e}", path.display()))?;
            let body: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("'{}' is not JSON: {e}", path.display()))?;
            let (done, err) = proxies.populate(&body);
            if let Some(e) = err {
                anyhow::bail!("'{}': {}", path.display(), e.message);
            }
            console.info(&format!(
                "Created {} proxies from {}",
                done.len(),
                path.display()
            ));
        }
        let address = format!("{}:{}", args.host, args.port);
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
        console.info(&format!(
            "API listening on {} (Toxiproxy {} compatible)",
            listener.local_addr()?,
            chaos_proxy::api::TOXIPROXY_VERSION
        ));
        let shutdown = tokio_util::sync::CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
            stop.cancel();
        });
        chaos_proxy::api::serve(listener, proxies.clone(), shutdown).await?;
        proxies.shutdown();
        console.info("Proxies stopped");
        Ok(0)
    })
}
