//! Invisible writes leave validators alone (issue 9, part 3): a draft or a
//! release scheduled for later changes no feed's bytes, ETag or
//! Last-Modified; `<updated>` / `lastBuildDate` is the newest visible
//! change, and moves when the scheduled release appears, at its time.

use crate::conditional::{feeds, seeded};
use crate::helpers::{TestApp, header, release, scheduled};
use chrono::{DateTime, Duration, SecondsFormat, Utc};

struct Validators {
    etag: String,
    last_modified: String,
    body: String,
}

async fn validators(app: &TestApp, path: &str) -> Validators {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    let h = r.headers().clone();
    Validators {
        etag: header(&h, "etag").to_owned(),
        last_modified: header(&h, "last-modified").to_owned(),
        body: r.text().await.unwrap(),
    }
}

fn same(path: &str, before: &Validators, after: &Validators) {
    assert_eq!(before.etag, after.etag, "{path}: ETag");
    assert_eq!(
        before.last_modified, after.last_modified,
        "{path}: Last-Modified"
    );
    assert!(
        before.body == after.body,
        "{path}: bytes changed:\n{}\n{}",
        before.body,
        after.body
    );
}

async fn all(app: &TestApp) -> Vec<Validators> {
    let mut v = Vec::new();
    for path in feeds() {
        v.push(validators(app, path).await);
    }
    v
}

/// The feed-level dates: Atom `<updated>` and RSS `<lastBuildDate>`.
fn feed_dates(v: &[Validators]) -> (String, String) {
    let between = |body: &str, open: &str, close: &str| {
        let start = body.find(open).unwrap_or_else(|| panic!("no {open}")) + open.len();
        body[start..][..body[start..].find(close).unwrap()].to_owned()
    };
    (
        between(&v[1].body, "<updated>", "</updated>"),
        between(&v[0].body, "<lastBuildDate>", "</lastBuildDate>"),
    )
}

fn atom_date(t: DateTime<Utc>) -> String {
    t.fixed_offset().to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[tokio::test]
async fn drafts_and_releases_scheduled_for_later_leave_every_feed_alone() {
    let app = seeded().await;
    app.clock.advance(Duration::minutes(1));
    let before = all(&app).await;
    let (updated, last_build) = feed_dates(&before);

    app.clock.advance(Duration::minutes(1));
    let next_week = app.clock.now() + Duration::days(7);
    let mut next = scheduled("next-week", next_week, &["health"]);
    let mut draft = release("draft", 0, &["health", "energy"]);
    draft.status = Some("draft".into());
    app.save(&[next.clone(), draft.clone()]);
    app.clock.advance(Duration::minutes(1));
    // Edited while still scheduled, and a second draft in another write.
    next.title = "Next week, revised".into();
    draft.title = "Draft, revised".into();
    app.save(&[next]);
    app.save(&[draft]);
    app.clock.advance(Duration::minutes(1));

    let after = all(&app).await;
    for ((path, b), a) in feeds().iter().zip(&before).zip(&after) {
        same(path, b, a);
        let r = app.get_with(path, &[("if-none-match", &b.etag)]).await;
        assert_eq!(r.status(), 304, "{path}");
    }

    // At its time the scheduled release appears, and everything moves to it.
    app.clock.set(next_week);
    let visible = all(&app).await;
    for ((path, b), v) in feeds().iter().zip(&before).zip(&visible) {
        assert!(v.body.contains("Next week, revised"), "{path}");
        assert_ne!(v.etag, b.etag, "{path}");
        let lm = DateTime::parse_from_rfc2822(&v.last_modified).unwrap();
        assert_eq!(lm.timestamp(), next_week.timestamp(), "{path}");
    }
    let (updated_now, last_build_now) = feed_dates(&visible);
    assert_eq!(updated_now, atom_date(next_week));
    assert_ne!(last_build_now, last_build);
    assert!(!updated.is_empty() && updated_now > updated);
}

#[tokio::test]
async fn retracting_a_release_scheduled_for_later_leaves_every_feed_alone() {
    let app = seeded().await;
    let next_week = app.clock.now() + Duration::days(7);
    app.save(&[scheduled("next-week", next_week, &["health"])]);
    app.clock.advance(Duration::minutes(1));
    let before = all(&app).await;
    app.clock.advance(Duration::minutes(1));
    let id = app
        .store()
        .release_id_by_slug("next-week")
        .unwrap()
        .unwrap();
    pressfeed::service::retract_release(app.store(), id, "Cancelled", app.clock.now())
        .expect("retracted");
    let after = all(&app).await;
    for ((path, b), a) in feeds().iter().zip(&before).zip(&after) {
        same(path, b, a);
    }
}
