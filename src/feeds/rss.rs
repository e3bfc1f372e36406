//! RSS 2.0, written by hand: titles, descriptions and categories need the
//! RSS Best Practices Profile's encoding (`&#x26;`, `&#x3C;`), which the
//! `rss` crate's writer cannot produce.

use super::xml::{
    push_attr, push_cdata, push_element, push_rss_plain, push_rss_text, push_rss_title, push_text,
};
use super::{FeedMeta, Format, Site, channel_site, content_html};
use crate::model::{FeedSnapshot, Release};

/// `<name>` holding plain text that readers render as HTML (a description):
/// escaped so they show the typed characters.
fn push_rss_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_rss_text(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

pub fn render_rss(site: &Site, snap: &FeedSnapshot) -> Vec<u8> {
    let site = &*channel_site(site, snap);
    render_rss_with(site, snap, &FeedMeta::new(site, snap))
}

/// [`render_rss`] with the titles and links given (a search feed's).
pub fn render_rss_with(site: &Site, snap: &FeedSnapshot, meta: &FeedMeta) -> Vec<u8> {
    let archive = meta.archive_links(site, snap, Format::Rss);
    let mut out = String::with_capacity(2048 + snap.items.len() * 4096);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" \
         xmlns:atom=\"http://www.w3.org/2005/Atom\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:media=\"http://search.yahoo.com/mrss/\"",
    );
    if archive.is_archive {
        out.push_str(" xmlns:fh=\"");
        out.push_str(super::atom::HISTORY_NS);
        out.push('"');
    }
    out.push_str(">\n<channel>\n");
    out.push_str("<title>");
    push_rss_title(&mut out, &meta.title);
    out.push_str("</title>");
    push_element(&mut out, "link", &meta.page_url);
    out.push('\n');
    push_rss_element(&mut out, "description", &meta.description);
    out.push('\n');
    push_element(&mut out, "language", &site.lang);
    push_element(&mut out, "generator", "pressfeed");
    push_element(&mut out, "lastBuildDate", &snap.last_modified.to_rfc2822());
    out.push_str("<atom:link href=\"");
    push_attr(&mut out, &meta.self_url(site, Format::Rss));
    out.push_str("\" rel=\"self\" type=\"application/rss+xml\"/>");
    for (rel, href) in [
        ("current", &archive.current),
        ("prev-archive", &archive.prev),
        ("next-archive", &archive.next),
    ] {
        if let Some(href) = href {
            out.push_str("<atom:link href=\"");
            push_attr(&mut out, href);
            out.push_str("\" rel=\"");
            out.push_str(rel);
            out.push_str("\" type=\"application/rss+xml\"/>");
        }
    }
    if archive.is_archive {
        out.push_str("<fh:archive/>");
    }
    for hub in &site.hubs {
        out.push_str("<atom:link href=\"");
        push_attr(&mut out, hub);
        out.push_str("\" rel=\"hub\"/>");
    }
    for r in &snap.items {
        push_item(&mut out, site, r);
    }
    out.push_str("\n</channel>\n</rss>\n");
    out.into_bytes()
}

/// RSS allows one `<enclosure>` an item: the lead image, else the first
/// attachment (README "Attachments" says why). Media RSS lists them all.
fn push_attachments(out: &mut String, site: &Site, r: &Release) {
    if let Some(a) = r.enclosure() {
        out.push_str("\n<enclosure url=\"");
        push_attr(out, &site.url(&a.path()));
        out.push_str("\" length=\"");
        out.push_str(&a.length.to_string());
        out.push_str("\" type=\"");
        push_attr(out, &a.mime);
        out.push_str("\"/>");
    }
    for a in &r.attachments {
        out.push_str("\n<media:content url=\"");
        push_attr(out, &site.url(&a.path()));
        out.push_str("\" fileSize=\"");
        out.push_str(&a.length.to_string());
        out.push_str("\" type=\"");
        push_attr(out, &a.mime);
        out.push_str("\" medium=\"");
        out.push_str(if a.is_image() { "image" } else { "document" });
        if let (Some(w), Some(h)) = (a.width, a.height) {
            out.push_str("\" width=\"");
            out.push_str(&w.to_string());
            out.push_str("\" height=\"");
            out.push_str(&h.to_string());
        }
        if a.lead {
            out.push_str("\" isDefault=\"true");
        }
        out.push_str("\">");
        out.push_str("<media:title type=\"plain\">");
        push_text(out, a.title());
        out.push_str("</media:title>");
        if let Some(alt) = a.alt.as_deref().filter(|_| a.is_image()) {
            out.push_str("<media:description type=\"plain\">");
            push_text(out, alt);
            out.push_str("</media:description>");
        }
        out.push_str("</media:content>");
    }
}

fn push_item(out: &mut String, site: &Site, r: &Release) {
    // Each text element on its own line: validators judge the encoding of
    // plain text line by line.
    out.push_str("\n<item>\n");
    out.push_str("<title>");
    push_rss_title(out, &r.title);
    out.push_str("</title>");
    out.push('\n');
    push_element(out, "link", &site.release_url(&r.slug));
    out.push('\n');
    push_rss_element(out, "description", r.summary.as_deref().unwrap_or(&r.title));
    out.push('\n');
    out.push_str("<guid isPermaLink=\"false\">");
    push_text(out, &r.uid);
    out.push_str("</guid>");
    push_element(out, "pubDate", &r.published_at.to_rfc2822());
    for t in &r.topics {
        out.push_str("\n<category domain=\"");
        push_attr(out, &site.url(&format!("/topics/{}", t.slug)));
        out.push_str("\">");
        push_rss_plain(out, &t.name);
        out.push_str("</category>");
    }
    push_attachments(out, site, r);
    // RSS items have no language of their own; Dublin Core says so when
    // it differs from the channel's.
    if r.lang != site.lang {
        out.push('\n');
        push_element(out, "dc:language", &r.lang);
    }
    out.push_str("\n<content:encoded>");
    push_cdata(out, &content_html(site, r));
    out.push_str("</content:encoded>\n</item>");
}
