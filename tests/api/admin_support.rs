//! Helpers for newsroom and API tests: an admin account, signing in, the
//! CSRF token, reading forms back out of HTML, and a checker for
//! executable markup.

use crate::helpers::{TestApp, spawn_app_with};
use pressfeed::config::Settings;

pub const USER: &str = "editor";
pub const PASSWORD: &str = "correct horse battery staple";

/// An app with one admin account.
pub async fn spawn_newsroom() -> TestApp {
    spawn_newsroom_with(|_| {}).await
}

pub async fn spawn_newsroom_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let app = spawn_app_with(configure).await;
    pressfeed::service::create_admin(app.store(), USER, PASSWORD, app.clock.now())
        .expect("admin created");
    app
}

/// A client of its own (its own cookie jar) for the same app.
pub fn new_client() -> reqwest::Client {
    pressfeed::websub::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .no_proxy()
        .build()
        .unwrap()
}

/// Decodes the HTML character references askama and ammonia write.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let decoded = after.find(';').and_then(|end| {
            let entity = &after[..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One start tag: its name and attributes (values decoded).
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every start tag in `html`, in order. Text never holds a raw `<` (the
/// templates escape it), so every `<` starts markup.
pub fn start_tags(html: &str) -> Vec<Tag> {
    let mut tags = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off + 1;
        if i >= bytes.len() || matches!(bytes[i], b'/' | b'!' | b'?') {
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                break;
            }
            let a = i;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'=' | b'>' | b'/')
            {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value = String::new();
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                    let q = bytes[i];
                    i += 1;
                    let v = i;
                    while i < bytes.len() && bytes[i] != q {
                        i += 1;
                    }
                    value = unescape(&html[v..i]);
                    i += 1;
                } else {
                    let v = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = unescape(&html[v..i]);
                }
            }
            if attr.is_empty() {
                i += 1;
                continue;
            }
            attrs.push((attr, value));
        }
        tags.push(Tag { name, attrs });
    }
    tags
}

/// Fails when `html` holds markup a browser would run: script-capable
/// elements, event-handler attributes, or `javascript:` URLs.
pub fn assert_no_executable_markup(html: &str, context: &str) {
    const ELEMENTS: &[&str] = &[
        "script", "iframe", "frame", "object", "embed", "svg", "math", "base", "applet",
    ];
    const URL_ATTRS: &[&str] = &[
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "data",
        "srcdoc",
    ];
    for tag in start_tags(html) {
        assert!(
            !ELEMENTS.contains(&tag.name.as_str()),
            "{context}: executable element <{}> in:\n{html}",
            tag.name
        );
        for (name, value) in &tag.attrs {
            assert!(
                !name.starts_with("on"),
                "{context}: event handler {name}={value:?} on <{}>",
                tag.name
            );
            let squashed: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            assert!(
                !(URL_ATTRS.contains(&name.as_str())
                    && (squashed.starts_with("javascript:")
                        || squashed.starts_with("vbscript:")
                        || squashed.starts_with("data:text/html"))),
                "{context}: script URL {name}={value:?} on <{}>",
                tag.name
            );
        }
    }
}

/// The first `name="csrf"` value in a page.
pub fn csrf_of(html: &str) -> String {
    start_tags(html)
        .into_iter()
        .find(|t| t.name == "input" && t.attr("name") == Some("csrf"))
        .and_then(|t| t.attr("value").map(str::to_owned))
        .unwrap_or_else(|| panic!("no csrf field in:\n{html}"))
}

/// Hidden inputs of a page, as (name, value).
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    start_tags(html)
        .into_iter()
        .filter(|t| t.name == "input" && t.attr("type") == Some("hidden"))
        .filter_map(|t| Some((t.attr("name")?.to_owned(), t.attr("value")?.to_owned())))
        .collect()
}

/// The value of `<input id="{id}">`.
pub fn input_value(html: &str, id: &str) -> Option<String> {
    start_tags(html)
        .into_iter()
        .find(|t| t.attr("id") == Some(id))
        .and_then(|t| t.attr("value").map(str::to_owned))
}

/// The text of `<textarea id="{id}">`, decoded.
pub fn textarea(html: &str, id: &str) -> Option<String> {
    let open = html.find(&format!("<textarea id=\"{id}\""))?;
    let start = open + html[open..].find('>')? + 1;
    let end = start + html[start..].find("</textarea>")?;
    Some(unescape(&html[start..end]))
}

/// Signs in with `client` (a GET for the token, then the POST).
pub async fn sign_in_as(
    app: &TestApp,
    client: &reqwest::Client,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let page = client
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    client
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", user),
            ("password", password),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap()
}

/// Signs the app's own client in; returns the session's CSRF token.
pub async fn sign_in(app: &TestApp) -> String {
    let res = sign_in_as(app, &app.client, USER, PASSWORD).await;
    assert_eq!(
        res.status(),
        303,
        "sign-in failed: {}",
        res.text().await.unwrap()
    );
    admin_csrf(app).await
}

/// The CSRF token of the signed-in session.
pub async fn admin_csrf(app: &TestApp) -> String {
    let page = app.text("/admin").await;
    csrf_of(&page)
}

/// POSTs a form with the app's client.
pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The release id in a `/admin/releases/{id}/edit...` redirect.
pub fn edit_id(res: &reqwest::Response) -> i64 {
    let loc = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    loc.strip_prefix("/admin/releases/")
        .and_then(|r| r.split('/').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not an edit redirect: {loc:?}"))
}

/// Every release as `export` writes it (JSON Lines).
pub fn exported(app: &TestApp) -> String {
    let mut out = Vec::new();
    pressfeed::service::export(app.store(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Everything stored that a refused request must not have changed.
pub fn snapshot(app: &TestApp) -> String {
    let mut out = exported(app);
    let topics = app.store().topics().unwrap();
    let public = app.store().public_topics(app.clock.now()).unwrap();
    out.push_str(&format!("{topics:?} {public:?}\n"));
    out
}

/// Runs the real binary on the app's database with `stdin` as input.
pub fn run_cli_with_stdin(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--db")
        .arg(&app.db)
        .args(args)
        .env_remove("PRESSFEED_CONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pressfeed runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_markup_checker_sees_through_quotes_and_entities() {
    let ok = r#"<p title="a onclick=x">x</p><input value="&#60;b onmouseover=alert(1)&#62;"><a href="https://e">l</a>"#;
    assert_no_executable_markup(ok, "ok");
    for bad in [
        r#"<p onclick="x()">"#,
        r#"<a href=" jav&#x61;script:alert(1)">"#,
        r#"<SCRIPT>alert(1)</SCRIPT>"#,
        r#"<img src=x onerror=alert(1)>"#,
        r#"<iframe src="//e"></iframe>"#,
    ] {
        let caught = std::panic::catch_unwind(|| assert_no_executable_markup(bad, "bad"));
        assert!(caught.is_err(), "{bad} passed");
    }
    assert_eq!(
        hidden_fields(r#"<input type="hidden" name="draft.body" value="a &#38; &#34;b&#34;">"#),
        [("draft.body".to_owned(), "a & \"b\"".to_owned())]
    );
}

/// Every kind of executable markup, in every field the form has.
pub const XSS_BODY: &str = "Intro.\n\n<script>alert('body')</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(2))\n\n<a href=\"javascript:alert(3)\">link</a>\n\n<iframe src=\"https://evil.example/\"></iframe>\n\n<svg onload=alert(4)></svg>\n\n<p style=\"x\" onmouseover=\"alert(5)\">hover</p>\n\n<object data=\"javascript:alert(6)\"></object>";

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
