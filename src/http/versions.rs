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
    /// global scope, part key); a part not listed has version 0. Both held
    /// as numbers (`names`): a topic has a part for every month it has
    /// releases, and two strings an entry made this map about 50 MB at
    /// 10,000 topics and 200,000 releases, a quarter of the memory target
    /// of issue 17.
    parts: HashMap<(usize, PartKey), i64>,
    /// The numbers of the scope slugs and part names in `parts`.
    names: Names,
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
        if read.complete {
            seen.topics = read.topics.into_iter().collect();
            seen.parts = HashMap::with_capacity(read.parts.len());
            seen.names = Names::default();
        } else {
            seen.topics.extend(read.topics);
        }
        let Seen { parts, names, .. } = &mut *seen;
        for (scope, part, v) in read.parts {
            parts.insert((names.number(&scope), PartKey::new(&part, names)), v);
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
                let key = part.key();
                Some(
                    self.names
                        .find(slug)
                        .zip(PartKey::find(&key, &self.names))
                        .and_then(|k| self.parts.get(&k).copied())
                        .unwrap_or(0),
                )
            }
        };
        scope.map(|v| (self.epoch, v))
    }
}

/// Numbers for the names `Seen::parts` is keyed by, each name held once.
#[derive(Default)]
struct Names(HashMap<Box<str>, usize>);

impl Names {
    fn number(&mut self, name: &str) -> usize {
        if let Some(&n) = self.0.get(name) {
            return n;
        }
        let n = self.0.len();
        self.0.insert(name.into(), n);
        n
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.0.get(name).copied()
    }
}

/// A part key (`Part::key`) as held: `month:YYYY-MM` as the number
/// YYYYMM, any other key by its number in [`Names`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PartKey {
    Month(u32),
    Named(usize),
}

impl PartKey {
    fn new(key: &str, names: &mut Names) -> Self {
        month_number(key).map_or_else(|| PartKey::Named(names.number(key)), PartKey::Month)
    }

    /// `None`: a key no part in the map has.
    fn find(key: &str, names: &Names) -> Option<Self> {
        match month_number(key) {
            Some(m) => Some(PartKey::Month(m)),
            None => names.find(key).map(PartKey::Named),
        }
    }
}

/// YYYYMM for exactly `month:YYYY-MM` (four and two ASCII digits), the one
/// spelling `Part::key` writes, so distinct keys get distinct numbers.
fn month_number(key: &str) -> Option<u32> {
    let rest = key.strip_prefix("month:")?.as_bytes();
    let digits = |b: &[u8]| -> Option<u32> {
        b.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    match rest {
        [y @ .., b'-', m1, m2] if y.len() == 4 => Some(digits(y)? * 100 + digits(&[*m1, *m2])?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every month key gets its own number, and any other key (a language,
    /// a key spelt another way) stays apart from the months.
    #[test]
    fn part_keys_are_told_apart() {
        let mut names = Names::default();
        let keys = [
            "month:2024-05",
            "month:2024-06",
            "month:2025-05",
            "lang:en",
            "lang:ar",
            "month:2024-5",
            "month:20240-5",
            "month:2024-0a",
        ];
        let held: Vec<PartKey> = keys.iter().map(|k| PartKey::new(k, &mut names)).collect();
        for (i, a) in held.iter().enumerate() {
            for b in &held[i + 1..] {
                assert_ne!(a, b, "{keys:?} -> {held:?}");
            }
        }
        assert_eq!(held[0], PartKey::Month(202405));
        for (key, part) in keys.iter().zip(&held) {
            assert_eq!(PartKey::find(key, &names), Some(*part));
        }
        assert_eq!(PartKey::find("lang:fr", &names), None);
        assert_eq!(
            PartKey::find("month:1999-12", &names),
            Some(PartKey::Month(199912))
        );
    }
}
