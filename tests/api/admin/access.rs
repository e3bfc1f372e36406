//! Who gets into the newsroom: every route closed without a session,
//! CSRF, sign-in and its limit, cookies, accounts, error pages.

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
