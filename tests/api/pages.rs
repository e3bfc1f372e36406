//! Public HTML pages: status codes, autodiscovery, language and direction.

use crate::helpers::{header, release, spawn_app};
use chrono::Duration;

#[tokio::test]
async fn pages_answer_200_404_410_as_the_contract_says() {
    let app = spawn_app().await;
    let mut draft = release("a-draft", 1, &["t"]);
    draft.status = Some("draft".into());
    let mut gone = release("gone", 1, &["t"]);
    gone.status = Some("retracted".into());
    gone.retraction_note = Some("Issued in error.".into());
    let mut later = release("later", 0, &["t"]);
    later.published_at = (app.clock.now() + Duration::hours(1)).to_rfc3339();
    app.save(&[release("visible", 1, &["t"]), draft, gone, later]);

    for (path, status) in [
        ("/", 200),
        ("/releases/visible", 200),
        ("/releases/a-draft", 404),
        ("/releases/later", 404),
        ("/releases/nope", 404),
        ("/releases/gone", 410),
        ("/topics", 200),
        ("/topics/t", 200),
        ("/topics/nope", 404),
        ("/healthz", 200),
        ("/no/such/page", 404),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        if path != "/healthz" {
            assert!(
                header(r.headers(), "content-type").starts_with("text/html"),
                "{path}"
            );
        }
    }
    let gone = app.text("/releases/gone").await;
    assert!(
        gone.contains("retracted") && gone.contains("Issued in error."),
        "{gone}"
    );
    let head = app
        .client
        .head(app.url("/releases/visible"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
}

#[tokio::test]
async fn pages_carry_feed_autodiscovery() {
    let app = spawn_app().await;
    app.save(&[release("visible", 1, &["health"])]);
    let home = app.text("/").await;
    for href in [
        "http://press.test/feed.atom",
        "http://press.test/feed.rss",
        "http://press.test/feed.json",
    ] {
        assert!(
            home.contains(&format!("href=\"{href}\"")),
            "home lacks {href}"
        );
    }
    assert!(home.contains("rel=\"alternate\" type=\"application/atom+xml\""));
    assert!(home.contains("Title of visible"));
    let topic = app.text("/topics/health").await;
    assert!(topic.contains("href=\"http://press.test/topics/health/feed.atom\""));
    let page = app.text("/releases/visible").await;
    assert!(page.contains("href=\"http://press.test/topics/health/feed.atom\""));
    assert!(page.contains("<p>Body of visible.</p>"));
}

#[tokio::test]
async fn arabic_releases_are_right_to_left() {
    let app = spawn_app().await;
    let mut ar = release("arabic", 1, &["t"]);
    ar.lang = "ar".into();
    ar.title = "بيان صحفي".into();
    app.save(&[ar]);
    let page = app.text("/releases/arabic").await;
    assert!(page.contains("lang=\"ar\" dir=\"rtl\""), "{page}");
    assert!(page.contains("بيان صحفي"));
    let home = app.text("/").await;
    assert!(home.contains("<li lang=\"ar\" dir=\"rtl\">"));
}

#[tokio::test]
async fn pages_never_build_links_from_the_host_header() {
    let app = spawn_app().await;
    app.save(&[release("visible", 1, &["t"])]);
    let r = app
        .client
        .get(app.url("/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(!body.contains("evil.example"));
    let feed = app
        .client
        .get(app.url("/feed.atom"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!feed.contains("evil.example"));
}
