//! `hub.topic`: which feed of this server a subscription is about.

use crate::domain::Slug;
use crate::feeds::Format;
use crate::http::cache::DocKey;
use crate::model::FeedScope;

/// A feed of this server, by its path under `base_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedTopic {
    pub path: String,
    pub key: DocKey,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("hub.topic is missing")]
    Missing,
    #[error(
        "hub.topic must be a feed URL of this server, such as {base}/feed.atom or {base}/topics/SLUG/feed.rss"
    )]
    NotOurs { base: String },
    #[error("hub.topic names no topic of this server")]
    Unknown,
}

impl FeedTopic {
    /// A feed URL as a subscriber gives it: `{base_url}/feed.{ext}` or
    /// `{base_url}/topics/{slug}/feed.{ext}`, nothing else.
    pub fn parse(url: &str, base_url: &str) -> Result<Self, TopicError> {
        if url.is_empty() {
            return Err(TopicError::Missing);
        }
        let not_ours = || TopicError::NotOurs {
            base: base_url.to_owned(),
        };
        let path = url.strip_prefix(base_url).ok_or_else(not_ours)?;
        Self::from_path(path).ok_or_else(not_ours)
    }

    /// A stored topic path back into the feed it names.
    pub fn from_path(path: &str) -> Option<Self> {
        use crate::http::routes::{Name, captures, route};
        let (scope, format) = if let Some(found) = captures(route(Name::TopicFeed).path, path) {
            let [slug, ext] = found[..] else { return None };
            (
                FeedScope::Topic(Slug::parse(slug).ok()?),
                Format::from_extension(ext)?,
            )
        } else {
            let format = Format::ALL
                .into_iter()
                .find(|f| route(global_feed(*f)).path == path)?;
            (FeedScope::All, format)
        };
        Some(Self {
            path: path.to_owned(),
            key: DocKey::Feed(scope, format),
        })
    }

    pub fn url(&self, base_url: &str) -> String {
        format!("{base_url}{}", self.path)
    }
}

/// The route of the global feed in `format`.
fn global_feed(format: Format) -> crate::http::routes::Name {
    use crate::http::routes::Name;
    match format {
        Format::Atom => Name::FeedAtom,
        Format::Rss => Name::FeedRss,
        Format::Json => Name::FeedJson,
    }
}

/// The path of a feed, from the route table.
pub(crate) fn feed_path(scope: &FeedScope, format: Format) -> String {
    use crate::http::routes::{Name, href, href_of2};
    match scope {
        FeedScope::All => href(global_feed(format)),
        FeedScope::Topic(slug) => href_of2(Name::TopicFeed, slug.as_str(), format.extension()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_feed_urls_of_this_server_are_topics() {
        let base = "https://press.example.org";
        let t = FeedTopic::parse("https://press.example.org/topics/health/feed.atom", base)
            .expect("a topic feed");
        assert_eq!(t.path, "/topics/health/feed.atom");
        assert!(FeedTopic::parse("https://press.example.org/feed.json", base).is_ok());
        for bad in [
            "https://other.example.org/feed.atom",
            "https://press.example.org/feed.html",
            "https://press.example.org/topics/health",
            "https://press.example.org/topics/a/b/feed.rss",
            "https://press.example.org/feed.atom?x=1",
            "https://press.example.org.evil.test/feed.atom",
        ] {
            assert!(FeedTopic::parse(bad, base).is_err(), "{bad}");
        }
        assert_eq!(FeedTopic::parse("", base), Err(TopicError::Missing));
    }
}
