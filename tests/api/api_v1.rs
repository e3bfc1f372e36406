//! The automation API: bearer tokens, the import format in and out, field
//! errors as JSON, the same rules as the form.

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

/// `POST /api/v1/releases?create_topics=true`: a new release whose new
/// topics are created with it.
async fn post_creating_topics(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    call(
        app,
        "POST",
        "/api/v1/releases?create_topics=true",
        token,
        Some(body),
    )
    .await
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
    assert_eq!(routes.len(), 7);
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

    // Its topics are new: created because the request says so.
    let res = post_creating_topics(&app, &token, input("from-api")).await;
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
    let res = post_creating_topics(&app, &token, hostile).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    sign_in(&app).await;
    check_everything_for_xss(&app, &[("api-xss", "health")], true).await;
}

/// The field errors of a 422 answer, as (field, message).
async fn field_errors(res: reqwest::Response) -> Vec<(String, String)> {
    let body: Value = res.json().await.unwrap();
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors: {body}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn mistakes_with_a_release_id_are_the_clients_and_change_nothing() {
    let app = spawn_app().await;
    let token = make_token(&app, "robot");
    let a: Value = post_creating_topics(&app, &token, input("a"))
        .await
        .json()
        .await
        .unwrap();
    let a_id = a["id"].as_str().unwrap().to_owned();
    assert!(a_id.starts_with("tag:press.test,"), "{a_id}");
    let before = snapshot(&app);

    // Another release's id.
    let mut b = input("b");
    b["id"] = json!(a_id);
    let res = call(&app, "POST", "/api/v1/releases", &token, Some(b.clone())).await;
    assert_eq!(res.status(), 422);
    let errors = field_errors(res).await;
    assert_eq!(errors[0].0, "id", "{errors:?}");
    assert!(errors[0].1.contains("another release"), "{errors:?}");
    let res = call(&app, "PUT", "/api/v1/releases/b", &token, Some(b)).await;
    assert_eq!(res.status(), 422);

    // Changing one.
    let mut a2 = input("a");
    a2["id"] = json!("tag:press.test,2026-01-01:release/other");
    a2["title"] = json!("Changed title");
    let res = call(&app, "PUT", "/api/v1/releases/a", &token, Some(a2)).await;
    assert_eq!(res.status(), 422);
    let errors = field_errors(res).await;
    assert_eq!(errors[0].0, "id", "{errors:?}");
    assert!(errors[0].1.contains("ids never change"), "{errors:?}");

    // Anything but a tag: URI would end up in every feed's guid and id.
    for bad in [
        "javascript:alert(document.cookie)",
        "http://evil.example/x",
        "urn:x:1",
        "tag:press.test,2026-01-01:<b>",
    ] {
        let mut c = input("c");
        c["id"] = json!(bad);
        let res = call(&app, "POST", "/api/v1/releases", &token, Some(c)).await;
        assert_eq!(res.status(), 422, "{bad}");
        let errors = field_errors(res).await;
        assert_eq!(errors[0].0, "id", "{bad}: {errors:?}");
        assert!(errors[0].1.contains("tag:"), "{bad}: {errors:?}");
    }
    assert_eq!(snapshot(&app), before, "nothing stored or changed");

    // The id it already has, and an id from another server, are fine.
    let mut same = input("a");
    same["id"] = json!(a_id);
    let res = call(&app, "PUT", "/api/v1/releases/a", &token, Some(same)).await;
    assert_eq!(res.status(), 200);
    let mut moved = input("moved");
    moved["id"] = json!("tag:news.example.org,2019-05-01:release/17");
    let res = call(&app, "POST", "/api/v1/releases", &token, Some(moved)).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn actix_refusals_come_as_json_errors() {
    let app = spawn_app().await;
    let token = make_token(&app, "robot");
    let is_json_error = |res: &reqwest::Response| {
        header(res.headers(), "content-type").starts_with("application/json")
    };
    // Over the 2 MiB body limit.
    let mut big = input("big");
    big["body_html"] = json!("x".repeat(3 * 1024 * 1024));
    let res = call(&app, "POST", "/api/v1/releases", &token, Some(big)).await;
    assert_eq!(res.status(), 413);
    assert!(is_json_error(&res), "{:?}", res.headers());
    // The rest of the body is not read, so the connection ends, and the
    // answer says so: the next request goes on a new connection.
    assert_eq!(header(res.headers(), "connection"), "close");
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("size limit"),
        "{body}"
    );
    // A query the extractor cannot read (list ranges that are not numbers
    // are the list's own 422: list_ranges_are_checked_not_wrapped).
    for path in [
        "/api/v1/releases?status=draft&status=published",
        "/api/v1/releases?create_topics=yes",
    ] {
        let method = if path.contains("create_topics") {
            "POST"
        } else {
            "GET"
        };
        let res = call(&app, method, path, &token, Some(input("q"))).await;
        assert_eq!(res.status(), 400, "{path}");
        assert!(is_json_error(&res), "{path}: {:?}", res.headers());
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("Query deserialize"),
            "{path}: {body}"
        );
    }
    assert_eq!(app.store().count_releases().unwrap(), 0);
}

