//! The newsroom over HTTP: who gets in, CSRF, the sign-in limit, sessions
//! that expire without losing text, the release form end to end, topics,
//! and stored XSS.

use crate::admin_support::*;
use crate::helpers::{header, release, spawn_app};
use chrono::Duration;
use pressfeed::admin::{Access, admin_routes};

fn concrete(path: &str, id: i64) -> String {
    path.replace("{id}", &id.to_string()).replace("{slug}", "t")
}

#[tokio::test]
async fn anonymous_requests_to_every_admin_route_are_refused() {
    let app = spawn_newsroom().await;
    app.save(&[release("one", 1, &["t"])]);
    let id = app.store().release_id_by_slug("one").unwrap().unwrap();
    let before = snapshot(&app);
    let routes = admin_routes();
    assert!(
        routes.len() >= 15,
        "the router lists {} routes",
        routes.len()
    );
    let public: Vec<_> = routes
        .iter()
        .filter(|r| r.access == Access::Public)
        .map(|r| (r.method.as_str(), r.path))
        .collect();
    assert_eq!(public, [("GET", "/admin/login"), ("POST", "/admin/login")]);

    for r in routes.iter().filter(|r| r.access != Access::Public) {
        let path = concrete(r.path, id);
        let is_get = r.method == actix_web::http::Method::GET;
        let mut req = app
            .client
            .request(r.method.as_str().parse().unwrap(), app.url(&path));
        if !is_get {
            req = req.form(&[
                ("csrf", "guess"),
                ("title", "Injected"),
                ("name", "Injected"),
            ]);
        }
        let res = req.send().await.unwrap();
        let what = format!("{} {path}", r.method);
        assert_eq!(header(res.headers(), "cache-control"), "no-store", "{what}");
        if is_get {
            assert_eq!(res.status(), 303, "{what}");
            let loc = header(res.headers(), "location");
            assert!(
                loc.starts_with("/admin/login?next=%2Fadmin"),
                "{what}: {loc}"
            );
        } else {
            assert_eq!(res.status(), 403, "{what}");
            let body = res.text().await.unwrap();
            assert!(body.contains("Sign in"), "{what}: {body}");
        }
    }
    // Paths nobody listed are closed too.
    for path in ["/admin/", "/admin/nope", "/admin/releases/1/delete"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
    }
    assert_eq!(snapshot(&app), before, "an anonymous request changed data");
}

#[tokio::test]
async fn posts_without_the_right_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_newsroom().await;
    app.save(&[release("one", 1, &["t"])]);
    let id = app.store().release_id_by_slug("one").unwrap().unwrap();
    let real = sign_in(&app).await;
    let before = snapshot(&app);
    let posts: Vec<_> = admin_routes()
        .into_iter()
        .filter(|r| r.method == actix_web::http::Method::POST)
        .collect();
    assert!(posts.len() >= 9);
    for r in &posts {
        let path = concrete(r.path, id);
        for token in [None, Some("0000"), Some("")] {
            let mut fields = vec![
                ("title", "Changed"),
                ("body", "Changed body"),
                ("name", "Changed"),
                ("organization", "O"),
                ("lang", "en"),
                ("action", "publish"),
                ("username", USER),
                ("password", PASSWORD),
            ];
            if let Some(t) = token {
                fields.push(("csrf", t));
            }
            let res = post_form(&app, &path, &fields).await;
            assert_eq!(res.status(), 403, "POST {path} with csrf {token:?}");
            assert_eq!(header(res.headers(), "cache-control"), "no-store");
        }
    }
    assert_eq!(
        snapshot(&app),
        before,
        "a POST without the token changed data"
    );
    // Still signed in (the refused logout did nothing), and the right token works.
    let res = post_form(&app, "/admin/logout", &[("csrf", &real)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get("/admin").await.status(), 303, "signed out");
}

