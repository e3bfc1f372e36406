//! Refusing work the server cannot take on now (issue 17): a burst of
//! renders beyond the bounded queue is told to come back (503 with
//! Retry-After) and the server serves normally afterwards; an API request
//! refused by the request-body budget is told so in JSON, as every API
//! answer is.

use crate::helpers::{TestApp, header, release, spawn_app_with};
use crate::hostile_http::{connect, read_head};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Takes every render slot, as renders that take long would; dropping
/// the result frees them.
pub async fn hold_every_render_slot(app: &TestApp) -> Vec<tokio::sync::OwnedSemaphorePermit> {
    let mut held = Vec::new();
    while let Ok(Ok(slot)) = tokio::time::timeout(
        Duration::from_millis(50),
        app.state.cache.slots.enter_unbounded(),
    )
    .await
    {
        held.push(slot);
    }
    assert!(!held.is_empty());
    held
}

/// Waits until a request is queued for a render slot.
pub async fn wait_for_a_queued_render(app: &TestApp) {
    wait_until("a request in the render queue", || {
        app.state.cache.slots.waiting() == 1
    })
    .await;
}

#[tokio::test]
async fn a_render_beyond_the_queue_gets_503_and_the_server_serves_normally_after() {
    // One request may wait for a render; no body is kept in memory or on
    // disk, so every full GET needs a render.
    let app = spawn_app_with(|s| {
        s.render_queue = 1;
        s.cache_bytes = 1;
        s.cache_dir_bytes = 0;
    })
    .await;
    app.save(&[release("a", 2, &["alpha"]), release("b", 1, &["beta"])]);
    let held = hold_every_render_slot(&app).await;

    let waiting = tokio::spawn({
        let client = app.client.clone();
        let url = app.url("/topics/alpha/feed.atom");
        async move { client.get(url).send().await.unwrap() }
    });
    wait_for_a_queued_render(&app).await;

    let refused = app.get("/topics/beta/feed.atom").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(header(refused.headers(), "retry-after"), "1");
    assert_eq!(header(refused.headers(), "cache-control"), "no-store");
    assert!(refused.headers().get("etag").is_none());

    drop(held);
    let first = waiting.await.unwrap();
    assert_eq!(first.status(), 200, "the queued request is served");
    assert!(first.text().await.unwrap().contains("Title of a"));
    let again = app.get("/topics/beta/feed.atom").await;
    assert_eq!(again.status(), 200, "served normally afterwards");
    assert!(again.text().await.unwrap().contains("Title of b"));
    assert_eq!(app.state.cache.slots.waiting(), 0);
}

fn make_token(app: &TestApp) -> String {
    let out = app.run_cli(&["create-token", "overload"]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn an_api_request_refused_by_the_body_budget_is_answered_in_json() {
    let app = spawn_app_with(|s| s.body_memory_bytes = 3 * 1024 * 1024).await;
    let token = make_token(&app);
    let send = |path: &str, fill: usize| {
        let mut s = connect(app.port(), Duration::from_secs(5));
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: press.test\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"
        );
        s.write_all(head.as_bytes()).unwrap();
        // The server may stop reading this one (that is the point).
        let _ = s.write_all(&vec![b' '; fill]);
        s
    };
    let _first = send("/api/v1/releases", 1_800_000);
    let budget = app.state.body_budget.clone();
    wait_until("the first body taken in", || budget.in_use() >= 1_500_000).await;
    let mut second = send("/api/v1/releases", 1_500_000);
    let (status, mut answer, _) = read_head(&mut second);
    assert_eq!(status, Some(503), "{answer}");
    let mut rest = Vec::new();
    let _ = second.read_to_end(&mut rest);
    answer.push_str(&String::from_utf8_lossy(&rest));
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("retry-after"), "{answer}");
    assert!(lower.contains("content-type: application/json"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("Nothing was changed"),
        "{json}"
    );
}

/// Uploads stream to files in the media folder: they take the disk budget
/// (`upload_disk_bytes`), not the memory one, so uploads larger than all
/// of `body_memory_bytes` together are received at once.
#[tokio::test]
async fn concurrent_uploads_take_the_disk_budget_not_the_memory_one() {
    use crate::media::{pdf, token, upload};
    let app = spawn_app_with(|s| s.body_memory_bytes = 3 * 1024 * 1024).await;
    let token = token(&app);
    let (a, b, c) = (pdf(5_000_000), pdf(5_000_001), pdf(5_000_002));
    let (pa, pb, pc) = (
        [("file", Some("a.pdf"), None, a.as_slice())],
        [("file", Some("b.pdf"), None, b.as_slice())],
        [("file", Some("c.pdf"), None, c.as_slice())],
    );
    let (ra, rb, rc) = tokio::join!(
        upload(&app, &token, &pa),
        upload(&app, &token, &pb),
        upload(&app, &token, &pc),
    );
    let answers = [ra.status(), rb.status(), rc.status()];
    assert_eq!(answers, [201, 201, 201]);
    assert_eq!(app.state.body_budget.in_use(), 0);
    assert_eq!(app.state.upload_budget.in_use(), 0);

    // The disk budget is a limit too.
    let small = spawn_app_with(|s| s.upload_disk_bytes = 1024 * 1024).await;
    let token = crate::media::token(&small);
    let res = upload(
        &small,
        &token,
        &[("file", Some("big.pdf"), None, &pdf(2_000_000))],
    )
    .await;
    assert_eq!(res.status(), 503);
}
