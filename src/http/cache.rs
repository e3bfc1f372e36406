//! Finished feed documents kept in memory, keyed by what they show.
//!
//! An entry is good while its scope keeps the version it was rendered at
//! (`store/versions.rs`: a write moves only the scopes it changes, in any
//! process) and until the next scheduled change in its scope. Bodies are
//! bounded by bytes and evict the least recently used; the validators of
//! a document stay after its body is evicted (a small entry per document,
//! bounded by count), so a conditional GET that matches never renders.
//! Bodies are counted exactly (identity and each compressed variant made);
//! what memory does not hold can still be on disk (`spill.rs`).

use super::conditional::{Representation, Validators};
use super::renders::RenderSlots;
use super::spill::Spill;
use super::versions::{ScopeMap, Version};
use crate::feeds::Format;
use crate::model::{FeedScope, Part};
use chrono::{DateTime, Utc};
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocKey {
    Feed(FeedScope, Format),
    /// A month (archive) or a language of a scope's feeds.
    Part(FeedScope, Part, Format),
    Opml,
}

/// Requests waiting for a render slot at most; more are answered 503.
const MAX_WAITING_RENDERS: usize = 256;

/// Validators of this many documents at most (a few hundred bytes each).
const MAX_VALIDATORS: usize = 65_536;

struct Entry<T> {
    value: Arc<T>,
    version: Version,
    valid_until: Option<DateTime<Utc>>,
    /// Bytes counted for it (bodies only; it grows by a compressed variant).
    size: usize,
}

impl<T> Entry<T> {
    fn fresh(&self, version: Version, now: DateTime<Utc>) -> bool {
        self.version == version && self.valid_until.is_none_or(|t| now < t)
    }
}

struct Inner {
    bodies: LruCache<DocKey, Entry<Representation>>,
    bytes: usize,
    validators: LruCache<DocKey, Entry<Validators>>,
    /// Documents a request is rendering now, and how to wait for it (see
    /// [`FeedCache::lookup`]).
    rendering: HashMap<DocKey, watch::Receiver<()>>,
}

/// See [`FeedCache::lookup`].
pub enum Lookup {
    /// The cached copy is exactly what a render would give.
    Fresh(Arc<Representation>),
    /// Another request is rendering this document: wait for it to finish
    /// (the receiver's sender is dropped then), and look up again.
    Wait(watch::Receiver<()>),
    /// Render it; this request renders for all the others. Drop the claim
    /// once the result is stored (or the render failed) to wake them.
    Render(RenderClaim),
}

/// Held by the one request rendering a document.
pub struct RenderClaim {
    _done: watch::Sender<()>,
}

pub struct FeedCache {
    inner: Mutex<Inner>,
    /// Which scope versions the cached documents are judged against.
    pub scopes: ScopeMap,
    /// Renders and compressions, a few at a time.
    pub slots: RenderSlots,
    /// Bodies beyond `max_bytes`, on disk; `None` when off.
    pub spill: Option<Spill>,
    max_bytes: usize,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    renders: AtomicU64,
    answered_full: AtomicU64,
    answered_not_modified: AtomicU64,
}

