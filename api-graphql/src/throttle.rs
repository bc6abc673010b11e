//! Per-subject limits at the edge: requests per second, WebSockets open at
//! once, subscriptions per WebSocket. A verified subject is the unit, so
//! one caller cannot take the server from everyone else however many
//! connections it opens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The limits in force; `prasme serve` takes each as an option.
#[derive(Debug, Clone, Copy)]
pub struct AccessLimits {
    /// Requests per second each subject may sustain.
    pub requests_per_second: u32,
    /// Requests a subject may send at once after being idle.
    pub burst: u32,
    pub sockets_per_subject: usize,
    pub subscriptions_per_socket: usize,
}

impl Default for AccessLimits {
    fn default() -> Self {
        Self {
            requests_per_second: 100,
            burst: 300,
            sockets_per_subject: 16,
            subscriptions_per_socket: 32,
        }
    }
}

/// A token bucket per subject.
pub(crate) struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Past this many subjects, buckets that have refilled are forgotten: a
/// full bucket is what a new one would be.
const BUCKETS_KEPT: usize = 10_000;

impl RateLimiter {
    pub(crate) fn new(limits: &AccessLimits) -> Self {
        Self {
            rate: f64::from(limits.requests_per_second.max(1)),
            burst: f64::from(limits.burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `subject`'s bucket, or says how long until
    /// one is there.
    pub(crate) fn take(&self, subject: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > BUCKETS_KEPT {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(subject.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

/// How many WebSockets each subject holds open.
#[derive(Clone)]
pub(crate) struct SocketSlots {
    max: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open WebSocket of a subject; dropping it frees the slot.
pub(crate) struct SocketSlot {
    subject: String,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl SocketSlots {
    pub(crate) fn new(limits: &AccessLimits) -> Self {
        Self {
            max: limits.sockets_per_subject.max(1),
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub(crate) fn take(&self, subject: &str) -> Option<SocketSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(subject.to_owned()).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(SocketSlot {
            subject: subject.to_owned(),
            open: self.open.clone(),
        })
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.subject) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.subject);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_gets_its_burst_then_waits_while_others_are_served() {
        let limiter = RateLimiter::new(&AccessLimits {
            requests_per_second: 10,
            burst: 3,
            ..AccessLimits::default()
        });
        for _ in 0..3 {
            assert!(limiter.take("a").is_ok());
        }
        let wait = limiter.take("a").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(100), "{wait:?}");
        assert!(limiter.take("b").is_ok());
    }

    #[test]
    fn a_socket_slot_is_freed_when_dropped() {
        let slots = SocketSlots::new(&AccessLimits {
            sockets_per_subject: 2,
            ..AccessLimits::default()
        });
        let first = slots.take("a").unwrap();
        let _second = slots.take("a").unwrap();
        assert!(slots.take("a").is_none());
        assert!(slots.take("b").is_some());
        drop(first);
        assert!(slots.take("a").is_some());
    }
}
