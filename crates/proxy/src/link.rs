//! One proxied connection: two pumps (client → server, server → client),
//! each reading chunks, passing them through its direction's toxics and
//! writing them out at the time the toxics say.
//!
//! A pump is one task, not Toxiproxy's goroutine per toxic: each chunk read
//! is stamped with its read time and queued; when it reaches the front of
//! the queue the toxic chain turns it into timed pieces (latency adds to the
//! stamp, so queued chunks keep their throughput; bandwidth spaces pieces
//! out; the slicer cuts them) or into an effect on the connection (drop,
//! close, reset). A chain edited through the API reaches open connections
//! between chunks, and a chunk not yet written is planned again, so removing
//! a latency toxic flushes what it held.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution as _, Normal, Pareto};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::model::{Distribution, Kind, Toxic};
use crate::timer::PreciseTimer;

/// A toxic in a chain, with the id that keys per-connection state.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Unique for the life of the proxy collection.
    pub id: u64,
    /// The toxic.
    pub toxic: Toxic,
}

/// The toxics of one direction, in order.
pub type Chain = Arc<Vec<Entry>>;

/// Byte counters of one direction of a proxy.
#[derive(Debug, Default)]
pub struct Counters {
    /// Bytes read from the direction's source.
    pub received: AtomicU64,
    /// Bytes written to its destination.
    pub sent: AtomicU64,
}

/// Everything a connection needs from its proxy.
#[derive(Clone)]
pub struct LinkSetup {
    /// The proxy's upstream `host:port`.
    pub upstream: String,
    /// Client → server toxics.
    pub upstream_chain: watch::Receiver<Chain>,
    /// Server → client toxics.
    pub downstream_chain: watch::Receiver<Chain>,
    /// Cancelled when the proxy is disabled or deleted: connections close.
    pub stop: CancellationToken,
    /// Counters for the two directions.
    pub counters: Arc<[Counters; 2]>,
}

/// How long a connection to the upstream may take (Toxiproxy has none,
/// and stalls its accept loop on an unreachable upstream).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Chunks a pump holds before it stops reading (Toxiproxy's latency
/// buffer is 1024 chunks).
const QUEUE_CHUNKS: usize = 1024;
const READ_SIZE: usize = 32 * 1024;

/// Serves one accepted client until both directions are done.
pub async fn serve(client: TcpStream, setup: LinkSetup, rng: StdRng) {
    let server =
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(setup.upstream.as_str()))
            .await
        {
            Ok(Ok(s)) => s,
            // As Toxiproxy: the client is closed at once, with no data.
            _ => return,
        };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let reset = CancellationToken::new();
    let close = CancellationToken::new();
    let mut rng = rng;
    let up_rng = StdRng::from_rng(&mut rng).unwrap_or_else(|_| rng.clone());
    let upstream = Pump::new(
        client_read,
        server_write,
        setup.upstream_chain.clone(),
        setup.stop.clone(),
        Ends {
            reset: reset.clone(),
            close: close.clone(),
        },
        up_rng,
        setup.counters.clone(),
        0,
    );
    let downstream = Pump::new(
        server_read,
        client_write,
        setup.downstream_chain.clone(),
        setup.stop.clone(),
        Ends { reset, close },
        rng,
        setup.counters.clone(),
        1,
    );
    // Both sockets close when both directions are over.
    tokio::join!(upstream.run(), downstream.run());
}

/// A piece of data due at an instant.
struct Piece {
    data: Vec<u8>,
    at: Instant,
}

/// What the chain made of the front chunk.
struct Plan {
    pieces: VecDeque<Piece>,
    /// Bytes of the first piece already written.
    written: usize,
    /// Whether any byte of this chunk went out (it is then not re-planned).
    started: bool,
    /// After the pieces: close, or reset at an instant.
    then: After,
    /// Per-toxic state as it will be once the chunk is out.
    state: HashMap<u64, LinkToxic>,
    /// The chunk as read, to plan again while no byte of it is out.
    origin: Option<Chunk>,
}