impl FeedCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                bodies: LruCache::unbounded(),
                bytes: 0,
                validators: LruCache::new(
                    NonZeroUsize::new(MAX_VALIDATORS).unwrap_or(NonZeroUsize::MIN),
                ),
                rendering: HashMap::new(),
            }),
            scopes: ScopeMap::default(),
            slots: RenderSlots::new(
                std::thread::available_parallelism().map_or(2, NonZeroUsize::get),
                MAX_WAITING_RENDERS,
            ),
            spill: None,
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            renders: AtomicU64::new(0),
            answered_full: AtomicU64::new(0),
            answered_not_modified: AtomicU64::new(0),
        }
    }

    /// Keeps bodies that do not fit in memory in `spill`'s directory.
    pub fn with_spill(mut self, spill: Option<Spill>) -> Self {
        self.spill = spill;
        self
    }

    /// Sets how many requests may wait for a render slot (tests make the
    /// queue short to fill it).
    pub fn with_render_queue(mut self, parallel: usize, max_waiting: usize) -> Self {
        self.slots = RenderSlots::new(parallel, max_waiting);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The validators of `key` if its scope is still at `version` and no
    /// scheduled change has come, whether or not its body is still held.
    pub fn validators(
        &self,
        key: &DocKey,
        version: Version,
        now: DateTime<Utc>,
    ) -> Option<Arc<Validators>> {
        let mut inner = self.lock();
        inner
            .validators
            .get(key)
            .filter(|e| e.fresh(version, now))
            .map(|e| Arc::clone(&e.value))
    }

    /// The body of `key` if memory holds it, fresh (no render claimed).
    pub fn held(
        &self,
        key: &DocKey,
        version: Version,
        now: DateTime<Utc>,
    ) -> Option<Arc<Representation>> {
        let mut inner = self.lock();
        let rep = inner
            .bodies
            .get(key)
            .filter(|e| e.fresh(version, now))
            .map(|e| Arc::clone(&e.value))?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(rep)
    }

    /// What a request for `key` should do. A write makes the documents of
    /// the scopes it changed out of date at once; then one request renders
    /// each document again and the others wait for that result, instead of
    /// every request rendering and compressing the same document at the
    /// same moment. No request is answered with a copy older than the
    /// commits it follows.
    pub fn lookup(&self, key: &DocKey, version: Version, now: DateTime<Utc>) -> Lookup {
        let mut inner = self.lock();
        let Inner {
            bodies, rendering, ..
        } = &mut *inner;
        if let Some(e) = bodies.get(key).filter(|e| e.fresh(version, now)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Lookup::Fresh(Arc::clone(&e.value));
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        if let Some(rx) = rendering.get(key)
            && rx.has_changed().is_ok()
        {
            return Lookup::Wait(rx.clone());
        }
        let (tx, rx) = watch::channel(());
        rendering.insert(key.clone(), rx);
        Lookup::Render(RenderClaim { _done: tx })
    }

    /// Forgets the finished render of `key` (the claim's holder calls it
    /// before dropping the claim).
    pub fn rendered(&self, key: &DocKey) {
        self.lock().rendering.remove(key);
    }

    /// Stores a fresh render of `key`, made when its scope had `version`
    /// (or later), and returns it. It keeps a Last-Modified later than the
    /// version it replaces was sent with ([`Validators::follow`]), even
    /// when that one's body was evicted.
    pub fn insert(
        &self,
        key: DocKey,
        mut rep: Representation,
        version: Version,
    ) -> Arc<Representation> {
        self.renders.fetch_add(1, Ordering::Relaxed);
        let size = rep.size();
        let valid_until = rep.validators().next_change;
        let mut inner = self.lock();
        if let Some(old) = inner.validators.peek(&key) {
            rep.follow(&old.value);
        }
        let rep = Arc::new(rep);
        inner.validators.put(
            key.clone(),
            Entry {
                value: Arc::clone(rep.validators()),
                version,
                valid_until,
                size: 0,
            },
        );
        if let Some(old) = inner.bodies.put(
            key,
            Entry {
                value: Arc::clone(&rep),
                version,
                valid_until,
                size,
            },
        ) {
            inner.bytes -= old.size;
        }
        inner.bytes += size;
        self.evict(&mut inner);
        rep
    }

    /// Counts the compressed variant just made of `rep`, `key`'s body (if
    /// the cache still holds that one), and evicts beyond the bound.
    pub fn grown(&self, key: &DocKey, rep: &Arc<Representation>) {
        let mut inner = self.lock();
        let size = rep.size();
        let Some(entry) = inner
            .bodies
            .peek_mut(key)
            .filter(|e| Arc::ptr_eq(&e.value, rep))
        else {
            return;
        };
        let before = std::mem::replace(&mut entry.size, size);
        inner.bytes = inner.bytes - before + size;
        self.evict(&mut inner);
    }

    fn evict(&self, inner: &mut Inner) {
        while inner.bytes > self.max_bytes && inner.bodies.len() > 1 {
            match inner.bodies.pop_lru() {
                Some((_, e)) => inner.bytes -= e.size,
                None => break,
            }
        }
    }

    /// How many documents were rendered (and stored) so far.
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// Counts one answer from a cached document: 304 or full.
    pub fn count_answer(&self, not_modified: bool) {
        let counter = if not_modified {
            &self.answered_not_modified
        } else {
            &self.answered_full
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// (full answers, 304 answers) given so far.
    pub fn answers(&self) -> (u64, u64) {
        (
            self.answered_full.load(Ordering::Relaxed),
            self.answered_not_modified.load(Ordering::Relaxed),
        )
    }

    /// (documents, bytes) whose bodies are currently held.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.bodies.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(n: usize) -> Representation {
        doc(vec![b'x'; n], Utc::now(), None)
    }

    fn doc(
        body: Vec<u8>,
        last_modified: DateTime<Utc>,
        next_change: Option<DateTime<Utc>>,
    ) -> Representation {
        Representation::new("text/plain", body, last_modified, next_change)
    }

    #[test]
    fn after_a_commit_one_request_renders_and_the_others_wait_for_it() {
        let cache = FeedCache::new(100_000);
        let now = Utc::now();
        let key = DocKey::Opml;
        let Lookup::Render(claim) = cache.lookup(&key, (0, 1), now) else {
            panic!("the first request renders");
        };
        let Lookup::Wait(waiter) = cache.lookup(&key, (0, 1), now) else {
            panic!("a second request waits for that render");
        };
        let old = cache.insert(key.clone(), rep(10), (0, 1));
        cache.rendered(&key);
        drop(claim);
        assert!(waiter.has_changed().is_err(), "the waiter is woken");
        assert!(
            matches!(cache.lookup(&key, (0, 1), now), Lookup::Fresh(r) if Arc::ptr_eq(&r, &old))
        );

        // A commit: one render, and nobody gets the old copy meanwhile.
        let Lookup::Render(claim) = cache.lookup(&key, (0, 2), now) else {
            panic!("a commit makes the copy stale");
        };
        for _ in 0..3 {
            assert!(matches!(cache.lookup(&key, (0, 2), now), Lookup::Wait(_)));
        }
        let new = cache.insert(key.clone(), rep(20), (0, 2));
        cache.rendered(&key);
        drop(claim);
        assert!(
            matches!(cache.lookup(&key, (0, 2), now), Lookup::Fresh(r) if Arc::ptr_eq(&r, &new))
        );

        // A render that failed ends its claim too: the next request tries again.
        let Lookup::Render(claim) = cache.lookup(&key, (0, 3), now) else {
            panic!("stale again");
        };
        cache.rendered(&key);
        drop(claim);
        assert!(matches!(cache.lookup(&key, (0, 3), now), Lookup::Render(_)));
    }

    #[test]
    fn stale_on_commit_or_schedule_and_bounded() {
        let cache = FeedCache::new(10_000);
        let now = Utc::now();
        let key = DocKey::Opml;
        cache.insert(
            key.clone(),
            doc(vec![1], now, Some(now + chrono::Duration::seconds(5))),
            (0, 1),
        );
        assert!(cache.validators(&key, (0, 1), now).is_some());
        assert!(
            cache.validators(&key, (0, 2), now).is_none(),
            "a write to its scope invalidates"
        );
        assert!(
            cache
                .validators(&key, (0, 1), now + chrono::Duration::seconds(5))
                .is_none(),
            "a schedule invalidates"
        );
        for i in 0..100 {
            let k = DocKey::Feed(
                FeedScope::All,
                if i % 2 == 0 {
                    Format::Rss
                } else {
                    Format::Atom
                },
            );
            cache.insert(k, rep(3000), (0, 1));
        }
        assert!(cache.usage().1 <= 10_000);
    }

    #[test]
    fn bodies_are_counted_exactly_compressed_variants_included() {
        let cache = FeedCache::new(10_000);
        let now = Utc::now();
        let key = |n: usize| {
            DocKey::Feed(
                FeedScope::Topic(crate::domain::Slug::parse(&format!("t{n}")).unwrap()),
                Format::Atom,
            )
        };
        for n in 0..3 {
            cache.insert(key(n), rep(3000), (0, 1));
        }
        assert_eq!(
            cache.usage(),
            (3, 9000),
            "three bodies of 3,000 fit in 10,000"
        );
        let held = cache.held(&key(0), (0, 1), now).expect("held");
        let gzip = held.body(crate::http::conditional::Encoding::Gzip).len();
        cache.grown(&key(0), &held);
        assert_eq!(cache.usage(), (3, 9000 + gzip));
        held.body(crate::http::conditional::Encoding::Brotli);
        cache.grown(&key(0), &held);
        assert!(cache.usage().1 <= 10_000);
    }

    #[test]
    fn validators_outlive_an_evicted_body() {
        let cache = FeedCache::new(10_000);
        let now = Utc::now();
        let topic = |n: usize| {
            DocKey::Feed(
                FeedScope::Topic(crate::domain::Slug::parse(&format!("t{n}")).unwrap()),
                Format::Atom,
            )
        };
        let first = cache.insert(topic(0), rep(3000), (0, 7));
        for n in 1..10 {
            cache.insert(topic(n), rep(3000), (0, 7));
        }
        assert!(
            matches!(cache.lookup(&topic(0), (0, 7), now), Lookup::Render(_)),
            "the body is evicted"
        );
        let kept = cache
            .validators(&topic(0), (0, 7), now)
            .expect("validators kept");
        assert!(Arc::ptr_eq(&kept, first.validators()));
        assert!(cache.validators(&topic(0), (0, 8), now).is_none());
    }

    #[test]
    fn a_new_version_keeps_a_later_last_modified_than_the_one_it_replaces_was_sent_with() {
        use actix_web::http::header::LAST_MODIFIED;
        use actix_web::test::TestRequest;
        let cache = FeedCache::new(100_000);
        let freshness = crate::http::freshness::Freshness::new(300);
        let t = DateTime::from_timestamp(1_800_000_022, 0).unwrap();
        let key = DocKey::Opml;
        let v = cache.insert(key.clone(), doc(b"v".to_vec(), t, None), (0, 1));
        // The same second again for a different version (its write took
        // its time before a request sent `v` with that second).
        let w = cache.insert(key.clone(), doc(b"w".to_vec(), t, None), (0, 2));
        assert_eq!(
            w.validators().last_modified,
            t,
            "v was never sent with its Last-Modified"
        );
        let res = w.respond(&TestRequest::get().to_http_request(), &freshness, t);
        assert!(res.headers().contains_key(LAST_MODIFIED));
        let x = cache.insert(key.clone(), doc(b"x".to_vec(), t, None), (0, 3));
        assert_eq!(
            x.validators().last_modified,
            t + chrono::Duration::seconds(1)
        );
        // Not before that second: it would be later than Date.
        let res = x.respond(&TestRequest::get().to_http_request(), &freshness, t);
        assert!(!res.headers().contains_key(LAST_MODIFIED));
        // The same bytes rendered again keep that second.
        let same = cache.insert(key, doc(b"x".to_vec(), t, None), (0, 4));
        assert_eq!(
            same.validators().last_modified,
            t + chrono::Duration::seconds(1)
        );
        drop(v);
    }
}
