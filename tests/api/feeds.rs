//! What the feeds contain: visibility, order, limits, languages, ids, and
//! well-formed output for hostile input.

use crate::helpers::{header, html_text, release, spawn_app, spawn_app_with, t0};
use chrono::Duration;
use pressfeed::domain::Status;
use pressfeed::feeds::{Site, render_atom, render_json, render_rss};
use pressfeed::model::{FeedKind, FeedSnapshot, Release, TopicRef};
use proptest::prelude::*;

fn atom(body: &str) -> atom_syndication::Feed {
    body.parse::<atom_syndication::Feed>().expect("Atom parses")
}

fn rss(body: &str) -> rss::Channel {
    body.parse::<rss::Channel>().expect("RSS parses")
}

#[tokio::test]
async fn feeds_show_only_visible_releases_newest_first() {
    let app = spawn_app().await;
    let mut draft = release("a-draft", 1, &["t"]);
    draft.status = Some("draft".into());
    let mut retracted = release("a-retracted", 1, &["t"]);
    retracted.status = Some("retracted".into());
    let mut future = release("a-future", 0, &["t"]);
    future.published_at = (t0() + Duration::hours(1)).to_rfc3339();
    app.save(&[
        release("old", 5, &["t"]),
        release("new", 1, &["t"]),
        draft,
        retracted,
        future,
    ]);

    for path in ["/feed.atom", "/topics/t/feed.atom"] {
        let feed = atom(&app.text(path).await);
        let titles: Vec<_> = feed.entries.iter().map(|e| e.title.value.clone()).collect();
        assert_eq!(titles, ["Title of new", "Title of old"], "{path}");
    }
    let channel = rss(&app.text("/feed.rss").await);
    assert_eq!(channel.items.len(), 2);
    let json: serde_json::Value = app.get("/feed.json").await.json().await.unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 2);
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
}

