//! Press-release furniture (README "Press-release furniture"): media
//! contacts and notes to editors through the API and export/import.

use crate::helpers::*;
use serde_json::{Value, json};

fn make_token(app: &TestApp) -> String {
    let out = app.run_cli(&["create-token", "furniture robot"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn with_furniture(slug: &str) -> Value {
    json!({
        "slug": slug,
        "title": "Bridge reopens",
        "body_html": "<p>The bridge reopens.</p>",
        "organization": "Ministry of Works",
        "lang": "en",
        "published_at": "2026-03-01T11:00:00Z",
        "media_contacts": [
            {"name": "Ada Lovelace", "role": "Press officer", "email": "press@works.example", "phone": "+44 (0)20 7946 0000"},
            {"name": "Night desk", "phone": "020 7946 0001"}
        ],
        "notes_to_editors": "1. The bridge was *closed* in 2024.\n2. Photos on request."
    })
}

#[tokio::test]
async fn the_api_stores_and_returns_contacts_and_notes() {
    let app = spawn_app().await;
    let token = make_token(&app);
    let res = call(
        &app,
        "POST",
        "/api/v1/releases",
        &token,
        with_furniture("bridge"),
    )
    .await;
    assert_eq!(res.status(), 201);
    let res = app
        .client
        .get(app.url("/api/v1/releases/bridge"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["media_contacts"], with_furniture("x")["media_contacts"]);
    assert_eq!(
        got["notes_to_editors"],
        with_furniture("x")["notes_to_editors"]
    );

    // The same PUT changes nothing; dropping a contact is a change.
    let mut again = with_furniture("bridge");
    again.as_object_mut().unwrap().remove("slug");
    let res = call(
        &app,
        "PUT",
        "/api/v1/releases/bridge",
        &token,
        again.clone(),
    )
    .await;
    assert_eq!(res.status(), 200);
    again["media_contacts"].as_array_mut().unwrap().pop();
    let res = call(&app, "PUT", "/api/v1/releases/bridge", &token, again).await;
    assert_eq!(res.status(), 200);
    let got: Value = res.json().await.unwrap();
    assert_eq!(got["media_contacts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_furniture_is_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let token = make_token(&app);
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!([{"email": "a@b.org"}]),
            "media_contacts",
            "[0] has no name",
        ),
        (
            json!([{"name": "Ada", "email": "not an address"}]),
            "media_contacts",
            "not an address",
        ),
        (
            json!([{"name": "Ada"}]),
            "media_contacts",
            "neither an email nor a phone",
        ),
        (
            json!(vec![json!({"name": "Ada", "email": "a@b.org"}); 300]),
            "media_contacts",
            "300 contacts",
        ),
    ];
    for (contacts, field, says) in cases {
        let mut body = with_furniture("bad");
        body["media_contacts"] = contacts;
        let res = call(&app, "POST", "/api/v1/releases", &token, body).await;
        assert_eq!(res.status(), 422);
        let text = res.text().await.unwrap();
        assert!(text.contains(field) && text.contains(says), "{text}");
    }
    let mut body = with_furniture("bad");
    body["notes_to_editors"] = json!("x".repeat(1 << 20));
    let res = call(&app, "POST", "/api/v1/releases", &token, body).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("notes_to_editors"));
    let res = app
        .client
        .get(app.url("/api/v1/releases/bad"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "nothing stored");
}

#[tokio::test]
async fn furniture_survives_export_import_export_byte_for_byte() {
    let app = spawn_app().await;
    let file = app.dir.path().join("in.jsonl");
    std::fs::write(&file, format!("{}\n", with_furniture("bridge"))).unwrap();
    assert!(
        app.run_cli(&["import", file.to_str().unwrap()])
            .status
            .success()
    );
    let first = app.run_cli(&["export"]);
    assert!(first.status.success());
    let text = String::from_utf8(first.stdout.clone()).unwrap();
    assert!(
        text.contains("\"media_contacts\"") && text.contains("Photos on request"),
        "{text}"
    );
    let exported = app.dir.path().join("export.jsonl");
    std::fs::write(&exported, &first.stdout).unwrap();
    let other = app.dir.path().join("other.db");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
            .arg("--db")
            .arg(&other)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        run(&["import", exported.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(first.stdout, run(&["export"]).stdout);
}
