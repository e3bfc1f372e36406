//! The version of every scope as this server last read it, so a request
//! knows which cached documents are still exact without touching the
//! database: one read of the store's scope versions per commit (only what
//! moved; see `store/versions.rs`), none per request.

use super::cache::DocKey;
use crate::model::FeedScope;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

#[derive(Default)]
struct Seen {
    /// The store's change version (`Store::change_version`) read before
    /// these versions were: they are at least that new.
    change_version: Option<u64>,
    /// `(seq, topic_list)` of the last reading, to read only what moved.
    since: Option<(i64, i64)>,
    global: i64,
    topic_list: i64,
    topics: HashMap<String, i64>,
    /// Versions of the parts written so far, by (topic slug or '' for the
    /// global scope, part key); a part not listed has version 0.
    parts: HashMap<(String, String), i64>,
    /// `Store::foreign_commits`: moved by a write of a program other than
    /// pressfeed (the `sqlite3` shell), which keeps no versions. Every
    /// document's version includes it, so such a write makes every cached
    /// document stale, as any commit did before scope versions.
    epoch: u64,
}

/// What a cached document is judged by: its scope's version and the epoch.
pub type Version = (u64, i64);

#[derive(Default)]
pub struct ScopeMap {
    seen: RwLock<Seen>,
    /// One reader of the store at a time; the others wait and reuse it.
    refreshing: Mutex<()>,
}

impl ScopeMap {
    /// The version of what `key` shows, when the versions held are as new
    /// as `change_version` (else `None`: call [`ScopeMap::refresh`]).
    /// `Some(None)`: `key` names a topic that does not exist.
    pub fn version(&self, change_version: u64, key: &DocKey) -> Option<Option<Version>> {
        let seen = self.seen.read().unwrap_or_else(|p| p.into_inner());
        (seen.change_version == Some(change_version)).then(|| seen.of(key))
    }

    /// Reads what moved in the store since the last reading (a query;
    /// call off the async threads), and answers as [`ScopeMap::version`]
    /// from versions at least as new as `change_version`, which must have
    /// been read before this call.
    pub fn refresh(
        &self,
        store: &Store,
        change_version: u64,
        key: &DocKey,
    ) -> Result<Option<Version>, StoreError> {
        let _one = self.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        let since = {
            let seen = self.seen.read().unwrap_or_else(|p| p.into_inner());
            if seen.change_version == Some(change_version) {
                return Ok(seen.of(key));
            }
            seen.since
        };
        let epoch = store.foreign_commits();
        let read = store.scope_versions(since)?;
        let mut seen = self.seen.write().unwrap_or_else(|p| p.into_inner());
        seen.epoch = epoch;
        let parts = read
            .parts
            .into_iter()
            .map(|(scope, part, v)| ((scope, part), v));
        if read.complete {
            seen.topics = read.topics.into_iter().collect();
            seen.parts = parts.collect();
        } else {
            seen.topics.extend(read.topics);
            seen.parts.extend(parts);
        }
        seen.global = read.global;
        seen.topic_list = read.topic_list;
        seen.since = Some((read.seq, read.topic_list));
        seen.change_version = Some(change_version);
        Ok(seen.of(key))
    }
}

impl Seen {
    fn of(&self, key: &DocKey) -> Option<Version> {
        let scope = match key {
            DocKey::Feed(FeedScope::All, _) => Some(self.global),
            DocKey::Feed(FeedScope::Topic(slug), _) => self.topics.get(slug.as_str()).copied(),
            DocKey::Opml => Some(self.topic_list),
            DocKey::Part(scope, part, _) => {
                let slug = match scope {
                    FeedScope::All => "",
                    FeedScope::Topic(slug) if self.topics.contains_key(slug.as_str()) => {
                        slug.as_str()
                    }
                    FeedScope::Topic(_) => return None,
                };
                Some(
                    self.parts
                        .get(&(slug.to_owned(), part.key()))
                        .copied()
                        .unwrap_or(0),
                )
            }
        };
        scope.map(|v| (self.epoch, v))
    }
}