#[tokio::test]
async fn content_types_follow_the_contract() {
    let app = spawn_app().await;
    app.save(&[release("one", 1, &["t"])]);
    for (path, ctype) in [
        ("/feed.rss", "application/rss+xml; charset=utf-8"),
        ("/feed.atom", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json; charset=utf-8"),
        ("/topics/t/feed.rss", "application/rss+xml; charset=utf-8"),
        ("/topics.opml", "text/x-opml; charset=utf-8"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(r.headers(), "content-type"), ctype, "{path}");
    }
    for path in [
        "/topics/nope/feed.rss",
        "/topics/nope/feed.atom",
        "/topics/nope/feed.json",
        "/feed.xml",
        "/topics/Bad Slug/feed.rss",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn item_count_defaults_to_fifty_and_is_configurable() {
    let app = spawn_app().await;
    let many: Vec<_> = (0..60)
        .map(|i| release(&format!("r-{i}"), i + 1, &["t"]))
        .collect();
    app.save(&many);
    assert_eq!(atom(&app.text("/feed.atom").await).entries.len(), 50);
    assert_eq!(rss(&app.text("/topics/t/feed.rss").await).items.len(), 50);

    let small = spawn_app_with(|s| s.feed_items = 7).await;
    small.save(&many);
    assert_eq!(atom(&small.text("/feed.atom").await).entries.len(), 7);
}

#[tokio::test]
async fn items_carry_full_text_links_categories_and_stable_ids() {
    let app = spawn_app().await;
    app.save(&[release("with-topics", 1, &["health", "energy"])]);
    let feed = atom(&app.text("/feed.atom").await);
    let e = &feed.entries[0];
    assert!(e.id.starts_with("tag:press.test,"), "{}", e.id);
    assert_eq!(e.links[0].href, "http://press.test/releases/with-topics");
    assert!(
        e.content
            .as_ref()
            .unwrap()
            .value
            .as_ref()
            .unwrap()
            .contains("Body of with-topics")
    );
    let cats: Vec<_> = e.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(cats, ["health", "energy"]);
    assert!(
        feed.links
            .iter()
            .any(|l| l.rel == "self" && l.href == "http://press.test/feed.atom")
    );
    assert!(feed.links.iter().any(|l| l.rel == "alternate"));

    let channel = rss(&app.text("/feed.rss").await);
    let item = &channel.items[0];
    let guid = item.guid.as_ref().unwrap();
    assert_eq!(guid.value, e.id, "one id in every format");
    assert!(!guid.permalink);
    assert_eq!(item.categories.len(), 2);
    assert!(
        item.content
            .as_ref()
            .unwrap()
            .contains("Body of with-topics")
    );
    let self_link = &channel.atom_ext.as_ref().unwrap().links[0];
    assert_eq!(
        (self_link.rel.as_str(), self_link.href.as_str()),
        ("self", "http://press.test/feed.rss")
    );
    chrono::DateTime::parse_from_rfc2822(item.pub_date.as_ref().unwrap()).unwrap();

    let topic_feed = atom(&app.text("/topics/energy/feed.atom").await);
    assert_eq!(topic_feed.entries[0].id, e.id, "same id in topic feeds");

    // The id survives an edit and a new public host.
    app.clock.advance(Duration::minutes(1));
    let mut edited = release("with-topics", 1, &["energy"]);
    edited.title = "Renamed".into();
    app.save(&[edited]);
    let again = atom(&app.text("/feed.atom").await);
    assert_eq!(again.entries[0].id, e.id);
    let moved = pressfeed::startup::Application::build(
        pressfeed::config::Settings {
            db: app.db.clone(),
            bind: "127.0.0.1:0".into(),
            base_url: Some("https://elsewhere.example".into()),
            workers: 1,
            ..Default::default()
        },
        app.clock.clone(),
    )
    .unwrap();
    let port = moved.port();
    tokio::spawn(moved.run_until_stopped());
    let body = app
        .client
        .get(format!("http://127.0.0.1:{port}/feed.atom"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let moved_feed = atom(&body);
    assert_eq!(
        moved_feed.entries[0].id, e.id,
        "a new host or scheme keeps the id"
    );
    assert_eq!(
        moved_feed.entries[0].links[0].href,
        "https://elsewhere.example/releases/with-topics"
    );
}

#[tokio::test]
async fn languages_reach_every_format() {
    let app = spawn_app().await;
    let mut ar = release("arabic", 1, &["t"]);
    ar.lang = "ar".into();
    ar.title = "بيان صحفي حول الانتخابات".into();
    app.save(&[ar, release("english", 2, &["t"])]);
    let body = app.text("/feed.atom").await;
    assert!(body.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">"));
    let feed = atom(&body);
    assert_eq!(feed.entries[0].title.value, "بيان صحفي حول الانتخابات");
    // The entry as a whole (author, title, content) is in its language.
    assert!(
        body.contains(&format!(
            "<entry xml:lang=\"ar\"><title type=\"html\">{}</title>",
            feed.entries[0].title.value
        )),
        "{body}"
    );
    assert_eq!(body.matches("<entry xml:lang=\"en\">").count(), 1, "{body}");
    assert_eq!(
        rss(&app.text("/feed.rss").await).language.as_deref(),
        Some("en")
    );
    let json: serde_json::Value = app.get("/feed.json").await.json().await.unwrap();
    assert_eq!(json["language"], "en");
    assert_eq!(json["items"][0]["language"], "ar");
}

#[tokio::test]
async fn hostile_text_gives_well_formed_feeds() {
    let app = spawn_app().await;
    let nasty = "Q&A: <b>\"bold\"</b> ]]> \u{0}\u{1}\u{b}\u{1f} \u{202e}مرحبا 🎉 \u{fffe}end";
    let mut r = release("nasty", 1, &["t"]);
    r.title = nasty.into();
    r.summary = Some(format!("{nasty} <script>alert(1)</script>"));
    r.body_html =
        format!("<p onclick=\"x()\">{nasty}</p><script>alert(1)</script>]]><![CDATA[x]]>");
    r.organization = "A & B <Office>".into();
    app.save(&[r]);
    // Forbidden characters go, and so does the override (U+202E): a title
    // must read as what it is.
    let expected = "Q&A: <b>\"bold\"</b> ]]>  مرحبا 🎉 end";

    let a = atom(&app.text("/feed.atom").await);
    assert_eq!(a.entries[0].title.r#type, atom_syndication::TextType::Html);
    assert_eq!(html_text(&a.entries[0].title.value), expected);
    let content = a.entries[0]
        .content
        .as_ref()
        .unwrap()
        .value
        .clone()
        .unwrap();
    assert!(
        !content.contains("<script") && !content.contains("onclick"),
        "{content}"
    );
    let r = rss(&app.text("/feed.rss").await);
    assert_eq!(
        r.items[0].title.as_deref().map(html_text).as_deref(),
        Some(expected)
    );
    assert!(
        r.items[0].content.as_ref().unwrap().contains("]]&gt;")
            || r.items[0].content.as_ref().unwrap().contains("]]>")
    );
    let json: serde_json::Value = app.get("/feed.json").await.json().await.unwrap();
    assert_eq!(json["items"][0]["title"], expected);
    let page = app.text("/releases/nasty").await;
    assert!(!page.contains("<script>alert"), "page carries no script");
}

fn snapshot(title: &str, summary: &str, body: &str, org: &str) -> FeedSnapshot {
    let title = pressfeed::domain::Title::parse(title)
        .unwrap()
        .as_str()
        .to_owned();
    let clean = |s: &str| pressfeed::domain::clean_optional(Some(s)).unwrap_or_else(|| "-".into());
    FeedSnapshot {
        topic: None,
        items: vec![Release {
            id: 1,
            uid: "tag:press.test,2026-01-01:release/1".into(),
            slug: "x".into(),
            title,
            summary: Some(clean(summary)),
            body_html: pressfeed::domain::sanitize_html(body),
            body_source: None,
            organization: clean(org),
            department: None,
            dateline: None,
            lang: "en".into(),
            status: Status::Published,
            published_at: t0(),
            updated_at: t0(),
            created_at: t0(),
            changed_at: t0(),
            correction_note: None,
            retraction_note: None,
            topics: vec![TopicRef {
                slug: "t".into(),
                name: clean(org),
            }],
            translation_of: None,
            translations: Vec::new(),
            attachments: Vec::new(),
            media_contacts: Vec::new(),
            notes_to_editors: None,
            about: None,
        }],
        last_modified: t0(),
        next_change: None,
        tombstones: Vec::new(),
        updated_ties: Default::default(),
        kind: FeedKind::Current,
    }
}

fn site() -> Site {
    Site {
        base_url: "http://press.test".into(),
        title: "Site & <Co>".into(),
        description: "d".into(),
        lang: "en".into(),
        hubs: Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever an admin types, every format parses back to the same text.
    #[test]
    fn any_text_round_trips_through_every_format(title in "\\PC{0,40}|.{0,40}", summary in any::<String>(), body in any::<String>(), org in any::<String>()) {
        prop_assume!(pressfeed::domain::Title::parse(&title).is_ok());
        let snap = snapshot(&title, &summary, &body, &org);
        let want_title = snap.items[0].title.clone();
        let want_summary = snap.items[0].summary.clone().unwrap();

        let rss_bytes = render_rss(&site(), &snap);
        let channel = rss::Channel::read_from(&rss_bytes[..]).expect("rss parses");
        prop_assert_eq!(channel.items[0].title.as_deref().map(html_text), Some(want_title.clone()));
        // <description> is HTML: the plain-text summary arrives entity-encoded.
        let description = channel.items[0].description.as_deref().unwrap_or_default();
        prop_assert_eq!(quick_xml::escape::unescape(description).unwrap(), want_summary.as_str());

        let atom_bytes = render_atom(&site(), &snap);
        let feed = atom_syndication::Feed::read_from(&atom_bytes[..]).expect("atom parses");
        prop_assert_eq!(feed.entries[0].title.r#type, atom_syndication::TextType::Html);
        prop_assert_eq!(html_text(&feed.entries[0].title.value), want_title.clone());
        prop_assert_eq!(&feed.entries[0].authors[0].name, &snap.items[0].organization);

        let json: serde_json::Value = serde_json::from_slice(&render_json(&site(), &snap)).expect("json parses");
        prop_assert_eq!(json["items"][0]["title"].as_str(), Some(want_title.as_str()));
    }
}

/// (id, updated) of each Atom entry, as written.
fn entry_updates(body: &str) -> Vec<(String, String)> {
    atom(body)
        .entries()
        .iter()
        .map(|e| (e.id().to_owned(), e.updated().to_rfc3339()))
        .collect()
}

/// Releases published at one instant (an announcement and its translation)
/// must not share atom:updated: readers that key entries by it show one,
/// and the W3C validator warns. Each entry says the same in every feed,
/// and a release added later at that instant moves none of the earlier ones.
#[tokio::test]
async fn entries_published_at_one_instant_have_distinct_atom_updated() {
    let app = spawn_app().await;
    app.save(&[
        release("statement-en", 2, &["health"]),
        release("statement-ar", 2, &["health"]),
        release("older", 3, &["health"]),
    ]);
    let global = entry_updates(&app.text("/feed.atom").await);
    let topic = entry_updates(&app.text("/topics/health/feed.atom").await);
    assert_eq!(global.len(), 3);
    let mut values: Vec<_> = global.iter().map(|(_, u)| u.clone()).collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), 3, "{global:?}");
    let mut sorted_topic = topic.clone();
    sorted_topic.sort();
    let mut sorted_global = global.clone();
    sorted_global.sort();
    assert_eq!(sorted_topic, sorted_global, "the same in every feed");
    let instant = (t0() - Duration::hours(2)).to_rfc3339();
    assert!(
        global.iter().any(|(_, u)| *u == instant),
        "the first release at the instant keeps it exactly: {global:?}"
    );

    app.save(&[release("statement-fr", 2, &[])]);
    let after = entry_updates(&app.text("/feed.atom").await);
    for entry in &global {
        assert!(after.contains(entry), "{entry:?} moved: {after:?}");
    }
    let mut values: Vec<_> = after.iter().map(|(_, u)| u.clone()).collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), 4, "{after:?}");
}
