use super::{FeedMeta, Format, Site, content_html};
use crate::model::FeedSnapshot;
use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, TextType,
};
use chrono::{DateTime, Utc};

fn fixed(t: DateTime<Utc>) -> FixedDateTime {
    t.fixed_offset()
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Default::default()
    }
}

fn text(value: &str, lang: &str) -> Text {
    Text {
        value: value.to_owned(),
        lang: Some(lang.to_owned()),
        ..Text::plain(value)
    }
}

pub fn render_atom(site: &Site, snap: &FeedSnapshot) -> Vec<u8> {
    let meta = FeedMeta::new(site, snap);
    let entries = snap
        .items
        .iter()
        .map(|r| Entry {
            title: text(&r.title, &r.lang),
            id: r.uid.clone(),
            updated: fixed(r.updated_at),
            published: Some(fixed(r.published_at)),
            authors: vec![Person {
                name: r.organization.clone(),
                ..Default::default()
            }],
            categories: r
                .topics
                .iter()
                .map(|t| Category {
                    term: t.slug.clone(),
                    scheme: Some(site.url("/topics/")),
                    label: Some(t.name.clone()),
                })
                .collect(),
            links: vec![link(
                site.release_url(&r.slug),
                "alternate",
                Some("text/html"),
            )],
            summary: r.summary.as_deref().map(|s| text(s, &r.lang)),
            content: Some(Content {
                value: Some(content_html(r)),
                content_type: Some("html".to_owned()),
                lang: Some(r.lang.clone()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect::<Vec<_>>();
    let feed = Feed {
        title: Text::plain(meta.title.clone()),
        id: meta.self_url(site, Format::Atom),
        updated: fixed(snap.last_modified),
        authors: vec![Person {
            name: site.title.clone(),
            uri: Some(site.url("/")),
            ..Default::default()
        }],
        links: vec![
            link(
                meta.self_url(site, Format::Atom),
                "self",
                Some("application/atom+xml"),
            ),
            link(meta.page_url.clone(), "alternate", Some("text/html")),
        ],
        subtitle: Some(Text {
            r#type: TextType::Text,
            ..Text::plain(meta.description.clone())
        }),
        generator: Some(Generator {
            value: "pressfeed".to_owned(),
            ..Default::default()
        }),
        lang: Some(site.lang.clone()),
        entries,
        ..Default::default()
    };
    feed.write_to(Vec::with_capacity(64 * 1024))
        .unwrap_or_default()
}
