//! The sample service of "Learning Chaos Engineering", chapter 5: an HTTP
//! service that answers every request with the content of its exchange file.
//!
//! Like the book's first version, it fails hard (500) when the file is gone;
//! started with `--improved`, it answers 503 (Service Unavailable) instead,
//! which is the behaviour the book's experiment accepts.
//!
//! ```text
//! chaos-sample-service [--port N] [--exchange-file PATH] [--improved] [--max-seconds S]
//! ```
//! With `--port 0` it picks a free port and prints it on the first line of
//! stdout. It binds to 127.0.0.1 only and stops by itself after
//! `--max-seconds` (default 600) so it never outlives a demo.

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

struct Options {
    port: u16,
    exchange_file: PathBuf,
    improved: bool,
    max_seconds: u64,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        port: 8080,
        exchange_file: PathBuf::from("exchange.dat"),
        improved: false,
        max_seconds: 600,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => {
                o.port = args
                    .next()
                    .ok_or("--port needs a value")?
                    .parse()
                    .map_err(|e| format!("--port: {e}"))?
            }
            "--exchange-file" => {
                o.exchange_file = PathBuf::from(args.next().ok_or("--exchange-file needs a value")?)
            }
            "--improved" => o.improved = true,
            "--max-seconds" => {
                o.max_seconds = args
                    .next()
                    .ok_or("--max-seconds needs a value")?
                    .parse()
                    .map_err(|e| format!("--max-seconds: {e}"))?
            }
            "-h" | "--help" => {
                println!("chaos-sample-service [--port N] [--exchange-file PATH] [--improved] [--max-seconds S]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(o)
}

fn main() {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("chaos-sample-service: {e}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", options.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "chaos-sample-service: cannot listen on 127.0.0.1:{}: {e}",
                options.port
            );
            std::process::exit(1);
        }
    };
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(options.port);
    println!("{port}");
    let _ = std::io::stdout().flush();
    let max = Duration::from_secs(options.max_seconds);
    std::thread::spawn(move || {
        std::thread::sleep(max);
        std::process::exit(0);
    });
    for stream in listener.incoming().flatten() {
        let _ = handle(stream, &options);
    }
}

fn handle(mut stream: TcpStream, options: &Options) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    // Read the request line and headers; the body (if any) is ignored.
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let (status, body) = match std::fs::read_to_string(&options.exchange_file) {
        Ok(content) => ("200 OK", content),
        Err(_) if options.improved => (
            "503 Service Unavailable",
            "the exchange file is not available, try again later\n".to_string(),
        ),
        Err(e) => (
            "500 Internal Server Error",
            format!("cannot read {}: {e}\n", options.exchange_file.display()),
        ),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
