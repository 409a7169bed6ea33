//! Every toxic seen from a real client, through a real proxy, to a real
//! upstream, all on 127.0.0.1. The proxy runs on its own tokio runtime; the
//! clients and upstream servers are plain blocking sockets on threads, so
//! their timings are not disturbed by the proxy's scheduling.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{mpsc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;
use std::time::{Duration, Instant};

use chaos_proxy::Proxies;
use serde_json::{json, Value};

// ---------------------------------------------------------------- harness

/// Tests that measure time run alone (the machine has 2 cores); the
/// others share.
static CPU: RwLock<()> = RwLock::new(());

fn alone() -> RwLockWriteGuard<'static, ()> {
    CPU.write().unwrap_or_else(|e| e.into_inner())
}

fn shared() -> RwLockReadGuard<'static, ()> {
    CPU.read().unwrap_or_else(|e| e.into_inner())
}

/// A proxy collection on its own runtime.
struct Harness {
    proxies: Proxies,
    rt: tokio::runtime::Runtime,
}

impl Harness {
    fn new(seed: Option<u64>) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let proxies = {
            let _g = rt.enter();
            Proxies::new(seed)
        };
        Harness { proxies, rt }
    }

    /// A proxy named `name` in front of `upstream`; returns its address.
    fn proxy(&self, name: &str, upstream: SocketAddr) -> SocketAddr {
        let _g = self.rt.enter();
        let p = self
            .proxies
            .create(
                &json!({"name": name, "listen": "127.0.0.1:0", "upstream": upstream.to_string()}),
            )
            .unwrap();
        p["listen"].as_str().unwrap().parse().unwrap()
    }

    fn toxic(&self, proxy: &str, body: Value) {
        let _g = self.rt.enter();
        self.proxies.add_toxic(proxy, &body).unwrap();
    }

    fn remove(&self, proxy: &str, toxic: &str) {
        let _g = self.rt.enter();
        self.proxies.remove_toxic(proxy, toxic).unwrap();
    }

    fn update_toxic(&self, proxy: &str, toxic: &str, body: Value) {
        let _g = self.rt.enter();
        self.proxies.update_toxic(proxy, toxic, &body).unwrap();
    }

    fn update(&self, proxy: &str, body: Value) -> Value {
        let _g = self.rt.enter();
        self.proxies.update(proxy, &body).unwrap()
    }
}

fn latency(ms: i64, jitter: i64) -> Value {
    json!({"name": "lat", "type": "latency", "attributes": {"latency": ms, "jitter": jitter}})
}

fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// An echo server: every connection gets its bytes back; its EOF is
/// answered with a half-close.
fn echo() -> SocketAddr {
    let l = listener();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            thread::spawn(move || {
                let _ = s.set_nodelay(true);
                let mut buf = [0u8; 65536];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = s.shutdown(Shutdown::Write);
                // Wait for the peer to close, so the close is not an RST.
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = s.read(&mut buf);
            });
        }
    });
    addr
}

/// A server that writes `data` in one write to each connection, then
/// closes; it reports the instant of each close.
fn source(data: Vec<u8>) -> (SocketAddr, mpsc::Receiver<Instant>) {
    let l = listener();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let data = data.clone();
            let tx = tx.clone();
            thread::spawn(move || {
                let _ = s.set_nodelay(true);
                let _ = s.write_all(&data);
                let _ = s.shutdown(Shutdown::Write);
                let _ = tx.send(Instant::now());
                let mut buf = [0u8; 4096];
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    (addr, rx)
}

/// A server that writes as fast as it can until the peer goes away.
fn firehose() -> SocketAddr {
    let l = listener();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            thread::spawn(move || {
                let buf = vec![7u8; 16 * 1024];
                while s.write_all(&buf).is_ok() {}
            });
        }
    });
    addr
}

