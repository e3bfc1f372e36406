//! How long a shared cache (a CDN, an nginx cache, a reader) may keep a
//! public response: the configured `max-age`, cut short at the next instant
//! its content changes by itself (a scheduled release becoming visible), so
//! no cache shows the pre-embargo version after the embargo lifts.

use actix_web::http::header::HeaderValue;
use chrono::{DateTime, Utc};

pub struct Freshness {
    max_age: u64,
    /// `public, max-age={max_age}`, made once: most answers send it.
    full: HeaderValue,
}

impl Freshness {
    pub fn new(max_age: u64) -> Self {
        Self {
            max_age,
            full: cache_control(max_age),
        }
    }

    /// `Cache-Control` for a response at `now` whose content next changes
    /// at `next_change`. The seconds are rounded down, to 0 in the last
    /// second: a cache may then store the response but must revalidate it,
    /// so none serves it past the instant (1 would allow up to a second).
    pub fn header(&self, next_change: Option<DateTime<Utc>>, now: DateTime<Utc>) -> HeaderValue {
        match next_change {
            Some(t) => {
                let left = u64::try_from((t - now).num_milliseconds() / 1000).unwrap_or(0);
                if left < self.max_age {
                    cache_control(left)
                } else {
                    self.full.clone()
                }
            }
            None => self.full.clone(),
        }
    }
}

fn cache_control(max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn max_age_ends_before_the_next_change() {
        let f = Freshness::new(300);
        let now = Utc::now();
        let at = |ms| f.header(Some(now + Duration::milliseconds(ms)), now);
        assert_eq!(f.header(None, now), "public, max-age=300");
        assert_eq!(at(3_600_000), "public, max-age=300");
        assert_eq!(at(300_000), "public, max-age=300");
        assert_eq!(at(90_000), "public, max-age=90");
        assert_eq!(at(1_999), "public, max-age=1");
        assert_eq!(at(999), "public, max-age=0");
        assert_eq!(at(-5), "public, max-age=0");
    }
}
