use super::{Site, escape_html};
use crate::domain::Lang;
use crate::model::Topic;
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// OPML 2.0 subscription list: the global feed, one outline per topic,
/// and one per language the office publishes in.
pub fn render_opml(
    site: &Site,
    topics: &[Topic],
    languages: &[Lang],
    changed: DateTime<Utc>,
) -> Vec<u8> {
    let mut out = String::with_capacity(256 + topics.len() * 200);
    let e = escape_html;
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n<head>\
         <title>{} — topics</title><dateModified>{}</dateModified>\
         <docs>http://opml.org/spec2.opml</docs></head>\n<body>\n\
         <outline type=\"rss\" text=\"{}\" title=\"{}\" xmlUrl=\"{}\" htmlUrl=\"{}\"/>\n",
        e(&site.title),
        changed.to_rfc2822(),
        e(&site.title),
        e(&site.title),
        e(&site.url("/feed.rss")),
        e(&site.url("/")),
    );
    for t in topics {
        let _ = writeln!(
            out,
            "<outline type=\"rss\" text=\"{}\" title=\"{}\" xmlUrl=\"{}\" htmlUrl=\"{}\"/>",
            e(&t.name),
            e(&t.name),
            e(&site.url(&format!("/topics/{}/feed.rss", t.slug))),
            e(&site.url(&format!("/topics/{}", t.slug))),
        );
    }
    for lang in languages {
        let _ = writeln!(
            out,
            "<outline type=\"rss\" text=\"{} ({lang})\" title=\"{} ({lang})\" language=\"{lang}\" \
             xmlUrl=\"{}\" htmlUrl=\"{}\"/>",
            e(&site.title),
            e(&site.title),
            e(&site.url(&format!("/lang/{lang}/feed.rss"))),
            e(&site.url("/")),
        );
    }
    out.push_str("</body>\n</opml>\n");
    out.into_bytes()
}
