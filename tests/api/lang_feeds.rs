//! Language feeds: `/lang/{tag}/feed.*` and `/topics/{slug}/lang/{tag}/feed.*`
//! hold the releases in one language, say so as their channel language, are
//! listed in the OPML and discovered from the pages; a language nobody
//! publishes in is a 404, never an empty feed.

use crate::helpers::{TestApp, header, release, scheduled, spawn_app, t0};
use chrono::Duration;
use pressfeed::domain::ReleaseInput;

fn in_lang(slug: &str, hours_ago: i64, lang: &str, topics: &[&str]) -> ReleaseInput {
    ReleaseInput {
        lang: lang.into(),
        ..release(slug, hours_ago, topics)
    }
}

async fn seeded() -> TestApp {
    let app = spawn_app().await;
    app.save(&[
        in_lang("en-1", 5, "en", &["health"]),
        in_lang("ar-1", 4, "ar", &["health"]),
        in_lang("ar-2", 3, "ar", &["transport"]),
        in_lang("fr-1", 2, "fr", &["transport"]),
    ]);
    app
}

#[tokio::test]
async fn a_language_feed_holds_that_language_only_and_says_so() {
    let app = seeded().await;
    let atom = app.text("/lang/ar/feed.atom").await;
    let feed: atom_syndication::Feed = atom.parse().unwrap();
    assert_eq!(feed.lang(), Some("ar"));
    let links: Vec<&str> = feed.entries().iter().map(|e| e.links()[0].href()).collect();
    assert_eq!(
        links,
        [
            "http://press.test/releases/ar-2",
            "http://press.test/releases/ar-1"
        ]
    );
    // Arabic items in an Arabic channel are not wrapped in another direction.
    assert!(!atom.contains("dir=\"rtl\""), "{atom}");
    let rss = rss::Channel::read_from(app.text("/lang/ar/feed.rss").await.as_bytes()).unwrap();
    assert_eq!(rss.language(), Some("ar"));
    assert_eq!(rss.items().len(), 2);
    let json: serde_json::Value =
        serde_json::from_str(&app.text("/topics/transport/lang/fr/feed.json").await).unwrap();
    assert_eq!(json["language"], "fr");
    assert_eq!(json["items"].as_array().unwrap().len(), 1);
    assert_eq!(json["items"][0]["url"], "http://press.test/releases/fr-1");
    assert_eq!(
        json["feed_url"],
        "http://press.test/topics/transport/lang/fr/feed.json"
    );
}

#[tokio::test]
async fn an_unknown_empty_or_malformed_language_is_a_404_and_case_redirects() {
    let app = seeded().await;
    for path in [
        "/lang/de/feed.atom",
        "/lang/xx/feed.rss",
        "/lang//feed.atom",
        "/lang/english/feed.atom",
        "/lang/a/feed.json",
        "/lang/ar-/feed.json",
        "/lang/%20/feed.atom",
        "/lang/ar/feed.xml",
        "/topics/health/lang/fr/feed.atom",
        "/topics/nope/lang/ar/feed.atom",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let r = app.get("/lang/AR/feed.atom").await;
    assert_eq!(r.status(), 301);
    assert_eq!(
        header(r.headers(), "location"),
        "http://press.test/lang/ar/feed.atom"
    );
    let r = app.get("/topics/health/lang/Ar/feed.rss").await;
    assert_eq!(
        header(r.headers(), "location"),
        "http://press.test/topics/health/lang/ar/feed.rss"
    );
    // A language whose only release is retracted, or scheduled, has no feed.
    app.save(&[
        ReleaseInput {
            status: Some("retracted".into()),
            ..in_lang("de-1", 1, "de", &[])
        },
        ReleaseInput {
            lang: "es".into(),
            ..scheduled("es-1", t0() + Duration::minutes(10), &[])
        },
    ]);
    assert_eq!(app.get("/lang/de/feed.atom").await.status(), 404);
    assert_eq!(app.get("/lang/es/feed.atom").await.status(), 404);
    app.clock.advance(Duration::minutes(10));
    assert_eq!(app.get("/lang/es/feed.atom").await.status(), 200);
}

#[tokio::test]
async fn language_feeds_are_listed_in_the_opml_and_discovered_from_pages() {
    let app = seeded().await;
    let opml = app.text("/topics.opml").await;
    for tag in ["ar", "en", "fr"] {
        assert!(
            opml.contains(&format!("xmlUrl=\"http://press.test/lang/{tag}/feed.rss\"")),
            "{opml}"
        );
    }
    let home = app.text("/").await;
    assert!(
        home.contains("<link rel=\"alternate\" type=\"application/atom+xml\" hreflang=\"ar\""),
        "{home}"
    );
    assert!(home.contains("href=\"http://press.test/lang/ar/feed.atom\""));
    let topic = app.text("/topics/transport").await;
    assert!(topic.contains("hreflang=\"fr\""));
    assert!(topic.contains("href=\"http://press.test/topics/transport/lang/fr/feed.json\""));
    assert!(
        !topic.contains("/topics/transport/lang/en/"),
        "no English in transport"
    );

    // A language that appears by itself (scheduled) enters the OPML at its
    // time, with a later Last-Modified; the OPML may be cached until then.
    let before = app.get("/topics.opml").await;
    let lm = header(before.headers(), "last-modified").to_owned();
    app.save(&[ReleaseInput {
        lang: "es".into(),
        ..scheduled("es-1", t0() + Duration::minutes(3), &[])
    }]);
    let r = app.get("/topics.opml").await;
    assert_eq!(header(r.headers(), "cache-control"), "public, max-age=180");
    assert!(!r.text().await.unwrap().contains("/lang/es/"));
    app.clock.advance(Duration::minutes(3));
    let r = app
        .get_with("/topics.opml", &[("if-modified-since", &lm)])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/lang/es/feed.rss"));
}

#[tokio::test]
async fn a_write_in_one_language_leaves_the_others_validators_alone() {
    let app = seeded().await;
    let ar = app.get("/lang/ar/feed.atom").await;
    let (ar_etag, ar_lm) = (
        header(ar.headers(), "etag").to_owned(),
        header(ar.headers(), "last-modified").to_owned(),
    );
    let fr = app.get("/topics/transport/lang/fr/feed.atom").await;
    let fr_etag = header(fr.headers(), "etag").to_owned();
    let renders = app.state.cache.renders();
    app.clock.advance(Duration::minutes(1));
    app.save(&[ReleaseInput {
        title: "English edited".into(),
        ..in_lang("en-1", 5, "en", &["health"])
    }]);
    let r = app
        .get_with("/lang/ar/feed.atom", &[("if-none-match", &ar_etag)])
        .await;
    assert_eq!(r.status(), 304);
    let r = app
        .get_with("/lang/ar/feed.atom", &[("if-modified-since", &ar_lm)])
        .await;
    assert_eq!(r.status(), 304);
    let r = app
        .get_with(
            "/topics/transport/lang/fr/feed.atom",
            &[("if-none-match", &fr_etag)],
        )
        .await;
    assert_eq!(r.status(), 304);
    assert_eq!(app.state.cache.renders(), renders);
    assert!(
        app.text("/lang/en/feed.atom")
            .await
            .contains("English edited")
    );
    // Moving a release into Arabic changes the Arabic feed.
    app.clock.advance(Duration::minutes(1));
    app.save(&[in_lang("en-1", 5, "ar", &["health"])]);
    let r = app
        .get_with("/lang/ar/feed.atom", &[("if-none-match", &ar_etag)])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("releases/en-1"));
}
