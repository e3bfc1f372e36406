//! Password checks, bounded: at most one per CPU core runs at a time, each
//! in one of a few argon2 work areas that are kept and reused.
//!
//! An argon2id check needs 19 MiB and a core for tens of milliseconds. Left
//! unbounded, 200 parallel sign-ins ran 35 checks at once and left the
//! process at 2 GB (freed work areas stay in the allocator's per-thread
//! arenas). Here the number of work areas is the number of permits, so
//! memory is bounded by `permits × 19 MiB` whatever arrives, and a request
//! that finds every permit taken waits briefly, then gets a 429.

use crate::authentication::{self, MAX_PASSWORD_BYTES};
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a sign-in waits for a free permit before it is told to retry.
pub const PERMIT_WAIT: Duration = Duration::from_secs(2);

/// Work areas above this many blocks (a stored hash with absurd cost
/// parameters) are refused rather than allocated.
const MAX_BLOCKS: usize = 256 * 1024;

/// Every permit was taken for [`PERMIT_WAIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

pub struct PasswordChecks {
    permits: Arc<Semaphore>,
    /// Work areas not in use; never more than the number of permits.
    areas: Mutex<Vec<Vec<Block>>>,
    verified: AtomicU64,
    running: AtomicUsize,
    peak: AtomicUsize,
    wait: Duration,
}

impl PasswordChecks {
    /// `concurrency` checks at once (0 = one per CPU core).
    pub fn new(concurrency: usize) -> Self {
        let n = if concurrency == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            concurrency
        };
        Self {
            permits: Arc::new(Semaphore::new(n)),
            areas: Mutex::new(Vec::new()),
            verified: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            wait: PERMIT_WAIT,
        }
    }

    /// Argon2 verifications run so far (unknown usernames included).
    pub fn verified(&self) -> u64 {
        self.verified.load(Ordering::Relaxed)
    }

    /// The most verifications that ever ran at the same moment.
    pub fn peak_concurrency(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Waits (up to [`PERMIT_WAIT`]) for a permit, then runs `work` off the
    /// async executor with a [`Verify`] that checks one password.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Verify<'_>) -> T + Send + 'static,
    ) -> Result<Result<T, actix_web::error::BlockingError>, Busy> {
        let permit = actix_web::rt::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let this = self.clone();
        let out = actix_web::web::block(move || {
            let area = this
                .areas
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop()
                .unwrap_or_default();
            let v = Verify {
                checks: &this,
                area: std::cell::RefCell::new(area),
            };
            let out = work(&v);
            let area = v.area.into_inner();
            this.areas
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(area);
            out
        })
        .await;
        drop(permit);
        Ok(out)
    }
}

/// One permit's right to run argon2, with its work area.
pub struct Verify<'a> {
    checks: &'a PasswordChecks,
    area: std::cell::RefCell<Vec<Block>>,
}

impl Verify<'_> {
    /// True when `password` matches the PHC string; `None` (unknown user)
    /// never matches but costs the same. CPU-heavy.
    pub fn password(&self, password: &str, phc: Option<&str>) -> bool {
        let c = self.checks;
        let now = c.running.fetch_add(1, Ordering::SeqCst) + 1;
        c.peak.fetch_max(now, Ordering::SeqCst);
        c.verified.fetch_add(1, Ordering::SeqCst);
        let matches = phc
            .or(authentication::dummy_hash())
            .is_some_and(|p| self.matches(password, p));
        c.running.fetch_sub(1, Ordering::SeqCst);
        matches && phc.is_some()
    }

    fn matches(&self, password: &str, phc: &str) -> bool {
        if password.len() > MAX_PASSWORD_BYTES {
            return false;
        }
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
            return false;
        };
        let version = match parsed.version.map(Version::try_from).transpose() {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => return false,
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let blocks = params.block_count();
        if blocks > MAX_BLOCKS {
            return false;
        }
        let mut area = self.area.borrow_mut();
        if area.len() < blocks {
            area.resize(blocks, Block::new());
        }
        let mut out = vec![0u8; expected.len()];
        Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut area[..blocks],
            )
            .is_ok()
            && authentication::constant_time_eq_bytes(&out, expected.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn checks_match_the_hasher_and_reuse_their_work_area() {
        let checks = Arc::new(PasswordChecks::new(1));
        let phc = authentication::hash_password("correct horse battery").unwrap();
        for (password, want) in [
            ("correct horse battery", true),
            ("wrong horse battery", false),
        ] {
            let p = phc.clone();
            let got = checks
                .run(move |v| v.password(password, Some(&p)))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(got, want, "{password}");
        }
        let unknown = checks
            .run(|v| v.password("not the password of anyone at all", None))
            .await
            .unwrap()
            .unwrap();
        assert!(!unknown, "an unknown user never matches");
        assert_eq!(checks.verified(), 3);
        assert_eq!(checks.peak_concurrency(), 1);
        assert_eq!(checks.areas.lock().unwrap().len(), 1, "one area, reused");
    }
}
