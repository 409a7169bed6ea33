//! The floor for a tokio forwarder, for `bench/proxy`: accept on
//! 127.0.0.1:LISTEN, connect to 127.0.0.1:UPSTREAM and run
//! `tokio::io::copy_bidirectional` on a single-threaded runtime — what the
//! proxy does with no toxic, minus everything that makes it a proxy.
//!
//! `cargo run --release -p chaos-proxy --example copy_floor -- LISTEN UPSTREAM`

use tokio::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(listen), Some(upstream)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: copy_floor LISTEN_PORT UPSTREAM_PORT");
        std::process::exit(2);
    };
    let listen = format!("127.0.0.1:{listen}");
    let upstream = format!("127.0.0.1:{upstream}");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind(listen).await?;
            loop {
                let (mut client, _) = listener.accept().await?;
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        })
}
