//! The automation API: bearer tokens, the import format in and out, field
//! errors as JSON, the same rules as the form.

use crate::admin::{XSS_BODY, check_everything_for_xss};
use crate::admin_support::*;
use crate::helpers::{TestApp, header, release, spawn_app};
use chrono::Duration;
use pressfeed::api::api_routes;
use serde_json::{Value, json};

/// A token made by the real `create-token` command.
fn make_token(app: &TestApp, name: &str) -> String {
    let out = app.run_cli(&["create-token", name]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("pft_") && token.len() > 40, "{token}");
    token
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

fn input(slug: &str) -> Value {
    json!({
        "slug": slug,
        "title": format!("Title of {slug}"),
        "body_html": "<p>Body.</p>",
        "organization": "Office",
        "lang": "en",
        "published_at": "2026-03-01T11:00:00Z",
        "topics": ["health", "economy"],
    })
}

#[tokio::test]
async fn every_api_route_refuses_requests_without_a_valid_token() {
    let app = spawn_app().await;
    app.save(&[release("one", 1, &["t"])]);
    let before = snapshot(&app);
    let revoked = make_token(&app, "old robot");
    let out = app.run_cli(&["revoke-token", "old robot"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.run_cli(&["revoke-token", "old robot"]);
    assert!(!out.status.success(), "revoking twice");
    let routes = api_routes();
    assert_eq!(routes.len(), 4);
    for r in &routes {
        let path = r.path.replace("{slug}", "one");
        for auth in [
            None,
            Some("Bearer nope"),
            Some("Basic dXNlcjpwYXNz"),
            Some(format!("Bearer {revoked}").as_str()),
        ] {
            let mut req = app
                .client
                .request(r.method.as_str().parse().unwrap(), app.url(&path))
                .header("content-type", "application/json")
                .body(input("one").to_string());
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let res = req.send().await.unwrap();
            let what = format!("{} {path} with {auth:?}", r.method);
            assert_eq!(res.status(), 401, "{what}");
            assert_eq!(
                header(res.headers(), "www-authenticate"),
                "Bearer realm=\"pressfeed\"",
                "{what}"
            );
            assert_eq!(header(res.headers(), "cache-control"), "no-store", "{what}");
            let body: Value = res.json().await.unwrap();
            assert!(
                body["error"].as_str().unwrap().contains("bearer token"),
                "{what}"
            );
        }
    }
    let res = app
        .client
        .get(app.url("/api/v1/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "unknown API paths need a token too");
    assert_eq!(snapshot(&app), before);
}

#[tokio::test]
async fn the_api_creates_updates_and_lists_releases() {
    let app = spawn_app().await;
    let token = make_token(&app, "wire service");

    let res = call(
        &app,
        "POST",
        "/api/v1/releases",
        &token,
        Some(input("from-api")),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        header(res.headers(), "location"),
        "http://press.test/api/v1/releases/from-api"
    );
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["state"], "published");
    assert_eq!(created["url"], "http://press.test/releases/from-api");
    let uid = created["id"].as_str().unwrap().to_owned();
    for feed in [
        "/feed.atom",
        "/topics/health/feed.atom",
        "/topics/economy/feed.atom",
    ] {
        assert!(app.text(feed).await.contains("Title of from-api"), "{feed}");
    }

    // POST on an existing slug is a conflict; PUT replaces.
    let res = call(
        &app,
        "POST",
        "/api/v1/releases",
        &token,
        Some(input("from-api")),
    )
    .await;
    assert_eq!(res.status(), 409);
    app.clock.advance(Duration::hours(2));
    let mut changed = input("from-api");
    changed["body_html"] = json!("<p>Corrected body.</p>");
    changed["correction_note"] = json!("Figures fixed.");
    changed.as_object_mut().unwrap().remove("slug");
    let res = call(
        &app,
        "PUT",
        "/api/v1/releases/from-api",
        &token,
        Some(changed.clone()),
    )
    .await;
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["id"], uid.as_str(), "same feed id");
    assert_eq!(
        updated["updated_at"], "2026-03-01T14:00:00Z",
        "a correction shows as updated now"
    );
    // The same PUT again changes nothing, not even the updated time.
    app.clock.advance(Duration::hours(1));
    let again: Value = call(
        &app,
        "PUT",
        "/api/v1/releases/from-api",
        &token,
        Some(changed),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(again["updated_at"], "2026-03-01T14:00:00Z");
    // PUT on a new slug creates; a body slug that differs from the URL is refused.
    let res = call(
        &app,
        "PUT",
        "/api/v1/releases/second",
        &token,
        Some(input("second")),
    )
    .await;
    assert_eq!(res.status(), 201);
    let res = call(
        &app,
        "PUT",
        "/api/v1/releases/third",
        &token,
        Some(input("other")),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "slug");

    // Drafts and scheduled releases through the API.
    let mut draft = input("a-draft");
    draft["status"] = json!("draft");
    assert_eq!(
        call(&app, "POST", "/api/v1/releases", &token, Some(draft))
            .await
            .status(),
        201
    );
    let mut later = input("later");
    later["published_at"] = json!("2026-03-02T00:00:00Z");
    assert_eq!(
        call(&app, "POST", "/api/v1/releases", &token, Some(later))
            .await
            .status(),
        201
    );

    let list = |status: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let res = call(
                app,
                "GET",
                &format!("/api/v1/releases?status={status}"),
                &token,
                None,
            )
            .await;
            assert_eq!(res.status(), 200);
            let v: Value = res.json().await.unwrap();
            v["releases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["slug"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list("published").await,
        ["second", "from-api"],
        "newest first, then by id"
    );
    assert_eq!(list("draft").await, ["a-draft"]);
    assert_eq!(list("scheduled").await, ["later"]);
    assert!(list("retracted").await.is_empty());
    let res = call(&app, "GET", "/api/v1/releases?status=bogus", &token, None).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "status");
    let one: Value = call(&app, "GET", "/api/v1/releases/a-draft", &token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["state"], "draft");
    assert_eq!(
        call(&app, "GET", "/api/v1/releases/nope", &token, None)
            .await
            .status(),
        404
    );

    // Retraction through the API: the page answers 410.
    let mut gone = input("second");
    gone["status"] = json!("retracted");
    gone["retraction_note"] = json!("Withdrawn.");
    assert_eq!(
        call(&app, "PUT", "/api/v1/releases/second", &token, Some(gone))
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/releases/second").await.status(), 410);
}

#[tokio::test]
async fn api_errors_name_their_fields() {
    let app = spawn_app().await;
    let token = make_token(&app, "robot");
    let mut bad = input("Bad Slug");
    bad["title"] = json!("  ");
    bad["lang"] = json!("english");
    bad["published_at"] = json!("yesterday");
    let res = call(&app, "POST", "/api/v1/releases", &token, Some(bad)).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["slug", "title", "lang", "published_at"]);
    let mut missing = input("x");
    missing.as_object_mut().unwrap().remove("title");
    let body: Value = call(&app, "POST", "/api/v1/releases", &token, Some(missing))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["errors"][0]["field"], "title");
    let mut typo = input("x");
    typo["titel"] = json!("typo");
    let body: Value = call(&app, "POST", "/api/v1/releases", &token, Some(typo))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["errors"][0]["field"], "titel");
    let res = app
        .client
        .post(app.url("/api/v1/releases"))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("not JSON")
    );
    assert_eq!(app.store().count_releases().unwrap(), 0);
}

