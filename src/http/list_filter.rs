//! The release list's filters as a query string carries them, read the
//! same way by the newsroom's list and the API's.

use crate::domain::State;
use crate::store::ReleaseFilter;
use serde::Deserialize;

/// `?status=&topic=&lang=&q=`; empty means "any". Paging is each list's own
/// (a page number in the newsroom, `limit`/`offset` in the API), read by a
/// second extractor from the same query string.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListFilter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub lang: String,
    /// Part of the title.
    #[serde(default)]
    pub q: String,
}

impl ListFilter {
    /// The store's filter, with the status as the caller read it (the
    /// newsroom ignores an unknown one, the API refuses it).
    pub fn with_status(&self, status: Option<State>) -> ReleaseFilter {
        ReleaseFilter {
            status,
            topic: Some(self.topic.clone()),
            lang: Some(self.lang.clone()),
            title: Some(self.q.clone()),
        }
    }
}
