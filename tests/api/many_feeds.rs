//! Many feeds (issue 17): a 304 never needs a body, and a write changes
//! only the documents of the scopes it touches, in this process or another.

use crate::helpers::{TestApp, header, release, spawn_app_on_system_clock, spawn_app_with};

struct Answer {
    etag: String,
    last_modified: String,
    body: String,
}

async fn full(app: &TestApp, path: &str) -> Answer {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    let h = r.headers().clone();
    Answer {
        etag: header(&h, "etag").to_owned(),
        last_modified: header(&h, "last-modified").to_owned(),
        body: r.text().await.unwrap(),
    }
}

const A: &str = "/topics/alpha/feed.atom";
const B: &str = "/topics/beta/feed.atom";

#[tokio::test]
async fn an_evicted_document_answers_304_without_a_render() {
    // Room for one body: every other document's body is evicted.
    let app = spawn_app_with(|s| s.cache_bytes = 1).await;
    app.save(&[release("a", 2, &["alpha"]), release("b", 1, &["beta"])]);
    let a = full(&app, A).await;
    full(&app, B).await;
    let renders = app.state.cache.renders();
    for (name, value) in [
        ("if-none-match", a.etag.as_str()),
        ("if-modified-since", a.last_modified.as_str()),
    ] {
        let r = app.get_with(A, &[(name, value)]).await;
        assert_eq!(r.status(), 304, "{name}");
        assert_eq!(header(r.headers(), "etag"), a.etag);
        assert_eq!(header(r.headers(), "last-modified"), a.last_modified);
        assert!(r.text().await.unwrap().is_empty());
    }
    // gzip has its own ETag, known without compressing or rendering.
    let gz = format!("{}-gz\"", a.etag.trim_end_matches('"'));
    let r = app
        .get_with(A, &[("accept-encoding", "gzip"), ("if-none-match", &gz)])
        .await;
    assert_eq!(r.status(), 304);
    assert_eq!(app.state.cache.renders(), renders, "no render for a 304");
    // The body was evicted: a full answer renders it again, the same bytes.
    assert_eq!(full(&app, A).await.body, a.body);
    assert_eq!(app.state.cache.renders(), renders + 1);
}

#[tokio::test]
async fn a_write_to_topic_a_leaves_topic_b_cached_and_its_validators_alone() {
    let app = spawn_app_with(|_| {}).await;
    app.save(&[release("a", 2, &["alpha"]), release("b", 1, &["beta"])]);
    let b = full(&app, B).await;
    let a = full(&app, A).await;
    let renders = app.state.cache.renders();

    app.clock.advance(chrono::Duration::minutes(1));
    app.save(&[release("a2", 0, &["alpha"])]);

    let b_after = full(&app, B).await;
    assert_eq!(b_after.body, b.body);
    assert_eq!(b_after.etag, b.etag);
    assert_eq!(b_after.last_modified, b.last_modified);
    let r = app.get_with(B, &[("if-none-match", &b.etag)]).await;
    assert_eq!(r.status(), 304);
    assert_eq!(
        app.state.cache.renders(),
        renders,
        "beta not rendered again"
    );

    let a_after = full(&app, A).await;
    assert!(a_after.body.contains("Title of a2"));
    assert_ne!(a_after.etag, a.etag);
    assert_eq!(
        app.get_with(A, &[("if-none-match", &a.etag)])
            .await
            .status(),
        200
    );
    // The global feed shows the new release too.
    assert!(full(&app, "/feed.atom").await.body.contains("Title of a2"));
}

#[tokio::test]
async fn an_import_by_another_process_changes_only_the_topics_it_writes() {
    let app = spawn_app_on_system_clock().await;
    app.save(&[release("a", 2, &["alpha"]), release("b", 1, &["beta"])]);
    let b = full(&app, B).await;
    let a = full(&app, A).await;
    let renders = app.state.cache.renders();

    app.import_in_another_process(&[serde_json::to_value(release("a2", 0, &["alpha"])).unwrap()]);

    // Acknowledged (exit 0): the very next request sees it.
    let a_after = full(&app, A).await;
    assert!(a_after.body.contains("Title of a2"));
    assert_ne!(a_after.etag, a.etag);
    let b_after = full(&app, B).await;
    assert_eq!((b_after.etag, b_after.body), (b.etag, b.body));
    assert_eq!(
        app.state.cache.renders(),
        renders + 1,
        "only alpha rendered"
    );
}
