//! Stored XSS: whatever is typed into the form reaches no page, feed or
//! newsroom screen as executable markup.

use crate::admin_support::*;
use crate::helpers::{release, spawn_app};
use chrono::Duration;

#[tokio::test]
async fn stored_xss_through_the_form_leaves_no_executable_markup() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let title = "<script>alert('title')</script> \"><img src=x onerror=alert(1)>";
    let fields = vec![
        ("csrf", csrf.as_str()),
        ("title", title),
        ("summary", "<iframe src=javascript:alert(1)>"),
        ("body", XSS_BODY),
        ("organization", "<svg onload=alert(1)>"),
        ("department", "\" onfocus=\"alert(1)"),
        ("dateline", "<a href=javascript:alert(1)>x</a>"),
        ("lang", "en"),
        ("new_topics", "<b onmouseover=alert(1)>Topic</b>"),
        ("slug", "xss"),
        ("action", "publish"),
    ];
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let id = edit_id(&res);
    let mut correction = fields.clone();
    correction.retain(|(k, _)| *k != "action" && *k != "new_topics");
    correction.extend([
        ("action", "save"),
        ("correction_note", "<script>alert('note')</script>"),
        ("topics", "b-onmouseover-alert-1-topic-b"),
    ]);
    app.clock.advance(Duration::minutes(1));
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &correction).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let mut preview = correction.clone();
    preview.retain(|(k, _)| *k != "action");
    preview.push(("action", "preview"));
    let preview_page = post_form(&app, &format!("/admin/releases/{id}/edit"), &preview)
        .await
        .text()
        .await
        .unwrap();
    assert!(preview_page.contains("class=\"preview\""));
    assert_no_executable_markup(&preview_page, "preview");
    check_everything_for_xss(&app, &[("xss", "b-onmouseover-alert-1-topic-b")], true).await;
}

/// RSS readers render `<description>` as HTML, so the plain-text summary
/// must arrive entity-encoded: `<iframe src=javascript:alert(1)>` is text.
#[tokio::test]
async fn rss_descriptions_carry_no_executable_markup() {
    let app = spawn_app().await;
    let mut r = release("summary-xss", 1, &["t"]);
    r.summary =
        Some("<iframe src=javascript:alert(1)></iframe><img src=x onerror=alert(1)>".into());
    app.save(&[r]);
    let rss = app.text("/feed.rss").await;
    let channel = rss::Channel::read_from(rss.as_bytes()).expect("rss parses");
    for item in channel.items() {
        assert_no_executable_markup(item.description().unwrap_or_default(), "rss description");
    }
}

/// The channel's `<description>` (site or topic description, plain text)
/// is HTML to readers like an item's: it arrives entity-encoded.
#[tokio::test]
async fn rss_channel_descriptions_carry_no_executable_markup() {
    const HOSTILE: &str = "Ministry <img src=x onerror=alert(1)> & <script>alert(2)</script>";
    let app = crate::helpers::spawn_app_with(|s| s.site_description = HOSTILE.into()).await;
    pressfeed::service::create_topic(app.store(), "Health", "health", HOSTILE, app.clock.now())
        .unwrap();
    app.save(&[release("one", 1, &["health"])]);
    for path in ["/feed.rss", "/topics/health/feed.rss"] {
        let rss = app.text(path).await;
        let channel = rss::Channel::read_from(rss.as_bytes()).expect("rss parses");
        assert_no_executable_markup(channel.description(), path);
        assert_eq!(
            quick_xml::escape::unescape(channel.description()).unwrap(),
            HOSTILE,
            "{path}: the text survives, as text"
        );
    }
}
