//! Search (issue 14): `/search?q=…` and `/search.{rss,atom,json}?q=…` find
//! visible releases in every language, whatever is typed, and the feeds
//! are subscriptions whose validators move only when their results do.

use crate::helpers::{TestApp, header, release, scheduled, spawn_app, spawn_app_on_system_clock};
use chrono::{DateTime, Duration, Utc};
use pressfeed::domain::{ReleaseInput, Status};

fn with_text(slug: &str, hours_ago: i64, title: &str, body: &str, topics: &[&str]) -> ReleaseInput {
    ReleaseInput {
        title: title.into(),
        summary: None,
        body_html: body.into(),
        ..release(slug, hours_ago, topics)
    }
}

/// The release slugs a search page lists, in order.
async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("/search?{query}")).await;
    assert_eq!(r.status(), 200, "{query}");
    let page = r.text().await.unwrap();
    page.split("href=\"/releases/")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect()
}

/// The item links of a search feed (JSON Feed), in order.
async fn in_feed(app: &TestApp, query: &str) -> Vec<String> {
    let r = app.get(&format!("/search.json?{query}")).await;
    assert_eq!(r.status(), 200, "{query}");
    let doc: serde_json::Value = r.json().await.unwrap();
    doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["url"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn finds_visible_releases_by_title_summary_and_body_newest_first() {
    let app = spawn_app().await;
    let mut summary = with_text("in-summary", 3, "Harbour works", "<p>Cranes.</p>", &["a"]);
    summary.summary = Some("Visit to the detainees".into());
    let mut draft = with_text("draft", 1, "Detainees draft", "<p>x</p>", &["a"]);
    draft.status = Some("draft".into());
    let embargo = app.clock.now() + Duration::hours(2);
    let mut embargoed = scheduled("embargoed", embargo, &["a"]);
    embargoed.title = "Embargoed statement on detainees".into();
    app.save(&[
        with_text("in-title", 5, "Detainees freed", "<p>Today.</p>", &["a"]),
        with_text(
            "in-body",
            1,
            "Statement",
            "<p>About the <b>detainees</b>.</p>",
            &["a"],
        ),
        summary,
        with_text("unrelated", 2, "Budget", "<p>Money.</p>", &["a"]),
        draft,
        embargoed,
    ]);
    let newest_first = ["in-body", "in-summary", "in-title"];
    assert_eq!(found(&app, "q=detainees").await, newest_first);
    assert_eq!(in_feed(&app, "q=detainees").await, newest_first);
    for format in ["rss", "atom"] {
        let body = app.text(&format!("/search.{format}?q=detainees")).await;
        assert!(!body.contains("mbargoed"), "{format}: the embargo leaked");
        assert!(!body.contains("draft"), "{format}: a draft leaked");
    }
    // Every word must match; a quoted phrase only as a phrase.
    assert_eq!(found(&app, "q=detainees+freed").await, ["in-title"]);
    assert_eq!(
        found(&app, "q=%22the+detainees%22").await,
        ["in-body", "in-summary"]
    );
    assert!(found(&app, "q=%22detainees+the+about%22").await.is_empty());
    assert!(found(&app, "q=%22detainees+the%22").await.is_empty());
    // A retracted release is gone; restored, it is back.
    let id = app.store().release_id_by_slug("in-title").unwrap().unwrap();
    let now = app.clock.now();
    app.store()
        .set_release_status(id, Status::Retracted, None, now)
        .unwrap();
    assert_eq!(found(&app, "q=detainees").await, ["in-body", "in-summary"]);
    app.store()
        .set_release_status(id, Status::Published, None, now)
        .unwrap();
    assert_eq!(found(&app, "q=detainees").await, newest_first);
    // At its time the embargoed release is found, first.
    app.clock.set(embargo);
    assert_eq!(found(&app, "q=detainees").await[0], "embargoed");
}

#[tokio::test]
async fn arabic_finds_text_with_or_without_tashkeel_and_latin_accents_fold() {
    let app = spawn_app().await;
    let mut voweled = with_text(
        "voweled",
        2,
        "زيارة",
        "<p>زار الوفدُ المُعْتَقَلِينَ في السجنِ المركزيّ.</p>",
        &["a"],
    );
    voweled.lang = "ar".into();
    let mut plain = with_text(
        "plain",
        1,
        "بيان",
        "<p>أفرجت السلطات عن المعتقلين صباح اليوم في مدرسة الإمام.</p>",
        &["a"],
    );
    plain.lang = "ar".into();
    app.save(&[
        voweled,
        plain,
        with_text("cafe", 3, "Café opening", "<p>Crème brûlée.</p>", &["a"]),
    ]);
    // Without tashkeel finds both; with tashkeel (and tatweel) too.
    assert_eq!(found(&app, "q=المعتقلين").await, ["plain", "voweled"]);
    assert_eq!(found(&app, "q=المُعْتَقَلِينَ").await, ["plain", "voweled"]);
    assert_eq!(found(&app, "q=المعـتقلين").await, ["plain", "voweled"]);
    // Letter forms: hamza on alef, teh marbuta.
    assert_eq!(found(&app, "q=افرجت+الامام").await, ["plain"]);
    assert_eq!(found(&app, "q=مدرسه").await, ["plain"]);
    assert_eq!(found(&app, "q=cafe").await, ["cafe"]);
    assert_eq!(found(&app, "q=CREME+BRULEE").await, ["cafe"]);
    // The snippet shows the text as written, the match marked.
    let page = app.text("/search?q=المعتقلين").await;
    assert!(page.contains("<mark>المُعْتَقَلِينَ</mark>"), "{page}");
}

#[tokio::test]
async fn any_query_is_answered_never_with_a_server_error_or_search_syntax() {
    let app = spawn_app().await;
    app.save(&[with_text(
        "a",
        1,
        "Water and power",
        "<p>Near the dam.</p>",
        &["a"],
    )]);
    let long = "a".repeat(10 * 1024);
    let many = "w+".repeat(1500);
    let long_under_the_uri_limit = "é".repeat(1000);
    let hostile = [
        "%22",
        "%22%22",
        "%22unbalanced",
        "NEAR(",
        "NEAR(water+power",
        "*",
        "water*",
        "-water",
        "water+-power",
        "AND",
        "water+AND",
        "OR+OR",
        "NOT+water",
        "(",
        "((water)",
        ")",
        "water)",
        "{water}",
        "^water",
        "water:power",
        "col:water",
        "%00",
        "%01%02%1B",
        "%7F",
        "%FF%FE",
        "%C3",
        "%ED%A0%80",
        "%E2%80%AE",
        "'",
        "';+DROP+TABLE+releases;--",
        "%5C",
        long.as_str(),
        many.as_str(),
        long_under_the_uri_limit.as_str(),
        "%0Awater%0D%0A",
        "water&q=power",
        "",
    ];
    for q in hostile {
        for path in ["/search", "/search.rss", "/search.atom", "/search.json"] {
            let r = app.get(&format!("{path}?q={q}")).await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            let shown = &q[..q.len().min(40)];
            // 414: the server's limit on a request line, before any search.
            assert!(
                status == 200 || status == 400 || status == 414,
                "{path}?q={shown}: {status}"
            );
            let lower = body.to_lowercase();
            assert!(
                !lower.contains("fts5")
                    && !lower.contains("syntax error")
                    && !lower.contains("sqlite"),
                "{path}?q={shown}: {body}"
            );
            if status == 400 {
                assert!(!body.trim().is_empty(), "{path}?q={shown}: no message");
            }
        }
    }
    // Operators are words, so these still find the release.
    assert_eq!(found(&app, "q=NEAR(water+power").await, ["a"]);
    assert_eq!(found(&app, "q=water*+-power").await, ["a"]);
    assert_eq!(found(&app, "q=water+AND+(power").await, ["a"]);
    assert!(found(&app, "q=water+OR+nothing").await.is_empty());
}

#[tokio::test]
async fn an_empty_or_oversized_query_is_refused_with_a_message() {
    let app = spawn_app().await;
    // The bare page is the form.
    let r = app.get("/search").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("name=\"q\""));
    for q in ["", "+++", "%22*()%22"] {
        let r = app.get(&format!("/search?q={q}")).await;
        assert_eq!(r.status(), 400, "{q}");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Type one or more words to search for.")
        );
        let r = app.get(&format!("/search.atom?q={q}")).await;
        assert_eq!(r.status(), 400, "{q}");
        assert_eq!(
            r.text().await.unwrap().trim(),
            "Type one or more words to search for."
        );
    }
    let r = app.get("/search.rss").await;
    assert_eq!(r.status(), 400);
    let r = app
        .get(&format!("/search.json?q={}", "x".repeat(201)))
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("at most 200 characters"));
    let r = app.get("/search?q=a+b+c+d+e+f+g+h+i").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("too many words"));
    let r = app.get("/search?q=a&page=21").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Pages go from 1 to 20"));
}