/// A server that counts what it receives on each connection until EOF and
/// reports the count.
fn sink() -> (SocketAddr, mpsc::Receiver<usize>) {
    let l = listener();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let tx = tx.clone();
            thread::spawn(move || {
                let mut total = 0;
                let mut buf = [0u8; 65536];
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    total += n;
                }
                let _ = tx.send(total);
            });
        }
    });
    (addr, rx)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// One 64-byte round trip; returns its duration.
fn ping(s: &mut TcpStream) -> Duration {
    let msg = [b'p'; 64];
    let start = Instant::now();
    s.write_all(&msg).unwrap();
    let mut got = [0u8; 64];
    s.read_exact(&mut got).unwrap();
    let took = start.elapsed();
    assert_eq!(got, msg);
    took
}

/// The median round trip of `n` pings each after 10 ms of idling (waking
/// idle CPUs is slow in a VM, and slower on a loaded machine): the cost
/// of a round trip that comes after a wait, as one through a latency
/// toxic does.
fn idle_rtt(s: &mut TcpStream, n: usize) -> f64 {
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            thread::sleep(Duration::from_millis(10));
            ping(s)
        })
        .collect();
    v.sort();
    ms(v[n / 2])
}

fn pings(s: &mut TcpStream, n: usize) -> Vec<Duration> {
    let mut v: Vec<Duration> = (0..n).map(|_| ping(s)).collect();
    v.sort();
    v
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What the next read gives: data, a clean EOF, a reset, or nothing for
/// `wait`.
#[derive(Debug, PartialEq)]
enum Seen {
    Data(usize),
    Eof,
    Reset,
    Quiet,
    Other(ErrorKind),
}

fn next_read(s: &mut TcpStream, wait: Duration) -> Seen {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 65536];
    let seen = match s.read(&mut buf) {
        Ok(0) => Seen::Eof,
        Ok(n) => Seen::Data(n),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Seen::Reset,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Seen::Quiet,
        Err(e) => Seen::Other(e.kind()),
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    seen
}

/// Reads until EOF (or an error); returns the bytes and when it ended.
fn read_to_end(s: &mut TcpStream) -> (Vec<u8>, Instant) {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return (out, Instant::now()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

// ---------------------------------------------------------------- latency

#[test]
fn latency_adds_the_set_delay_to_within_a_fraction_of_a_millisecond() {
    let _cpu = alone();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    let mut c = connect(addr);
    for _ in 0..5 {
        ping(&mut c);
    }
    // The baseline idles 10 ms before each ping too, so that waking idle
    // CPUs (slow in a VM) costs the same in both series.
    let mut base: Vec<Duration> = (0..30)
        .map(|_| {
            thread::sleep(Duration::from_millis(10));
            ping(&mut c)
        })
        .collect();
    base.sort();
    h.toxic("p", latency(10, 0));
    ping(&mut c);
    // More samples for a measurement: LATENCY_SAMPLES=500.
    let n: usize = std::env::var("LATENCY_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
        .max(40);
    let with = pings(&mut c, n);
    let at = |q: f64| with[((n as f64 * q) as usize).min(n - 1)];
    let median = ms(at(0.5)) - ms(base[15]);
    eprintln!(
        "latency 10 ms, {n} samples: idle round trip {:.3} ms; with the toxic min {:.3} median {:.3} p90 {:.3} p99 {:.3} max {:.3} ms; added median {median:.3} ms",
        ms(base[15]),
        ms(with[0]),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(with[n - 1]),
    );
    assert!((median - 10.0).abs() < 1.5, "median added {median:.3} ms");
    // Never early: a chunk leaves at read time + delay.
    assert!(with[0] >= Duration::from_millis(10), "min {:?}", with[0]);
    assert!(at(0.9) < Duration::from_millis(20), "p90 {:?}", at(0.9));
}

#[test]
fn latency_on_the_upstream_stream_delays_requests() {
    let _cpu = alone();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    let mut c = connect(addr);
    let base = idle_rtt(&mut c, 10);
    h.toxic(
        "p",
        json!({"type": "latency", "stream": "upstream", "attributes": {"latency": 20}}),
    );
    let with = pings(&mut c, 10);
    assert!(with[0] >= Duration::from_millis(20), "min {:?}", with[0]);
    let added = ms(with[5]) - base;
    assert!((added - 20.0).abs() < 1.5, "median added {added:.2} ms");
}

#[test]
fn jitter_spreads_uniformly_within_its_range() {
    let _cpu = alone();
    let h = Harness::new(Some(3));
    let addr = h.proxy("p", echo());
    let mut c = connect(addr);
    let base = idle_rtt(&mut c, 10);
    h.toxic("p", latency(30, 10));
    let v = pings(&mut c, 40);
    // The two slowest of 40 may be late for reasons of the machine's own
    // (a loaded 2-core VM stalls a thread for 10 ms now and then); the
    // proxy never makes one early, so the minimum is exact.
    let (lo, hi) = (ms(v[0]), ms(v[37]));
    eprintln!(
        "latency 30 jitter 10: min {lo:.2}, 38th of 40 {hi:.2}, max {:.2} ms, idle round trip {base:.2} ms",
        ms(v[39])
    );
    // Uniform in [-10, 10) ms: never below 20; above, allow the round
    // trip's own cost.
    assert!(lo >= 19.9, "min {lo:.2}");
    assert!(hi - base < 42.0, "38th of 40: {hi:.2}");
    assert!(hi - lo > 8.0, "jitter spread only {:.2} ms", hi - lo);
}

/// Min, median less the idle round trip, and standard deviation of 40
/// round trips through `latency 20, jitter 5` of that distribution.
fn spread_of(distribution: &str) -> (f64, f64, f64) {
    let h = Harness::new(Some(11));
    let addr = h.proxy("p", echo());
    let mut c = connect(addr);
    let base = idle_rtt(&mut c, 10);
    h.toxic(
        "p",
        json!({"type": "latency", "attributes": {"latency": 20, "jitter": 5, "distribution": distribution}}),
    );
    let v: Vec<f64> = pings(&mut c, 40).into_iter().map(ms).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
    eprintln!(
        "{distribution}: min {:.2} median {:.2} max {:.2} sd {sd:.2} ms, idle round trip {base:.2} ms",
        v[0], v[20], v[39]
    );
    (v[0], v[20] - base, sd)
}

#[test]
fn normal_jitter_spreads_around_the_latency() {
    let _cpu = alone();
    let (min, median, sd) = spread_of("normal");
    assert!((median - 20.0).abs() < 3.0, "median {median:.2}");
    assert!(sd > 2.0 && sd < 9.0, "sd {sd:.2}");
    assert!(min < 18.0, "nothing below the mean: min {min:.2}");
}

#[test]
fn pareto_jitter_only_adds_with_a_long_tail() {
    let _cpu = alone();
    let (min, median, sd) = spread_of("pareto");
    assert!(min >= 19.9, "pareto never subtracts: min {min:.2}");
    // Scale 5, shape 1.5: the added part's median is 5 * 2^(2/3) - 5 = 2.9.
    assert!(median > 21.0 && median < 26.0, "median {median:.2}");
    assert!(sd > 1.0, "sd {sd:.2}");
}

#[test]
fn latency_added_to_an_open_connection_applies_and_removal_flushes() {
    let _cpu = alone();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    let mut c = connect(addr);
    assert!(ping(&mut c) < Duration::from_millis(50));
    h.toxic("p", latency(150, 0));
    let slow = ping(&mut c);
    assert!(slow >= Duration::from_millis(149), "{slow:?}");
    assert!(slow < Duration::from_millis(300), "{slow:?}");

    // A long latency holds a chunk; removing the toxic sends it at once.
    h.update("p", json!({})); // no-op update keeps connections
    let _ = h.proxies.toxics("p");
    h.remove("p", "lat");
    h.toxic("p", latency(2000, 0));
    let msg = [b'x'; 64];
    let sent = Instant::now();
    c.write_all(&msg).unwrap();
    thread::sleep(Duration::from_millis(100));
    h.remove("p", "lat");
    let mut got = [0u8; 64];
    c.read_exact(&mut got).unwrap();
    let took = sent.elapsed();
    assert_eq!(got, msg);
    assert!(
        took < Duration::from_millis(400),
        "held data flushed after {took:?}"
    );
    assert!(ping(&mut c) < Duration::from_millis(50));
}

#[test]
fn latency_keeps_throughput_and_order() {
    let _cpu = alone();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    h.toxic("p", latency(50, 0));
    let mut c = connect(addr);
    let data: Vec<u8> = (0..4_000_000u32).map(|i| (i % 253) as u8).collect();
    let mut w = c.try_clone().unwrap();
    let d = data.clone();
    let start = Instant::now();
    let writer = thread::spawn(move || {
        for part in d.chunks(1000) {
            w.write_all(part).unwrap();
        }
        w.shutdown(Shutdown::Write).unwrap();
    });
    let (got, end) = read_to_end(&mut c);
    writer.join().unwrap();
    let took = end - start;
    eprintln!("4 MB echoed through latency 50 ms in {took:?}");
    assert!(got == data, "{} bytes back, in order", got.len());
    // Chunks are delayed, not serialised: far less than one delay per chunk.
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(took >= Duration::from_millis(50), "{took:?}");
}

// ---------------------------------------------------------------- bandwidth

#[test]
fn bandwidth_limits_to_rate_kilobytes_per_second() {
    let _cpu = alone();
    let h = Harness::new(None);
    let addr = h.proxy("p", firehose());
    h.toxic(
        "p",
        json!({"type": "bandwidth", "attributes": {"rate": 200}}),
    );
    let mut c = connect(addr);
    let mut buf = [0u8; 65536];
    let first = c.read(&mut buf).unwrap();
    assert!(first > 0);
    let start = Instant::now();
    let mut total = 0usize;
    while start.elapsed() < Duration::from_millis(1200) {
        total += c.read(&mut buf).unwrap();
    }
    let rate = total as f64 / start.elapsed().as_secs_f64() / 1000.0;
    eprintln!("bandwidth 200 KB/s: measured {rate:.1} KB/s");
    assert!((rate - 200.0).abs() < 20.0, "measured {rate:.1} KB/s");
}

#[test]
fn bandwidth_on_upstream_limits_uploads() {
    let _cpu = alone();
    let h = Harness::new(None);
    let (up, counts) = sink();
    let addr = h.proxy("p", up);
    h.toxic(
        "p",
        json!({"type": "bandwidth", "stream": "upstream", "attributes": {"rate": 100}}),
    );
    let mut c = connect(addr);
    let data = vec![1u8; 100_000];
    let start = Instant::now();
    c.write_all(&data).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let got = counts.recv_timeout(Duration::from_secs(5)).unwrap();
    let took = start.elapsed();
    eprintln!("bandwidth 100 KB/s upstream: 100000 B in {took:?}");
    assert_eq!(got, 100_000);
    assert!(
        took > Duration::from_millis(900) && took < Duration::from_millis(1150),
        "{took:?}"
    );
}

// ---------------------------------------------------------------- slow_close

#[test]
fn slow_close_holds_the_close_back() {
    let _cpu = alone();
    let h = Harness::new(None);
    let (up, closed) = source(b"hello".to_vec());
    let addr = h.proxy("p", up);
    h.toxic(
        "p",
        json!({"type": "slow_close", "attributes": {"delay": 300}}),
    );
    let mut c = connect(addr);
    let (data, eof) = read_to_end(&mut c);
    let upstream_closed = closed.recv_timeout(Duration::from_secs(1)).unwrap();
    assert_eq!(data, b"hello");
    let held = eof - upstream_closed;
    assert!(
        held >= Duration::from_millis(295) && held < Duration::from_millis(450),
        "close came {held:?} after the upstream's"
    );
}

#[test]
fn removing_slow_close_releases_a_held_close() {
    let _cpu = shared();
    let h = Harness::new(None);
    let (up, _) = source(b"hello".to_vec());
    let addr = h.proxy("p", up);
    h.toxic(
        "p",
        json!({"name": "sc", "type": "slow_close", "attributes": {"delay": 5000}}),
    );
    let mut c = connect(addr);
    let mut got = [0u8; 5];
    c.read_exact(&mut got).unwrap();
    assert_eq!(next_read(&mut c, Duration::from_millis(200)), Seen::Quiet);
    let removed = Instant::now();
    h.remove("p", "sc");
    assert_eq!(next_read(&mut c, Duration::from_secs(2)), Seen::Eof);
    assert!(removed.elapsed() < Duration::from_millis(500));
}

// ---------------------------------------------------------------- timeout

#[test]
fn timeout_swallows_data_then_closes_after_the_silence() {
    let _cpu = alone();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    h.toxic(
        "p",
        json!({"type": "timeout", "attributes": {"timeout": 300}}),
    );
    let mut c = connect(addr);
    let start = Instant::now();
    c.write_all(b"lost").unwrap();
    thread::sleep(Duration::from_millis(150));
    // The echo of this is swallowed too, and restarts the countdown.
    c.write_all(b"lost again").unwrap();
    let sent = Instant::now();
    let (data, end) = read_to_end(&mut c);
    assert!(data.is_empty(), "got {:?}", data);
    let silence = end - sent;
    eprintln!(
        "timeout 300: closed {silence:?} after the last chunk, {:?} after connect",
        end - start
    );
    assert!(
        silence >= Duration::from_millis(290) && silence < Duration::from_millis(450),
        "{silence:?}"
    );
}

#[test]
fn timeout_zero_never_closes_and_removal_closes() {
    let _cpu = shared();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    h.toxic(
        "p",
        json!({"name": "t", "type": "timeout", "attributes": {"timeout": 0}}),
    );
    let mut c = connect(addr);
    c.write_all(b"lost").unwrap();
    assert_eq!(next_read(&mut c, Duration::from_millis(500)), Seen::Quiet);
    h.remove("p", "t");
    let seen = next_read(&mut c, Duration::from_secs(2));
    assert_eq!(seen, Seen::Eof, "removing a timeout toxic closes");
}

// ---------------------------------------------------------------- reset_peer

#[test]
fn reset_peer_resets_the_client() {
    let _cpu = alone();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    h.toxic(
        "p",
        json!({"type": "reset_peer", "attributes": {"timeout": 100}}),
    );
    let mut c = connect(addr);
    let start = Instant::now();
    c.write_all(b"hello").unwrap();
    let seen = next_read(&mut c, Duration::from_secs(2));
    let took = start.elapsed();
    assert_eq!(seen, Seen::Reset, "after {took:?}");
    assert!(took >= Duration::from_millis(95), "{took:?}");
    assert!(took < Duration::from_millis(400), "{took:?}");
}

#[test]
fn reset_peer_added_to_an_open_connection_resets_too() {
    let _cpu = shared();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    let mut c = connect(addr);
    ping(&mut c);
    h.toxic("p", json!({"type": "reset_peer"}));
    c.write_all(b"hello").unwrap();
    assert_eq!(next_read(&mut c, Duration::from_secs(2)), Seen::Reset);
}

// ---------------------------------------------------------------- slicer

#[test]
fn slicer_delivers_many_small_spaced_reads_intact() {
    let _cpu = alone();
    let h = Harness::new(Some(5));
    let data: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    let (up, _) = source(data.clone());
    let addr = h.proxy("p", up);
    h.toxic(
        "p",
        json!({"type": "slicer", "attributes": {"average_size": 100, "size_variation": 20, "delay": 10000}}),
    );
    let mut c = connect(addr);
    let mut got = Vec::new();
    let mut reads = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let n = c.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        reads.push((Instant::now(), n));
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, data, "bytes intact and in order");
    let sizes: Vec<usize> = reads.iter().map(|r| r.1).collect();
    assert!(reads.len() >= 12, "only {} reads: {sizes:?}", reads.len());
    assert!(sizes.iter().all(|&n| n <= 240), "{sizes:?}");
    let mut gaps: Vec<f64> = reads.windows(2).map(|w| ms(w[1].0 - w[0].0)).collect();
    gaps.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = gaps[gaps.len() / 2];
    eprintln!("slicer: {} reads, median gap {median:.2} ms", reads.len());
    assert!((median - 10.0).abs() < 2.0, "median gap {median:.2} ms");
}

// ---------------------------------------------------------------- limit_data

#[test]
fn limit_data_passes_exactly_n_bytes_then_closes() {
    let _cpu = shared();
    let h = Harness::new(None);
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 256) as u8).collect();
    let (up, _) = source(data.clone());
    let addr = h.proxy("p", up);
    h.toxic(
        "p",
        json!({"type": "limit_data", "attributes": {"bytes": 1234}}),
    );
    let mut c = connect(addr);
    let (got, _) = read_to_end(&mut c);
    assert_eq!(got, &data[..1234]);
}

#[test]
fn limit_data_upstream_counts_across_chunks() {
    let _cpu = shared();
    let h = Harness::new(None);
    let (up, counts) = sink();
    let addr = h.proxy("p", up);
    h.toxic(
        "p",
        json!({"type": "limit_data", "stream": "upstream", "attributes": {"bytes": 1000}}),
    );
    let mut c = connect(addr);
    for _ in 0..3 {
        c.write_all(&[9u8; 400]).unwrap();
        thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(counts.recv_timeout(Duration::from_secs(3)).unwrap(), 1000);
    // The client's side closes as well.
    let seen = next_read(&mut c, Duration::from_secs(2));
    assert!(matches!(seen, Seen::Eof | Seen::Reset), "{seen:?}");
}

#[test]
fn limit_data_count_survives_an_update() {
    let _cpu = shared();
    let h = Harness::new(None);
    let (up, counts) = sink();
    let addr = h.proxy("p", up);
    h.toxic(
        "p",
        json!({"name": "l", "type": "limit_data", "stream": "upstream", "attributes": {"bytes": 1000}}),
    );
    let mut c = connect(addr);
    c.write_all(&[1u8; 600]).unwrap();
    thread::sleep(Duration::from_millis(100));
    h.update_toxic("p", "l", json!({"attributes": {"bytes": 1500}}));
    c.write_all(&[2u8; 600]).unwrap();
    thread::sleep(Duration::from_millis(50));
    c.write_all(&[3u8; 600]).unwrap();
    assert_eq!(counts.recv_timeout(Duration::from_secs(3)).unwrap(), 1500);
}

#[test]
fn degenerate_attributes_pass_data_intact() {
    let _cpu = shared();
    let h = Harness::new(Some(9));
    let addr = h.proxy("p", echo());
    // Toxiproxy's slicer overflows its stack on these; bandwidth 0 means
    // no limit; a zero latency adds nothing.
    for (name, t) in [
        ("s0", "slicer"),
        ("b0", "bandwidth"),
        ("l0", "latency"),
        ("n", "noop"),
    ] {
        h.toxic("p", json!({"name": name, "type": t}));
    }
    h.toxic(
        "p",
        json!({"name": "s1", "type": "slicer", "attributes": {"average_size": 3, "size_variation": 50}}),
    );
    let mut c = connect(addr);
    let data: Vec<u8> = (0..5000u32).map(|i| (i % 241) as u8).collect();
    c.write_all(&data).unwrap();
    let mut got = vec![0u8; data.len()];
    c.read_exact(&mut got).unwrap();
    assert!(got == data);
}

// ---------------------------------------------------------------- blackhole

#[test]
fn blackhole_swallows_and_keeps_the_connection_open() {
    let _cpu = shared();
    let h = Harness::new(None);
    let (up, counts) = sink();
    let addr = h.proxy("p", up);
    h.toxic("p", json!({"type": "blackhole", "stream": "upstream"}));
    let mut c = connect(addr);
    for _ in 0..10 {
        c.write_all(&[1u8; 1000]).unwrap();
    }
    assert_eq!(next_read(&mut c, Duration::from_millis(300)), Seen::Quiet);
    c.write_all(b"still open").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    assert_eq!(counts.recv_timeout(Duration::from_secs(3)).unwrap(), 0);
}

// ---------------------------------------------------------------- toxicity

/// Whether a connection got a `limit_data 0` toxic (closed at the first
/// byte) or not (echoes).
fn got_toxic(addr: SocketAddr) -> bool {
    let mut c = connect(addr);
    c.write_all(b"?").unwrap();
    match next_read(&mut c, Duration::from_secs(2)) {
        Seen::Data(_) => false,
        Seen::Eof | Seen::Reset => true,
        other => panic!("{other:?}"),
    }
}

fn decisions(seed: Option<u64>, toxicity: f64, n: usize) -> Vec<bool> {
    let h = Harness::new(seed);
    let addr = h.proxy("p", echo());
    h.toxic(
        "p",
        json!({"type": "limit_data", "toxicity": toxicity, "attributes": {"bytes": 0}}),
    );
    (0..n).map(|_| got_toxic(addr)).collect()
}

#[test]
fn toxicity_zero_never_and_one_always() {
    let _cpu = shared();
    assert!(decisions(None, 0.0, 10).iter().all(|d| !d));
    assert!(decisions(None, 1.0, 10).iter().all(|d| *d));
}

#[test]
fn raising_toxicity_applies_to_open_connections() {
    let _cpu = shared();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    h.toxic(
        "p",
        json!({"name": "cut", "type": "limit_data", "toxicity": 0, "attributes": {"bytes": 0}}),
    );
    let mut c = connect(addr);
    ping(&mut c);
    h.update_toxic("p", "cut", json!({"toxicity": 1}));
    c.write_all(b"?").unwrap();
    let seen = next_read(&mut c, Duration::from_secs(2));
    assert!(matches!(seen, Seen::Eof | Seen::Reset), "{seen:?}");
}

#[test]
fn seeded_toxicity_half_replays_the_same_decisions() {
    let _cpu = shared();
    let first = decisions(Some(42), 0.5, 24);
    let second = decisions(Some(42), 0.5, 24);
    let hits = first.iter().filter(|d| **d).count();
    eprintln!("toxicity 0.5 seed 42: {hits}/24 {first:?}");
    assert_eq!(first, second);
    assert!((4..=20).contains(&hits), "{hits}/24");
}

// ---------------------------------------------------------------- proxies

#[test]
fn disabled_proxy_refuses_and_closes_then_reenables_on_the_same_port() {
    let _cpu = shared();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    let mut open = connect(addr);
    ping(&mut open);
    let p = h.update("p", json!({"enabled": false}));
    assert_eq!(p["enabled"], json!(false));
    assert_eq!(p["listen"], json!(addr.to_string()));
    let seen = next_read(&mut open, Duration::from_secs(2));
    assert!(matches!(seen, Seen::Eof | Seen::Reset), "{seen:?}");
    let refused = TcpStream::connect(addr).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);

    let p = h.update("p", json!({"enabled": true}));
    assert_eq!(p["listen"], json!(addr.to_string()));
    let mut c = connect(addr);
    ping(&mut c);
    // And again, at once, several times: the port is free each time.
    for _ in 0..5 {
        h.update("p", json!({"enabled": false}));
        h.update("p", json!({"enabled": true}));
    }
    let mut c = connect(addr);
    ping(&mut c);
}

#[test]
fn upstream_down_closes_the_client_at_once() {
    let _cpu = shared();
    let h = Harness::new(None);
    let dead = {
        let l = listener();
        l.local_addr().unwrap()
    };
    let addr = h.proxy("p", dead);
    let mut c = connect(addr);
    let start = Instant::now();
    let seen = next_read(&mut c, Duration::from_secs(2));
    assert!(matches!(seen, Seen::Eof | Seen::Reset), "{seen:?}");
    assert!(start.elapsed() < Duration::from_millis(500));
}

#[test]
fn half_close_passes_through() {
    let _cpu = shared();
    let h = Harness::new(None);
    // Reads to EOF, then answers with the count.
    let l = listener();
    let up = l.local_addr().unwrap();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            thread::spawn(move || {
                let mut all = Vec::new();
                s.read_to_end(&mut all).unwrap();
                s.write_all(format!("got {}", all.len()).as_bytes())
                    .unwrap();
            });
        }
    });
    let addr = h.proxy("p", up);
    for toxic in [false, true] {
        if toxic {
            h.toxic("p", latency(5, 0));
        }
        let mut c = connect(addr);
        c.write_all(&[0u8; 5000]).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let (got, _) = read_to_end(&mut c);
        assert_eq!(got, b"got 5000", "toxic {toxic}");
    }
}

