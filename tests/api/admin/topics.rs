//! The topics screen: create, rename, describe, delete only when empty.

use crate::admin_support::*;
use crate::helpers::{header, release};
use chrono::Duration;

#[tokio::test]
async fn topics_are_created_renamed_described_and_deleted_only_when_empty() {
    let app = spawn_newsroom().await;
    app.save(&[release("one", 1, &["health"])]);
    let csrf = sign_in(&app).await;
    let res = post_form(
        &app,
        "/admin/topics",
        &[
            ("csrf", &csrf),
            ("name", "Rule of law"),
            ("slug", ""),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(app.store().topic_by_slug("rule-of-law").unwrap().is_some());
    let res = post_form(
        &app,
        "/admin/topics",
        &[("csrf", &csrf), ("name", "★ ✨"), ("slug", "")],
    )
    .await;
    assert_eq!(res.status(), 422, "a name without letters needs a slug");
    let res = post_form(
        &app,
        "/admin/topics",
        &[("csrf", &csrf), ("name", "★ ✨"), ("slug", "stars")],
    )
    .await;
    assert_eq!(res.status(), 303);
    // Other scripts are transliterated.
    let res = post_form(
        &app,
        "/admin/topics",
        &[("csrf", &csrf), ("name", "العدل"), ("slug", "")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(app.store().topic_by_slug("ldl").unwrap().is_some());
    let res = post_form(
        &app,
        "/admin/topics",
        &[("csrf", &csrf), ("name", "العدل"), ("slug", "justice")],
    )
    .await;
    assert_eq!(res.status(), 303);

    // Rename: the slug and the feed URL stay; Last-Modified moves.
    let before = app.get("/topics/health/feed.atom").await;
    let lm = header(before.headers(), "last-modified").to_owned();
    let opml_lm = header(app.get("/topics.opml").await.headers(), "last-modified").to_owned();
    app.clock.advance(Duration::minutes(5));
    let res = post_form(
        &app,
        "/admin/topics/health",
        &[
            ("csrf", &csrf),
            ("name", "Public health"),
            ("description", "Hospitals and clinics"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let after = app.get("/topics/health/feed.atom").await;
    assert_eq!(after.status(), 200);
    assert_ne!(header(after.headers(), "last-modified"), lm);
    let atom = after.text().await.unwrap();
    assert!(atom.contains("Public health") && atom.contains("Hospitals and clinics"));
    assert_ne!(
        header(app.get("/topics.opml").await.headers(), "last-modified"),
        opml_lm
    );
    assert!(
        app.text("/feed.atom")
            .await
            .contains("label=\"Public health\"")
    );

    // Delete: refused while in use, done when empty.
    let res = post_form(&app, "/admin/topics/health/delete", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("1 release uses this topic")
    );
    let res = post_form(&app, "/admin/topics/rule-of-law/delete", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get("/topics/rule-of-law").await.status(), 404);
    assert_eq!(app.get("/topics/health").await.status(), 200);
}

/// The newsroom says which topics readers cannot see yet, and why.
#[tokio::test]
async fn a_topic_only_a_scheduled_release_is_in_is_marked_hidden() {
    let app = spawn_newsroom().await;
    let at = app.clock.now() + Duration::hours(2);
    app.save(&[
        release("one", 1, &["health"]),
        crate::helpers::scheduled("later", at, &["summit"]),
    ]);
    sign_in(&app).await;
    let page = app.text("/admin/topics").await;
    let row = |slug: &str| {
        let start = page.find(&format!("<code>{slug}</code>")).expect(slug);
        let end = page[start..]
            .find("</tr>")
            .map_or(page.len(), |e| start + e);
        page[start..end].to_owned()
    };
    assert!(row("summit").contains("hidden until a release in it is public"));
    assert!(!row("health").contains("hidden until"));
    app.clock.advance(Duration::hours(2));
    let page = app.text("/admin/topics").await;
    assert!(!page.contains("hidden until"), "public once the release is");
}
