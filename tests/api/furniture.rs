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

/// Where `needle` is in `hay`, failing the test (showing `hay`) when absent.
fn at(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in:\n{hay}"))
}

#[tokio::test]
async fn the_page_shows_the_furniture_after_the_end_mark_in_order_with_links() {
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
    let page = app.text("/releases/bridge").await;
    let body = at(&page, "The bridge reopens.");
    let end = at(&page, "#&#160;#&#160;#");
    let notes = at(&page, "<h2>Notes to editors</h2>");
    let contacts = at(&page, "<h2>Media contacts</h2>");
    assert!(body < end && end < notes && notes < contacts, "{page}");
    // The notes' Markdown is rendered.
    assert!(page.contains("<em>closed</em>"), "{page}");
    // Email and phone are links; the phone's link has its digits only.
    assert!(
        page.contains("<a href=\"mailto:press@works.example\">press@works.example</a>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"tel:+4402079460000\" dir=\"ltr\">+44 (0)20 7946 0000</a>"),
        "{page}"
    );
    assert!(page.contains("<strong>Ada Lovelace</strong>, Press officer"));
    assert!(page.contains("href=\"tel:02079460001\""), "{page}");

    // A release without furniture still ends with the end mark, and no
    // empty headings.
    let mut plain = with_furniture("plain");
    plain.as_object_mut().unwrap().remove("media_contacts");
    plain.as_object_mut().unwrap().remove("notes_to_editors");
    let res = call(&app, "POST", "/api/v1/releases", &token, plain).await;
    assert_eq!(res.status(), 201);
    let page = app.text("/releases/plain").await;
    assert!(page.contains("#&#160;#&#160;#"));
    assert!(!page.contains("Media contacts") && !page.contains("Notes to editors"));
}

#[tokio::test]
async fn an_arabic_release_labels_its_furniture_in_arabic() {
    let app = spawn_app().await;
    let token = make_token(&app);
    let mut ar = with_furniture("jisr");
    ar["lang"] = json!("ar");
    ar["title"] = json!("إعادة فتح الجسر");
    let res = call(&app, "POST", "/api/v1/releases", &token, ar).await;
    assert_eq!(res.status(), 201);
    let page = app.text("/releases/jisr").await;
    let notes = at(&page, "<h2>ملاحظات للمحررين</h2>");
    let contacts = at(&page, "<h2>جهات الاتصال الإعلامي</h2>");
    assert!(notes < contacts);
    assert!(!page.contains("Notes to editors"), "{page}");
    // The number stays left to right inside the right-to-left text.
    assert!(page.contains("dir=\"ltr\">+44 (0)20 7946 0000</a>"));
}

#[tokio::test]
async fn every_feed_carries_the_furniture_in_its_content() {
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
    let rss = app.text("/feed.rss").await;
    let encoded = &rss[at(&rss, "<content:encoded>")..];
    assert!(
        at(encoded, "The bridge reopens.") < at(encoded, "Notes to editors")
            && at(encoded, "Notes to editors") < at(encoded, "Media contacts"),
        "{rss}"
    );
    assert!(encoded.contains("href=\"mailto:press@works.example\""));
    assert!(encoded.contains("href=\"tel:+4402079460000\""));
    let atom = app.text("/feed.atom").await;
    // Atom's content is escaped HTML.
    assert!(
        atom.contains("&lt;h2&gt;Notes to editors&lt;/h2&gt;")
            && atom.contains("href=\"tel:+4402079460000\""),
        "{atom}"
    );
    let json: Value = app.get("/feed.json").await.json().await.unwrap();
    let html = json["items"][0]["content_html"].as_str().unwrap();
    assert!(
        html.contains("<em>closed</em>") && html.contains("<strong>Night desk</strong>"),
        "{html}"
    );
}

