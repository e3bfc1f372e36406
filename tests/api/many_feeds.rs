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
    // Room for one body: every other document's body is evicted (and
    // none is kept on disk).
    let app = spawn_app_with(|s| {
        s.cache_bytes = 1;
        s.cache_dir_bytes = 0;
    })
    .await;
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

#[tokio::test]
async fn an_evicted_body_is_read_back_from_the_cache_directory_never_a_stale_one() {
    // Room for one body in memory: the others are served from disk.
    let app = spawn_app_with(|s| s.cache_bytes = 1).await;
    let dir = app
        .state
        .cache
        .spill
        .as_ref()
        .expect("on by default")
        .dir()
        .to_owned();
    assert_eq!(dir, app.db_path.with_file_name("test.db-cache"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "owner-only");
    }
    app.save(&[release("a", 2, &["alpha"]), release("b", 1, &["beta"])]);
    let a = full(&app, A).await;
    full(&app, B).await;
    let renders = app.state.cache.renders();
    let again = full(&app, A).await;
    assert_eq!((&again.body, &again.etag), (&a.body, &a.etag));
    assert_eq!(again.last_modified, a.last_modified);
    assert_eq!(
        app.state.cache.renders(),
        renders,
        "read from disk, not rendered"
    );

    // gzip: compressed once, then read back too.
    let gz = || app.get_with(A, &[("accept-encoding", "gzip")]);
    let first = gz().await;
    assert_eq!(header(first.headers(), "content-encoding"), "gzip");
    let bytes = first.bytes().await.unwrap();
    full(&app, B).await;
    let second = gz().await;
    assert_eq!(header(second.headers(), "content-encoding"), "gzip");
    assert_eq!(second.bytes().await.unwrap(), bytes);
    assert_eq!(app.state.cache.renders(), renders);

    // A write to alpha: its file on disk is the old version, never served.
    app.clock.advance(chrono::Duration::minutes(1));
    app.save(&[release("a2", 0, &["alpha"])]);
    let a_after = full(&app, A).await;
    assert!(a_after.body.contains("Title of a2"));
    assert_ne!(a_after.etag, a.etag);
    full(&app, B).await;
    let a_again = full(&app, A).await;
    assert_eq!((a_again.body, a_again.etag), (a_after.body, a_after.etag));
}

#[tokio::test]
async fn deleting_the_cache_directory_while_serving_costs_a_render_not_an_error() {
    let app = spawn_app_with(|s| s.cache_bytes = 1).await;
    let dir = app.state.cache.spill.as_ref().unwrap().dir().to_owned();
    app.save(&[release("a", 2, &["alpha"]), release("b", 1, &["beta"])]);
    let a = full(&app, A).await;
    full(&app, B).await;
    let gz = app
        .get_with(A, &[("accept-encoding", "gzip")])
        .await
        .bytes()
        .await
        .unwrap();
    full(&app, B).await;
    let renders = app.state.cache.renders();

    std::fs::remove_dir_all(&dir).unwrap();
    let again = full(&app, A).await;
    assert_eq!((&again.body, &again.etag), (&a.body, &a.etag));
    assert_eq!(app.state.cache.renders(), renders + 1, "rendered again");
    let r = app.get_with(A, &[("accept-encoding", "gzip")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), gz);
    assert!(dir.is_dir(), "made again on the next write");

    // And read from disk again after that.
    full(&app, B).await;
    let renders = app.state.cache.renders();
    assert_eq!(full(&app, A).await.body, a.body);
    assert_eq!(app.state.cache.renders(), renders);
}
