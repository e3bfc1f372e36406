//! Failed sign-ins, limited per account and per client with token buckets.
//!
//! Each key holds `per_minute` tokens and gets one back every
//! `60 / per_minute` seconds; a failed sign-in spends one. With no token
//! left, sign-in is refused (429) until one is back: at most a few seconds
//! after an attacker stops, so the limit cannot lock a real admin out for
//! long. Time comes from the app's clock, so tests need no sleeping.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

pub struct LoginLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    capacity: f64,
    /// Tokens regained per millisecond.
    refill_per_ms: f64,
}

/// Buckets kept before full ones are forgotten (they mean nothing).
const PRUNE_ABOVE: usize = 10_000;

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        let capacity = f64::from(per_minute.max(1));
        Self {
            buckets: Mutex::new(HashMap::new()),
            capacity,
            refill_per_ms: capacity / 60_000.0,
        }
    }

    fn level(&self, b: &Bucket, now_ms: i64) -> f64 {
        let elapsed = (now_ms - b.at_ms).max(0) as f64;
        (b.tokens + elapsed * self.refill_per_ms).min(self.capacity)
    }

    /// `None` when every key may try now, else how long until all can.
    pub fn check(&self, keys: &[String], now: DateTime<Utc>) -> Option<Duration> {
        let now_ms = now.timestamp_millis();
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let wait_ms = keys
            .iter()
            .filter_map(|k| buckets.get(k))
            .map(|b| {
                let level = self.level(b, now_ms);
                if level >= 1.0 {
                    0.0
                } else {
                    (1.0 - level) / self.refill_per_ms
                }
            })
            .fold(0.0_f64, f64::max);
        (wait_ms > 0.0).then(|| Duration::from_millis(wait_ms.ceil() as u64))
    }

    /// Spends one token of each key (a failed sign-in).
    pub fn charge(&self, keys: &[String], now: DateTime<Utc>) {
        let now_ms = now.timestamp_millis();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| self.level(b, now_ms) < self.capacity);
        }
        for k in keys {
            let level = buckets
                .get(k)
                .map_or(self.capacity, |b| self.level(b, now_ms));
            buckets.insert(
                k.clone(),
                Bucket {
                    tokens: (level - 1.0).max(0.0),
                    at_ms: now_ms,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn five_failures_a_minute_then_a_short_wait() {
        let l = LoginLimiter::new(5);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let keys = vec!["acct:a".to_owned(), "ip:1".to_owned()];
        for _ in 0..5 {
            assert_eq!(l.check(&keys, t), None);
            l.charge(&keys, t);
        }
        let wait = l.check(&keys, t).expect("limited");
        assert_eq!(wait, Duration::from_secs(12));
        assert!(
            l.check(&["acct:b".to_owned()], t).is_none(),
            "others unaffected"
        );
        assert!(l.check(&keys, t + chrono::Duration::seconds(12)).is_none());
    }
}
