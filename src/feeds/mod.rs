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

use crate::domain::Month;
use crate::i18n::Ui;
use crate::model::{FeedKind, FeedSnapshot, Release};
use std::borrow::Cow;

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

/// The archive chain of RFC 5005 a feed document links (its URLs are
/// documents in the same format as the one linking them).
pub struct ArchiveLinks {
    /// Marked `fh:archive`: this document is one month of the feed.
    pub is_archive: bool,
    pub current: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl FeedMeta {
    pub fn new(site: &Site, snap: &FeedSnapshot) -> Self {
        let scope_path = scope_path(snap);
        let (title, description, page_url) = match &snap.topic {
            None => (site.title.clone(), site.description.clone(), site.url("/")),
            Some(t) => (
                format!("{} — {}", site.title, t.name),
                t.description
                    .clone()
                    .unwrap_or_else(|| format!("Press releases on {}", t.name)),
                site.url(&format!("/topics/{}", t.slug)),
            ),
        };
        match &snap.kind {
            FeedKind::Current | FeedKind::Search => FeedMeta {
                title,
                description,
                page_url,
                feed_stem: format!("{scope_path}/feed"),
                feed_query: String::new(),
            },
            FeedKind::Archive { month, .. } => FeedMeta {
                title: format!("{title} — {}", month.label()),
                description: format!("{description} ({}, every release)", month.label()),
                page_url: if snap.topic.is_none() {
                    site.url(&month_page_path(*month))
                } else {
                    page_url
                },
                feed_stem: format!("{scope_path}{}", archive_stem(*month)),
                feed_query: String::new(),
            },
            FeedKind::Lang(lang) => FeedMeta {
                title: format!("{title} ({lang})"),
                description: format!("{description} (in {lang})"),
                page_url,
                feed_stem: format!("{scope_path}/lang/{lang}/feed"),
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

    /// The RFC 5005 links of this document: a current feed's
    /// `prev-archive` is the month of its newest release (every month with
    /// releases is an archive document, the current one included); an
    /// archive links the current feed and the nearest months with
    /// releases on either side. Language feeds have no archives.
    pub fn archive_links(&self, site: &Site, snap: &FeedSnapshot, format: Format) -> ArchiveLinks {
        let scope = scope_path(snap);
        let archive_url = |month: Month| {
            site.url(&format!(
                "{scope}{}.{}",
                archive_stem(month),
                format.extension()
            ))
        };
        match &snap.kind {
            FeedKind::Current => ArchiveLinks {
                is_archive: false,
                current: None,
                prev: snap
                    .items
                    .first()
                    .and_then(|r| Month::of(r.published_at))
                    .map(archive_url),
                next: None,
            },
            FeedKind::Archive { prev, next, .. } => ArchiveLinks {
                is_archive: true,
                current: Some(site.url(&format!("{scope}/feed.{}", format.extension()))),
                prev: prev.map(archive_url),
                next: next.map(archive_url),
            },
            FeedKind::Lang(_) | FeedKind::Search => ArchiveLinks {
                is_archive: false,
                current: None,
                prev: None,
                next: None,
            },
        }
    }
}

/// The path prefix of a snapshot's scope: `` (global) or `/topics/health`.
fn scope_path(snap: &FeedSnapshot) -> String {
    snap.topic
        .as_ref()
        .map_or_else(String::new, |t| format!("/topics/{}", t.slug))
}

/// `/archive/YYYY/MM/feed`, under a scope's path.
fn archive_stem(month: Month) -> String {
    format!(
        "/archive/{}/{}/feed",
        month.year_segment(),
        month.month_segment()
    )
}

/// The HTML page of one month of releases.
pub fn month_page_path(month: Month) -> String {
    format!(
        "/archive/{}/{}/",
        month.year_segment(),
        month.month_segment()
    )
}

/// The site as one document sees it: a language feed's channel language
/// is its language (so items are marked and wrapped against it), and only
/// the current feeds name the WebSub hub (the hub serves those).
pub(crate) fn channel_site<'a>(site: &'a Site, snap: &FeedSnapshot) -> Cow<'a, Site> {
    match &snap.kind {
        FeedKind::Current | FeedKind::Search => Cow::Borrowed(site),
        FeedKind::Archive { .. } => Cow::Owned(Site {
            hubs: Vec::new(),
            ..site.clone()
        }),
        FeedKind::Lang(lang) => Cow::Owned(Site {
            hubs: Vec::new(),
            lang: lang.to_string(),
            ..site.clone()
        }),
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
    let furniture = furniture_html(site, r, Ui::for_lang(&r.lang, &site.lang));
    if !furniture.is_empty() {
        out.push_str(END_MARK_HTML);
        out.push_str(&furniture);
    }
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

/// The press release's end mark, `# # #`: on its page always; in a feed
/// item before its furniture (README "Press-release furniture").
pub const END_MARK_HTML: &str = "<p class=\"end-mark\">#\u{a0}#\u{a0}#</p>";

/// What follows a release's end mark, in the conventional order: notes to
/// editors (its Markdown, sanitised as bodies are), its organisation's
/// "About" boilerplate (likewise), its media contacts (email as a
/// `mailto:` link, phone as a `tel:` link of its digits). Labels are in
/// `ui`'s language. Empty when the release has none of them. Its page and
/// every feed show the same markup; relative links are made absolute
/// against its permalink, as in the body.
pub fn furniture_html(site: &Site, r: &Release, ui: &Ui) -> String {
    if r.notes_to_editors.is_none() && r.about.is_none() && r.media_contacts.is_empty() {
        return String::new();
    }
    let base = site.release_url(&r.slug);
    let markdown = |md: &str| {
        let html = crate::domain::markdown_to_html(md);
        crate::domain::resolve_relative_urls(&html, &base).into_owned()
    };
    // Labels in the interface's language, marked when it is not the
    // release's (a release in a language the interface does not speak).
    let primary = r.lang.split(['-', '_']).next().unwrap_or_default();
    let label_lang = if primary.eq_ignore_ascii_case(ui.lang()) {
        String::new()
    } else {
        format!(" lang=\"{}\" dir=\"{}\"", ui.lang(), ui.dir())
    };
    let heading = |out: &mut String, text: &str| {
        out.push_str("<h2");
        out.push_str(&label_lang);
        out.push('>');
        out.push_str(&escape_html(text));
        out.push_str("</h2>");
    };
    let mut out = String::with_capacity(512);
    if let Some(notes) = &r.notes_to_editors {
        out.push_str("<section class=\"notes-to-editors\">");
        heading(&mut out, &ui.t("notes-to-editors"));
        out.push_str(&markdown(notes));
        out.push_str("</section>\n");
    }
    if let Some(about) = &r.about {
        out.push_str("<section class=\"about\">");
        heading(
            &mut out,
            &ui.t1("about-organization", "organization", &r.organization),
        );
        out.push_str(&markdown(about));
        out.push_str("</section>\n");
    }
    if !r.media_contacts.is_empty() {
        out.push_str("<section class=\"media-contacts\">");
        heading(&mut out, &ui.t("media-contacts"));
        out.push_str("<ul>");
        for c in &r.media_contacts {
            out.push_str("<li><strong>");
            out.push_str(&escape_html(c.name()));
            out.push_str("</strong>");
            if let Some(role) = c.role() {
                out.push_str(", ");
                out.push_str(&escape_html(role));
            }
            if let (Some(email), Some(href)) = (c.email(), c.mailto_uri()) {
                out.push_str("<br><a href=\"");
                out.push_str(&escape_html(&href));
                out.push_str("\">");
                out.push_str(&escape_html(email));
                out.push_str("</a>");
            }
            if let (Some(phone), Some(href)) = (c.phone(), c.tel_uri()) {
                out.push_str("<br><a href=\"");
                out.push_str(&escape_html(&href));
                out.push_str("\" dir=\"ltr\">");
                out.push_str(&escape_html(phone));
                out.push_str("</a>");
            }
            out.push_str("</li>");
        }
        out.push_str("</ul></section>\n");
    }
    out
}

pub(crate) fn escape_html(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}