#[derive(Clone, Copy, PartialEq)]
enum After {
    Nothing,
    Close,
    ResetAt(Instant),
}

/// Per-connection state of one toxic.
#[derive(Clone, Debug)]
struct LinkToxic {
    /// The toxicity draw, made once per connection and toxic.
    draw: f32,
    /// Whether the toxic acts here: `draw < toxicity`, evaluated again on
    /// every chain change, so an update of the toxicity applies to open
    /// connections (a connection that had it keeps it when it rises).
    active: bool,
    /// When this connection first saw the toxic.
    since: Instant,
    /// bandwidth: when the next piece may start.
    next_free: Option<Instant>,
    /// limit_data: bytes passed so far.
    passed: i64,
    /// reset_peer: already triggered.
    fired: bool,
}

struct Chunk {
    data: Vec<u8>,
    read_at: Instant,
}

/// How a stretch of straight-through copying ended.
enum Quiet {
    End(End),
    Eof,
    /// A new chain was published (or the proxy is gone).
    ChainChanged(Result<(), ()>),
}

enum End {
    /// The source closed and everything was written.
    Done,
    /// Both sockets must close now (proxy stopped, a toxic closed it).
    Close,
    /// Both sockets must be reset.
    Reset,
}

/// How a pump tells the other one that the connection is over.
struct Ends {
    /// Reset both sockets (linger 0, then close).
    reset: CancellationToken,
    /// Close both sockets.
    close: CancellationToken,
}

struct Pump {
    src: OwnedReadHalf,
    dst: OwnedWriteHalf,
    chain_rx: watch::Receiver<Chain>,
    chain: Chain,
    stop: CancellationToken,
    ends: Ends,
    rng: StdRng,
    counters: Arc<[Counters; 2]>,
    direction: usize,
    queue: VecDeque<Chunk>,
    plan: Option<Plan>,
    state: HashMap<u64, LinkToxic>,
    timer: PreciseTimer,
    /// timeout toxic: when the connection closes.
    timeout_at: Option<Instant>,
    eof: bool,
}

impl Pump {
    #[allow(clippy::too_many_arguments)]
    fn new(
        src: OwnedReadHalf,
        dst: OwnedWriteHalf,
        mut chain_rx: watch::Receiver<Chain>,
        stop: CancellationToken,
        ends: Ends,
        rng: StdRng,
        counters: Arc<[Counters; 2]>,
        direction: usize,
    ) -> Pump {
        let chain = chain_rx.borrow_and_update().clone();
        let mut pump = Pump {
            src,
            dst,
            chain_rx,
            chain,
            stop,
            ends,
            rng,
            counters,
            direction,
            queue: VecDeque::new(),
            plan: None,
            state: HashMap::new(),
            timer: PreciseTimer::new(),
            timeout_at: None,
            eof: false,
        };
        pump.sync_state();
        pump
    }

    /// Draws toxicity for toxics new to this connection, forgets removed
    /// ones, and arms the timeout toxic.
    fn sync_state(&mut self) {
        let now = Instant::now();
        let ids: Vec<u64> = self.chain.iter().map(|e| e.id).collect();
        self.state.retain(|id, _| ids.contains(id));
        for e in self.chain.iter() {
            let toxicity = e.toxic.toxicity;
            let draw: f32 = self.rng.gen();
            let s = self.state.entry(e.id).or_insert(LinkToxic {
                draw,
                active: false,
                since: now,
                next_free: None,
                passed: 0,
                fired: false,
            });
            s.active = s.draw < toxicity;
        }
        self.timeout_at = self.chain.iter().find_map(|e| match e.toxic.kind {
            Kind::Timeout { timeout } if timeout > 0 && self.state[&e.id].active => {
                Some(self.state[&e.id].since + Duration::from_millis(timeout as u64))
            }
            _ => None,
        });
    }

    fn quiet(&self) -> bool {
        self.chain.is_empty() && self.queue.is_empty() && self.plan.is_none()
    }

