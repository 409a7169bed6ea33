//! Waiting until an instant with microsecond precision.
//!
//! tokio's timer wheel rounds every sleep up to the next millisecond: a
//! 10 ms latency toxic built on it delivers at 11 ms (measured here, see
//! `docs/design/fault-proxy.md` §9). A `timerfd` armed with the remaining
//! time and awaited through the runtime does better, but the kernel still
//! wakes late: on this machine (a VM) a 10 ms `clock_nanosleep` or timerfd
//! wakes 200–550 µs late. So the timerfd is armed for `deadline - margin`,
//! and the rest is spent yielding to the runtime until the deadline (other
//! tasks keep running). The margin follows the wake-up lateness this
//! process observes: a few tens of µs on bare metal, a few hundred in a VM.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;

/// nix's `TimerFd` offers `AsFd`; the runtime wants `AsRawFd`.
struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// How early the timerfd is armed, in ns: learnt from observed lateness,
/// shared by every timer of the process.
static MARGIN_NS: AtomicU64 = AtomicU64::new(500_000);
const MIN_MARGIN_NS: u64 = 30_000;
/// Spinning longer does not pay: a wake-up later than this is the machine
/// being busy, not timer slack, and a task that spins on a busy machine
/// looks CPU-bound to the kernel's scheduler, which then serves it last.
const MAX_MARGIN_NS: u64 = 800_000;

/// The margin after a wake-up `late` after its target: jumps up to cover
/// it (with room), decays slowly when wake-ups are prompt; ignores
/// wake-ups too late to be slack (see [`MAX_MARGIN_NS`]).
fn learn(late: Duration) {
    let late = late.as_nanos();
    if late > u128::from(MAX_MARGIN_NS) {
        return;
    }
    let late = late as u64;
    let old = MARGIN_NS.load(Ordering::Relaxed);
    let wanted = late + late / 4 + 20_000;
    let next = if wanted > old {
        wanted
    } else {
        old - (old - wanted) / 32
    };
    MARGIN_NS.store(next.clamp(MIN_MARGIN_NS, MAX_MARGIN_NS), Ordering::Relaxed);
}

fn margin() -> Duration {
    Duration::from_nanos(MARGIN_NS.load(Ordering::Relaxed))
}

/// Yields to the runtime until `deadline`.
async fn spin_until(deadline: Instant) {
    while Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}

/// A reusable one-shot timer for one task.
pub struct PreciseTimer {
    fd: Option<AsyncFd<Fd>>,
}

impl Default for PreciseTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl PreciseTimer {
    /// A timer; the file descriptor is made on first use.
    pub fn new() -> Self {
        PreciseTimer { fd: None }
    }

    fn fd(&mut self) -> io::Result<&AsyncFd<Fd>> {
        if self.fd.is_none() {
            let t = TimerFd::new(
                ClockId::CLOCK_MONOTONIC,
                TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
            )
            .map_err(io::Error::from)?;
            // SAFETY: the timerfd is owned by `Fd`, which the AsyncFd owns:
            // it stays open and the same for the AsyncFd's whole life.
            let registered =
                unsafe { AsyncFd::register_with_interest(Fd(t), tokio::io::Interest::READABLE) };
            self.fd = Some(registered.map_err(io::Error::from)?);
        }
        Ok(self.fd.as_ref().expect("just made"))
    }

    /// Returns at `deadline` (at once if it has passed), within a few µs
    /// (see the module documentation). Falls back to tokio's timer if no
    /// timerfd can be made.
    pub async fn sleep_until(&mut self, deadline: Instant) {
        let now = Instant::now();
        if deadline <= now {
            return;
        }
        let margin = margin();
        if deadline - now <= margin {
            spin_until(deadline).await;
            return;
        }
        let target = deadline - margin;
        let fd = match self.fd() {
            Ok(fd) => fd,
            Err(_) => {
                tokio::time::sleep_until(deadline.into()).await;
                return;
            }
        };
        if fd
            .get_ref()
            .0
            .set(
                Expiration::OneShot(TimeSpec::from_duration(target - now)),
                TimerSetTimeFlags::empty(),
            )
            .is_err()
        {
            tokio::time::sleep_until(deadline.into()).await;
            return;
        }
        loop {
            let Ok(mut guard) = fd.readable().await else {
                tokio::time::sleep_until(deadline.into()).await;
                return;
            };
            let mut buf = [0u8; 8];
            match guard.try_io(|inner| {
                nix::unistd::read(inner.get_ref().as_raw_fd(), &mut buf).map_err(io::Error::from)
            }) {
                Ok(_) => break,
                Err(_would_block) => continue,
            }
        }
        learn(Instant::now().saturating_duration_since(target));
        spin_until(deadline).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_within_a_fraction_of_a_millisecond() {
        let mut t = PreciseTimer::new();
        let mut late = Vec::new();
        for _ in 0..20 {
            let deadline = Instant::now() + Duration::from_micros(2500);
            t.sleep_until(deadline).await;
            late.push(Instant::now() - deadline);
        }
        late.sort();
        assert!(
            late[10] < Duration::from_micros(200),
            "median lateness {:?}",
            late[10]
        );
    }
}