#[tokio::test]
async fn markup_in_a_release_cannot_inject_through_the_snippet_or_title() {
    let app = spawn_app().await;
    app.save(&[with_text(
        "x",
        1,
        "<script>alert(1)</script> needle",
        "<p>needle &lt;script&gt;alert(2)&lt;/script&gt; &lt;img src=x onerror=alert(3)&gt; needle</p>",
        &["a"],
    )]);
    let page = app.text("/search?q=needle+script").await;
    assert!(page.contains("<mark>needle</mark>"), "{page}");
    assert!(
        page.contains("&#60;<mark>script</mark>&#62;alert(2)"),
        "{page}"
    );
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    // A query echoed back is escaped too.
    let page = app
        .text("/search?q=%3Cscript%3Ealert(4)%3C/script%3E")
        .await;
    assert!(!page.contains("<script"), "{page}");
}

#[tokio::test]
async fn filters_by_topic_and_language_and_names_unknown_ones() {
    let app = spawn_app().await;
    let mut arabic = with_text("ar", 1, "Water in Arabic", "<p>ماء water</p>", &["health"]);
    arabic.lang = "ar".into();
    app.save(&[
        with_text("health", 2, "Water health", "<p>x</p>", &["health"]),
        with_text("energy", 3, "Water energy", "<p>x</p>", &["energy"]),
        arabic,
    ]);
    assert_eq!(found(&app, "q=water").await, ["ar", "health", "energy"]);
    assert_eq!(found(&app, "q=water&topic=health").await, ["ar", "health"]);
    assert_eq!(found(&app, "q=water&lang=ar").await, ["ar"]);
    assert_eq!(
        found(&app, "q=water&topic=health&lang=en").await,
        ["health"]
    );
    assert_eq!(in_feed(&app, "q=water&topic=energy").await, ["energy"]);
    for (query, message) in [
        ("q=water&topic=nope", "There is no topic “nope”."),
        ("q=water&topic=Not%20A%20Slug", "There is no topic"),
        ("q=water&lang=fr", "No release is in the language “fr”."),
        ("q=water&lang=%3Cb%3E", "No release is in the language"),
    ] {
        for path in ["/search", "/search.atom"] {
            let r = app.get(&format!("{path}?{query}")).await;
            assert_eq!(r.status(), 400, "{path}?{query}");
            let body = r.text().await.unwrap();
            assert!(body.contains(message), "{path}?{query}: {body}");
        }
    }
}

