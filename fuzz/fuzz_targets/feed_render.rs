//! Hostile release text through validation into a feed snapshot, then all
//! three renderers: the RSS and Atom must parse back (rss / atom_syndication
//! readers), the JSON with serde_json, and the title must come back exactly
//! (RSS titles and Atom `type="html"` titles as HTML that shows it).
#![no_main]

use arbitrary::Arbitrary;
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use pressfeed::domain::Status;
use pressfeed::domain::{Lang, Title, clean_optional, sanitize_html};
use pressfeed::feeds::{Site, render_atom, render_json, render_rss};
use pressfeed::model::{FeedKind, FeedSnapshot, Release, Topic, TopicRef};

#[derive(Debug, Arbitrary)]
struct Input {
    title: String,
    summary: Option<String>,
    body: String,
    org: String,
    correction: Option<String>,
    topic_name: String,
    topic_description: Option<String>,
    lang: String,
    in_topic_feed: bool,
    published: i32,
    edited: u16,
}

fuzz_target!(|input: Input| {
    // What the write path does to each field before it is stored.
    let Ok(title) = Title::parse(&input.title) else {
        return;
    };
    let Some(organization) = clean_optional(Some(&input.org)) else {
        return;
    };
    let topic_name = clean_optional(Some(&input.topic_name))
        .map(|n| n.replace(['\n', '\t'], " "))
        .unwrap_or_else(|| "Topic".to_owned());
    let lang = Lang::parse(&input.lang).map_or_else(|_| "en".to_owned(), |l| l.to_string());
    let published_at =
        DateTime::from_timestamp(1_700_000_000 + i64::from(input.published), 0).expect("in range");
    let updated_at = published_at + chrono::Duration::seconds(i64::from(input.edited));
    let topic = Topic {
        id: 1,
        slug: "t".to_owned(),
        name: topic_name.clone(),
        description: clean_optional(input.topic_description.as_deref()),
        changed_at: published_at,
    };
    let release = Release {
        id: 1,
        uid: "tag:press.test,2024:release-1".to_owned(),
        slug: "release-1".to_owned(),
        title: title.as_str().to_owned(),
        summary: clean_optional(input.summary.as_deref()),
        body_html: sanitize_html(&input.body),
        body_source: None,
        organization,
        department: None,
        dateline: None,
        lang,
        status: Status::Published,
        published_at,
        updated_at,
        created_at: published_at,
        changed_at: updated_at,
        correction_note: clean_optional(input.correction.as_deref()),
        retraction_note: None,
        topics: vec![TopicRef {
            slug: "t".to_owned(),
            name: topic_name,
        }],
        translation_of: None,
        translations: Vec::new(),
        attachments: Vec::new(),
        media_contacts: Vec::new(),
        notes_to_editors: None,
        about: None,
    };
    let snap = FeedSnapshot {
        topic: input.in_topic_feed.then_some(topic),
        items: vec![release.clone()],
        last_modified: updated_at.max(published_at),
        next_change: None,
        tombstones: Vec::new(),
        updated_ties: Default::default(),
        kind: FeedKind::Current,
    };
    let site = Site {
        base_url: "http://press.test".to_owned(),
        title: "Press office".to_owned(),
        description: "Releases".to_owned(),
        lang: "en".to_owned(),
        hubs: Vec::new(),
    };
    let want = title.as_str();

    let rss_bytes = render_rss(&site, &snap);
    let channel = rss::Channel::read_from(&rss_bytes[..]).unwrap_or_else(|e| {
        panic!(
            "RSS does not parse ({e}): {}",
            String::from_utf8_lossy(&rss_bytes)
        )
    });
    assert_eq!(channel.items().len(), 1);
    assert_eq!(
        channel.items()[0].title().map(html_text),
        Some(want.to_owned()),
        "RSS title"
    );
    assert_eq!(
        channel.items()[0].guid().map(|g| g.value()),
        Some(release.uid.as_str())
    );

    let atom_bytes = render_atom(&site, &snap);
    let feed = atom_syndication::Feed::read_from(&atom_bytes[..]).unwrap_or_else(|e| {
        panic!(
            "Atom does not parse ({e}): {}",
            String::from_utf8_lossy(&atom_bytes)
        )
    });
    assert_eq!(feed.entries().len(), 1);
    assert_eq!(
        feed.entries()[0].title().r#type,
        atom_syndication::TextType::Html
    );
    assert_eq!(
        html_text(&feed.entries()[0].title().value),
        want,
        "Atom title"
    );
    assert_eq!(feed.entries()[0].id(), release.uid);

    let json_bytes = render_json(&site, &snap);
    let json: serde_json::Value = serde_json::from_slice(&json_bytes).unwrap_or_else(|e| {
        panic!(
            "JSON does not parse ({e}): {}",
            String::from_utf8_lossy(&json_bytes)
        )
    });
    assert_eq!(json["items"][0]["title"].as_str(), Some(want), "JSON title");
    assert_eq!(
        json["items"][0]["content_html"]
            .as_str()
            .map(|s| s.contains(&pressfeed::feeds::body_html(&site, &release))),
        Some(true),
        "JSON content"
    );
});

/// The text an HTML renderer shows for text the feeds escaped as HTML
/// (they write only these three references).
fn html_text(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