#[tokio::test]
async fn a_contacts_only_edit_changes_the_feeds_validators() {
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
    let mut etags = Vec::new();
    for path in ["/feed.rss", "/feed.atom", "/feed.json"] {
        let res = app.get(path).await;
        etags.push(header(res.headers(), "etag").to_owned());
    }
    let mut edit = with_furniture("bridge");
    edit.as_object_mut().unwrap().remove("slug");
    edit["media_contacts"][0]["phone"] = json!("+44 20 7946 0999");
    let res = call(&app, "PUT", "/api/v1/releases/bridge", &token, edit).await;
    assert_eq!(res.status(), 200);
    for (path, etag) in ["/feed.rss", "/feed.atom", "/feed.json"].iter().zip(&etags) {
        let res = app.get_with(path, &[("if-none-match", etag)]).await;
        assert_eq!(res.status(), 200, "{path} still answers 304");
        assert!(res.text().await.unwrap().contains("tel:+442079460999"));
    }
}

/// The organisation's boilerplate outside the newsroom: the API sets and
/// lists it, and what it sets shows on the release's page and in its feed.
#[tokio::test]
async fn the_api_sets_lists_and_removes_an_organisations_boilerplate() {
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
    let etag = app.get("/feed.atom").await.headers()["etag"].clone();

    let about =
        json!({"organization": "Ministry of Works", "about": "The Ministry builds *bridges*."});
    let res = call(&app, "PUT", "/api/v1/organizations", &token, about.clone()).await;
    assert_eq!(res.status(), 200);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["changed"], true);
    let page = app.text("/releases/bridge").await;
    assert!(page.contains("About Ministry of Works"), "{page}");
    assert!(page.contains("<em>bridges</em>"), "{page}");
    let feed = app.get("/feed.atom").await;
    assert_ne!(feed.headers()["etag"], etag, "the feeds' validators move");
    assert!(feed.text().await.unwrap().contains("The Ministry builds"));
    // The same again changes nothing.
    let res = call(&app, "PUT", "/api/v1/organizations", &token, about).await;
    assert_eq!(res.json::<Value>().await.unwrap()["changed"], false);

    let res = app
        .client
        .get(app.url("/api/v1/organizations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let listed: Value = res.json().await.unwrap();
    assert_eq!(
        listed["organizations"],
        json!([{"organization": "Ministry of Works", "about": "The Ministry builds *bridges*.", "releases": 1}])
    );

    // Blank removes it.
    let blank = json!({"organization": "Ministry of Works", "about": "  "});
    let res = call(&app, "PUT", "/api/v1/organizations", &token, blank).await;
    assert_eq!(res.json::<Value>().await.unwrap()["changed"], true);
    assert!(
        !app.text("/releases/bridge")
            .await
            .contains("About Ministry of Works")
    );
}

#[tokio::test]
async fn bad_boilerplate_through_the_api_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let token = make_token(&app);
    let name = "Ministry of Works";
    let ok = json!({"organization": name, "about": "Kept."});
    assert_eq!(
        call(&app, "PUT", "/api/v1/organizations", &token, ok)
            .await
            .status(),
        200
    );
    let cases = [
        (
            json!({"organization": name, "about": "x".repeat(16 * 1024 + 1)}),
            422,
            "about",
        ),
        (
            json!({"organization": "  ", "about": "Text"}),
            422,
            "organization",
        ),
        (
            json!({"organization": name, "about": "x", "extra": 1}),
            400,
            "extra",
        ),
        (json!({"about": "x"}), 400, "organization"),
    ];
    for (body, status, named) in cases {
        let res = call(&app, "PUT", "/api/v1/organizations", &token, body.clone()).await;
        assert_eq!(res.status(), status, "{body}");
        let text = res.text().await.unwrap();
        assert!(text.contains(named), "{body} -> {text}");
    }
    assert_eq!(
        app.store().organization_about(name).unwrap().as_deref(),
        Some("Kept.")
    );
    // Without a token: 401, nothing changes.
    let res = app
        .client
        .put(app.url("/api/v1/organizations"))
        .json(&json!({"organization": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        app.store().organization_about(name).unwrap().as_deref(),
        Some("Kept.")
    );
}

/// `organization-about` prints, sets (from a file or standard input) and
/// clears; `export` writes the setting as an organisation line before the
/// releases, and `import` of that file restores it byte for byte.
#[tokio::test]
async fn the_command_line_and_export_import_carry_the_boilerplate() {
    let app = spawn_app().await;
    let file = app.dir.path().join("in.jsonl");
    std::fs::write(&file, format!("{}\n", with_furniture("bridge"))).unwrap();
    assert!(
        app.run_cli(&["import", file.to_str().unwrap()])
            .status
            .success()
    );
    let about = app.dir.path().join("about.md");
    std::fs::write(&about, "The Ministry builds **bridges**.\n").unwrap();
    let set = app.run_cli(&[
        "organization-about",
        "Ministry of Works",
        "--set",
        about.to_str().unwrap(),
    ]);
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let shown = app.run_cli(&["organization-about", "Ministry of Works"]);
    assert_eq!(
        String::from_utf8(shown.stdout).unwrap(),
        "The Ministry builds **bridges**.\n"
    );
    assert!(
        app.text("/releases/bridge")
            .await
            .contains("<strong>bridges</strong>")
    );
    // Too long: refused, the stored text kept.
    std::fs::write(&about, "x".repeat(16 * 1024 + 1)).unwrap();
    let refused = app.run_cli(&[
        "organization-about",
        "Ministry of Works",
        "--set",
        about.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("at most 16384"));
    assert_eq!(
        app.store()
            .organization_about("Ministry of Works")
            .unwrap()
            .as_deref(),
        Some("The Ministry builds **bridges**.")
    );
    // Boilerplate of an organisation no release names yet travels too.
    let other = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--db")
        .arg(&app.db)
        .args(["organization-about", "Office of Ports", "--set", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"Ports, quays and harbours.")?;
            child.wait()
        })
        .unwrap();
    assert!(other.success());

    let first = app.run_cli(&["export"]);
    assert!(first.status.success());
    let text = String::from_utf8(first.stdout.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        [
            r#"{"type":"organization","organization":"Ministry of Works","about":"The Ministry builds **bridges**."}"#,
            r#"{"type":"organization","organization":"Office of Ports","about":"Ports, quays and harbours."}"#,
        ]
    );
    assert!(lines[2].contains(r#""slug":"bridge""#), "{text}");
    let exported = app.dir.path().join("export.jsonl");
    std::fs::write(&exported, &first.stdout).unwrap();
    let other_db = app.dir.path().join("other.db");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
            .arg("--db")
            .arg(&other_db)
            .args(args)
            .output()
            .unwrap()
    };
    let imported = run(&["import", exported.to_str().unwrap()]);
    assert!(imported.status.success());
    assert!(
        String::from_utf8_lossy(&imported.stderr)
            .contains("boilerplate of 2 organisations (2 changed)"),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert_eq!(first.stdout, run(&["export"]).stdout);

    // --clear removes it.
    assert!(
        app.run_cli(&["organization-about", "Ministry of Works", "--clear"])
            .status
            .success()
    );
    assert!(
        !app.text("/releases/bridge")
            .await
            .contains("About Ministry of Works")
    );
}

/// An import file's organisation lines are checked like its releases:
/// every bad line by number, and nothing at all is stored.
#[tokio::test]
async fn bad_organisation_lines_are_named_and_nothing_is_imported() {
    let app = spawn_app().await;
    let release = with_furniture("bridge").to_string();
    let long = "x".repeat(16 * 1024 + 1);
    let text = format!(
        "{release}\n\
         {{\"type\":\"organization\",\"organization\":\"Ministry of Works\",\"about\":\"A\"}}\n\
         {{\"type\":\"organization\",\"organization\":\"Ministry of Works\",\"about\":\"B\"}}\n\
         {{\"type\":\"organisation\",\"organization\":\"X\"}}\n\
         {{\"type\":\"organization\",\"organization\":\"Y\",\"about\":\"{long}\"}}\n"
    );
    let file = app.dir.path().join("bad.jsonl");
    std::fs::write(&file, text).unwrap();
    let out = app.run_cli(&["import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            ":3: the boilerplate of organisation \"Ministry of Works\" is already set on line 2"
        ),
        "{err}"
    );
    assert!(err.contains(":4: not an organisation line"), "{err}");
    assert!(err.contains(":5: about: is 16385 bytes"), "{err}");
    assert!(
        !err.contains("bad.jsonl:1:") && !err.contains("bad.jsonl:2:"),
        "{err}"
    );
    assert_eq!(app.store().count_releases().unwrap(), 0);
    assert!(app.store().organizations().unwrap().is_empty());
}