#[tokio::test]
async fn the_search_page_links_its_feeds_and_pages_through_results() {
    let app = spawn_app().await;
    let many: Vec<ReleaseInput> = (0..120)
        .map(|i| with_text(&format!("r{i:03}"), 200 - i, "Water", "<p>x</p>", &["a"]))
        .collect();
    app.save(&many);
    // Attribute values come with `&` escaped.
    let page = app
        .text("/search?q=Water&topic=a")
        .await
        .replace("&#38;", "&");
    for (mime, ext) in [
        ("application/rss+xml", "rss"),
        ("application/atom+xml", "atom"),
        ("application/feed+json", "json"),
    ] {
        let link = format!(
            "<link rel=\"alternate\" type=\"{mime}\" title=\"Search “water” ({}",
            match ext {
                "rss" => "RSS",
                "atom" => "Atom",
                _ => "JSON Feed",
            }
        );
        assert!(page.contains(&link), "{link}\n{page}");
        assert!(
            page.contains(&format!(
                "href=\"http://press.test/search.{ext}?q=water&topic=a\""
            )),
            "{ext}"
        );
    }
    let first = found(&app, "q=water").await;
    assert_eq!(first.len(), 50);
    assert_eq!(first[0], "r119");
    assert!(page.contains("rel=\"next\" href=\"/search?q=water&topic=a&page=2\""));
    let third = found(&app, "q=water&page=3").await;
    assert_eq!(third.len(), 20);
    assert_eq!(third.last().unwrap(), "r000");
    let third_page = app.text("/search?q=water&page=3").await;
    assert!(!third_page.contains("rel=\"next\""));
    assert!(third_page.contains("rel=\"prev\""));
    // A feed holds the newest feed_items (50) results.
    assert_eq!(in_feed(&app, "q=water").await.len(), 50);
}

