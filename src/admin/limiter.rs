//! Failed sign-ins, limited with token buckets per address, per (account,
//! address), and per account.
//!
//! Every bucket refills completely in a minute. An attempt spends its
//! tokens *before* the password is checked, in one step under one lock, so
//! parallel requests cannot all pass the check and then all be charged; a
//! successful sign-in gets its tokens back. Per (account, address) holds
//! `per_minute` tokens and per address four times that (several editors
//! behind one office NAT). Per account holds ten times that, and an empty
//! account bucket only slows sign-ins down by [`ACCOUNT_DELAY`], never
//! refuses them: someone failing from other addresses cannot keep the real
//! admin out. Time comes from the app's clock, so tests need no sleeping.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Extra wait for every sign-in to an account whose account-wide bucket is
/// empty (the account is being guessed at from many addresses).
pub const ACCOUNT_DELAY: Duration = Duration::from_secs(1);

/// Buckets per address hold this many times `per_minute`.
pub const ADDRESS_FACTOR: u32 = 4;
/// Buckets per account hold this many times `per_minute`.
pub const ACCOUNT_FACTOR: u32 = 10;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
    capacity: f64,
}

impl Bucket {
    /// Tokens now: the stored ones plus a minute's refill pro rata.
    fn level(&self, now_ms: i64) -> f64 {
        let elapsed = (now_ms - self.at_ms).max(0) as f64;
        (self.tokens + elapsed * self.capacity / 60_000.0).min(self.capacity)
    }

    /// Milliseconds until one token is back.
    fn wait_ms(&self, now_ms: i64) -> f64 {
        let level = self.level(now_ms);
        if level >= 1.0 {
            0.0
        } else {
            (1.0 - level) * 60_000.0 / self.capacity
        }
    }
}

/// What a sign-in attempt may do.
#[derive(Debug, PartialEq)]
pub enum Admission {
    /// Check the password, after `delay`. The attempt has been charged;
    /// give it back with [`LoginLimiter::refund`] when it succeeds.
    Go { delay: Duration, spent: Spent },
    /// Refused: a token is back after this long.
    Wait(Duration),
}

/// The tokens one attempt spent.
#[derive(Debug, PartialEq)]
pub struct Spent(Vec<String>);

pub struct LoginLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    per_minute: f64,
}

/// Buckets kept before full ones are forgotten (they mean nothing).
const PRUNE_ABOVE: usize = 10_000;

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            per_minute: f64::from(per_minute.max(1)),
        }
    }

    /// Decides about one attempt to sign in to `account` from `address`,
    /// spending its tokens when it may go ahead.
    pub fn admit(&self, account: &str, address: &str, now: DateTime<Utc>) -> Admission {
        let now_ms = now.timestamp_millis();
        let limited = [
            (format!("pair:{account}\n{address}"), self.per_minute),
            (
                format!("address:{address}"),
                self.per_minute * f64::from(ADDRESS_FACTOR),
            ),
        ];
        let account_key = (
            format!("account:{account}"),
            self.per_minute * f64::from(ACCOUNT_FACTOR),
        );
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.level(now_ms) < b.capacity);
        }
        let full = |capacity| Bucket {
            tokens: capacity,
            at_ms: now_ms,
            capacity,
        };
        let wait_ms = limited
            .iter()
            .filter_map(|(k, _)| buckets.get(k))
            .map(|b| b.wait_ms(now_ms))
            .fold(0.0_f64, f64::max);
        if wait_ms > 0.0 {
            return Admission::Wait(Duration::from_millis(wait_ms.ceil() as u64));
        }
        let mut spent = Vec::with_capacity(3);
        for (key, capacity) in limited {
            let b = buckets.entry(key.clone()).or_insert_with(|| full(capacity));
            b.tokens = b.level(now_ms) - 1.0;
            b.at_ms = now_ms;
            spent.push(key);
        }
        let (key, capacity) = account_key;
        let b = buckets.entry(key.clone()).or_insert_with(|| full(capacity));
        let level = b.level(now_ms);
        let delay = if level >= 1.0 {
            b.tokens = level - 1.0;
            b.at_ms = now_ms;
            spent.push(key);
            Duration::ZERO
        } else {
            ACCOUNT_DELAY
        };
        Admission::Go {
            delay,
            spent: Spent(spent),
        }
    }

    /// Gives back what a successful (or never checked) attempt spent.
    pub fn refund(&self, spent: Spent, now: DateTime<Utc>) {
        let now_ms = now.timestamp_millis();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        for key in spent.0 {
            if let Some(b) = buckets.get_mut(&key) {
                b.tokens = (b.level(now_ms) + 1.0).min(b.capacity);
                b.at_ms = now_ms;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn go(a: &Admission) -> bool {
        matches!(a, Admission::Go { delay, .. } if delay.is_zero())
    }

    #[test]
    fn five_failures_a_minute_per_account_and_address_then_a_short_wait() {
        let l = LoginLimiter::new(5);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for _ in 0..5 {
            assert!(go(&l.admit("a", "1", t)));
        }
        assert_eq!(
            l.admit("a", "1", t),
            Admission::Wait(Duration::from_secs(12))
        );
        assert!(go(&l.admit("a", "2", t)), "another address is unaffected");
        assert!(go(&l.admit("b", "1", t)), "another account is unaffected");
        assert!(go(&l.admit("a", "1", t + chrono::Duration::seconds(12))));
    }

    #[test]
    fn a_success_gives_its_tokens_back() {
        let l = LoginLimiter::new(5);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for _ in 0..20 {
            let Admission::Go { spent, .. } = l.admit("a", "1", t) else {
                panic!("refused although every attempt succeeded");
            };
            l.refund(spent, t);
        }
    }

    #[test]
    fn one_address_may_try_several_accounts_up_to_its_own_limit() {
        let l = LoginLimiter::new(5);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for i in 0..20 {
            assert!(go(&l.admit(&format!("user{}", i / 5), "1", t)), "{i}");
        }
        assert!(matches!(l.admit("other", "1", t), Admission::Wait(_)));
    }

    #[test]
    fn an_account_guessed_at_from_everywhere_is_slowed_not_closed() {
        let l = LoginLimiter::new(5);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for i in 0..50 {
            assert!(go(&l.admit("a", &format!("10.0.0.{i}"), t)), "{i}");
        }
        assert!(
            matches!(l.admit("a", "192.0.2.1", t), Admission::Go { delay, .. } if delay == ACCOUNT_DELAY)
        );
    }
}
