//! Nothing public may show an embargoed release (or a draft) before its
//! time: a crawler starts at every entry point a reader or a robot has
//! (pages, feeds, OPML, search, archives, language feeds), follows every
//! link of this site it finds, and looks for any trace of them — title,
//! slug, body, topic, language, attachment hash. After the embargo the same
//! crawl must find the release, or the crawl proves nothing.

use crate::conditional::seeded;
use crate::helpers::{TestApp, release, scheduled};
use chrono::Duration;
use pressfeed::domain::ReleaseInput;
use std::collections::{BTreeSet, VecDeque};

/// Where a crawl starts: what a person, a feed reader or a robot may try.
const ENTRY_POINTS: &[&str] = &[
    "/",
    "/topics",
    "/topics.opml",
    "/feed.atom",
    "/feed.rss",
    "/feed.json",
    "/search?q=zanzibarquake",
    "/search.atom?q=zanzibarquake",
    "/search.rss?q=zanzibarquake",
    "/search.json?q=zanzibarquake",
    "/search?q=draftword",
    "/lang/sw/feed.atom",
    "/lang/sw/feed.json",
    "/topics/tidal-survey/feed.atom",
    "/topics/tidal-survey",
    "/releases/embargoed-survey",
    "/releases/drafted-memo",
    "/archive/2026/03/feed.atom",
    "/archive/2026/03/feed.json",
    "/archive/2026/03/feed.rss",
];

/// What must not be seen before the embargo (lower case).
const EMBARGOED: &[&str] = &[
    "zanzibarquake",
    "embargoed-survey",
    "tidal-survey",
    "swahili",
];
const DRAFTED: &[&str] = &["draftword", "drafted-memo", "unreleased-topic"];

fn embargoed(app: &TestApp) -> ReleaseInput {
    let at = app.clock.now() + Duration::hours(1);
    ReleaseInput {
        title: "Zanzibarquake survey results".into(),
        summary: Some("Swahili edition".into()),
        body_html: "<p>The zanzibarquake survey.</p>".into(),
        lang: "sw".into(),
        ..scheduled("embargoed-survey", at, &["tidal-survey", "health"])
    }
}

fn drafted() -> ReleaseInput {
    ReleaseInput {
        title: "Draftword memo".into(),
        status: Some("draft".into()),
        ..release("drafted-memo", 0, &["unreleased-topic"])
    }
}

/// Links of this site in a page, feed, OPML or JSON document: paths, or
/// absolute URLs under the test base URL, as paths with their query.
fn links(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in [
        "href=\"",
        "src=\"",
        "xmlUrl=\"",
        "htmlUrl=\"",
        "url\":\"",
        "url\": \"",
    ] {
        let mut rest = body;
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            let raw = rest[..end].replace("&amp;", "&");
            let path = raw
                .strip_prefix("http://press.test")
                .map(str::to_owned)
                .or_else(|| raw.starts_with('/').then(|| raw.clone()));
            if let Some(p) = path
                && !p.starts_with("//")
            {
                out.push(p.split('#').next().unwrap_or_default().to_owned());
            }
        }
    }
    out
}

/// Crawls from the entry points; returns every (path, body) answered 2xx.
async fn crawl(app: &TestApp) -> Vec<(String, String)> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = ENTRY_POINTS.iter().map(|p| (*p).to_owned()).collect();
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if seen.len() >= 400 || !seen.insert(path.clone()) {
            continue;
        }
        // The newsroom is behind a sign-in; the hub takes POSTs only.
        if path.starts_with("/admin") || path.starts_with("/api/") || path == "/websub" {
            continue;
        }
        let r = app.get(&path).await;
        let status = r.status();
        assert!(!status.is_server_error(), "{path}: {status}");
        if !status.is_success() {
            continue;
        }
        let body = r.text().await.unwrap_or_default();
        queue.extend(links(&body));
        pages.push((path, body));
    }
    pages
}