struct Seen {
    etag: String,
    last_modified: String,
}

async fn fetch(app: &TestApp, path: &str) -> Seen {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    let h = r.headers().clone();
    Seen {
        etag: header(&h, "etag").to_owned(),
        last_modified: header(&h, "last-modified").to_owned(),
    }
}

async fn status_with(app: &TestApp, path: &str, name: &str, value: &str) -> u16 {
    app.get_with(path, &[(name, value)]).await.status().as_u16()
}

fn secs(http_date: &str) -> i64 {
    DateTime::parse_from_rfc2822(http_date).unwrap().timestamp()
}

#[tokio::test]
async fn search_feed_validators_move_only_when_its_results_change() {
    let app = spawn_app().await;
    app.save(&[
        with_text("old", 5, "Detainees visited", "<p>x</p>", &["a"]),
        with_text("other", 4, "Budget", "<p>x</p>", &["a"]),
    ]);
    app.clock.advance(Duration::minutes(1));
    for path in [
        "/search.atom?q=detainees",
        "/search.rss?q=detainees",
        "/search.json?q=detainees",
    ] {
        let first = fetch(&app, path).await;
        assert!(!first.last_modified.is_empty(), "{path}");
        assert_eq!(
            status_with(&app, path, "if-none-match", &first.etag).await,
            304
        );
        assert_eq!(
            status_with(&app, path, "if-modified-since", &first.last_modified).await,
            304
        );
    }
    let path = "/search.atom?q=detainees";
    let before = fetch(&app, path).await;

    // Unrelated writes, a draft and an embargoed match change nothing.
    app.clock.advance(Duration::minutes(1));
    let mut other = with_text("other", 4, "Budget revised", "<p>y</p>", &["a"]);
    app.save(&[
        other.clone(),
        with_text("new-other", 0, "Roads", "<p>x</p>", &["a"]),
    ]);
    let mut draft = with_text("draft", 0, "Detainees draft", "<p>x</p>", &["a"]);
    draft.status = Some("draft".into());
    let embargo = app.clock.now() + Duration::hours(1);
    let mut embargoed = scheduled("embargoed", embargo, &["a"]);
    embargoed.title = "Detainees embargoed".into();
    app.save(&[draft, embargoed]);
    app.clock.advance(Duration::minutes(1));
    let after = fetch(&app, path).await;
    assert_eq!(after.etag, before.etag);
    assert_eq!(after.last_modified, before.last_modified);
    assert_eq!(
        status_with(&app, path, "if-none-match", &before.etag).await,
        304
    );
    // The embargo caps how long caches may keep the answer.
    let r = app.get(path).await;
    let max_age: i64 = header(r.headers(), "cache-control")
        .rsplit('=')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        max_age <= (embargo - app.clock.now()).num_seconds(),
        "{max_age}"
    );

    // An edit that makes a release match changes the feed, later.
    other.body_html = "<p>Funds for detainees.</p>".into();
    app.save(&[other.clone()]);
    let matched = fetch(&app, path).await;
    assert_ne!(matched.etag, before.etag);
    assert!(secs(&matched.last_modified) > secs(&before.last_modified));
    assert_eq!(
        status_with(&app, path, "if-modified-since", &before.last_modified).await,
        200
    );

    // An edit that makes it stop matching changes it again, and its
    // Last-Modified does not go back although the newest item is older.
    app.clock.advance(Duration::seconds(30));
    other.body_html = "<p>Funds.</p>".into();
    app.save(&[other]);
    let unmatched = fetch(&app, path).await;
    assert_ne!(unmatched.etag, matched.etag);
    assert!(secs(&unmatched.last_modified) > secs(&matched.last_modified));
    assert_eq!(
        status_with(&app, path, "if-modified-since", &matched.last_modified).await,
        200
    );

    // Retracting a match changes it; the embargoed match appears at its time.
    app.clock.advance(Duration::seconds(30));
    let id = app.store().release_id_by_slug("old").unwrap().unwrap();
    app.store()
        .set_release_status(id, Status::Retracted, None, app.clock.now())
        .unwrap();
    let retracted = fetch(&app, path).await;
    assert_ne!(retracted.etag, unmatched.etag);
    assert_eq!(
        status_with(&app, path, "if-modified-since", &unmatched.last_modified).await,
        200
    );
    app.clock.set(embargo);
    let appeared = fetch(&app, path).await;
    assert_ne!(appeared.etag, retracted.etag);
    assert_eq!(secs(&appeared.last_modified), embargo.timestamp());
}

