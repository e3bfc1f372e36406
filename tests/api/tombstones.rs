//! Retractions reach readers that stored the release: RFC 6721 tombstones
//! in the Atom feeds the release was in, for `tombstone_days`.

use crate::helpers::{TestApp, header, release, spawn_app, spawn_app_with, t0};
use chrono::{DateTime, Duration, SecondsFormat, Utc};

const NS: &str = "xmlns:at=\"http://purl.org/atompub/tombstones/1.0\"";

fn uid(app: &TestApp, slug: &str) -> (i64, String) {
    let r = app.store().release_by_slug(slug).unwrap().expect("stored");
    (r.id, r.uid)
}

fn tombstone(uid: &str, when: DateTime<Utc>) -> String {
    format!(
        "<at:deleted-entry ref=\"{uid}\" when=\"{}\">",
        when.to_rfc3339_opts(SecondsFormat::AutoSi, false)
    )
}

async fn etag(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    header(r.headers(), "etag").to_owned()
}

#[tokio::test]
async fn a_retraction_leaves_a_tombstone_in_every_atom_feed_the_release_was_in() {
    let app = spawn_app().await;
    app.save(&[
        release("withdrawn", 3, &["health", "energy"]),
        release("other", 2, &["transport"]),
    ]);
    let (id, uid) = uid(&app, "withdrawn");
    let paths = [
        "/feed.atom",
        "/topics/health/feed.atom",
        "/topics/energy/feed.atom",
        "/topics/transport/feed.atom",
        "/feed.rss",
        "/feed.json",
    ];
    let mut before = Vec::new();
    for p in paths {
        before.push(etag(&app, p).await);
    }

    app.clock.advance(Duration::minutes(5));
    let when = app.clock.now();
    pressfeed::service::retract_release(app.store(), id, "Sent in error & <withdrawn>", when)
        .unwrap();

    for path in [
        "/feed.atom",
        "/topics/health/feed.atom",
        "/topics/energy/feed.atom",
    ] {
        let body = app.text(path).await;
        assert!(body.contains(NS), "{path}: {body}");
        assert!(body.contains(&tombstone(&uid, when)), "{path}: {body}");
        assert!(
            body.contains(
                "<at:comment xml:lang=\"en\">Sent in error &amp; &lt;withdrawn&gt;</at:comment>"
            ),
            "{path}: {body}"
        );
        assert!(
            body.contains("<link href=\"http://press.test/releases/withdrawn\" rel=\"alternate\""),
            "{path}: {body}"
        );
        // Before the first entry: RFC 4287's schema puts entries last.
        let first_entry = body.find("<entry").unwrap_or(body.len());
        assert!(
            body.find("<at:deleted-entry").unwrap() < first_entry,
            "{body}"
        );
        let feed: atom_syndication::Feed = body.parse().expect("still Atom");
        assert!(feed.entries.iter().all(|e| e.id != uid), "{path}");
    }
    // Not in a topic feed it was never in, and no marker RSS or JSON could carry.
    let transport = app.text("/topics/transport/feed.atom").await;
    assert!(!transport.contains("deleted-entry") && !transport.contains(NS));
    for path in ["/feed.rss", "/feed.json"] {
        let body = app.text(path).await;
        assert!(!body.contains(&uid), "{path}: {body}");
    }
    // The retraction changed every feed it was in: validators moved.
    for (p, old) in paths.iter().zip(&before) {
        let now = etag(&app, p).await;
        if *p == "/topics/transport/feed.atom" {
            assert_eq!(&now, old, "{p} did not change");
        } else {
            assert_ne!(&now, old, "{p} still has its old ETag");
        }
    }
}

#[tokio::test]
async fn tombstones_leave_when_their_window_ends_and_the_feed_says_it_changed() {
    let app = spawn_app_with(|s| s.tombstone_days = 2).await;
    app.save(&[release("withdrawn", 3, &["health"])]);
    let (id, uid) = uid(&app, "withdrawn");
    let when = app.clock.now();
    pressfeed::service::retract_release(app.store(), id, "", when).unwrap();
    let with = app.get("/topics/health/feed.atom").await;
    let with_etag = header(with.headers(), "etag").to_owned();
    assert!(with.text().await.unwrap().contains(&tombstone(&uid, when)));
    // No notice given: no comment, the rest is there.
    app.clock.advance(Duration::days(2) - Duration::seconds(1));
    let body = app.text("/topics/health/feed.atom").await;
    assert!(body.contains(&tombstone(&uid, when)), "{body}");
    assert!(!body.contains("at:comment"), "{body}");

    // With no write at all, the window's end changes the document.
    app.clock.advance(Duration::seconds(2));
    for path in ["/topics/health/feed.atom", "/feed.atom"] {
        let r = app.get(path).await;
        let lm = DateTime::parse_from_rfc2822(header(r.headers(), "last-modified")).unwrap();
        assert!(
            lm >= when + Duration::days(2),
            "{path}: Last-Modified {lm} is before the tombstone left"
        );
        let etag = header(r.headers(), "etag").to_owned();
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("deleted-entry") && !body.contains(NS),
            "{path}: {body}"
        );
        if path == "/topics/health/feed.atom" {
            assert_ne!(etag, with_etag);
        }
    }
}

#[tokio::test]
async fn restoring_a_release_removes_its_tombstone() {
    let app = spawn_app().await;
    app.save(&[release("back", 3, &["health"])]);
    let (id, uid) = uid(&app, "back");
    pressfeed::service::retract_release(app.store(), id, "oops", app.clock.now()).unwrap();
    assert!(app.text("/feed.atom").await.contains("deleted-entry"));
    app.clock.advance(Duration::minutes(1));
    pressfeed::service::restore_release(app.store(), id, app.clock.now()).unwrap();
    let body = app.text("/feed.atom").await;
    assert!(!body.contains("deleted-entry"), "{body}");
    assert!(body.contains(&format!("<id>{uid}</id>")), "{body}");
}

#[tokio::test]
async fn only_releases_readers_could_have_seen_get_tombstones() {
    let app = spawn_app().await;
    // Scheduled for tomorrow, withdrawn today: it was in nobody's feed.
    let mut embargoed = release("embargoed", 0, &["health"]);
    embargoed.published_at = (t0() + Duration::days(1)).to_rfc3339();
    let mut draft = release("draft", 1, &["health"]);
    draft.status = Some("draft".into());
    app.save(&[embargoed, draft]);
    let (id, _) = uid(&app, "embargoed");
    pressfeed::service::retract_release(app.store(), id, "", app.clock.now()).unwrap();
    app.clock.advance(Duration::days(2));
    assert!(!app.text("/feed.atom").await.contains("deleted-entry"));

    // A retraction that arrives by import counts like one in the newsroom,
    // and `tombstone_days = 0` turns tombstones off.
    let off = spawn_app_with(|s| s.tombstone_days = 0).await;
    for app in [&app, &off] {
        app.save(&[release("imported", 3, &["health"])]);
        let mut gone = release("imported", 3, &["health"]);
        gone.status = Some("retracted".into());
        app.save(&[gone]);
    }
    let (_, uid) = uid(&app, "imported");
    assert!(
        app.text("/feed.atom")
            .await
            .contains(&tombstone(&uid, app.clock.now()))
    );
    assert!(!off.text("/feed.atom").await.contains("deleted-entry"));
}