/// The fields of a 422's `errors`, sorted.
fn sorted_fields(body: &Value) -> Vec<&str> {
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    fields
}

#[tokio::test]
async fn a_422_lists_every_bad_field_once() {
    let app = spawn_app().await;
    let token = make_token(&app, "robot");
    // Missing, mistyped, unknown and rule-breaking fields in one body.
    let body = json!({
        "slug": "Bad Slug",
        "title": 42,
        "topics": "health",
        "lang": "en",
        "published_at": "yesterday",
        "colour": "blue",
    });
    let res = call(&app, "POST", "/api/v1/releases", &token, Some(body)).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(
        sorted_fields(&body),
        [
            "body_html",
            "colour",
            "organization",
            "published_at",
            "slug",
            "title",
            "topics"
        ],
        "{body}"
    );
    for e in errors {
        assert!(!e["message"].as_str().unwrap().is_empty(), "{e}");
    }
    let message = |field: &str| {
        errors
            .iter()
            .find(|e| e["field"] == field)
            .and_then(|e| e["message"].as_str())
            .unwrap()
            .to_owned()
    };
    assert!(message("body_html").contains("required"), "{body}");
    assert!(message("title").contains("invalid type"), "{body}");
    assert!(message("colour").contains("unknown field"), "{body}");
    assert!(message("published_at").contains("RFC 3339"), "{body}");
    // PUT takes the slug from the URL and reports the rest the same way.
    let res = call(
        &app,
        "PUT",
        "/api/v1/releases/fine-slug",
        &token,
        Some(json!({"title": "T", "lang": 5})),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        sorted_fields(&body),
        ["body_html", "lang", "organization", "published_at"],
        "{body}"
    );
    assert_eq!(app.store().count_releases().unwrap(), 0);
}

#[tokio::test]
async fn stored_xss_through_the_api_leaves_no_executable_markup() {
    let app = spawn_newsroom().await;
    let token = make_token(&app, "robot");
    let mut hostile = input("api-xss");
    hostile["title"] = json!("<script>alert(1)</script><img src=x onerror=alert(1)>");
    hostile["summary"] = json!("<svg onload=alert(1)>");
    hostile["body_html"] = json!(format!(
        "<p>{XSS_BODY}</p><a href=\"  JaVaScRiPt:alert(1)\">x</a><form action=\"javascript:alert(1)\"><button formaction=\"javascript:alert(2)\">b</button></form><math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>"
    ));
    hostile["organization"] = json!("\"><script>alert(1)</script>");
    hostile["department"] = json!("<iframe src=//evil.example>");
    hostile["correction_note"] = json!("<img src=x onerror=alert('note')>");
    hostile["topics"] = json!(["health"]);
    let res = call(&app, "POST", "/api/v1/releases", &token, Some(hostile)).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    sign_in(&app).await;
    check_everything_for_xss(&app, &[("api-xss", "health")], true).await;
}
