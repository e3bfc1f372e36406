//! Pure functions: a feed snapshot in, finished document bytes out.
//! Nothing here reads the clock or the request, so the same data always
//! gives the same bytes (and so the same ETag).

mod atom;
mod json;
mod opml;
mod rss;
mod xml;

pub use self::atom::{render_atom, render_atom_with};
pub use self::json::{render_json, render_json_with};
pub use self::opml::render_opml;
pub use self::rss::{render_rss, render_rss_with};

use crate::model::{FeedSnapshot, Release};

/// Site-wide facts every document needs; absolute URLs come only from here,
/// never from the request.
#[derive(Debug, Clone)]
pub struct Site {
    /// Public base URL without a trailing slash, e.g. `https://press.example.org`.
    pub base_url: String,
    pub title: String,
    pub description: String,
    /// Language of the site's own text (channel-level language of every feed).
    pub lang: String,
    /// WebSub hubs the feeds advertise (`rel="hub"`), if any.
    pub hubs: Vec<String>,
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn release_url(&self, slug: &str) -> String {
        self.url(&format!("/releases/{slug}"))
    }
}

/// The three feed formats of the URL contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "rss" => Some(Format::Rss),
            "atom" => Some(Format::Atom),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];
}

pub const OPML_CONTENT_TYPE: &str = "text/x-opml; charset=utf-8";

/// Titles, links and paths of one feed, derived from its snapshot (or
/// given, for a search feed).
pub struct FeedMeta {
    pub title: String,
    pub description: String,
    /// The HTML page this feed belongs to.
    pub page_url: String,
    /// Path prefix of the feed files, e.g. `/topics/health/feed`.
    pub feed_stem: String,
    /// What follows the extension in the feed's URL (a search's `?q=…`).
    pub feed_query: String,
}

impl FeedMeta {
    pub fn new(site: &Site, snap: &FeedSnapshot) -> Self {
        match &snap.topic {
            None => FeedMeta {
                title: site.title.clone(),
                description: site.description.clone(),
                page_url: site.url("/"),
                feed_stem: "/feed".to_owned(),
                feed_query: String::new(),
            },
            Some(t) => FeedMeta {
                title: format!("{} — {}", site.title, t.name),
                description: t
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("Press releases on {}", t.name)),
                page_url: site.url(&format!("/topics/{}", t.slug)),
                feed_stem: format!("/topics/{}/feed", t.slug),
                feed_query: String::new(),
            },
        }
    }

    pub fn self_url(&self, site: &Site, format: Format) -> String {
        site.url(&format!(
            "{}.{}{}",
            self.feed_stem,
            format.extension(),
            self.feed_query
        ))
    }
}

/// The release's body as every feed and its page show it: relative links
/// and images made absolute against its permalink. Done here, at render,
/// rather than when saving, so a new `base_url` moves them too.
pub fn body_html(site: &Site, r: &Release) -> String {
    crate::domain::resolve_relative_urls(&r.body_html, &site.release_url(&r.slug)).into_owned()
}

/// The full text a reader gets: the body, plus the correction note if any;
/// wrapped in its direction when that differs from the channel's (a reader
/// lays out a feed item's HTML in the channel's direction otherwise).
pub(crate) fn content_html(site: &Site, r: &Release) -> String {
    let body = body_html(site, r);
    let mut out = String::with_capacity(body.len() + 128);
    let dir = r.lang_tag().dir();
    let site_dir = crate::domain::Lang::parse(&site.lang).map_or("ltr", |l| l.dir());
    let wrapped = dir != site_dir;
    if wrapped {
        out.push_str("<div dir=\"");
        out.push_str(dir);
        out.push_str("\">");
    }
    out.push_str(&body);
    if let Some(note) = &r.correction_note {
        out.push_str(&format!(
            "<p><strong>Correction ({}):</strong> {}</p>",
            r.updated_at.format("%Y-%m-%d"),
            escape_html(note)
        ));
    }
    if wrapped {
        out.push_str("</div>");
    }
    out
}

pub(crate) fn escape_html(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}