#[tokio::test]
async fn a_wrong_password_gives_no_session() {
    let app = spawn_newsroom().await;
    for (user, password) in [
        (USER, "wrong password here"),
        ("nobody", PASSWORD),
        (USER, ""),
    ] {
        let res = sign_in_as(&app, &app.client, user, password).await;
        assert_eq!(res.status(), 401, "{user}/{password}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("The username or password is wrong."),
            "{body}"
        );
        assert!(
            body.contains(r#"id="sign-in""#),
            "the form comes back: {body}"
        );
        let admin = app.get("/admin").await;
        assert_eq!(admin.status(), 303, "a session after {user}/{password}");
    }
    // The right one works, with a renewed session.
    let res = sign_in_as(&app, &app.client, USER, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let cookie = header(res.headers(), "set-cookie").to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/admin"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http base URL: {cookie}");
    assert_eq!(app.get("/admin").await.status(), 200);
}

#[tokio::test]
async fn session_cookies_are_secure_under_https() {
    let app = spawn_newsroom_with(|s| s.base_url = Some("https://press.test".into())).await;
    let res = app.get("/admin/login").await;
    let cookie = header(res.headers(), "set-cookie").to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    // Only this host, over https, may set it (RFC 6265bis `__Host-`).
    assert!(cookie.starts_with("__Host-pressfeed_admin="), "{cookie}");
    assert!(
        cookie.contains("Path=/;") || cookie.ends_with("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    for path in ["/", "/feed.atom", "/admin/login", "/nope"] {
        let res = app.get(path).await;
        assert_eq!(
            header(res.headers(), "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
}

#[tokio::test]
async fn no_hsts_and_no_host_prefix_over_plain_http() {
    let app = spawn_newsroom().await;
    let res = app.get("/admin/login").await;
    let cookie = header(res.headers(), "set-cookie").to_owned();
    assert!(cookie.starts_with("pressfeed_admin="), "{cookie}");
    assert!(cookie.contains("Path=/admin"), "{cookie}");
    assert!(res.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn failed_sign_ins_are_limited_and_the_limit_recovers() {
    let app = spawn_newsroom().await;
    for i in 0..5 {
        let res = sign_in_as(&app, &app.client, USER, "not the password").await;
        assert_eq!(res.status(), 401, "attempt {i}");
    }
    let res = sign_in_as(&app, &app.client, USER, "not the password").await;
    assert_eq!(res.status(), 429);
    let retry: u64 = header(res.headers(), "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Even the right password waits: the limit is checked first.
    let res = sign_in_as(&app, &app.client, USER, PASSWORD).await;
    assert_eq!(res.status(), 429);
    // Another client from the same address trying the same account waits
    // too (per account and address)...
    let other = new_client();
    let res = sign_in_as(&app, &other, USER, PASSWORD).await;
    assert_eq!(res.status(), 429);
    // ...but another account from this address is its own matter, up to
    // the address's limit (four times as many failures over all accounts).
    pressfeed::service::create_admin(app.store(), "second", PASSWORD, app.clock.now()).unwrap();
    let res = sign_in_as(&app, &other, "second", PASSWORD).await;
    assert_eq!(
        res.status(),
        303,
        "a different account from the same office"
    );
    for i in 0..15 {
        let res = sign_in_as(&app, &app.client, &format!("x{}", i / 5), "nope nope").await;
        assert_eq!(res.status(), 401, "failure {} from this address", 6 + i);
    }
    let res = sign_in_as(&app, &app.client, "x9", "nope nope").await;
    assert_eq!(res.status(), 429, "the address has used its 20 a minute");
    // Not for long: one token is back after Retry-After seconds.
    app.clock.advance(Duration::seconds(retry as i64));
    let res = sign_in_as(&app, &app.client, USER, PASSWORD).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(app.get("/admin").await.status(), 200);
}

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

#[tokio::test]
async fn a_password_reset_ends_open_sessions() {
    let app = spawn_newsroom().await;
    sign_in(&app).await;
    assert_eq!(app.get("/admin").await.status(), 200);
    let out = run_cli_with_stdin(
        &app,
        &["reset-password", USER, "--password-stdin"],
        "a brand new long password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.get("/admin").await.status(), 303);
    let res = sign_in_as(&app, &app.client, USER, "a brand new long password").await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn create_admin_on_the_command_line() {
    let app = spawn_app().await;
    let out = run_cli_with_stdin(
        &app,
        &["create-admin", "Chief", "--password-stdin"],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12"));
    let out = run_cli_with_stdin(
        &app,
        &["create-admin", "Chief", "--password-stdin"],
        "twelve chars or more\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_cli_with_stdin(
        &app,
        &["create-admin", "chief", "--password-stdin"],
        "twelve chars or more\n",
    );
    assert!(!out.status.success(), "duplicate accepted");
    // Without --password-stdin and without a terminal it refuses to guess.
    let out = run_cli_with_stdin(&app, &["create-admin", "other"], "twelve chars or more\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-stdin"));
    let res = sign_in_as(&app, &app.client, "chief", "twelve chars or more").await;
    assert_eq!(res.status(), 303);
}

fn release_fields<'a>(
    csrf: &'a str,
    title: &'a str,
    body: &'a str,
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", title),
        ("summary", "A summary."),
        ("body", body),
        ("organization", "Ministry of Tests"),
        ("department", "Press Office"),
        ("dateline", "Testville"),
        ("lang", "en"),
        ("action", action),
    ]
}

#[tokio::test]
async fn the_form_publishes_corrects_retracts_and_restores() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let mut fields = release_fields(
        &csrf,
        "Budget 2026 announced",
        "The **budget** is out.\n\nSecond paragraph.",
        "publish",
    );
    fields.push(("new_topics", "Economy, Public health"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303);
    let id = edit_id(&res);
    assert!(header(res.headers(), "location").ends_with("?done=published"));
    let r = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r.slug, "budget-2026-announced");
    assert_eq!(
        r.body_html,
        "<p>The <strong>budget</strong> is out.</p>\n<p>Second paragraph.</p>\n"
    );
    assert_eq!(r.published_at, app.clock.now());
    for feed in [
        "/feed.atom",
        "/topics/economy/feed.atom",
        "/topics/public-health/feed.atom",
    ] {
        let body = app.text(feed).await;
        assert!(body.contains("Budget 2026 announced"), "{feed}");
    }
    let topic_names: Vec<_> = app
        .store()
        .topics()
        .unwrap()
        .0
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(topic_names, ["Economy", "Public health"]);
    let edit = app
        .text(&format!("/admin/releases/{id}/edit?done=published"))
        .await;
    assert!(edit.contains("Published: it is on the site"), "{edit}");
    assert_eq!(
        textarea(&edit, "body").unwrap(),
        "The **budget** is out.\n\nSecond paragraph."
    );

    // A correction an hour later: same id, updated now, note everywhere.
    let feed_before = app.get("/feed.atom").await;
    let lm_before = header(feed_before.headers(), "last-modified").to_owned();
    app.clock.advance(Duration::hours(1));
    let mut fields = release_fields(
        &csrf,
        "Budget 2026 announced",
        "The **budget** is out.\n\nSecond paragraph, corrected.",
        "save",
    );
    fields.extend([
        ("topics", "economy"),
        ("topics", "public-health"),
        ("correction_note", "The second paragraph was wrong."),
    ]);
    fields.push(("slug", "budget-2026-announced"));
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert!(header(res.headers(), "location").ends_with("?done=corrected"));
    let r2 = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r2.uid, r.uid);
    assert_eq!(r2.published_at, r.published_at);
    assert_eq!(r2.updated_at, app.clock.now());
    let feed = app.get("/feed.atom").await;
    let lm_after = header(feed.headers(), "last-modified").to_owned();
    assert_ne!(lm_before, lm_after);
    let atom = feed.text().await.unwrap();
    assert_eq!(atom.matches(&r.uid).count(), 1, "one entry, same id");
    assert!(atom.contains("The second paragraph was wrong."));
    assert!(
        atom.contains("2026-03-01T13:00:00"),
        "updated time in the feed"
    );
    let page = app.text("/releases/budget-2026-announced").await;
    assert!(page.contains("corrected.") && page.contains("The second paragraph was wrong."));

    // The slug is fixed once published.
    let mut fields = release_fields(&csrf, "Budget 2026 announced", "x", "save");
    fields.push(("slug", "another-address"));
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &fields).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Address cannot change after publication")
    );

    // Retract with a notice: 410 and gone from every feed.
    let confirm = app.text(&format!("/admin/releases/{id}/retract")).await;
    assert!(confirm.contains("Retract “Budget 2026 announced”?"));
    // Said in words a press officer uses, not as an HTTP status.
    assert!(confirm.contains("it leaves every feed"), "{confirm}");
    // (The random CSRF token may hold the digits "410": not counted.)
    let words = confirm.replace(&csrf_of(&confirm), "");
    assert!(!words.contains("410"), "{confirm}");
    let res = post_form(
        &app,
        &format!("/admin/releases/{id}/retract"),
        &[("csrf", &csrf), ("retraction_note", "Issued in error.")],
    )
    .await;
    assert_eq!(res.status(), 303);
    // The page it lands on says what happened in the same words.
    let landed = res.headers().get("location").unwrap().to_str().unwrap();
    let after = app.text(landed).await;
    assert!(after.contains("left every feed"), "{after}");
    assert!(after.contains("retraction notice"), "{after}");
    // (Not "410 Gone"; digits alone could be in the random CSRF token.)
    assert!(!after.contains("410 Gone"), "{after}");
    let gone = app.get("/releases/budget-2026-announced").await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("Issued in error."));
    for feed in [
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        "/topics/economy/feed.atom",
    ] {
        assert!(
            !app.text(feed).await.contains("Budget 2026 announced"),
            "{feed}"
        );
    }
    let list = app.text("/admin?status=retracted").await;
    assert!(list.contains("Budget 2026 announced"));

    // Restore: published again, same id.
    let res = post_form(
        &app,
        &format!("/admin/releases/{id}/restore"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.get("/releases/budget-2026-announced").await.status(),
        200
    );
    assert_eq!(app.text("/feed.atom").await.matches(&r.uid).count(), 1);
}

#[tokio::test]
async fn validation_errors_keep_everything_typed() {
    let app = spawn_newsroom().await;
    app.save(&[release("taken", 1, &["t"])]);
    let csrf = sign_in(&app).await;
    let body = "Line one.\n\nLine <two> & three — ".repeat(200);
    let mut fields = release_fields(&csrf, "   ", &body, "publish");
    fields.extend([
        ("topics", "t"),
        ("new_topics", "Rule of law"),
        ("slug", "taken"),
    ]);
    fields.retain(|(k, _)| *k != "organization");
    fields.push(("organization", ""));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert_eq!(textarea(&page, "body").as_deref(), Some(body.as_str()));
    assert!(
        page.contains(r#"<p class="error" id="title-error">A title is required</p>"#),
        "{page}"
    );
    assert!(page.contains("An organisation is required"));
    assert_eq!(
        input_value(&page, "new_topics").as_deref(),
        Some("Rule of law")
    );
    assert!(page.contains(r#"value="t" checked"#), "checked topic kept");
    assert_eq!(textarea(&page, "summary").as_deref(), Some("A summary."));
    assert_eq!(app.store().count_releases().unwrap(), 1, "nothing saved");
    // A taken slug is reported next to the slug.
    let fields = {
        let mut f = release_fields(&csrf, "Fine title", "Body", "draft");
        f.push(("slug", "taken"));
        f
    };
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(
        r#"<p class="error" id="slug-error">&#34;taken&#34; is already used by another release</p>"#
    ));
    // Two releases with the same title get distinct slugs.
    for _ in 0..2 {
        let res = post_form(
            &app,
            "/admin/releases/new",
            &release_fields(&csrf, "Same title", "Body", "draft"),
        )
        .await;
        assert_eq!(res.status(), 303);
    }
    assert!(
        app.store()
            .release_id_by_slug("same-title")
            .unwrap()
            .is_some()
    );
    assert!(
        app.store()
            .release_id_by_slug("same-title-2")
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_scheduled_release_appears_when_its_time_comes() {
    // The office is in Paris: 13:01 there is 12:01 UTC on 1 March 2026.
    let app = spawn_newsroom_with(|s| s.timezone = "Europe/Paris".into()).await;
    let csrf = sign_in(&app).await;
    let mut fields = release_fields(&csrf, "Embargoed statement", "Under embargo.", "schedule");
    fields.extend([("schedule", "2026-03-01T13:01"), ("new_topics", "Energy")]);
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let id = edit_id(&res);
    let r = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r.published_at.to_rfc3339(), "2026-03-01T12:01:00+00:00");
    assert!(!app.text("/feed.atom").await.contains("Embargoed statement"));
    assert_eq!(app.get("/releases/embargoed-statement").await.status(), 404);
    let list = app.text("/admin?status=scheduled").await;
    assert!(
        list.contains("Embargoed statement") && list.contains("at 1 Mar 2026, 13:01 CET"),
        "{list}"
    );
    let edit = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert_eq!(
        input_value(&edit, "schedule").as_deref(),
        Some("2026-03-01T13:01")
    );
    // A time in the past is refused.
    let mut fields = release_fields(&csrf, "Too late", "x", "schedule");
    fields.push(("schedule", "2026-03-01T12:59"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("This time has passed"));

    app.clock.advance(Duration::minutes(2));
    assert!(app.text("/feed.atom").await.contains("Embargoed statement"));
    assert!(
        app.text("/topics/energy/feed.atom")
            .await
            .contains("Embargoed statement")
    );
    assert_eq!(app.get("/releases/embargoed-statement").await.status(), 200);
}

#[tokio::test]
async fn preview_shows_what_readers_get_and_saves_nothing() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let mut fields = release_fields(
        &csrf,
        "Preview me",
        "Para *one*.\n\n<p onclick=\"x()\">Pasted <b>HTML</b></p>",
        "preview",
    );
    fields.push(("new_topics", "Transport"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"<section class="preview""#));
    assert!(page.contains("<p>Para <em>one</em>.</p>"), "{page}");
    assert!(page.contains("<p>Pasted <b>HTML</b></p>"), "{page}");
    assert!(page.contains("Topics: Transport"));
    assert_no_executable_markup(&page, "preview");
    assert_eq!(app.store().count_releases().unwrap(), 0);
    assert!(app.store().topic_by_slug("transport").unwrap().is_none());
}

/// The preview is the public page's release, built by the same code: it
/// used to be a copy that kept a relative link as typed, where the page
/// (and every feed) makes it absolute against the release's address.
#[tokio::test]
async fn the_preview_is_the_page_readers_get() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let body = "See [the map](/files/map.pdf) and ![a chart](chart.png).";
    let mut fields = release_fields(&csrf, "Same as the page", body, "preview");
    fields.push(("correction_note", "An earlier figure was wrong."));
    let preview = post_form(&app, "/admin/releases/new", &fields)
        .await
        .text()
        .await
        .unwrap();
    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "publish"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303);
    let page = app.text("/releases/same-as-the-page").await;
    let article = |html: &str| {
        let start = html
            .find("<article class=\"release\">")
            .expect("an article");
        let end = html[start..].find("</article>").expect("its end") + start;
        html[start..end].to_owned()
    };
    assert_eq!(article(&preview), article(&page));
    assert!(
        article(&page).contains(r#"href="http://press.test/files/map.pdf""#),
        "{page}"
    );
    assert!(
        article(&page).contains(r#"src="http://press.test/releases/chart.png""#),
        "{page}"
    );
}

#[tokio::test]
async fn the_list_filters_searches_and_pages() {
    let app = spawn_newsroom().await;
    let mut many = Vec::new();
    for i in 0..30 {
        let mut r = release(
            &format!("r{i:02}"),
            i,
            &[if i % 2 == 0 { "even" } else { "odd" }],
        );
        if i == 3 {
            r.lang = "ar".into();
            r.title = "بيان".into();
        }
        if i == 4 {
            r.status = Some("draft".into());
        }
        many.push(r);
    }
    app.save(&many);
    sign_in(&app).await;
    let first = app.text("/admin").await;
    assert!(first.contains("30 releases · page 1 of 2"), "{first}");
    assert!(
        first.find("Title of r00").unwrap() < first.find("Title of r01").unwrap(),
        "newest first"
    );
    assert!(first.contains("page=2"));
    let second = app.text("/admin?page=2").await;
    assert!(second.contains("Title of r29"));
    let odd = app.text("/admin?topic=odd").await;
    assert!(odd.contains("15 releases"));
    let ar = app.text("/admin?lang=ar").await;
    assert!(
        ar.contains("<p class=\"meta\">1 release</p>") && ar.contains("بيان"),
        "{ar}"
    );
    let drafts = app.text("/admin?status=draft").await;
    assert!(drafts.contains("<p class=\"meta\">1 release</p>") && drafts.contains("Title of r04"));
    let search = app.text("/admin?q=OF+R1").await;
    assert!(search.contains("10 releases"), "{search}");
    // The interface word "view" is not marked Arabic with the title.
    assert!(ar.contains("lang=\"ar\" dir=\"rtl\">بيان</a>"), "{ar}");
}

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

/// Every kind of executable markup, in every field the form has.
pub const XSS_BODY: &str = "Intro.\n\n<script>alert('body')</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(2))\n\n<a href=\"javascript:alert(3)\">link</a>\n\n<iframe src=\"https://evil.example/\"></iframe>\n\n<svg onload=alert(4)></svg>\n\n<p style=\"x\" onmouseover=\"alert(5)\">hover</p>\n\n<object data=\"javascript:alert(6)\"></object>";

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

/// Fetches every feed, page and admin screen showing `releases` and fails
/// on executable markup. `(slug, topic)` pairs.
pub async fn check_everything_for_xss(
    app: &crate::helpers::TestApp,
    releases: &[(&str, &str)],
    signed_in: bool,
) {
    let mut pages = vec!["/".to_owned(), "/topics".to_owned()];
    let mut feeds = vec!["/feed".to_owned()];
    for (slug, topic) in releases {
        pages.push(format!("/releases/{slug}"));
        pages.push(format!("/topics/{topic}"));
        feeds.push(format!("/topics/{topic}/feed"));
    }
    if signed_in {
        pages.push("/admin".into());
        pages.push("/admin/topics".into());
        for (slug, _) in releases {
            let id = app.store().release_id_by_slug(slug).unwrap().unwrap();
            pages.push(format!("/admin/releases/{id}/edit"));
            pages.push(format!("/admin/releases/{id}/retract"));
        }
    }
    for p in &pages {
        let res = app.get(p).await;
        assert_eq!(res.status(), 200, "{p}");
        assert_no_executable_markup(&res.text().await.unwrap(), p);
    }
    for stem in &feeds {
        let atom = app.text(&format!("{stem}.atom")).await;
        let feed = atom_syndication::Feed::read_from(atom.as_bytes()).expect("atom parses");
        assert!(!feed.entries().is_empty(), "{stem}.atom is empty");
        for e in feed.entries() {
            let html = e.content().and_then(|c| c.value()).unwrap_or_default();
            assert_no_executable_markup(html, &format!("{stem}.atom content"));
        }
        let rss = app.text(&format!("{stem}.rss")).await;
        let channel = rss::Channel::read_from(rss.as_bytes()).expect("rss parses");
        for item in channel.items() {
            // <description> is checked by the ignored test below.
            if let Some(html) = item.content() {
                assert_no_executable_markup(html, &format!("{stem}.rss content:encoded"));
            }
        }
        let json: serde_json::Value =
            serde_json::from_str(&app.text(&format!("{stem}.json")).await).unwrap();
        for item in json["items"].as_array().unwrap() {
            if let Some(html) = item["content_html"].as_str() {
                assert_no_executable_markup(html, &format!("{stem}.json item"));
            }
        }
    }
    let opml = app.text("/topics.opml").await;
    assert!(
        !opml.contains("<script") && !opml.contains("onmouseover=\""),
        "{opml}"
    );
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

/// actix's own refusals (a path or query it cannot read) get the site's
/// HTML error page, not a line of plain text.
#[tokio::test]
async fn unreadable_paths_and_queries_get_the_html_error_page() {
    let app = spawn_newsroom().await;
    sign_in(&app).await;
    for (path, status) in [
        ("/admin/releases/abc/edit", 404),
        ("/admin/releases/99999999999999999999/edit", 404),
        ("/admin?page=abc", 400),
        ("/admin/login?next=a&next=b", 400),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), status, "{path}");
        assert!(
            header(res.headers(), "content-type").starts_with("text/html"),
            "{path}: {:?}",
            res.headers()
        );
        let page = res.text().await.unwrap();
        assert!(page.contains(&format!("<h1>{status} ")), "{path}: {page}");
        assert!(!page.contains("can not parse"), "{path}: {page}");
    }
    // A page number far past the end is an empty page, not an overflow.
    let res = app.get("/admin?page=18446744073709551615").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_form_creates_only_topics_typed_as_new_and_only_a_few() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    // A topic box that names no topic (a forged or stale form).
    let mut fields = release_fields(&csrf, "Forged topic", "Body.", "publish");
    fields.push(("topics", "no-such-topic"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    let page = res.text().await.unwrap();
    assert!(page.to_lowercase().contains("there is no topic"), "{page}");
    let mut fields = release_fields(&csrf, "Too many", "Body.", "publish");
    fields.push(("new_topics", "A one, B two, C three, D four, E five, F six"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    let page = res.text().await.unwrap();
    assert!(page.contains("at most 5"), "{page}");
    assert_eq!(app.store().count_releases().unwrap(), 0);
    assert!(app.store().topics().unwrap().0.is_empty());
    // Typed as new, with a bidi override: created, without it.
    let mut fields = release_fields(&csrf, "Fine", "Body.", "publish");
    fields.push(("new_topics", "Water \u{202E}supply\u{202C}"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303);
    let topics = app.store().topics().unwrap().0;
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].name, "Water supply");
}

#[tokio::test]
async fn a_draft_slug_can_change_until_publication() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    // A title in Arabic gets a transliterated address (it was
    // `release-20260301-120000`), shown in the preview.
    let mut fields = release_fields(&csrf, "بيان صحفي", "نص البيان.", "preview");
    fields.retain(|(k, _)| *k != "lang");
    fields.push(("lang", "ar"));
    let page = post_form(&app, "/admin/releases/new", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Address: <code>http://press.test/releases/byn-shfy</code>"),
        "{page}"
    );
    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "draft"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303);
    let id = edit_id(&res);
    let draft = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(draft.slug, "byn-shfy");
    let edit = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert!(edit.contains(r#"<option value="ar" selected>"#));
    assert!(
        edit.contains(r#"<textarea id="body" name="body" rows="18" dir="rtl" lang="ar">"#),
        "{edit}"
    );

    // Renamed while a draft, then published: fixed from then on.
    let mut fields = release_fields(&csrf, "بيان صحفي", "نص البيان.", "publish");
    fields.retain(|(k, _)| *k != "lang");
    fields.extend([("lang", "ar"), ("slug", "statement-ar")]);
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let published = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(published.slug, "statement-ar");
    assert_eq!(published.uid, draft.uid, "the feed id is minted once");
    let page = app.text("/releases/statement-ar").await;
    assert!(page.contains(r#"lang="ar" dir="rtl""#));
    let edit = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert!(
        edit.contains(r#"id="slug" name="slug" type="text" value="statement-ar" readonly"#),
        "{edit}"
    );
}
