//! The polite-client policy: unconditional re-fetches of the same feed by
//! the same client, more often than the configured interval, get 429.
//! Conditional requests (the cheap, correct way to poll) are never limited.

use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Entries kept before stale ones are swept out.
const SWEEP_AT: usize = 50_000;

pub struct PoliteLimiter {
    interval: chrono::Duration,
    last_fetch: Mutex<HashMap<(IpAddr, String), DateTime<Utc>>>,
}

impl PoliteLimiter {
    pub fn new(interval_secs: u32) -> Option<Self> {
        (interval_secs > 0).then(|| Self {
            interval: chrono::Duration::seconds(i64::from(interval_secs)),
            last_fetch: Mutex::new(HashMap::new()),
        })
    }

    /// `Err(seconds to wait)` when this unconditional fetch comes too soon.
    pub fn check(&self, client: IpAddr, path: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let mut map = self.last_fetch.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_AT {
            let interval = self.interval;
            map.retain(|_, t| now - *t < interval);
        }
        let key = (client, path.to_owned());
        if let Some(last) = map.get(&key) {
            let next = *last + self.interval;
            if now < next {
                let wait = (next - now).num_milliseconds().max(0) as u64;
                return Err(wait.div_ceil(1000).max(1));
            }
        }
        map.insert(key, now);
        Ok(())
    }
}

pub fn is_conditional(req: &HttpRequest) -> bool {
    let h = req.headers();
    h.contains_key(header::IF_NONE_MATCH) || h.contains_key(header::IF_MODIFIED_SINCE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_repeats_per_client_and_path_then_recovers() {
        let limiter = PoliteLimiter::new(60).unwrap();
        let t = Utc::now();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.check(a, "/feed.rss", t).is_ok());
        assert_eq!(
            limiter.check(a, "/feed.rss", t + chrono::Duration::seconds(10)),
            Err(50)
        );
        assert!(
            limiter.check(b, "/feed.rss", t).is_ok(),
            "other clients are not affected"
        );
        assert!(
            limiter.check(a, "/feed.atom", t).is_ok(),
            "other feeds are not affected"
        );
        assert!(
            limiter
                .check(a, "/feed.rss", t + chrono::Duration::seconds(60))
                .is_ok()
        );
        assert!(PoliteLimiter::new(0).is_none(), "off by default");
    }
}
