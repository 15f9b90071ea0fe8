//! Flood control: the token bucket that paces what the client sends.
//!
//! Servers disconnect clients that send too fast (ngircd and most ircds count a penalty per
//! line and per bytes). Like irssi and HexChat, the client may send a short burst at once and
//! then one line per interval; a second bucket counts bytes, so a burst of long lines waits
//! longer than a burst of short ones. Time is `tokio::time::Instant`, so tests drive it with
//! paused time.

use std::time::Duration;

use tokio::time::Instant;

/// How fast messages may leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodControl {
    /// Lines that may be sent at once after a quiet period.
    pub burst: u32,
    /// Once the burst is spent, one more line per `interval`.
    pub interval: Duration,
    /// Bytes that may be sent at once after a quiet period (0: no byte limit).
    pub burst_bytes: u32,
    /// Once the byte burst is spent, this many bytes per second (0: no byte limit).
    pub bytes_per_second: u32,
}

impl Default for FloodControl {
    /// Four lines at once, then one a second; 1 KiB at once, then 512 bytes a second.
    fn default() -> Self {
        Self {
            burst: 4,
            interval: Duration::from_secs(1),
            burst_bytes: 1024,
            bytes_per_second: 512,
        }
    }
}

/// One bucket: `capacity` tokens, refilled at `per_second`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
}

impl Bucket {
    fn new(capacity: f64, per_second: f64) -> Self {
        Self {
            capacity,
            per_second,
            tokens: capacity,
        }
    }

    fn refill(&mut self, elapsed: Duration) {
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.capacity);
    }

    /// How long until `cost` tokens are there (a cost above the capacity waits for a full
    /// bucket, then overdraws it, so an oversized line is slow, never stuck).
    fn wait_for(&self, cost: f64) -> Duration {
        let needed = cost.min(self.capacity) - self.tokens;
        if needed <= 0.0 || self.per_second <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(needed / self.per_second)
        }
    }
}

/// The pacing state of one connection.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    lines: Bucket,
    bytes: Option<Bucket>,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub(crate) fn new(control: &FloodControl, now: Instant) -> Self {
        let interval = control.interval.as_secs_f64();
        let lines = Bucket::new(
            f64::from(control.burst.max(1)),
            if interval > 0.0 {
                1.0 / interval
            } else {
                f64::INFINITY
            },
        );
        let bytes = (control.burst_bytes > 0 && control.bytes_per_second > 0).then(|| {
            Bucket::new(
                f64::from(control.burst_bytes),
                f64::from(control.bytes_per_second),
            )
        });
        Self {
            lines,
            bytes,
            updated: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated);
        self.lines.refill(elapsed);
        if let Some(bytes) = &mut self.bytes {
            bytes.refill(elapsed);
        }
        self.updated = now;
    }

    /// When a line of `len` bytes may be sent.
    pub(crate) fn ready_at(&mut self, now: Instant, len: usize) -> Instant {
        self.refill(now);
        let mut wait = self.lines.wait_for(1.0);
        if let Some(bytes) = &self.bytes {
            wait = wait.max(bytes.wait_for(len as f64));
        }
        now + wait
    }

    /// Takes the tokens of a line of `len` bytes sent at `now`.
    pub(crate) fn take(&mut self, now: Instant, len: usize) {
        self.refill(now);
        self.lines.tokens -= 1.0;
        if let Some(bytes) = &mut self.bytes {
            bytes.tokens -= len as f64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `count` lines of `len` bytes as fast as the bucket allows; returns each send's
    /// offset from the start in milliseconds.
    async fn pace(control: FloodControl, count: usize, len: usize) -> Vec<u128> {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(&control, start);
        let mut sent = Vec::new();
        for _ in 0..count {
            let at = bucket.ready_at(Instant::now(), len);
            tokio::time::sleep_until(at).await;
            bucket.take(Instant::now(), len);
            sent.push(Instant::now().duration_since(start).as_millis());
        }
        sent
    }

    #[tokio::test(start_paused = true)]
    async fn burst_then_one_per_interval() {
        let control = FloodControl {
            burst_bytes: 0,
            bytes_per_second: 0,
            ..FloodControl::default()
        };
        assert_eq!(pace(control, 7, 10).await, [0, 0, 0, 0, 1000, 2000, 3000]);
    }

    #[tokio::test(start_paused = true)]
    async fn refills_after_a_quiet_period_but_not_beyond_the_burst() {
        let control = FloodControl {
            burst: 2,
            interval: Duration::from_millis(500),
            burst_bytes: 0,
            bytes_per_second: 0,
        };
        assert_eq!(pace(control, 3, 1).await, [0, 0, 500]);
        tokio::time::sleep(Duration::from_secs(60)).await;
        // A minute of silence refills two tokens, not 120.
        let start = Instant::now();
        let mut bucket = TokenBucket::new(&control, start);
        bucket.take(start, 1);
        bucket.take(start, 1);
        tokio::time::sleep(Duration::from_secs(60)).await;
        let now = Instant::now();
        assert_eq!(bucket.ready_at(now, 1), now);
        bucket.take(now, 1);
        assert_eq!(bucket.ready_at(now, 1), now);
        bucket.take(now, 1);
        assert_eq!(bucket.ready_at(now, 1), now + Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn long_lines_are_paced_by_bytes() {
        let control = FloodControl {
            burst: 10,
            interval: Duration::from_millis(100),
            burst_bytes: 1000,
            bytes_per_second: 500,
        };
        // Two 500-byte lines fill the byte burst; each further one waits a second.
        assert_eq!(pace(control, 4, 500).await, [0, 0, 1000, 2000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_larger_than_the_byte_burst_still_goes() {
        let control = FloodControl {
            burst: 4,
            interval: Duration::from_secs(1),
            burst_bytes: 100,
            bytes_per_second: 100,
        };
        // 400 bytes at 100 bytes a second: the second line waits for the first one's debt.
        assert_eq!(pace(control, 2, 400).await, [0, 4000]);
    }
}
