//! Plain data the store hands out. Nothing here knows SQL.

use crate::domain::{Lang, Lifecycle, Month, Slug, State, Status};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct TopicRef {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// Another language's version of a release, visible to readers (pages
/// and feeds link it with `hreflang`).
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    pub slug: String,
    pub lang: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub id: i64,
    /// The feed id (a `tag:` URI), minted once and never changed.
    pub uid: String,
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    pub body_html: String,
    /// The Markdown the body was written in, when it came from the newsroom
    /// form or an import that carried it.
    pub body_source: Option<String>,
    pub organization: String,
    pub department: Option<String>,
    pub dateline: Option<String>,
    pub lang: String,
    pub status: Status,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
    pub correction_note: Option<String>,
    pub retraction_note: Option<String>,
    pub topics: Vec<TopicRef>,
    /// The slug of the release this one translates, as given (single
    /// release reads and the export fill it in).
    pub translation_of: Option<String>,
    /// Its translations readers can see now, by language (filled in where
    /// pages and feeds need them).
    pub translations: Vec<Translation>,
    /// Its files, in order (filled in wherever its topics are).
    pub attachments: Vec<Attachment>,
    /// Its media contacts, in order (filled in wherever its topics are).
    pub media_contacts: Vec<crate::domain::MediaContact>,
    /// Notes to editors, Markdown as typed.
    pub notes_to_editors: Option<String>,
    /// Its organisation's "About" boilerplate, Markdown (a setting per
    /// organisation; filled in wherever its contacts are).
    pub about: Option<String>,
}

/// A file attached to a release, with what is known about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub sha256: String,
    pub mime: String,
    pub length: u64,
    /// The last part of its URL.
    pub filename: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub caption: Option<String>,
    /// The release's alt text, else the one given at upload.
    pub alt: Option<String>,
    pub lead: bool,
    /// An image's smaller copies for pages, narrowest first (feeds list
    /// the original only).
    pub renditions: Vec<AttachmentRendition>,
}

/// A smaller copy of an attached image (README "Attachments",
/// *Renditions*).
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRendition {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    /// The last part of its URL (`photo-480w.jpg`).
    pub filename: String,
}

impl AttachmentRendition {
    /// Its URL path under `/media`.
    pub fn path(&self) -> String {
        format!("/media/{}/{}", self.sha256, self.filename)
    }
}

impl Attachment {
    /// Its URL path (`/media/{sha256}/{filename}`).
    pub fn path(&self) -> String {
        format!("/media/{}/{}", self.sha256, self.filename)
    }

    pub fn is_image(&self) -> bool {
        self.mime.starts_with("image/")
    }

    /// What a feed calls it: the caption, else the file name.
    pub fn title(&self) -> &str {
        self.caption.as_deref().unwrap_or(&self.filename)
    }
}

impl Release {
    pub fn lifecycle(&self) -> Lifecycle {
        Lifecycle {
            status: self.status,
            published_at: self.published_at,
        }
    }

    /// Where it stands for readers at `now` (the one rule; see `Lifecycle`).
    pub fn state(&self, now: DateTime<Utc>) -> State {
        self.lifecycle().state(now)
    }

    pub fn lang_tag(&self) -> Lang {
        Lang::parse(&self.lang).unwrap_or_else(|_| Lang::parse("en").expect("en is a tag"))
    }

    /// The release in the import format (what `export` and the API write).
    pub fn into_input(self) -> crate::domain::ReleaseInput {
        let rfc3339 = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        crate::domain::ReleaseInput {
            id: Some(self.uid),
            slug: self.slug,
            title: self.title,
            summary: self.summary,
            body_html: self.body_html,
            body_markdown: self.body_source,
            organization: self.organization,
            department: self.department,
            dateline: self.dateline,
            lang: self.lang,
            published_at: rfc3339(self.published_at),
            updated_at: Some(rfc3339(self.updated_at)),
            topics: self.topics.into_iter().map(|t| t.slug).collect(),
            status: Some(self.status.as_str().to_owned()),
            correction_note: self.correction_note,
            retraction_note: self.retraction_note,
            translation_of: self.translation_of,
            attachments: self
                .attachments
                .into_iter()
                .map(|a| crate::domain::attachment::AttachmentInput {
                    sha256: a.sha256,
                    caption: a.caption,
                    alt: a.alt,
                    lead: a.lead,
                })
                .collect(),
            media_contacts: self.media_contacts.iter().map(|c| c.to_input()).collect(),
            notes_to_editors: self.notes_to_editors,
        }
    }

