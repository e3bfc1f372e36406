use super::{FeedMeta, Format, Site, channel_site, content_html};
use crate::model::FeedSnapshot;
use chrono::SecondsFormat;
use serde::Serialize;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: &'a str,
    language: &'a str,
    authors: [Author<'a>; 1],
    /// The next older document of the archive chain (RFC 5005's
    /// `prev-archive`): JSON Feed's pagination link.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    /// RFC 5005 in a JSON Feed extension: this is an archive document, and
    /// where the current feed and the newer month are.
    #[serde(rename = "_archive", skip_serializing_if = "Option::is_none")]
    archive: Option<ArchiveExtension>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct ArchiveExtension {
    about: &'static str,
    archive: bool,
    current: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_archive: Option<String>,
}

/// JSON Feed 1.1 `hubs`: how to be told of changes (WebSub).
#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: String,
    title: &'a str,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: [Author<'a>; 1],
    tags: Vec<&'a str>,
    language: &'a str,
    /// The lead image, else the first image.
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: String,
    mime_type: &'a str,
    title: &'a str,
    size_in_bytes: u64,
}

pub fn render_json(site: &Site, snap: &FeedSnapshot) -> Vec<u8> {
    let site = &*channel_site(site, snap);
    render_json_with(site, snap, &FeedMeta::new(site, snap))
}

/// [`render_json`] with the titles and links given (a search feed's).
pub fn render_json_with(site: &Site, snap: &FeedSnapshot, meta: &FeedMeta) -> Vec<u8> {
    let links = meta.archive_links(site, snap, Format::Json);
    let archive = links.is_archive.then(|| ArchiveExtension {
        about: "https://www.rfc-editor.org/rfc/rfc5005",
        archive: true,
        current: links.current.clone(),
        next_archive: links.next.clone(),
    });
    let date = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: &meta.page_url,
        feed_url: meta.self_url(site, Format::Json),
        description: &meta.description,
        language: &site.lang,
        authors: [Author { name: &site.title }],
        next_url: links.prev,
        archive,
        hubs: site
            .hubs
            .iter()
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: snap
            .items
            .iter()
            .map(|r| JsonItem {
                id: &r.uid,
                url: site.release_url(&r.slug),
                title: &r.title,
                content_html: content_html(site, r),
                summary: r.summary.as_deref(),
                date_published: date(r.published_at),
                date_modified: date(r.updated_at),
                authors: [Author {
                    name: &r.organization,
                }],
                tags: r.topics.iter().map(|t| t.name.as_str()).collect(),
                language: &r.lang,
                image: r
                    .attachments
                    .iter()
                    .find(|a| a.lead)
                    .or_else(|| r.attachments.iter().find(|a| a.is_image()))
                    .map(|a| site.url(&a.path())),
                attachments: r
                    .attachments
                    .iter()
                    .map(|a| JsonAttachment {
                        url: site.url(&a.path()),
                        mime_type: &a.mime,
                        title: a.title(),
                        size_in_bytes: a.length,
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_vec(&feed).unwrap_or_default()
}
