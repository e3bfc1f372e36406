use super::{FeedMeta, Format, Site, content_html, escape_html};
use crate::model::FeedSnapshot;
use rss::extension::atom::{AtomExtension, Link};
use rss::{Category, Channel, Guid, Item};

pub fn render_rss(site: &Site, snap: &FeedSnapshot) -> Vec<u8> {
    let meta = FeedMeta::new(site, snap);
    let items = snap
        .items
        .iter()
        .map(|r| Item {
            title: Some(r.title.clone()),
            link: Some(site.release_url(&r.slug)),
            // Readers render <description> as HTML; the summary is plain
            // text, so it goes in entity-encoded.
            description: Some(escape_html(r.summary.as_deref().unwrap_or(&r.title))),
            content: Some(content_html(r)),
            guid: Some(Guid {
                value: r.uid.clone(),
                permalink: false,
            }),
            pub_date: Some(r.published_at.to_rfc2822()),
            categories: r
                .topics
                .iter()
                .map(|t| Category {
                    name: t.name.clone(),
                    domain: Some(site.url(&format!("/topics/{}", t.slug))),
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    let channel = Channel {
        title: meta.title.clone(),
        link: meta.page_url.clone(),
        // HTML to readers too, like an item's: the plain-text site or
        // topic description goes in entity-encoded.
        description: escape_html(&meta.description),
        language: Some(site.lang.clone()),
        last_build_date: Some(snap.last_modified.to_rfc2822()),
        generator: Some("pressfeed".to_owned()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: meta.self_url(site, Format::Rss),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Default::default()
            }],
        }),
        items,
        ..Default::default()
    };
    // Writing to a Vec cannot fail; the text was made XML-safe on the way in.
    channel
        .write_to(Vec::with_capacity(64 * 1024))
        .unwrap_or_default()
}
