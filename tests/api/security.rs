//! The attacks of issue 11 (items 1–6), replayed: parallel password
//! guessing, replayed session cookies, locking the admin out, cross-site
//! draft planting, unauthenticated bodies, and deeply nested HTML.

use crate::admin_support::*;
use crate::helpers::{TestApp, header};
use crate::hostile_http::{connect, read_head};
use chrono::Duration;
use futures_util::future::join_all;
use std::io::Write;
use std::time::{Duration as StdDuration, Instant};

/// A client that sends no cookies of its own (to replay one by hand).
fn bare_client() -> reqwest::Client {
    pressfeed::websub::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// The `name=value` of the session cookie a response set.
fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("pressfeed_admin="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .expect("a session cookie was set")
}

/// `GET /admin` sent with nothing but a copy of a session cookie.
async fn replay(app: &TestApp, cookie: &str) -> reqwest::Response {
    bare_client()
        .get(app.url("/admin"))
        .header("cookie", cookie.to_owned())
        .send()
        .await
        .unwrap()
}

/// Signs in from `address` (the app trusts X-Forwarded-For).
async fn sign_in_from(
    app: &TestApp,
    client: &reqwest::Client,
    address: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let page = client
        .get(app.url("/admin/login"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    client
        .post(app.url("/admin/login"))
        .header("x-forwarded-for", address)
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", user),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

// ------------------------------------------------------------ 1: limiter

#[tokio::test]
async fn parallel_wrong_passwords_from_one_address_check_at_most_the_limit() {
    let app = spawn_newsroom().await;
    let page = app.text("/admin/login").await;
    let csrf = csrf_of(&page);
    let attempts = (0..200).map(|i| {
        let (client, url, csrf) = (app.client.clone(), app.url("/admin/login"), csrf.clone());
        async move {
            client
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("username", USER),
                    ("password", &format!("wrong guess {i}")),
                ])
                .send()
                .await
                .unwrap()
        }
    });
    let responses = join_all(attempts).await;
    let mut answered = 0;
    for res in &responses {
        match res.status().as_u16() {
            200 | 401 => answered += 1,
            429 => {
                let retry: u64 = header(res.headers(), "retry-after").parse().unwrap();
                assert!((1..=60).contains(&retry), "Retry-After {retry}");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(answered <= 5, "{answered} wrong passwords were answered");
    let verified = app.admin.checks.verified();
    assert!(verified <= 5, "{verified} passwords were verified, limit 5");
    assert!(verified >= 1, "none was verified at all");
}

#[tokio::test]
async fn password_checks_run_at_most_one_per_core() {
    let app = spawn_newsroom_with(|s| s.trust_proxy = true).await;
    let attempts = (0..24).map(|i| {
        let app = &app;
        async move {
            let client = new_client();
            sign_in_from(app, &client, &format!("10.9.0.{i}"), USER, "not it at all").await
        }
    });
    for res in join_all(attempts).await {
        let status = res.status().as_u16();
        assert!(matches!(status, 200 | 401 | 429), "{status}");
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let peak = app.admin.checks.peak_concurrency();
    assert!(peak <= cores, "{peak} checks ran at once on {cores} cores");
    assert!(app.admin.checks.verified() >= 1);
}

// ----------------------------------------------------------- 2: sessions

#[tokio::test]
async fn a_cookie_replayed_after_sign_out_is_refused() {
    let app = spawn_newsroom().await;
    let res = sign_in_as(&app, &app.client, USER, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let cookie = session_cookie(&res);
    let csrf = admin_csrf(&app).await;
    assert_eq!(replay(&app, &cookie).await.status(), 200, "the copy works");

    let res = post_form(&app, "/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    let before = snapshot(&app);
    assert_eq!(
        replay(&app, &cookie).await.status(),
        303,
        "GET after sign-out"
    );
    let res = bare_client()
        .post(app.url("/admin/topics"))
        .header("cookie", cookie.clone())
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Planted"),
            ("slug", "planted"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        403,
        "POST with the old CSRF token after sign-out"
    );
    assert_eq!(snapshot(&app), before, "the replayed POST changed data");
}

#[tokio::test]
async fn sign_out_everywhere_and_a_password_change_end_other_sessions() {
    let app = spawn_newsroom().await;
    let laptop = new_client();
    let res = sign_in_as(&app, &laptop, USER, PASSWORD).await;
    let laptop_cookie = session_cookie(&res);
    let csrf = sign_in(&app).await;
    assert_eq!(app.get("/admin").await.status(), 200);
    let res = post_form(&app, "/admin/logout-everywhere", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    for (who, res) in [
        ("this browser", app.get("/admin").await),
        (
            "the laptop",
            laptop.get(app.url("/admin")).send().await.unwrap(),
        ),
        (
            "a copy of the laptop's cookie",
            replay(&app, &laptop_cookie).await,
        ),
    ] {
        assert_eq!(res.status(), 303, "{who} is still signed in");
    }

    // A password change ends sessions too, copies of the cookie included.
    let res = sign_in_as(&app, &laptop, USER, PASSWORD).await;
    let cookie = session_cookie(&res);
    let out = run_cli_with_stdin(
        &app,
        &["reset-password", USER, "--password-stdin"],
        "another long password\n",
    );
    assert!(out.status.success());
    assert_eq!(replay(&app, &cookie).await.status(), 303);
}

#[tokio::test]
async fn lapsed_sessions_stay_lapsed_and_none_outlives_its_maximum() {
    let app = spawn_newsroom().await;
    let res = sign_in_as(&app, &app.client, USER, PASSWORD).await;
    let cookie = session_cookie(&res);
    app.clock.advance(Duration::minutes(61));
    for _ in 0..2 {
        let res = replay(&app, &cookie).await;
        assert_eq!(res.status(), 303, "an idle session came back");
        app.clock.advance(Duration::minutes(1));
    }

    // Busy all day: a request every 50 minutes keeps it open, up to 12 h.
    sign_in(&app).await;
    let mut open_for = Duration::zero();
    while open_for < Duration::hours(12) - Duration::minutes(50) {
        app.clock.advance(Duration::minutes(50));
        open_for += Duration::minutes(50);
        assert_eq!(app.get("/admin").await.status(), 200, "after {open_for}");
    }
    app.clock.advance(Duration::minutes(50));
    assert_eq!(
        app.get("/admin").await.status(),
        303,
        "a session outlived session_max_hours"
    );
}

// ------------------------------------------------------------ 3: lockout

#[tokio::test]
async fn failures_elsewhere_never_lock_the_admin_out() {
    let app = spawn_newsroom_with(|s| s.trust_proxy = true).await;
    let attacker = new_client();
    for _ in 0..5 {
        sign_in_from(&app, &attacker, "10.0.0.1", USER, "a wrong guess").await;
    }
    let res = sign_in_from(&app, &attacker, "10.0.0.1", USER, "a wrong guess").await;
    assert_eq!(res.status(), 429, "the guessing address is limited");
    // One more wrong try every 12 s from there keeps only that address out.
    for _ in 0..3 {
        app.clock.advance(Duration::seconds(12));
        sign_in_from(&app, &attacker, "10.0.0.1", USER, "a wrong guess").await;
        let admin = new_client();
        let res = sign_in_from(&app, &admin, "192.0.2.7", USER, PASSWORD).await;
        assert_eq!(res.status(), 303, "the real admin from elsewhere");
    }

    // Guessed at from fifty addresses: the account-wide limit slows a
    // sign-in from a new address down a little, never refuses it.
    for i in 0..50 {
        sign_in_from(
            &app,
            &attacker,
            &format!("10.1.0.{i}"),
            USER,
            "a wrong guess",
        )
        .await;
    }
    let admin = new_client();
    let start = Instant::now();
    let res = sign_in_from(&app, &admin, "198.51.100.9", USER, PASSWORD).await;
    let took = start.elapsed();
    assert_eq!(res.status(), 303, "the real admin from a new address");
    assert!(took >= StdDuration::from_millis(900), "no delay: {took:?}");
    assert!(
        took < StdDuration::from_secs(5),
        "the delay is bounded: {took:?}"
    );
}

// ------------------------------------------------- 4: cross-site requests

#[tokio::test]
async fn cross_site_posts_are_refused_before_anything_happens() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let before = snapshot(&app);
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = app
            .client
            .post(app.url("/admin/topics"))
            .header(name, value)
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "Planted"),
                ("slug", "planted"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}: {value}");
        let body = res.text().await.unwrap();
        assert!(body.contains("another site"), "{body}");
        let res = bare_client()
            .post(app.url("/admin/login"))
            .header(name, value)
            .form(&[("csrf", "x"), ("username", USER), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "sign-in from {name}: {value}");
    }
    assert_eq!(snapshot(&app), before);
    // The newsroom's own pages (same origin) still work.
    let res = app
        .client
        .post(app.url("/admin/topics"))
        .header("origin", "http://press.test")
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Water"),
            ("slug", "water"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

/// The attack as reported: an anonymous cross-site POST of attacker text
/// to a release's edit form got the sign-in page with that text hidden in
/// it and a fresh cookie replacing the live session.
#[tokio::test]
async fn an_anonymous_post_cannot_plant_a_draft_or_replace_the_session() {
    let app = spawn_newsroom().await;
    app.save(&[crate::helpers::release("one", 1, &["t"])]);
    let id = app.store().release_id_by_slug("one").unwrap().unwrap();
    sign_in(&app).await;
    let res = bare_client()
        .post(app.url(&format!("/admin/releases/{id}/edit")))
        .form(&[
            ("title", "PLANTED TITLE"),
            ("body", "PLANTED BODY"),
            ("action", "save"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        res.headers().get("set-cookie").is_none(),
        "an unauthenticated POST set a cookie"
    );
    let page = res.text().await.unwrap();
    assert!(
        !page.contains("PLANTED"),
        "the attacker's text came back: {page}"
    );
    assert_eq!(
        app.get("/admin").await.status(),
        200,
        "the admin is signed in"
    );

    // Nor through the sign-in form, from a browser that sends no Origin.
    let victim = new_client();
    victim.get(app.url("/admin/login")).send().await.unwrap();
    let res = victim
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf", "not this browser's"),
            ("next", &format!("/admin/releases/{id}/edit")),
            ("draft.title", "PLANTED TITLE"),
            ("draft.body", "PLANTED BODY"),
        ])
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(!page.contains("PLANTED"), "{page}");
    // And a sign-in carrying draft fields the server never kept fills
    // nothing in.
    let page = victim
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = victim
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", USER),
            ("password", PASSWORD),
            ("next", &format!("/admin/releases/{id}/edit")),
            ("draft.title", "PLANTED TITLE"),
            ("draft.body", "PLANTED BODY"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signed in, straight to the page");
    let form = victim
        .get(app.url(&format!("/admin/releases/{id}/edit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!form.contains("PLANTED"), "{form}");
}

fn typed_release(csrf: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf", csrf),
        ("title", "Typed for an hour"),
        ("body", "EVERY WORD"),
        ("organization", "Office"),
        ("lang", "en"),
        ("action", "draft"),
    ]
}

#[tokio::test]
async fn a_lapsed_sessions_draft_is_kept_only_with_its_token_and_for_its_admin() {
    let app = spawn_newsroom().await;
    pressfeed::service::create_admin(app.store(), "second", PASSWORD, app.clock.now()).unwrap();
    sign_in(&app).await;
    app.clock.advance(Duration::minutes(61));
    let res = post_form(&app, "/admin/releases/new", &typed_release("wrong")).await;
    assert_eq!(res.status(), 403);
    assert!(!res.text().await.unwrap().contains("EVERY WORD"));

    // The right token: kept, but only for the admin whose session it was.
    let csrf = sign_in(&app).await;
    app.clock.advance(Duration::minutes(61));
    let res = post_form(&app, "/admin/releases/new", &typed_release(&csrf)).await;
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(page.contains("EVERY WORD"), "{page}");
    let mut hidden = hidden_fields(&page);
    hidden.push(("username".into(), "second".into()));
    hidden.push(("password".into(), PASSWORD.into()));
    let res = app
        .client
        .post(app.url("/admin/login"))
        .form(&hidden)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "another admin signs in");
    let form = app.text("/admin/releases/new").await;
    assert!(!form.contains("EVERY WORD"), "{form}");
}

// ---------------------------------------------- 5: bodies before sessions

#[tokio::test]
async fn an_unauthenticated_post_is_answered_without_reading_its_body() {
    let app = spawn_newsroom().await;
    // The server starts serving once the runtime has polled it.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let mut s = connect(app.port(), StdDuration::from_secs(5));
    let head = "POST /admin/releases/new HTTP/1.1\r\nHost: press.test\r\n\
                Content-Type: application/x-www-form-urlencoded\r\n\
                Content-Length: 2097152\r\n\r\n";
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&[b'a'; 1024]).unwrap();
    let start = Instant::now();
    let (status, head, _) = read_head(&mut s);
    assert_eq!(status, Some(403), "{head}");
    assert!(
        start.elapsed() < StdDuration::from_secs(3),
        "answered only after {:?}",
        start.elapsed()
    );
    assert!(!head.to_ascii_lowercase().contains("set-cookie"), "{head}");
}

#[tokio::test]
async fn bodies_in_flight_share_one_memory_budget() {
    let app = spawn_newsroom_with(|s| s.body_memory_bytes = 3 * 1024 * 1024).await;
    let send = |fill: usize| {
        let mut s = connect(app.port(), StdDuration::from_secs(5));
        let head = "POST /admin/login HTTP/1.1\r\nHost: press.test\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\n\
                    Content-Length: 2000000\r\n\r\n";
        s.write_all(head.as_bytes()).unwrap();
        // The server may stop reading this one (that is the point).
        let _ = s.write_all(&vec![b'a'; fill]);
        s
    };
    let mut first = send(1_800_000);
    // Let the server take the first body in before the second arrives.
    let deadline = Instant::now() + StdDuration::from_secs(5);
    while app.state.body_budget.in_use() < 1_500_000 && Instant::now() < deadline {
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    let mut second = send(1_500_000);
    let (status, head, _) = read_head(&mut second);
    assert_eq!(status, Some(503), "{head}");
    assert!(head.to_ascii_lowercase().contains("retry-after"), "{head}");
    first.write_all(&vec![b'a'; 200_000]).unwrap();
    let (status, head, _) = read_head(&mut first);
    assert_ne!(status, Some(503), "{head}");
    assert!(status.is_some(), "{head}");
    let deadline = Instant::now() + StdDuration::from_secs(5);
    while app.state.body_budget.in_use() != 0 && Instant::now() < deadline {
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert_eq!(app.state.body_budget.in_use(), 0, "budget given back");
}

// ------------------------------------------------ 6: nesting and size

fn deep(n: usize) -> String {
    format!("{}deep{}", "<div>".repeat(n), "</div>".repeat(n))
}

#[tokio::test]
async fn every_way_in_refuses_absurd_nesting_and_oversized_bodies() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let nested = deep(pressfeed::domain::MAX_NESTING + 1);
    let huge = "<p>words words</p>".repeat(pressfeed::domain::MAX_BODY_BYTES / 18 + 1);

    // The release form, and its preview.
    for action in ["draft", "preview"] {
        let res = post_form(
            &app,
            "/admin/releases/new",
            &[
                ("csrf", &csrf),
                ("title", "Deep"),
                ("body", &nested),
                ("organization", "Office"),
                ("lang", "en"),
                ("action", action),
            ],
        )
        .await;
        assert_eq!(res.status(), 422, "{action}");
        let page = res.text().await.unwrap();
        assert!(
            page.to_lowercase()
                .contains("nests elements more than 512 deep"),
            "{action}: {page}"
        );
        assert_eq!(
            textarea(&page, "body").as_deref(),
            Some(nested.as_str()),
            "kept"
        );
    }

    // The API.
    let out = app.run_cli(&["create-token", "robot"]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    for (body, says) in [
        (&nested, "nests elements"),
        (&huge, "at most 1048576 bytes"),
    ] {
        let res = app
            .client
            .post(app.url("/api/v1/releases"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "slug": "deep", "title": "Deep", "body_html": body,
                "organization": "Office", "lang": "en",
                "published_at": "2026-03-01T11:00:00Z", "topics": [],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{says}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert!(err.to_string().contains("body_html"), "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }

    // import.
    let line = serde_json::json!({
        "slug": "deep", "title": "Deep", "body_html": nested,
        "organization": "Office", "lang": "en",
        "published_at": "2026-03-01T11:00:00Z", "topics": [],
    });
    let file = app.dir.path().join("deep.jsonl");
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let out = app.run_cli(&["import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("deep.jsonl:1:"), "{err}");
    assert!(err.contains("nests elements more than 512 deep"), "{err}");
    assert_eq!(app.store().count_releases().unwrap(), 0);
}
