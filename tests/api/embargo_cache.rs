//! Caches must not outlive an embargo (issue 9, part 2): a response whose
//! content changes at a known instant tells caches to keep it no longer.

use crate::conditional::{feeds, seeded};
use crate::helpers::{TestApp, header, scheduled};
use chrono::Duration;

fn max_age(cache_control: &str) -> Option<u64> {
    cache_control
        .split(',')
        .find_map(|d| d.trim().strip_prefix("max-age="))
        .and_then(|n| n.parse().ok())
}

async fn cache_control(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> String {
    let r = app.get_with(path, headers).await;
    assert!(
        r.status().is_success() || r.status() == 304,
        "{path}: {}",
        r.status()
    );
    header(r.headers(), "cache-control").to_owned()
}

const OTHER_FEEDS: &[&str] = &[
    "/topics/energy/feed.rss",
    "/topics/energy/feed.atom",
    "/topics/energy/feed.json",
    "/topics.opml",
];

/// Seeded, and a release in topic health (one of [`feeds`]) scheduled `secs` seconds ahead.
async fn scheduled_in(secs: i64) -> TestApp {
    let app = seeded().await;
    let at = app.clock.now() + Duration::seconds(secs);
    app.save(&[scheduled("embargoed", at, &["health"])]);
    app
}

#[tokio::test]
async fn feeds_are_cached_no_longer_than_until_their_next_scheduled_release() {
    let app = scheduled_in(90).await;
    for path in feeds() {
        let cc = cache_control(&app, path, &[]).await;
        assert_eq!(cc, "public, max-age=90", "{path}");
        // A 304 renews a cache's copy: it carries the same limit.
        let etag = header(app.get(path).await.headers(), "etag").to_owned();
        let cc = cache_control(&app, path, &[("if-none-match", &etag)]).await;
        assert_eq!(cc, "public, max-age=90", "{path}: 304");
    }
    for path in OTHER_FEEDS {
        // Nothing scheduled there (the OPML does not depend on the time).
        assert_eq!(
            max_age(&cache_control(&app, path, &[]).await),
            Some(300),
            "{path}"
        );
    }
    app.clock.advance(Duration::milliseconds(89_500));
    for path in feeds() {
        assert_eq!(
            max_age(&cache_control(&app, path, &[]).await),
            Some(0),
            "{path}: half a second left: revalidate every time"
        );
    }
    app.clock.advance(Duration::milliseconds(500));
    for path in feeds() {
        let r = app.get(path).await;
        assert_eq!(
            max_age(header(r.headers(), "cache-control")),
            Some(300),
            "{path}"
        );
        assert!(
            r.text().await.unwrap().contains("Title of embargoed"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn home_and_topic_pages_are_cached_no_longer_than_until_the_next_release_appears() {
    let app = scheduled_in(45).await;
    for path in ["/", "/topics/health"] {
        assert_eq!(
            max_age(&cache_control(&app, path, &[]).await),
            Some(45),
            "{path}"
        );
    }
    for path in ["/topics/energy", "/topics"] {
        assert_eq!(
            max_age(&cache_control(&app, path, &[]).await),
            Some(60),
            "{path}"
        );
    }
    app.clock.advance(Duration::seconds(30));
    for path in ["/", "/topics/health"] {
        assert_eq!(
            max_age(&cache_control(&app, path, &[]).await),
            Some(15),
            "{path}"
        );
    }
    app.clock.advance(Duration::seconds(15));
    for path in ["/", "/topics/health"] {
        let r = app.get(path).await;
        assert_eq!(
            max_age(header(r.headers(), "cache-control")),
            Some(60),
            "{path}"
        );
        assert!(
            r.text().await.unwrap().contains("Title of embargoed"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_page_of_a_release_not_yet_published_is_not_cached_and_tells_nothing() {
    let app = scheduled_in(45).await;
    let early = app.get("/releases/embargoed").await;
    assert_eq!(early.status(), 404);
    let unknown = app.get("/releases/no-such-release").await;
    assert_eq!(unknown.status(), 404);
    // Any max-age would be a promise that outlives the embargo or, capped at
    // it, would tell a slug-guesser that something is scheduled there and when.
    assert_eq!(header(early.headers(), "cache-control"), "no-store");
    assert_eq!(
        header(early.headers(), "cache-control"),
        header(unknown.headers(), "cache-control")
    );
    assert_eq!(early.text().await.unwrap(), unknown.text().await.unwrap());
    app.clock.advance(Duration::seconds(45));
    assert_eq!(app.get("/releases/embargoed").await.status(), 200);
}