fn traces<'a>(pages: &'a [(String, String)], needles: &[&str]) -> Vec<(&'a str, String)> {
    let mut found = Vec::new();
    for (path, body) in pages {
        let mut lower = body.to_lowercase();
        // A search page and feed repeat the words searched for (in the
        // form, the title, the feed's own links): that is the reader's
        // query, not a trace of a release. Everything else still counts.
        if let Some(q) = path
            .strip_prefix("/search")
            .and_then(|rest| rest.split_once("q="))
            .map(|(_, q)| q.split('&').next().unwrap_or_default().to_lowercase())
            .filter(|q| !q.is_empty())
        {
            lower = lower.replace(&q, "");
        }
        for n in needles {
            if lower.contains(n) {
                found.push((path.as_str(), (*n).to_owned()));
            }
        }
    }
    found
}

#[tokio::test]
async fn no_public_url_shows_an_embargoed_release_or_a_draft_before_its_time() {
    let app = seeded().await;
    // The embargoed release carries a signed statement: its hash names it
    // in every feed once public, so it is a trace like the title.
    let api = crate::media::token(&app);
    let pdf = crate::media::pdf(3000);
    let up = crate::media::uploaded(
        &app,
        &api,
        &[("file", Some("statement.pdf"), Some("application/pdf"), &pdf)],
    )
    .await;
    let sha = up["sha256"].as_str().expect("an uploaded hash").to_owned();
    let media = up["url"]
        .as_str()
        .expect("a media URL")
        .replace("http://press.test", "");
    // And a photo wide enough for a rendition, whose hash is a trace too.
    let photo = crate::media::uploaded(
        &app,
        &api,
        &[
            (
                "file",
                Some("quake.png"),
                None,
                &crate::media::png(640, 320),
            ),
            ("alt", None, None, b"The coast after the quake"),
        ],
    )
    .await;
    let photo_sha = photo["sha256"].as_str().expect("a photo hash").to_owned();
    let rendition = app
        .store()
        .renditions_of(
            &pressfeed::domain::attachment::Sha256Hex::parse(&photo_sha).expect("a hash"),
        )
        .expect("renditions read")
        .first()
        .expect("a 480 px rendition")
        .sha256
        .to_string();
    let mut release = serde_json::to_value(embargoed(&app)).expect("a release as JSON");
    release["attachments"] = serde_json::json!([
        {"sha256": sha, "caption": "Signed statement"},
        {"sha256": photo_sha, "lead": true}
    ]);
    let release: ReleaseInput = serde_json::from_value(release).expect("a release");
    app.save(&[release, drafted()]);
    let embargoed_traces: Vec<&str> = EMBARGOED
        .iter()
        .copied()
        .chain([sha.as_str(), photo_sha.as_str(), rendition.as_str()])
        .collect();
    // An accredited journalist has the release already: their private
    // feeds must leave nothing behind in what the public gets.
    let out = app.run_cli(&["accredit", "Ana Ruiz", "--outlet", "Wire"]);
    assert!(out.status.success());
    let url = String::from_utf8(out.stdout).unwrap();
    let private = &url[url.find("/private/").expect("a private URL")..];
    for doc in ["feed.atom", "feed.rss", "topics/tidal-survey/feed.json"] {
        let body = app.text(&format!("{}{doc}", private.trim())).await;
        assert!(body.contains("zanzibarquake"), "{doc} has it early");
    }
    let pages = crawl(&app).await;
    assert!(pages.len() >= 10, "the crawl reached {} pages", pages.len());
    let leaks = traces(&pages, &[&embargoed_traces[..], DRAFTED].concat());
    assert!(leaks.is_empty(), "seen before the embargo: {leaks:?}");
    assert_eq!(app.get(&media).await.status(), 404, "{media} served early");
    let linked: Vec<_> = traces(&pages, &["/private/"]);
    assert!(
        linked.is_empty(),
        "a public page links a private feed: {linked:?}"
    );

    app.clock.advance(Duration::hours(1));
    let pages = crawl(&app).await;
    let found: BTreeSet<String> = traces(&pages, &embargoed_traces)
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(app.get(&media).await.status(), 200, "{media} once lifted");
    assert_eq!(
        found.len(),
        embargoed_traces.len(),
        "after the embargo the crawl finds every trace: {found:?}"
    );
    let leaks = traces(&pages, DRAFTED);
    assert!(leaks.is_empty(), "a draft is never public: {leaks:?}");
}
