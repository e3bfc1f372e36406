//! What an operator relies on: metrics, security headers, the polite-client
//! policy.

use crate::helpers::{header, release, spawn_app, spawn_app_with};
use chrono::Duration;

#[tokio::test]
async fn metrics_count_requests_cache_and_releases() {
    let app = spawn_app_with(|s| s.metrics_bind = Some("127.0.0.1:0".into())).await;
    let mut draft = release("a-draft", 1, &["t"]);
    draft.status = Some("draft".into());
    app.save(&[release("one", 1, &["t"]), draft]);
    let etag = header(app.get("/feed.atom").await.headers(), "etag").to_owned();
    assert_eq!(
        app.get_with("/feed.atom", &[("if-none-match", &etag)])
            .await
            .status(),
        304
    );
    let private = app.metrics_address.clone().expect("a metrics listener");
    let r = app
        .client
        .get(format!("{private}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(r.headers(), "content-type").starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for needle in [
        "pressfeed_http_requests_total{route=\"/feed.{format}\",status=\"304\"}",
        "pressfeed_http_request_duration_seconds_bucket",
        "pressfeed_feed_cache_hits",
        "pressfeed_feed_cache_misses",
        "pressfeed_render_seconds",
        "pressfeed_releases{status=\"draft\"} 1",
        "pressfeed_releases{status=\"published\"} 1",
        "pressfeed_feed_not_modified_ratio",
    ] {
        assert!(text.contains(needle), "metrics lack {needle}:\n{text}");
    }
    // The private listener serves metrics only, not the site.
    let site = app.client.get(format!("{private}/")).send().await.unwrap();
    assert_eq!(site.status(), 404);

    let off = spawn_app_with(|s| {
        s.metrics = false;
        s.metrics_bind = Some("127.0.0.1:0".into());
    })
    .await;
    assert!(
        off.metrics_address.is_none(),
        "metrics = false: no listener"
    );
}

#[tokio::test]
async fn metrics_stay_off_the_public_listener() {
    // They count drafts: nothing a reader (or a proxy in front) may see.
    let app = spawn_app().await;
    assert!(
        app.metrics_address.is_none(),
        "no metrics listener by default"
    );
    assert_eq!(app.get("/metrics").await.status(), 404);
    let both = spawn_app_with(|s| s.metrics_bind = Some("127.0.0.1:0".into())).await;
    assert_eq!(both.get("/metrics").await.status(), 404);
    let body = both.text("/metrics").await;
    assert!(!body.contains("pressfeed_releases"), "{body}");
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = spawn_app().await;
    app.save(&[release("one", 1, &["t"])]);
    for path in ["/", "/releases/one", "/feed.atom", "/nope", "/topics"] {
        let r = app.get(path).await;
        let h = r.headers();
        assert_eq!(header(h, "x-content-type-options"), "nosniff", "{path}");
        assert!(!header(h, "referrer-policy").is_empty(), "{path}");
        let csp = header(h, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    }
    let page = app.text("/releases/one").await;
    assert!(!page.contains("<script"), "public pages run no script");
}

#[tokio::test]
async fn not_modified_answers_carry_only_what_caches_need() {
    let app = spawn_app().await;
    app.save(&[release("one", 1, &["t"])]);
    let full = app.get("/feed.atom").await;
    let etag = header(full.headers(), "etag").to_owned();
    let r = app
        .get_with("/feed.atom", &[("If-None-Match", &etag)])
        .await;
    assert_eq!(r.status(), 304);
    let h = r.headers();
    for kept in ["etag", "cache-control", "vary", "date", "last-modified"] {
        assert!(!header(h, kept).is_empty(), "304 lacks {kept}");
    }
    // A 304 has no content for these to protect; a cache keeps them from
    // the stored 200 (RFC 9110 §15.4.5).
    for dropped in [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
    ] {
        assert!(h.get(dropped).is_none(), "304 carries {dropped}");
    }
}

#[tokio::test]
async fn error_pages_leak_no_internals() {
    let app = spawn_app().await;
    let body = app.text("/releases/%FF%FE").await;
    for leak in ["rusqlite", "src/", "panicked", "SQLITE", "backtrace"] {
        assert!(!body.contains(leak), "{leak} in {body}");
    }
}

#[tokio::test]
async fn polite_policy_limits_unconditional_repeats_only() {
    let app = spawn_app_with(|s| s.min_poll_interval = 60).await;
    app.save(&[release("one", 1, &["t"])]);
    let first = app.get("/feed.rss").await;
    assert_eq!(first.status(), 200);
    let etag = header(first.headers(), "etag").to_owned();
    let again = app.get("/feed.rss").await;
    assert_eq!(
        again.status(),
        429,
        "an unconditional repeat within the interval"
    );
    assert_eq!(header(again.headers(), "retry-after"), "60");
    for _ in 0..5 {
        let r = app.get_with("/feed.rss", &[("if-none-match", &etag)]).await;
        assert_eq!(r.status(), 304, "conditional pollers are never limited");
    }
    assert_eq!(
        app.get("/feed.atom").await.status(),
        200,
        "another feed is another budget"
    );
    app.clock.advance(Duration::seconds(61));
    assert_eq!(
        app.get("/feed.rss").await.status(),
        200,
        "allowed again after the interval"
    );

    let default = spawn_app().await;
    default.save(&[release("one", 1, &["t"])]);
    for _ in 0..3 {
        assert_eq!(
            default.get("/feed.rss").await.status(),
            200,
            "off by default"
        );
    }
}

/// Behind a proxy, a client cannot pose as many by writing its own
/// `X-Forwarded-For` line: the address the proxy appended last is the one
/// that counts, for polite polling as for sign-ins (one rule).
#[tokio::test]
async fn polite_policy_behind_a_proxy_counts_the_address_it_appended() {
    let app = spawn_app_with(|s| {
        s.min_poll_interval = 60;
        s.trust_proxy = true;
    })
    .await;
    app.save(&[release("one", 1, &["t"])]);
    for n in 1..5 {
        // The client wrote the first line; the proxy added the second.
        let forged = format!("10.0.0.{n}");
        let headers = [
            ("x-forwarded-for", forged.as_str()),
            ("x-forwarded-for", "192.0.2.7"),
        ];
        let want = if n == 1 { 200 } else { 429 };
        assert_eq!(
            app.get_with("/feed.rss", &headers).await.status(),
            want,
            "a new forged first line is still the same client ({forged})"
        );
    }
    let other = app
        .get_with("/feed.rss", &[("x-forwarded-for", "192.0.2.8")])
        .await;
    assert_eq!(other.status(), 200, "another client the proxy saw");
}
