//! Finished feed documents kept in memory, keyed by what they show.
//!
//! An entry is good while the database has seen no commit since it was
//! rendered (`Store::change_version`, which also sees other processes) and
//! until the next scheduled release in its scope becomes visible. The cache
//! is bounded by bytes and evicts the least recently used documents.

use super::conditional::Representation;
use crate::feeds::Format;
use crate::model::FeedScope;
use chrono::{DateTime, Utc};
use lru::LruCache;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocKey {
    Feed(FeedScope, Format),
    Opml,
}

struct Entry {
    rep: Arc<Representation>,
    data_version: u64,
    valid_until: Option<DateTime<Utc>>,
}

struct Inner {
    lru: LruCache<DocKey, Entry>,
    bytes: usize,
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
    max_bytes: usize,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    answered_full: AtomicU64,
    answered_not_modified: AtomicU64,
}

impl FeedCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                lru: LruCache::unbounded(),
                bytes: 0,
                rendering: HashMap::new(),
            }),
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            answered_full: AtomicU64::new(0),
            answered_not_modified: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What a request for `key` should do. A commit makes every document
    /// out of date at once; then one request renders each document again
    /// and the others wait for that result, instead of every request
    /// rendering and compressing the same document at the same moment. No
    /// request is answered with a copy older than the commits it follows.
    pub fn lookup(&self, key: &DocKey, data_version: u64, now: DateTime<Utc>) -> Lookup {
        let mut inner = self.lock();
        let Inner { lru, rendering, .. } = &mut *inner;
        let fresh = lru
            .get(key)
            .filter(|e| e.data_version == data_version && e.valid_until.is_none_or(|t| now < t));
        if let Some(e) = fresh {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Lookup::Fresh(Arc::clone(&e.rep));
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

    /// The cached document if it is still exactly what a render would give.
    pub fn get(
        &self,
        key: &DocKey,
        data_version: u64,
        now: DateTime<Utc>,
    ) -> Option<Arc<Representation>> {
        let mut inner = self.lock();
        let fresh = match inner.lru.get(key) {
            Some(e) => e.data_version == data_version && e.valid_until.is_none_or(|t| now < t),
            None => false,
        };
        if fresh {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return inner.lru.peek(key).map(|e| Arc::clone(&e.rep));
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Stores a fresh render of `key`, good until the next commit or its
    /// own next change, and returns it. It keeps a Last-Modified later than
    /// the copy it replaces was sent with ([`Representation::follow`]).
    pub fn insert(
        &self,
        key: DocKey,
        mut rep: Representation,
        data_version: u64,
    ) -> Arc<Representation> {
        let size = rep.size();
        let valid_until = rep.next_change;
        let mut inner = self.lock();
        if let Some(old) = inner.lru.peek(&key) {
            rep.follow(&old.rep);
        }
        let rep = Arc::new(rep);
        let stored = Arc::clone(&rep);
        if let Some(old) = inner.lru.put(
            key,
            Entry {
                rep: stored,
                data_version,
                valid_until,
            },
        ) {
            inner.bytes -= old.rep.size();
        }
        inner.bytes += size;
        while inner.bytes > self.max_bytes && inner.lru.len() > 1 {
            match inner.lru.pop_lru() {
                Some((_, e)) => inner.bytes -= e.rep.size(),
                None => break,
            }
        }
        rep
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

    /// (documents, bytes) currently held.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.lru.len(), inner.bytes)
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
        let Lookup::Render(claim) = cache.lookup(&key, 1, now) else {
            panic!("the first request renders");
        };
        let Lookup::Wait(waiter) = cache.lookup(&key, 1, now) else {
            panic!("a second request waits for that render");
        };
        let old = cache.insert(key.clone(), rep(10), 1);
        cache.rendered(&key);
        drop(claim);
        assert!(waiter.has_changed().is_err(), "the waiter is woken");
        assert!(matches!(cache.lookup(&key, 1, now), Lookup::Fresh(r) if Arc::ptr_eq(&r, &old)));

        // A commit: one render, and nobody gets the old copy meanwhile.
        let Lookup::Render(claim) = cache.lookup(&key, 2, now) else {
            panic!("a commit makes the copy stale");
        };
        for _ in 0..3 {
            assert!(matches!(cache.lookup(&key, 2, now), Lookup::Wait(_)));
        }
        let new = cache.insert(key.clone(), rep(20), 2);
        cache.rendered(&key);
        drop(claim);
        assert!(matches!(cache.lookup(&key, 2, now), Lookup::Fresh(r) if Arc::ptr_eq(&r, &new)));

        // A render that failed ends its claim too: the next request tries again.
        let Lookup::Render(claim) = cache.lookup(&key, 3, now) else {
            panic!("stale again");
        };
        cache.rendered(&key);
        drop(claim);
        assert!(matches!(cache.lookup(&key, 3, now), Lookup::Render(_)));
    }

    #[test]
    fn stale_on_commit_or_schedule_and_bounded() {
        let cache = FeedCache::new(10_000);
        let now = Utc::now();
        let key = DocKey::Opml;
        cache.insert(
            key.clone(),
            doc(vec![1], now, Some(now + chrono::Duration::seconds(5))),
            1,
        );
        assert!(cache.get(&key, 1, now).is_some());
        assert!(cache.get(&key, 2, now).is_none(), "a commit invalidates");
        assert!(
            cache
                .get(&key, 1, now + chrono::Duration::seconds(5))
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
            cache.insert(k, rep(3000), 1);
        }
        assert!(cache.usage().1 <= 10_000);
    }

    #[test]
    fn a_new_version_keeps_a_later_last_modified_than_the_one_it_replaces_was_sent_with() {
        use actix_web::http::header::LAST_MODIFIED;
        use actix_web::test::TestRequest;
        let cache = FeedCache::new(100_000);
        let freshness = crate::http::freshness::Freshness::new(300);
        let t = DateTime::from_timestamp(1_800_000_022, 0).unwrap();
        let key = DocKey::Opml;
        let v = cache.insert(key.clone(), doc(b"v".to_vec(), t, None), 1);
        // The same second again for a different version (its write took
        // its time before a request sent `v` with that second).
        let w = cache.insert(key.clone(), doc(b"w".to_vec(), t, None), 2);
        assert_eq!(
            w.last_modified, t,
            "v was never sent with its Last-Modified"
        );
        let res = w.respond(&TestRequest::get().to_http_request(), &freshness, t);
        assert!(res.headers().contains_key(LAST_MODIFIED));
        let x = cache.insert(key.clone(), doc(b"x".to_vec(), t, None), 3);
        assert_eq!(x.last_modified, t + chrono::Duration::seconds(1));
        // Not before that second: it would be later than Date.
        let res = x.respond(&TestRequest::get().to_http_request(), &freshness, t);
        assert!(!res.headers().contains_key(LAST_MODIFIED));
        // The same bytes rendered again keep that second.
        let same = cache.insert(key, doc(b"x".to_vec(), t, None), 4);
        assert_eq!(same.last_modified, t + chrono::Duration::seconds(1));
        drop(v);
    }
}