    async fn run(mut self) -> End {
        let end = self.pump().await;
        match end {
            End::Reset => {
                // Linger 0 turns the closes into resets, on both sockets.
                // (Deprecated for blocking on drop, which a zero linger
                // never does: the close is abortive.)
                #[allow(deprecated)]
                let _ = self.src.as_ref().set_linger(Some(Duration::ZERO));
                #[allow(deprecated)]
                let _ = self.dst.as_ref().set_linger(Some(Duration::ZERO));
                self.ends.reset.cancel();
                // A write half shuts its side down when dropped: that FIN
                // would reach the peer before the RST, and the peer would
                // read a clean EOF. Forgotten, it closes with the socket.
                self.dst.forget();
                return end;
            }
            End::Close => self.ends.close.cancel(),
            End::Done => {
                // A half-close passes on: the peer sees the end of this
                // direction, the other direction goes on.
                let _ = self.dst.shutdown().await;
            }
        }
        end
    }

    async fn pump(&mut self) -> End {
        let mut buf = vec![0u8; READ_SIZE];
        loop {
            if self.ends.reset.is_cancelled() {
                return End::Reset;
            }
            if self.quiet() && !self.eof {
                match self.straight_through(&mut buf).await {
                    Quiet::End(end) => return end,
                    Quiet::Eof => self.eof = true,
                    Quiet::ChainChanged(Err(_)) => return End::Close,
                    Quiet::ChainChanged(Ok(())) => {
                        if self.adopt_chain() {
                            return End::Close;
                        }
                    }
                }
                continue;
            }
            if self.plan.is_none() {
                if let Some(chunk) = self.queue.pop_front() {
                    self.plan = Some(self.plan_chunk(chunk));
                }
            }
            if self.eof && self.plan.is_none() && self.queue.is_empty() {
                return self.finish().await;
            }
            let due = self
                .plan
                .as_ref()
                .and_then(|p| p.pieces.front().map(|piece| piece.at));
            let waiting = due.is_some_and(|at| at > Instant::now());
            let writing = due.is_some() && !waiting;
            let ended_plan = self.plan.as_ref().is_some_and(|p| p.pieces.is_empty());
            if ended_plan {
                let plan = self.plan.take().expect("checked");
                self.state = plan.state;
                match plan.then {
                    After::Nothing => {}
                    After::Close => return End::Close,
                    After::ResetAt(at) => {
                        if at > Instant::now() {
                            self.plan = Some(Plan {
                                pieces: VecDeque::new(),
                                written: 0,
                                started: true,
                                then: After::ResetAt(at),
                                state: self.state.clone(),
                                origin: None,
                            });
                            tokio::select! {
                                            _ = self.timer.sleep_until(at) => {}
                                            _ = self.stop.cancelled() => return End::Close,
                                            _ = self.ends.reset.cancelled() => return End::Reset,
                            _ = self.ends.close.cancelled() => return End::Close,
                                        }
                            self.plan = None;
                        }
                        return End::Reset;
                    }
                }
                continue;
            }
            let reading = !self.eof && self.queue.len() < QUEUE_CHUNKS;
            let timeout_at = self.timeout_at;
            tokio::select! {
                biased;
                _ = self.ends.reset.cancelled() => return End::Reset,
                _ = self.ends.close.cancelled() => return End::Close,
                _ = self.stop.cancelled() => return End::Close,
                changed = self.chain_rx.changed() => {
                    if changed.is_err() {
                        return End::Close;
                    }
                    if self.adopt_chain() {
                        return End::Close;
                    }
                    if let Some(mut plan) = self.plan.take() {
                        match plan.origin.take() {
                            // Not a byte out yet: plan it again with the new chain.
                            Some(chunk) if !plan.started => self.queue.push_front(chunk),
                            _ => self.plan = Some(plan),
                        }
                    }
                }
                _ = sleep_opt(timeout_at) => return End::Close,
                _ = self.timer.sleep_until(due.unwrap_or_else(Instant::now)), if waiting => {}
                written = write_front(&mut self.dst, self.plan.as_mut()), if writing => {
                    match written {
                        Ok(n) => {
                            self.counters[self.direction].sent.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(_) => return End::Close,
                    }
                }
                read = self.src.read(&mut buf), if reading => {
                    match read {
                        Ok(0) | Err(_) => self.eof = true,
                        Ok(n) => {
                            self.counters[self.direction].received.fetch_add(n as u64, Ordering::Relaxed);
                            if self.quiet() {
                                // No toxic: straight through, no queue.
                                tokio::select! {
                                    biased;
                                    _ = self.ends.reset.cancelled() => return End::Reset,
                _ = self.ends.close.cancelled() => return End::Close,
                                    _ = self.stop.cancelled() => return End::Close,
                                    w = self.dst.write_all(&buf[..n]) => {
                                        if w.is_err() {
                                            return End::Close;
                                        }
                                        self.counters[self.direction].sent.fetch_add(n as u64, Ordering::Relaxed);
                                    }
                                }
                            } else {
                                self.queue.push_back(Chunk { data: buf[..n].to_vec(), read_at: Instant::now() });
                            }
                        }
                    }
                }
            }
        }
    }

    /// No toxic and nothing queued: each chunk read is written at once. The
    /// futures watching for the connection's end and for a new chain are
    /// made once for the whole stretch, not per chunk: registering them
    /// again each time costs more than the copy (measured: the added round
    /// trip went from about 55 to under 30 µs with this and a
    /// single-threaded runtime).
    async fn straight_through(&mut self, buf: &mut [u8]) -> Quiet {
        let Pump {
            src,
            dst,
            chain_rx,
            stop,
            ends,
            counters,
            direction,
            ..
        } = self;
        let counters = &counters[*direction];
        let reset = ends.reset.cancelled();
        let close = ends.close.cancelled();
        let stopped = stop.cancelled();
        let changed = chain_rx.changed();
        tokio::pin!(reset, close, stopped, changed);
        loop {
            let n = tokio::select! {
                biased;
                _ = &mut reset => return Quiet::End(End::Reset),
                _ = &mut close => return Quiet::End(End::Close),
                _ = &mut stopped => return Quiet::End(End::Close),
                c = &mut changed => return Quiet::ChainChanged(c.map_err(|_| ())),
                read = src.read(buf) => match read {
                    Ok(0) | Err(_) => return Quiet::Eof,
                    Ok(n) => n,
                },
            };
            counters.received.fetch_add(n as u64, Ordering::Relaxed);
            tokio::select! {
                biased;
                _ = &mut reset => return Quiet::End(End::Reset),
                _ = &mut close => return Quiet::End(End::Close),
                _ = &mut stopped => return Quiet::End(End::Close),
                w = dst.write_all(&buf[..n]) => {
                    if w.is_err() {
                        return Quiet::End(End::Close);
                    }
                    counters.sent.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        }
    }

    /// The source ended and all is written: slow_close holds the close
    /// (from the end of the source, re-evaluated if the chain changes
    /// meanwhile); an active timeout toxic closes the connection at once,
    /// as Toxiproxy's does on EOF.
    async fn finish(&mut self) -> End {
        let eof_at = Instant::now();
        loop {
            let active = |e: &&Entry| self.state.get(&e.id).is_some_and(|s| s.active);
            if self
                .chain
                .iter()
                .filter(active)
                .any(|e| matches!(e.toxic.kind, Kind::Timeout { .. }))
            {
                return End::Close;
            }
            let delay: i64 = self
                .chain
                .iter()
                .filter(active)
                .map(|e| match e.toxic.kind {
                    Kind::SlowClose { delay } => delay.max(0),
                    _ => 0,
                })
                .sum();
            let at = eof_at + Duration::from_millis(delay as u64);
            if at <= Instant::now() {
                return End::Done;
            }
            tokio::select! {
                _ = self.timer.sleep_until(at) => return End::Done,
                _ = self.stop.cancelled() => return End::Close,
                _ = self.ends.reset.cancelled() => return End::Reset,
                _ = self.ends.close.cancelled() => return End::Close,
                changed = self.chain_rx.changed() => {
                    if changed.is_err() || self.adopt_chain() {
                        return End::Close;
                    }
                }
            }
        }
    }

    /// Takes the newly published chain. Returns true when a timeout toxic
    /// was removed: that closes the connections it was on, whatever their
    /// toxicity draw (Toxiproxy's Cleanup).
    fn adopt_chain(&mut self) -> bool {
        let old = std::mem::replace(&mut self.chain, self.chain_rx.borrow_and_update().clone());
        let timeout_removed = old.iter().any(|e| {
            matches!(e.toxic.kind, Kind::Timeout { .. }) && !self.chain.iter().any(|n| n.id == e.id)
        });
        self.sync_state();
        timeout_removed
    }

    /// Runs the chain over a chunk (see the module documentation).
    fn plan_chunk(&mut self, chunk: Chunk) -> Plan {
        let now = Instant::now();
        let mut state = self.state.clone();
        let mut pieces = vec![Piece {
            data: chunk.data.clone(),
            at: chunk.read_at,
        }];
        let mut then = After::Nothing;
        for e in self.chain.iter() {
            let Some(s) = state.get_mut(&e.id) else {
                continue;
            };
            if !s.active || pieces.is_empty() {
                continue;
            }
            match &e.toxic.kind {
                // http_* toxics act on HTTP proxies only (crate::http).
                Kind::Noop | Kind::SlowClose { .. } | Kind::Http(_) => {}
                Kind::Latency {
                    latency,
                    jitter,
                    distribution,
                } => {
                    for p in &mut pieces {
                        let ms = delay_ms(&mut self.rng, *latency, *jitter, *distribution);
                        if ms > 0.0 {
                            p.at += Duration::from_secs_f64(ms / 1000.0);
                        }
                    }
                }
                Kind::Bandwidth { rate } if *rate > 0 => {
                    let rate = *rate as u64;
                    let max = (rate * 100) as usize;
                    let mut out = Vec::new();
                    for p in pieces.drain(..) {
                        for part in p.data.chunks(max.max(1)) {
                            let start = s.next_free.map_or(p.at, |f| f.max(p.at));
                            let at = start + Duration::from_micros(part.len() as u64 * 1000 / rate);
                            s.next_free = Some(at);
                            out.push(Piece {
                                data: part.to_vec(),
                                at,
                            });
                        }
                    }
                    pieces = out;
                }
                Kind::Bandwidth { .. } => {}
                Kind::Slicer {
                    average_size,
                    size_variation,
                    delay,
                } => {
                    let mut out = Vec::new();
                    for p in pieces.drain(..) {
                        let mut cuts = Vec::new();
                        slice(
                            &mut self.rng,
                            0,
                            p.data.len(),
                            *average_size,
                            *size_variation,
                            &mut cuts,
                        );
                        for (k, (a, b)) in cuts.into_iter().enumerate() {
                            out.push(Piece {
                                data: p.data[a..b].to_vec(),
                                at: p.at + Duration::from_micros((*delay).max(0) as u64 * k as u64),
                            });
                        }
                    }
                    pieces = out;
                }
                Kind::LimitData { bytes } => {
                    let mut allowed = (*bytes - s.passed).max(0) as usize;
                    let mut out = Vec::new();
                    for mut p in pieces.drain(..) {
                        if allowed == 0 {
                            break;
                        }
                        p.data.truncate(allowed);
                        allowed -= p.data.len();
                        s.passed += p.data.len() as i64;
                        out.push(p);
                    }
                    pieces = out;
                    if s.passed >= *bytes {
                        then = After::Close;
                    }
                }
                Kind::Timeout { timeout } => {
                    pieces.clear();
                    // Every chunk swallowed restarts the countdown.
                    s.since = now;
                    if *timeout > 0 {
                        self.timeout_at = Some(now + Duration::from_millis(*timeout as u64));
                    }
                }
                Kind::ResetPeer { timeout } => {
                    pieces.clear();
                    if !s.fired {
                        s.fired = true;
                        then =
                            After::ResetAt(now + Duration::from_millis((*timeout).max(0) as u64));
                    }
                }
                Kind::Blackhole => pieces.clear(),
            }
        }
        Plan {
            pieces: pieces.into_iter().collect(),
            written: 0,
            started: false,
            then,
            state,
            origin: Some(chunk),
        }
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Writes part of the front piece; returns the bytes written.
async fn write_front(dst: &mut OwnedWriteHalf, plan: Option<&mut Plan>) -> std::io::Result<usize> {
    let Some(plan) = plan else {
        return Ok(0);
    };
    let Some(piece) = plan.pieces.front() else {
        return Ok(0);
    };
    if piece.data.is_empty() {
        plan.pieces.pop_front();
        return Ok(0);
    }
    let n = dst.write(&piece.data[plan.written..]).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::WriteZero.into());
    }
    plan.started = true;
    plan.written += n;
    if plan.written >= piece.data.len() {
        plan.pieces.pop_front();
        plan.written = 0;
    }
    Ok(n)
}

/// One chunk's latency in ms: `latency` plus jitter drawn per chunk.
fn delay_ms(rng: &mut StdRng, latency: i64, jitter: i64, distribution: Distribution) -> f64 {
    let latency = latency as f64;
    if jitter <= 0 {
        return latency;
    }
    let j = jitter as f64;
    match distribution {
        // Toxiproxy: rand.Int63n(2*jitter) - jitter, whole milliseconds.
        Distribution::Uniform => latency + (rng.gen_range(0..2 * jitter) - jitter) as f64,
        Distribution::Normal => latency + Normal::new(0.0, j).map_or(0.0, |n| n.sample(rng)),
        Distribution::Pareto => latency + Pareto::new(j, 1.5).map_or(j, |p| p.sample(rng)) - j,
    }
}

/// Toxiproxy's recursive split, clamped so it always ends: an average of
/// 0 or less keeps the chunk whole, the variation stays below the
/// average, and no slice is empty.
fn slice(
    rng: &mut StdRng,
    start: usize,
    end: usize,
    average: i64,
    variation: i64,
    out: &mut Vec<(usize, usize)>,
) {
    if end <= start {
        return;
    }
    let len = (end - start) as i64;
    let variation = variation.clamp(0, (average - 1).max(0));
    if average <= 0 || len - average <= variation || len <= 1 {
        out.push((start, end));
        return;
    }
    let mut mid = start as i64 + len / 2;
    if variation > 0 {
        mid += rng.gen_range(0..2 * variation) - variation;
    }
    let mid = (mid.clamp(start as i64 + 1, end as i64 - 1)) as usize;
    slice(rng, start, mid, average, variation, out);
    slice(rng, mid, end, average, variation, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn slices_cover_the_chunk_in_order_and_never_loop() {
        let mut rng = StdRng::seed_from_u64(7);
        for (avg, var) in [(0, 0), (1, 0), (10, 3), (10, 50), (-3, 2), (1000, 10)] {
            let mut cuts = Vec::new();
            slice(&mut rng, 0, 257, avg, var, &mut cuts);
            let mut at = 0;
            for (a, b) in &cuts {
                assert_eq!(*a, at);
                assert!(b > a, "no empty slice");
                at = *b;
            }
            assert_eq!(at, 257, "avg {avg} var {var}");
        }
        let mut cuts = Vec::new();
        slice(&mut rng, 0, 100, 10, 0, &mut cuts);
        assert!(cuts.iter().all(|(a, b)| b - a <= 20), "{cuts:?}");
    }

    #[test]
    fn uniform_jitter_stays_in_toxiproxys_range() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1000 {
            let d = delay_ms(&mut rng, 100, 10, Distribution::Uniform);
            assert!((90.0..110.0).contains(&d), "{d}");
        }
    }
}