#[tokio::test]
async fn two_changes_to_a_search_feed_within_one_second_get_different_seconds() {
    let app = spawn_app().await;
    let path = "/search.atom?q=water";
    app.save(&[with_text("a", 1, "Water", "<p>x</p>", &["a"])]);
    let first = fetch(&app, path).await;
    assert_eq!(secs(&first.last_modified), app.clock.now().timestamp());
    app.clock.advance(Duration::milliseconds(300));
    app.save(&[with_text("b", 1, "Water too", "<p>x</p>", &["a"])]);
    // Its second is the next one: not yet sent (it is after Date), and a
    // client holding the first version does not get 304.
    let r = app.get(path).await;
    assert_eq!(r.status(), 200);
    assert_ne!(header(r.headers(), "etag"), first.etag);
    assert_eq!(header(r.headers(), "last-modified"), "");
    assert_eq!(
        status_with(&app, path, "if-modified-since", &first.last_modified).await,
        200
    );
    app.clock.advance(Duration::seconds(1));
    let second = fetch(&app, path).await;
    assert_eq!(secs(&second.last_modified), secs(&first.last_modified) + 1);
}

#[tokio::test]
async fn an_import_in_another_process_is_indexed_and_seen_by_the_search_feed() {
    let app = spawn_app_on_system_clock().await;
    let now = Utc::now();
    app.save(&[ReleaseInput {
        published_at: (now - Duration::hours(2)).to_rfc3339(),
        ..with_text("here", 0, "Detainees here", "<p>x</p>", &["a"])
    }]);
    let path = "/search.atom?q=detainees";
    let before = fetch(&app, path).await;
    app.import_in_another_process(&[serde_json::json!({
        "slug": "imported", "title": "Imported", "body_html": "<p>About detainees.</p>",
        "organization": "O", "lang": "en", "published_at": (now - Duration::hours(1)).to_rfc3339(),
        "topics": ["a"],
    })]);
    let r = app.get_with(path, &[("if-none-match", &before.etag)]).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("/releases/imported"), "{body}");
}
