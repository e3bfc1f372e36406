//! Atom 1.0 (RFC 4287), written by hand: the `atom_syndication` crate can
//! put `xml:lang` on text elements but not on an entry, and writes extension
//! elements after the entries, where RFC 4287's schema does not allow them
//! (RFC 6721 tombstones must come before the first entry).

use super::xml::{push_attr, push_element, push_text, push_text_as_html};
use super::{FeedMeta, Format, Site, channel_site, content_html};
use crate::model::{FeedSnapshot, Release, Tombstone};
use chrono::{DateTime, SecondsFormat, Utc};

const TOMBSTONES_NS: &str = "http://purl.org/atompub/tombstones/1.0";
/// RFC 5005 (Feed Paging and Archiving).
pub(super) const HISTORY_NS: &str = "http://purl.org/syndication/history/1.0";

fn date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn push_link(out: &mut String, href: &str, rel: &str, mime: &str) {
    out.push_str("<link href=\"");
    push_attr(out, href);
    out.push_str("\" rel=\"");
    out.push_str(rel);
    out.push_str("\" type=\"");
    out.push_str(mime);
    out.push_str("\"/>");
}

/// A text construct holding plain text. `type="html"` with the text
/// escaped as HTML: readers show exactly the typed characters, and a title
/// such as `Budget <b>cuts</b>` is not mistaken for undeclared markup.
fn push_html_text(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push_str(" type=\"html\">");
    push_text_as_html(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

pub fn render_atom(site: &Site, snap: &FeedSnapshot) -> Vec<u8> {
    let site = &*channel_site(site, snap);
    render_atom_with(site, snap, &FeedMeta::new(site, snap))
}

/// [`render_atom`] with the titles and links given (a search feed's).
pub fn render_atom_with(site: &Site, snap: &FeedSnapshot, meta: &FeedMeta) -> Vec<u8> {
    let archive = meta.archive_links(site, snap, Format::Atom);
    let mut out = String::with_capacity(2048 + snap.items.len() * 4096);
    out.push_str(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"",
    );
    if !snap.tombstones.is_empty() {
        out.push_str(" xmlns:at=\"");
        out.push_str(TOMBSTONES_NS);
        out.push('"');
    }
    if archive.is_archive {
        out.push_str(" xmlns:fh=\"");
        out.push_str(HISTORY_NS);
        out.push('"');
    }
    out.push_str(" xml:lang=\"");
    push_attr(&mut out, &site.lang);
    out.push_str("\">");
    push_html_text(&mut out, "title", &meta.title);
    push_html_text(&mut out, "subtitle", &meta.description);
    let self_url = meta.self_url(site, Format::Atom);
    push_element(&mut out, "id", &self_url);
    push_element(&mut out, "updated", &date(snap.last_modified));
    out.push_str("<author>");
    push_element(&mut out, "name", &site.title);
    push_element(&mut out, "uri", &site.url("/"));
    out.push_str("</author>");
    push_link(&mut out, &self_url, "self", "application/atom+xml");
    push_link(&mut out, &meta.page_url, "alternate", "text/html");
    let mime = "application/atom+xml";
    for (rel, href) in [
        ("current", &archive.current),
        ("prev-archive", &archive.prev),
        ("next-archive", &archive.next),
    ] {
        if let Some(href) = href {
            push_link(&mut out, href, rel, mime);
        }
    }
    if archive.is_archive {
        out.push_str("<fh:archive/>");
    }
    for hub in &site.hubs {
        out.push_str("<link href=\"");
        push_attr(&mut out, hub);
        out.push_str("\" rel=\"hub\"/>");
    }
    push_element(&mut out, "generator", "pressfeed");
    for t in &snap.tombstones {
        push_tombstone(&mut out, site, t);
    }
    for r in &snap.items {
        push_entry(&mut out, site, r, snap.entry_updated(r));
    }
    out.push_str("</feed>\n");
    out.into_bytes()
}

/// RFC 6721 §2: the retracted entry's id, when it was retracted, the
/// notice, and its page (which answers 410 Gone with the notice).
fn push_tombstone(out: &mut String, site: &Site, t: &Tombstone) {
    out.push_str("<at:deleted-entry ref=\"");
    push_attr(out, &t.uid);
    out.push_str("\" when=\"");
    out.push_str(&date(t.retracted_at));
    out.push_str("\">");
    if let Some(note) = &t.retraction_note {
        out.push_str("<at:comment xml:lang=\"");
        push_attr(out, &t.lang);
        out.push_str("\">");
        push_text(out, note);
        out.push_str("</at:comment>");
    }
    push_link(out, &site.release_url(&t.slug), "alternate", "text/html");
    out.push_str("</at:deleted-entry>");
}

/// One entry; its `xml:lang` covers all of it (title, author, summary,
/// content), not only the text elements.
fn push_entry(out: &mut String, site: &Site, r: &Release, updated: DateTime<Utc>) {
    out.push_str("\n<entry xml:lang=\"");
    push_attr(out, &r.lang);
    out.push_str("\">");
    push_html_text(out, "title", &r.title);
    push_element(out, "id", &r.uid);
    push_element(out, "updated", &date(updated));
    push_element(out, "published", &date(r.published_at));
    out.push_str("<author>");
    push_element(out, "name", &r.organization);
    out.push_str("</author>");
    let scheme = site.url("/topics/");
    for t in &r.topics {
        out.push_str("<category term=\"");
        push_attr(out, &t.slug);
        out.push_str("\" scheme=\"");
        push_attr(out, &scheme);
        out.push_str("\" label=\"");
        push_attr(out, &t.name);
        out.push_str("\"/>");
    }
    push_link(out, &site.release_url(&r.slug), "alternate", "text/html");
    // Its translations readers can see (RFC 4287 §4.2.7.4): the same
    // release as a page in another language.
    for t in &r.translations {
        out.push_str("<link href=\"");
        push_attr(out, &site.release_url(&t.slug));
        out.push_str("\" rel=\"alternate\" hreflang=\"");
        push_attr(out, &t.lang);
        out.push_str("\" type=\"text/html\"/>");
    }
    for a in &r.attachments {
        out.push_str("<link rel=\"enclosure\" href=\"");
        push_attr(out, &site.url(&a.path()));
        out.push_str("\" length=\"");
        out.push_str(&a.length.to_string());
        out.push_str("\" type=\"");
        push_attr(out, &a.mime);
        out.push_str("\" title=\"");
        push_attr(out, a.title());
        out.push_str("\"/>");
    }
    if let Some(summary) = &r.summary {
        push_html_text(out, "summary", summary);
    }
    out.push_str("<content type=\"html\">");
    push_text(out, &content_html(site, r));
    out.push_str("</content></entry>");
}