    /// The one attachment RSS's `<enclosure>` carries: the lead image, else
    /// the first attachment.
    pub fn enclosure(&self) -> Option<&Attachment> {
        self.attachments
            .iter()
            .find(|a| a.lead)
            .or(self.attachments.first())
    }

    /// Shown as updated when edited after publication.
    pub fn is_updated(&self) -> bool {
        self.updated_at > self.published_at
    }
}

/// Which releases a feed covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeedScope {
    All,
    Topic(Slug),
}

/// A part of a scope that is a document of its own: one UTC month of it
/// (an RFC 5005 archive) or one language of it (a language feed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    Month(Month),
    Lang(Lang),
}

impl Part {
    /// The key its change stamp and version are stored under.
    pub fn key(&self) -> String {
        match self {
            Part::Month(m) => format!("month:{}", m.key()),
            Part::Lang(l) => format!("lang:{l}"),
        }
    }
}

/// Which document of a scope a snapshot is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedKind {
    /// The newest releases; links `prev-archive` to the month of the
    /// newest one (every month with releases is an archive document).
    Current,
    /// Every release of one month, and the nearest months before and after
    /// it that have releases.
    Archive {
        month: Month,
        prev: Option<Month>,
        next: Option<Month>,
    },
    /// The newest releases in one language.
    Lang(Lang),
    /// A search's results: outside the archive chain.
    Search,
}

/// Everything a feed needs, read in one consistent transaction.
#[derive(Debug, Clone)]
pub struct FeedSnapshot {
    pub topic: Option<Topic>,
    pub items: Vec<Release>,
    /// When the feed last changed visibly, in whole seconds: its
    /// `Last-Modified` and its `updated` / `lastBuildDate`. May be up to a
    /// second after the read time (see `store/scopes.rs`).
    pub last_modified: DateTime<Utc>,
    /// The next instant a scheduled release becomes visible in this scope
    /// (or, with tombstones, the next instant one of them expires).
    pub next_change: Option<DateTime<Utc>>,
    /// Releases of this scope retracted within the tombstone window, newest
    /// first; empty unless asked for (only Atom can carry them).
    pub tombstones: Vec<Tombstone>,
    /// Milliseconds added to an entry's Atom `updated` (by release id):
    /// its rank among earlier-created releases updated at the same instant.
    pub updated_ties: HashMap<i64, i64>,
    pub kind: FeedKind,
}

impl FeedSnapshot {
    /// The instant an Atom entry says it was updated: `updated_at`, told
    /// apart from other releases' identical instant (feed readers may take
    /// two equal values for one entry, and the W3C validator warns). The
    /// rank counts every release ever stored, not only this document's, so
    /// an entry says the same in every feed, and a release added later at
    /// the same instant moves none that came before it.
    pub fn entry_updated(&self, r: &Release) -> DateTime<Utc> {
        let tie = self.updated_ties.get(&r.id).copied().unwrap_or(0);
        r.updated_at + chrono::Duration::milliseconds(tie)
    }
}

/// A release retracted recently: Atom feeds announce it as an RFC 6721
/// `at:deleted-entry`, so readers that stored the entry can remove it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tombstone {
    /// The retracted entry's id (`Release::uid`).
    pub uid: String,
    pub slug: String,
    pub lang: String,
    pub retracted_at: DateTime<Utc>,
    pub retraction_note: Option<String>,
}

/// What a write did, so callers can report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    Created,
    Updated,
    Unchanged,
}
