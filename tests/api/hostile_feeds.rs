//! Feeds that validators and readers take exactly as typed: markup-like
//! text, relative links, languages and direction (the W3C validator is run
//! on the same cases by `.ci/run`'s w3c stage, on tests/data/adversarial.jsonl).

use crate::helpers::{html_text, release, spawn_app};

const TYPED: &str = "Budget <b>cuts</b> & \"reforms\"";

#[tokio::test]
async fn markup_like_text_is_sent_as_html_that_shows_the_typed_characters() {
    let app = spawn_app().await;
    let mut r = release("budget", 1, &["t"]);
    r.title = TYPED.into();
    r.summary = Some(format!("Summary: {TYPED}"));
    app.save(&[r]);

    let body = app.text("/feed.atom").await;
    assert!(
        body.contains(
            "<title type=\"html\">Budget &amp;lt;b&amp;gt;cuts&amp;lt;/b&amp;gt; &amp;amp; \"reforms\"</title>"
        ),
        "{body}"
    );
    let feed: atom_syndication::Feed = body.parse().unwrap();
    let e = &feed.entries[0];
    assert_eq!(e.title.r#type, atom_syndication::TextType::Html);
    assert_eq!(html_text(&e.title.value), TYPED);
    let summary = e.summary.as_ref().unwrap();
    assert_eq!(summary.r#type, atom_syndication::TextType::Html);
    assert_eq!(html_text(&summary.value), format!("Summary: {TYPED}"));

    // RSS: HTML escapes, with the RSS profile's &#x26; for their ampersands.
    let body = app.text("/feed.rss").await;
    assert!(
        body.contains(
            "<title>Budget &#x26;lt;b&#x26;gt;cuts&#x26;lt;/b&#x26;gt; &#x26;amp; \"reforms\"</title>"
        ),
        "{body}"
    );
    let channel: rss::Channel = body.parse().unwrap();
    assert_eq!(html_text(channel.items[0].title.as_deref().unwrap()), TYPED);
    assert_eq!(
        html_text(channel.items[0].description.as_deref().unwrap()),
        format!("Summary: {TYPED}")
    );
    let json: serde_json::Value = app.get("/feed.json").await.json().await.unwrap();
    assert_eq!(json["items"][0]["title"], TYPED, "JSON is plain text");
}

#[tokio::test]
async fn rss_titles_that_cannot_pass_for_html_go_as_text() {
    let app = spawn_app().await;
    let typed = "Q&A: R&D figures for <2026> & \"after\"";
    let mut r = release("q-and-a", 1, &["t"]);
    r.title = typed.into();
    app.save(&[r]);
    let body = app.text("/feed.rss").await;
    assert!(
        body.contains(
            "<title>Q&#x26;A: R&#x26;D figures for &#x3C;2026&gt; &#x26; \"after\"</title>"
        ),
        "{body}"
    );
    let channel: rss::Channel = body.parse().unwrap();
    assert_eq!(
        channel.items[0].title.as_deref(),
        Some(typed),
        "as typed, with no decoding"
    );
}

#[tokio::test]
async fn relative_links_and_images_are_absolute_in_every_feed_and_on_the_page() {
    let app = spawn_app().await;
    let mut r = release("with-links", 1, &["t"]);
    r.body_html = r##"<p><a href="annex.pdf">annex</a> <a href="/about">about</a> <a href="#part-2">part 2</a> <img src="/img/chart.png" alt="chart"> <a href="https://example.org/x">abs</a></p>"##.into();
    app.save(&[r]);
    let want = [
        r#"href="http://press.test/releases/annex.pdf""#,
        r#"href="http://press.test/about""#,
        r#"href="http://press.test/releases/with-links#part-2""#,
        r#"src="http://press.test/img/chart.png""#,
        r#"href="https://example.org/x""#,
    ];
    let feed: atom_syndication::Feed = app.text("/feed.atom").await.parse().unwrap();
    let atom_content = feed.entries[0].content.clone().unwrap().value.unwrap();
    let channel: rss::Channel = app.text("/feed.rss").await.parse().unwrap();
    let rss_content = channel.items[0].content.clone().unwrap();
    let json: serde_json::Value = app.get("/feed.json").await.json().await.unwrap();
    let json_content = json["items"][0]["content_html"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = app.text("/releases/with-links").await;
    for (what, html) in [
        ("atom", &atom_content),
        ("rss", &rss_content),
        ("json", &json_content),
        ("page", &page),
    ] {
        for w in want {
            assert!(html.contains(w), "{what}: {w} missing in {html}");
        }
        for relative in [r#"href="annex.pdf""#, r#"src="/img"#, r##"href="#part-2""##] {
            assert!(!html.contains(relative), "{what}: {relative} in {html}");
        }
    }
    // Stored as typed: a new base URL moves the links with it.
    let stored = app.store().release_by_slug("with-links").unwrap().unwrap();
    assert!(stored.body_html.contains(r#"href="annex.pdf""#));
}

#[tokio::test]
async fn languages_and_directions_are_marked_on_the_whole_item() {
    let app = spawn_app().await;
    let mut ar = release("arabic", 1, &["t"]);
    ar.lang = "ar".into();
    ar.title = "بيان صحفي".into();
    ar.body_html = "<p>نص عربي</p>".into();
    let mut fr = release("french", 2, &["t"]);
    fr.lang = "fr".into();
    app.save(&[ar, fr, release("english", 3, &["t"])]);

    let atom = app.text("/feed.atom").await;
    for lang in ["ar", "fr", "en"] {
        assert_eq!(
            atom.matches(&format!("<entry xml:lang=\"{lang}\">"))
                .count(),
            1,
            "{lang}: {atom}"
        );
    }
    let feed: atom_syndication::Feed = atom.parse().unwrap();
    let content = |i: usize| feed.entries[i].content.clone().unwrap().value.unwrap();
    assert_eq!(content(0), "<div dir=\"rtl\"><p>نص عربي</p></div>");
    assert!(!content(1).contains("dir="), "{}", content(1));

    let channel: rss::Channel = app.text("/feed.rss").await.parse().unwrap();
    let item_lang = |i: usize| {
        channel.items[i]
            .dublin_core_ext
            .as_ref()
            .map(|dc| dc.languages.clone())
            .unwrap_or_default()
    };
    assert_eq!(item_lang(0), ["ar"]);
    assert_eq!(item_lang(1), ["fr"]);
    assert!(
        item_lang(2).is_empty(),
        "the channel's language goes unsaid"
    );
    assert_eq!(
        channel.items[0].content.as_deref(),
        Some("<div dir=\"rtl\"><p>نص عربي</p></div>")
    );
    let json: serde_json::Value = app.get("/feed.json").await.json().await.unwrap();
    assert_eq!(
        json["items"][0]["content_html"],
        "<div dir=\"rtl\"><p>نص عربي</p></div>"
    );
}

#[tokio::test]
async fn the_adversarial_data_set_imports_whole() {
    let app = spawn_app().await;
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/adversarial.jsonl");
    let out = app.run_cli(&["import", data]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.store().count_releases().unwrap(), 14);
}
