//! A topic that only an embargoed release (or a draft) is in must not leak
//! through the topic list, the pages or its own feeds before a release in
//! it is visible: its name alone can give the story away.

use crate::conditional::{http_date, seeded};
use crate::helpers::{TestApp, header, release, scheduled};
use chrono::Duration;
use pressfeed::domain::{ReleaseInput, Slug, Status};
use reqwest::StatusCode;

const SECRET: &str = "ceasefire-talks";

const PUBLIC_LISTS: &[&str] = &[
    "/",
    "/topics",
    "/topics.opml",
    "/feed.atom",
    "/feed.rss",
    "/feed.json",
    "/topics/health",
    "/topics/health/feed.atom",
];

fn topic_urls(slug: &str) -> Vec<String> {
    vec![
        format!("/topics/{slug}"),
        format!("/topics/{slug}/feed.atom"),
        format!("/topics/{slug}/feed.rss"),
        format!("/topics/{slug}/feed.json"),
    ]
}

fn draft(slug: &str, topics: &[&str]) -> ReleaseInput {
    ReleaseInput {
        status: Some("draft".into()),
        ..release(slug, 0, topics)
    }
}

/// No public URL names `needle` (in any case), and the topic's own URLs are 404.
async fn no_trace(app: &TestApp, slug: &str, needle: &str) {
    for path in PUBLIC_LISTS {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = r.text().await.unwrap().to_lowercase();
        assert!(!body.contains(needle), "{path} names {needle}");
    }
    for path in topic_urls(slug) {
        assert_eq!(
            app.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_topic_only_an_embargoed_release_is_in_appears_with_it_and_not_before() {
    let app = seeded().await;
    let at = app.clock.now() + Duration::seconds(90);
    app.save(&[scheduled("truce", at, &[SECRET, "health"])]);
    no_trace(&app, SECRET, "ceasefire").await;

    let before = app.get("/topics.opml").await;
    let etag = header(before.headers(), "etag").to_owned();
    let last_modified = header(before.headers(), "last-modified").to_owned();
    assert_eq!(
        header(before.headers(), "cache-control"),
        "public, max-age=90",
        "the topic list changes when the embargo lifts: no cache may keep it longer"
    );

    app.clock.advance(Duration::seconds(90));
    let opml = app
        .get_with(
            "/topics.opml",
            &[
                ("if-none-match", &etag),
                ("if-modified-since", &last_modified),
            ],
        )
        .await;
    assert_eq!(opml.status(), StatusCode::OK, "the topic list changed");
    assert_ne!(header(opml.headers(), "etag"), etag);
    let moved = header(opml.headers(), "last-modified").to_owned();
    assert_eq!(moved, http_date(at), "Last-Modified is when it appeared");
    assert!(opml.text().await.unwrap().contains(SECRET));
    // A client that only keeps Last-Modified also sees the change.
    let since_only = app
        .get_with("/topics.opml", &[("if-modified-since", &last_modified)])
        .await;
    assert_eq!(since_only.status(), StatusCode::OK);
    for path in topic_urls(SECRET) {
        let r = app.get(&path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.text().await.unwrap().contains("Title of truce"), "{path}");
    }
    assert!(app.text("/topics").await.contains("Ceasefire talks"));
}

#[tokio::test]
async fn a_topic_only_drafts_are_in_leaks_nowhere_until_one_is_published() {
    let app = seeded().await;
    app.save(&[draft("memo", &["leadership-change"])]);
    no_trace(&app, "leadership-change", "leadership").await;
    let etag = header(app.get("/topics.opml").await.headers(), "etag").to_owned();

    app.save(&[release("memo", 0, &["leadership-change"])]);
    let opml = app
        .get_with("/topics.opml", &[("if-none-match", &etag)])
        .await;
    assert_eq!(opml.status(), StatusCode::OK, "publishing changed the list");
    assert!(opml.text().await.unwrap().contains("leadership-change"));
    for path in topic_urls("leadership-change") {
        assert_eq!(app.get(&path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn an_embargoed_release_in_a_public_topic_leaves_the_topic_list_alone() {
    let app = seeded().await;
    let before = app.get("/topics.opml").await;
    let etag = header(before.headers(), "etag").to_owned();
    app.save(&[scheduled(
        "later",
        app.clock.now() + Duration::seconds(60),
        &["health"],
    )]);
    let after = app
        .get_with("/topics.opml", &[("if-none-match", &etag)])
        .await;
    assert_eq!(after.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        header(after.headers(), "cache-control"),
        "public, max-age=300",
        "nothing in the topic list waits for that release"
    );
}

#[tokio::test]
async fn a_topic_readers_saw_stays_when_its_only_release_is_retracted() {
    let app = seeded().await;
    app.save(&[release("visit", 0, &["state-visit"])]);
    assert!(app.text("/topics.opml").await.contains("state-visit"));
    let id = app
        .store()
        .release_id_by_slug("visit")
        .unwrap()
        .expect("stored");
    app.store()
        .set_release_status(id, Status::Retracted, Some("Wrong date"), app.clock.now())
        .unwrap();
    assert!(
        app.text("/topics.opml").await.contains("state-visit"),
        "subscribers of its feeds keep them"
    );
    for path in topic_urls("state-visit") {
        assert_eq!(app.get(&path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn a_topic_created_on_the_topics_page_is_public_while_empty() {
    let app = seeded().await;
    let slug = Slug::parse("elections").unwrap();
    app.store()
        .create_topic(&slug, "Elections", None, app.clock.now())
        .unwrap();
    assert!(app.text("/topics.opml").await.contains("elections"));
    assert_eq!(app.get("/topics/elections/feed.atom").await.status(), 200);
}
