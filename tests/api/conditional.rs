//! Every conditional-GET rule (RFC 9110 §13, §15.4.5), as a table of cases,
//! on every kind of document; then validators across edits, retractions and
//! a scheduled release crossing its time.

use crate::helpers::{TestApp, header, release, scheduled, spawn_app};
use chrono::Duration;
use reqwest::StatusCode;

pub const DOCS: &[&str] = &[
    "/feed.rss",
    "/feed.atom",
    "/feed.json",
    "/topics/health/feed.rss",
    "/topics/health/feed.atom",
    "/topics/health/feed.json",
    "/topics.opml",
];

/// The feeds of [`DOCS`] (all but the OPML, which does not depend on the time).
pub fn feeds() -> &'static [&'static str] {
    &DOCS[..DOCS.len() - 1]
}

/// (name, request headers, expected status)
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode);

pub async fn seeded() -> TestApp {
    let app = spawn_app().await;
    app.save(&[
        release("one", 3, &["health"]),
        release("two", 2, &["health", "energy"]),
        release("three", 1, &["energy"]),
    ]);
    app
}

pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[tokio::test]
async fn conditional_get_table() {
    let app = seeded().await;
    for path in DOCS {
        let first = app.get(path).await;
        assert_eq!(first.status(), 200, "{path}");
        let h = first.headers().clone();
        let etag = header(&h, "etag").to_owned();
        let lm = header(&h, "last-modified").to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "{path}: ETag {etag}"
        );
        assert!(
            header(&h, "cache-control").contains("max-age=300"),
            "{path}"
        );
        assert!(header(&h, "vary").contains("Accept-Encoding"), "{path}");
        let lm_t = chrono::DateTime::parse_from_rfc2822(&lm).unwrap();
        let date_t = chrono::DateTime::parse_from_rfc2822(header(&h, "date")).unwrap();
        assert!(lm_t <= date_t, "{path}: Last-Modified {lm} after Date");
        let older = http_date(lm_t.to_utc() - Duration::days(1));
        let later = http_date(lm_t.to_utc() + Duration::seconds(1));
        let weak = format!("W/{etag}");
        let list = format!("\"nope\", {etag} , W/\"other\"");

        let gz = app.get_with(path, &[("accept-encoding", "gzip")]).await;
        let gz_etag = header(gz.headers(), "etag").to_owned();
        assert_ne!(gz_etag, etag, "{path}: gzip variant needs its own ETag");

        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("INM current", vec![("if-none-match", &etag)], StatusCode::NOT_MODIFIED),
            ("INM weak form", vec![("if-none-match", &weak)], StatusCode::NOT_MODIFIED),
            ("INM list", vec![("if-none-match", &list)], StatusCode::NOT_MODIFIED),
            ("INM star", vec![("if-none-match", "*")], StatusCode::NOT_MODIFIED),
            ("INM other", vec![("if-none-match", "\"nope\"")], StatusCode::OK),
            ("INM other wins over IMS", vec![("if-none-match", "\"nope\""), ("if-modified-since", &lm)], StatusCode::OK),
            ("INM current wins over old IMS", vec![("if-none-match", &etag), ("if-modified-since", &older)], StatusCode::NOT_MODIFIED),
            ("IMS equal", vec![("if-modified-since", &lm)], StatusCode::NOT_MODIFIED),
            ("IMS later", vec![("if-modified-since", &later)], StatusCode::NOT_MODIFIED),
            ("IMS older", vec![("if-modified-since", &older)], StatusCode::OK),
            ("IMS garbage is ignored", vec![("if-modified-since", "not a date")], StatusCode::OK),
            ("IMS absurd year is ignored", vec![("if-modified-since", "Sun, 06 Nov 99999 08:49:37 GMT")], StatusCode::OK),
            ("identity ETag does not validate gzip", vec![("accept-encoding", "gzip"), ("if-none-match", &etag)], StatusCode::OK),
            ("gzip ETag validates gzip", vec![("accept-encoding", "gzip"), ("if-none-match", &gz_etag)], StatusCode::NOT_MODIFIED),
        ];
        for (name, headers, want) in cases {
            let r = app.get_with(path, &headers).await;
            assert_eq!(r.status(), want, "{path}: {name}");
            let rh = r.headers().clone();
            assert!(
                header(&rh, "vary").contains("Accept-Encoding"),
                "{path}: {name}: Vary"
            );
            assert!(
                !header(&rh, "cache-control").is_empty(),
                "{path}: {name}: Cache-Control"
            );
            assert!(!header(&rh, "etag").is_empty(), "{path}: {name}: ETag");
            let body = r.bytes().await.unwrap();
            if want == StatusCode::NOT_MODIFIED {
                assert!(body.is_empty(), "{path}: {name}: 304 with a body");
                assert!(
                    rh.get("content-length").is_none_or(|v| v == "0"),
                    "{path}: {name}"
                );
            } else {
                assert!(!body.is_empty(), "{path}: {name}: empty 200");
            }
        }

        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "{path}: HEAD");
        for name in [
            "etag",
            "last-modified",
            "content-type",
            "cache-control",
            "vary",
        ] {
            assert_eq!(
                header(head.headers(), name),
                header(&h, name),
                "{path}: HEAD {name}"
            );
        }
        assert!(head.bytes().await.unwrap().is_empty(), "{path}: HEAD body");
    }
}