#[tokio::test]
async fn list_ranges_are_checked_not_wrapped() {
    let app = spawn_app().await;
    app.save(&[
        release("one", 3, &["t"]),
        release("two", 2, &["t"]),
        release("three", 1, &["t"]),
    ]);
    let token = make_token(&app, "robot");
    let slugs = |v: &Value| -> Vec<String> {
        v["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    let page: Value = call(
        &app,
        "GET",
        "/api/v1/releases?limit=1&offset=1",
        &token,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(slugs(&page), ["two"]);
    let end: Value = call(
        &app,
        "GET",
        "/api/v1/releases?offset=1000000000",
        &token,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(slugs(&end).is_empty(), "{end}");
    assert_eq!(end["total"], 3);
    for (query, field) in [
        ("offset=18446744073709551615", "offset"),
        ("offset=1000000001", "offset"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=18446744073709551615", "limit"),
        // Not numbers at all: the same answer, naming the field, not
        // actix's "Query deserialize error" 400.
        ("offset=-1", "offset"),
        ("limit=abc", "limit"),
        ("limit=", "limit"),
    ] {
        let res = call(
            &app,
            "GET",
            &format!("/api/v1/releases?{query}"),
            &token,
            None,
        )
        .await;
        assert_eq!(res.status(), 422, "{query}");
        let body: Value = res.json().await.unwrap();
        // A query, not a release, is what was wrong.
        assert_eq!(body["error"], "the query is invalid", "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
}

#[tokio::test]
async fn the_api_creates_topics_only_when_asked_and_only_a_few() {
    let app = spawn_app().await;
    app.save(&[release("existing", 1, &["health"])]);
    let token = make_token(&app, "robot");
    let topics_before = app.store().topics().unwrap();

    // An unknown topic is refused unless the request asks for it.
    let mut r = input("r");
    r["topics"] = json!(["health", "helth"]);
    let res = call(&app, "POST", "/api/v1/releases", &token, Some(r.clone())).await;
    assert_eq!(res.status(), 422);
    let errors = field_errors(res).await;
    assert_eq!(errors[0].0, "topics", "{errors:?}");
    assert!(errors[0].1.contains("\"helth\""), "{errors:?}");
    assert_eq!(app.store().topics().unwrap(), topics_before);
    let res = call(&app, "PUT", "/api/v1/releases/r", &token, Some(r.clone())).await;
    assert_eq!(res.status(), 422);

    // Not thousands of them from one request.
    let mut many = input("many");
    many["topics"] = json!((0..6).map(|i| format!("new-{i}")).collect::<Vec<_>>());
    let res = post_creating_topics(&app, &token, many).await;
    assert_eq!(res.status(), 422);
    let errors = field_errors(res).await;
    assert!(errors[0].1.contains("at most 5"), "{errors:?}");
    let mut huge = input("huge");
    huge["topics"] = json!((0..5000).map(|i| format!("t-{i}")).collect::<Vec<_>>());
    let res = post_creating_topics(&app, &token, huge).await;
    assert_eq!(res.status(), 422);
    let errors = field_errors(res).await;
    assert!(
        errors.iter().any(|e| e.1.contains("at most 20")),
        "{errors:?}"
    );
    assert_eq!(app.store().topics().unwrap(), topics_before);
    assert_eq!(app.store().count_releases().unwrap(), 1);

    // Asked for, a few are created.
    let res = post_creating_topics(&app, &token, r).await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.get("/topics/helth").await.status(), 200);
}

#[tokio::test]
async fn bidi_controls_do_not_reach_titles_or_topic_names() {
    let app = spawn_app().await;
    let token = make_token(&app, "robot");
    let mut r = input("bidi");
    r["title"] = json!("Report \u{202E}fdp.exe\u{202C} and \u{2067}more\u{2069}");
    let res = post_creating_topics(&app, &token, r).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["title"], "Report fdp.exe and more");
    let atom = app.text("/feed.atom").await;
    assert!(atom.contains("Report fdp.exe and more"), "{atom}");
    for c in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ] {
        assert!(!atom.contains(c), "{c:?} in the feed");
    }
    let topic = pressfeed::service::create_topic(
        app.store(),
        "Health \u{202E}stats\u{202C}",
        "",
        "",
        app.clock.now(),
    )
    .unwrap();
    let stored = app.store().topic_by_slug(topic.as_str()).unwrap().unwrap();
    assert_eq!(stored.name, "Health stats");
    // Very long words wrap instead of widening the page.
    let css = app.text("/static/style.css").await;
    let body_rule = css.lines().find(|l| l.starts_with("body {")).unwrap();
    assert!(body_rule.contains("overflow-wrap: anywhere"), "{body_rule}");
}

#[tokio::test]
async fn api_tokens_can_expire_and_are_listed_with_their_last_use() {
    let app = spawn_app().await;
    let list = |app: &TestApp| {
        let out = app.run_cli(&["list-tokens"]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // name, created, expires, last used, state
    let row = |table: &str, name: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in\n{table}"))
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let out = app.run_cli(&["create-token", "short", "--expires-in-days", "1"]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("valid for 1 day"));
    let short = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let forever = make_token(&app, "forever");
    for bad in ["0", "3661", "-1", "soon"] {
        let out = app.run_cli(&["create-token", "bad", "--expires-in-days", bad]);
        assert!(!out.status.success(), "--expires-in-days {bad}");
    }

    let table = list(&app);
    assert!(table.starts_with("NAME"), "{table}");
    let expires = (chrono::Utc::now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let short_row = row(&table, "short");
    assert!(short_row[2].starts_with(&expires), "{table}");
    assert_eq!(short_row[3..], ["never", "active"], "{table}");
    assert_eq!(
        row(&table, "forever")[2..],
        ["never", "never", "active"],
        "{table}"
    );
    assert!(!table.contains("bad"), "{table}");

    // Used: the list says when (the app's clock is at t0).
    app.clock.set(chrono::Utc::now());
    let res = call(&app, "GET", "/api/v1/releases", &short, None).await;
    assert_eq!(res.status(), 200);
    let used = app.clock.now().format("%Y-%m-%d %H:%M UTC").to_string();
    let table = list(&app);
    assert_eq!(row(&table, "short")[3], used, "{table}");
    assert_eq!(row(&table, "forever")[3..], ["never", "active"], "{table}");

    // A day later the short one no longer works; the other does.
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    let res = call(&app, "GET", "/api/v1/releases", &short, None).await;
    assert_eq!(res.status(), 401);
    let res = call(&app, "GET", "/api/v1/releases", &forever, None).await;
    assert_eq!(res.status(), 200);

    // Revoked: listed as such, and refused.
    let out = app.run_cli(&["revoke-token", "forever"]);
    assert!(out.status.success(), "{out:?}");
    let res = call(&app, "GET", "/api/v1/releases", &forever, None).await;
    assert_eq!(res.status(), 401);
    let table = list(&app);
    assert_eq!(row(&table, "forever")[4], "revoked", "{table}");
}