#[test]
fn chain_edits_under_traffic_keep_every_byte_in_order() {
    let _cpu = alone();
    let h = Harness::new(Some(1));
    let addr = h.proxy("p", echo());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..4u8)
        .map(|k| {
            let stop = stop.clone();
            thread::spawn(move || {
                let mut c = connect(addr);
                let mut rounds = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let msg: Vec<u8> = (0..3000u32)
                        .map(|i| (i as u8).wrapping_mul(k + 1).wrapping_add(rounds as u8))
                        .collect();
                    c.write_all(&msg).unwrap();
                    let mut got = vec![0u8; msg.len()];
                    c.read_exact(&mut got).unwrap();
                    assert!(got == msg, "client {k} round {rounds}");
                    rounds += 1;
                }
                rounds
            })
        })
        .collect();
    let toxics = [
        json!({"name": "lat", "type": "latency", "attributes": {"latency": 3, "jitter": 2}}),
        json!({"name": "sl", "type": "slicer", "attributes": {"average_size": 500, "size_variation": 100, "delay": 200}}),
        json!({"name": "bw", "type": "bandwidth", "stream": "upstream", "attributes": {"rate": 5000}}),
        json!({"name": "up", "type": "latency", "stream": "upstream", "attributes": {"latency": 1}}),
        json!({"name": "n", "type": "noop"}),
    ];
    let start = Instant::now();
    let mut i = 0usize;
    while start.elapsed() < Duration::from_millis(1500) {
        let t = &toxics[i % toxics.len()];
        let name = t["name"].as_str().unwrap();
        if (i / toxics.len()) & 1 == 0 {
            h.toxic("p", t.clone());
        } else {
            h.remove("p", name);
        }
        if i % 7 == 3 {
            let _g = h.rt.enter();
            let _ = h.proxies.update_toxic(
                "p",
                "lat",
                &json!({"attributes": {"latency": (i % 5) as i64}}),
            );
        }
        i += 1;
        thread::sleep(Duration::from_millis(7));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds: Vec<u32> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    eprintln!("{i} chain edits; rounds per client {rounds:?}");
    assert!(rounds.iter().all(|r| *r > 5), "{rounds:?}");
}

#[test]
fn no_toxic_passes_a_megabyte_intact() {
    let _cpu = shared();
    let h = Harness::new(None);
    let addr = h.proxy("p", echo());
    let mut c = connect(addr);
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let mut w = c.try_clone().unwrap();
    let d = data.clone();
    let writer = thread::spawn(move || {
        w.write_all(&d).unwrap();
        w.shutdown(Shutdown::Write).unwrap();
    });
    let (got, _) = read_to_end(&mut c);
    writer.join().unwrap();
    assert!(got == data, "{} bytes back", got.len());
}