#[tokio::test]
async fn compressed_variants_inflate_to_the_identity_body() {
    let app = seeded().await;
    let identity = app.get("/feed.atom").await.bytes().await.unwrap();
    let gz = app
        .get_with("/feed.atom", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(header(gz.headers(), "content-encoding"), "gzip");
    let gz = gz.bytes().await.unwrap();
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out).unwrap();
    assert_eq!(out, identity);

    let br = app
        .get_with("/feed.atom", &[("accept-encoding", "gzip, br")])
        .await;
    assert_eq!(header(br.headers(), "content-encoding"), "br");
    let etag = header(br.headers(), "etag").to_owned();
    let br = br.bytes().await.unwrap();
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
    assert_eq!(out, identity);
    let again = app
        .get_with(
            "/feed.atom",
            &[("accept-encoding", "br"), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(again.status(), 304);
}

struct Validators {
    etag: String,
    last_modified: chrono::DateTime<chrono::FixedOffset>,
    body: String,
}

async fn validators(app: &TestApp, path: &str) -> Validators {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    Validators {
        etag: header(&h, "etag").to_owned(),
        last_modified: chrono::DateTime::parse_from_rfc2822(header(&h, "last-modified")).unwrap(),
        body: r.text().await.unwrap(),
    }
}

#[tokio::test]
async fn an_edit_makes_the_old_etag_stale_on_every_feed_it_touches() {
    let app = seeded().await;
    let paths = [
        "/feed.atom",
        "/topics/health/feed.rss",
        "/topics/energy/feed.json",
    ];
    let mut before = Vec::new();
    for p in paths {
        before.push(validators(&app, p).await);
    }
    app.clock.advance(Duration::minutes(5));
    let mut edited = release("two", 2, &["health", "energy"]);
    edited.title = "Two, corrected".into();
    edited.updated_at = Some(app.clock.now().to_rfc3339());
    app.save(&[edited]);
    for (p, old) in paths.iter().zip(before) {
        let r = app.get_with(p, &[("if-none-match", &old.etag)]).await;
        assert_eq!(r.status(), 200, "{p}: stale ETag must not give 304");
        let now = validators(&app, p).await;
        assert!(now.body.contains("Two, corrected"), "{p}");
        assert_ne!(now.etag, old.etag, "{p}");
        assert!(
            now.last_modified > old.last_modified,
            "{p}: Last-Modified must move forward"
        );
        let r = app
            .get_with(p, &[("if-modified-since", &old.last_modified.to_rfc2822())])
            .await;
        assert_eq!(r.status(), 200, "{p}: old If-Modified-Since after an edit");
    }
}

#[tokio::test]
async fn a_retraction_moves_last_modified_forward_and_removes_the_item() {
    let app = seeded().await;
    let old = validators(&app, "/topics/energy/feed.atom").await;
    assert!(old.body.contains("Title of three"));
    app.clock.advance(Duration::minutes(1));
    let mut gone = release("three", 1, &["energy"]);
    gone.status = Some("retracted".into());
    app.save(&[gone]);
    let since = old
        .last_modified
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let r = app
        .get_with("/topics/energy/feed.atom", &[("if-modified-since", &since)])
        .await;
    assert_eq!(
        r.status(),
        200,
        "an old If-Modified-Since after a retraction gives the new feed"
    );
    let now = validators(&app, "/topics/energy/feed.atom").await;
    assert!(!now.body.contains("Title of three"));
    assert!(now.last_modified > old.last_modified);
    // The unrelated topic keeps its validators.
    let r = app.get("/topics/health/feed.atom").await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_scheduled_release_appears_by_itself_at_its_time() {
    let app = seeded().await;
    let embargo = app.clock.now() + Duration::minutes(10);
    app.save(&[scheduled("embargoed", embargo, &["health"])]);
    app.clock.advance(Duration::seconds(1));
    let before = validators(&app, "/topics/health/feed.atom").await;
    assert!(
        !before.body.contains("Title of embargoed"),
        "not visible before its time"
    );
    let page = app.get("/releases/embargoed").await;
    assert_eq!(page.status(), 404, "its page is not visible either");

    app.clock.advance(Duration::minutes(9));
    let r = app
        .get_with(
            "/topics/health/feed.atom",
            &[("if-none-match", &before.etag)],
        )
        .await;
    assert_eq!(r.status(), 304, "still embargoed a minute before");

    app.clock.set(embargo);
    let r = app
        .get_with(
            "/topics/health/feed.atom",
            &[("if-none-match", &before.etag)],
        )
        .await;
    assert_eq!(
        r.status(),
        200,
        "visible at its time, with no write to the database"
    );
    let after = validators(&app, "/topics/health/feed.atom").await;
    assert!(after.body.contains("Title of embargoed"));
    assert!(after.last_modified > before.last_modified);
    assert_eq!(
        after.last_modified.timestamp(),
        embargo.timestamp(),
        "Last-Modified is the moment it became visible"
    );
    assert_eq!(app.get("/releases/embargoed").await.status(), 200);
}

#[tokio::test]
async fn unchanged_data_keeps_identical_validators() {
    let app = seeded().await;
    let a = validators(&app, "/feed.rss").await;
    app.clock.advance(Duration::hours(1));
    app.save(&[release("one", 3, &["health"])]); // same content: no change
    let b = validators(&app, "/feed.rss").await;
    assert_eq!(a.etag, b.etag);
    assert_eq!(a.last_modified, b.last_modified);
    assert_eq!(a.body, b.body, "a feed never embeds the request time");
}

#[tokio::test]
async fn concurrent_requests_after_an_edit_all_see_it() {
    let app = seeded().await;
    for round in 0..5 {
        assert_eq!(app.get("/feed.atom").await.status(), 200);
        app.clock.advance(Duration::minutes(1));
        let mut edited = release("two", 2, &["health", "energy"]);
        edited.title = format!("Two, edit {round}");
        app.save(&[edited]);
        let wanted = format!("Two, edit {round}");
        let requests = (0..24).map(|_| {
            let client = app.client.clone();
            let url = app.url("/feed.atom");
            tokio::spawn(async move { client.get(url).send().await.unwrap().text().await.unwrap() })
        });
        for body in futures_util::future::join_all(requests).await {
            assert!(
                body.unwrap().contains(&wanted),
                "a request after the commit got an older copy"
            );
        }
    }
}
