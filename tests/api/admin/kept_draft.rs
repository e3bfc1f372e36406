//! A release form that outlives its session or its CSRF token: nothing is
//! saved, and the text comes back.

use crate::admin_support::*;
use chrono::Duration;

#[tokio::test]
async fn an_idle_session_expires_and_the_draft_comes_back_after_sign_in() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let form = app.text("/admin/releases/new").await;
    assert_eq!(csrf_of(&form), csrf);
    let long_body = format!(
        "A long release typed for an hour.\n\n{}\n\n\\# # #",
        "Paragraph with <care> & \"quotes\". ".repeat(400)
    );
    app.clock.advance(Duration::minutes(61));
    let res = post_form(
        &app,
        "/admin/releases/new",
        &[
            ("csrf", &csrf),
            ("title", "Kept across sign-in"),
            ("body", &long_body),
            ("organization", "Office"),
            ("lang", "ar"),
            ("topics", "t"),
            ("new_topics", "Water, Energy"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(page.contains("Your session has ended"), "{page}");
    assert_eq!(app.store().count_releases().unwrap(), 0, "nothing saved");
    let hidden = hidden_fields(&page);
    let get = |k: &str| {
        hidden
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("draft.body"), long_body, "the body travels intact");
    assert_eq!(get("next"), "/admin/releases/new");
    // Sign in on that page (the browser sends the hidden fields back).
    let mut fields: Vec<(String, String)> = hidden;
    fields.push(("username".into(), USER.into()));
    fields.push(("password".into(), PASSWORD.into()));
    let res = app
        .client
        .post(app.url("/admin/login"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let form = res.text().await.unwrap();
    assert!(form.contains("You are signed in again"), "{form}");
    assert_eq!(textarea(&form, "body").as_deref(), Some(long_body.as_str()));
    assert_eq!(
        input_value(&form, "title").as_deref(),
        Some("Kept across sign-in")
    );
    assert_eq!(
        input_value(&form, "new_topics").as_deref(),
        Some("Water, Energy")
    );
    assert!(
        form.contains(r#"<option value="ar" selected>"#),
        "language kept"
    );
    assert!(form.contains(r#"dir="rtl""#), "Arabic edits right to left");
    assert!(form.contains(r#"action="/admin/releases/new""#));
    // The new session's token is in the form, and saving works now.
    let res = post_form(
        &app,
        "/admin/releases/new",
        &[
            ("csrf", &csrf_of(&form)),
            ("title", "Kept across sign-in"),
            ("body", &long_body),
            ("organization", "Office"),
            ("lang", "ar"),
            ("action", "draft"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.store().count_releases().unwrap(), 1);
}

#[tokio::test]
async fn a_stale_token_on_the_release_form_keeps_the_text() {
    let app = spawn_newsroom().await;
    sign_in(&app).await;
    let res = post_form(
        &app,
        "/admin/releases/new",
        &[
            ("csrf", "stale"),
            ("title", "Stale"),
            ("body", "Every word of this must survive."),
            ("organization", "Office"),
            ("lang", "en"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(page.contains("nothing was saved"), "{page}");
    assert_eq!(
        textarea(&page, "body").as_deref(),
        Some("Every word of this must survive.")
    );
    assert_eq!(app.store().count_releases().unwrap(), 0);
}
