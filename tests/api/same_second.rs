//! Several versions within one second (issue 9, part 1): whoever received
//! `Last-Modified: T` with one version gets 200 with `If-Modified-Since: T`
//! once the bytes changed; `If-Modified-Since` equal to the current
//! Last-Modified gets 304; Last-Modified never moves back and is never
//! later than `Date`. Every feed and the OPML, with the clock seam and with
//! `import` run by another process.

use crate::conditional::{DOCS, feeds, http_date, seeded};
use crate::helpers::{TestApp, header, release, scheduled, spawn_app_on_system_clock, t0};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use pressfeed::domain::ReleaseInput;
use reqwest::StatusCode;

/// What one answer said.
struct Seen {
    status: StatusCode,
    etag: String,
    last_modified: Option<DateTime<FixedOffset>>,
    date: DateTime<FixedOffset>,
    body: String,
}

async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Seen {
    let r = app.get_with(path, headers).await;
    let h = r.headers().clone();
    let seen = Seen {
        status: r.status(),
        etag: header(&h, "etag").to_owned(),
        last_modified: h
            .get("last-modified")
            .map(|v| DateTime::parse_from_rfc2822(v.to_str().unwrap()).unwrap()),
        date: DateTime::parse_from_rfc2822(header(&h, "date")).unwrap(),
        body: r.text().await.unwrap(),
    };
    assert!(!seen.etag.is_empty(), "{path}: every answer has an ETag");
    if let Some(lm) = seen.last_modified {
        assert!(
            lm <= seen.date,
            "{path}: Last-Modified {lm} after Date {}",
            seen.date
        );
    }
    seen
}

/// Release "one" retitled and moved to a new topic: a change to every feed
/// of the test (global, health) and to the OPML (the new topic).
fn version(label: &str) -> ReleaseInput {
    let topic = format!("topic-{}", label.to_lowercase());
    let mut r = release("one", 3, &["health", &topic]);
    r.title = format!("One, version {label}");
    r
}

fn shows(body: &str, label: &str) -> bool {
    body.contains(&format!("One, version {label}"))
        || body.contains(&format!("topic-{}", label.to_lowercase()))
}

#[tokio::test]
async fn two_commits_200_ms_apart_in_one_second_are_told_apart_by_if_modified_since() {
    let app = seeded().await;
    let second = t0() + Duration::seconds(5);
    let at = |ms| second + Duration::milliseconds(ms);

    app.clock.set(at(100));
    app.save(&[version("A")]);
    app.clock.set(at(150));
    let mut first = Vec::new();
    for path in DOCS {
        let a = fetch(&app, path, &[]).await;
        assert_eq!(a.status, 200, "{path}");
        assert!(shows(&a.body, "A"), "{path}");
        let lm = a
            .last_modified
            .unwrap_or_else(|| panic!("{path}: no Last-Modified"));
        assert_eq!(lm.timestamp(), second.timestamp(), "{path}");
        first.push(a);
    }

    app.clock.set(at(300)); // 200 ms after the first commit, same second
    app.save(&[version("B")]);
    app.clock.set(at(350));
    for (path, a) in DOCS.iter().zip(&first) {
        let lm_a = http_date(a.last_modified.unwrap().to_utc());
        let b = fetch(&app, path, &[("if-modified-since", &lm_a)]).await;
        assert_eq!(
            b.status, 200,
            "{path}: If-Modified-Since of the first version"
        );
        assert!(shows(&b.body, "B"), "{path}");
        assert_eq!(
            b.last_modified, None,
            "{path}: its second is the next one, which has not come yet"
        );
        let r = fetch(&app, path, &[("if-none-match", &a.etag)]).await;
        assert_eq!(r.status, 200, "{path}: ETag of the first version");
        let r = fetch(&app, path, &[("if-none-match", &b.etag)]).await;
        assert_eq!(r.status, 304, "{path}: the ETag validates meanwhile");
    }

    // More commits in the same second share that next second: nobody was
    // sent it yet. Last-Modified stays within a second of the clock.
    for (ms, label) in [(500, "C"), (700, "D"), (900, "E")] {
        app.clock.set(at(ms));
        app.save(&[version(label)]);
    }
    app.clock.set(at(1000));
    let mut last = Vec::new();
    for (path, a) in DOCS.iter().zip(&first) {
        let e = fetch(&app, path, &[]).await;
        assert!(shows(&e.body, "E"), "{path}");
        let lm = e
            .last_modified
            .unwrap_or_else(|| panic!("{path}: Last-Modified once its second came"));
        assert_eq!(lm.timestamp(), second.timestamp() + 1, "{path}");
        assert!(lm > a.last_modified.unwrap(), "{path}: never moves back");
        let lm_e = http_date(lm.to_utc());
        let r = fetch(&app, path, &[("if-modified-since", &lm_e)]).await;
        assert_eq!(r.status, 304, "{path}: nothing changed since");
        let lm_a = http_date(a.last_modified.unwrap().to_utc());
        let r = fetch(&app, path, &[("if-modified-since", &lm_a)]).await;
        assert_eq!(r.status, 200, "{path}");
        last.push(e);
    }

    // A client now holds the next second; a change within it moves on again.
    app.clock.set(at(1400));
    app.save(&[version("F")]);
    app.clock.set(at(1500));
    for (path, e) in DOCS.iter().zip(&last) {
        let lm_e = http_date(e.last_modified.unwrap().to_utc());
        let f = fetch(&app, path, &[("if-modified-since", &lm_e)]).await;
        assert_eq!(f.status, 200, "{path}");
        assert!(shows(&f.body, "F"), "{path}");
    }
    app.clock.set(at(2000));
    for (path, e) in DOCS.iter().zip(&last) {
        let f = fetch(&app, path, &[]).await;
        assert!(
            f.last_modified.unwrap() > e.last_modified.unwrap(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_release_scheduled_within_the_second_of_a_change_is_not_hidden_by_if_modified_since() {
    let app = seeded().await;
    let second = t0() + Duration::seconds(5);
    let at = |ms| second + Duration::milliseconds(ms);
    let scheduled = scheduled("scheduled", at(500), &["health"]);
    app.clock.set(at(100));
    app.save(&[version("A"), scheduled]);
    let paths = feeds();
    app.clock.set(at(200));
    let mut before = Vec::new();
    for path in paths {
        let a = fetch(&app, path, &[]).await;
        assert!(!a.body.contains("Title of scheduled"), "{path}");
        assert_eq!(a.last_modified.unwrap().timestamp(), second.timestamp());
        before.push(a);
    }
    app.clock.set(at(500));
    for (path, a) in paths.iter().zip(&before) {
        let lm_a = http_date(a.last_modified.unwrap().to_utc());
        let r = fetch(&app, path, &[("if-modified-since", &lm_a)]).await;
        assert_eq!(r.status, 200, "{path}: visible at its time");
        assert!(r.body.contains("Title of scheduled"), "{path}");
        assert_eq!(r.last_modified, None, "{path}");
    }
    app.clock.set(at(1000));
    for path in paths {
        let r = fetch(&app, path, &[]).await;
        assert_eq!(
            r.last_modified.unwrap().timestamp(),
            second.timestamp() + 1,
            "{path}: the first second after it became visible"
        );
    }
}

/// Waits until every document answers with a Last-Modified (at most a
/// second after a change), and returns the answers.
async fn settled(app: &TestApp) -> Vec<Seen> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    'again: loop {
        let mut all = Vec::new();
        for path in DOCS {
            let s = fetch(app, path, &[]).await;
            assert_eq!(s.status, 200, "{path}");
            if s.last_modified.is_none() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{path}: no Last-Modified for 5 s"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue 'again;
            }
            all.push(s);
        }
        return all;
    }
}

fn import(app: &TestApp, r: &ReleaseInput) {
    let file = app.dir.path().join("in.jsonl");
    std::fs::write(&file, serde_json::to_string(r).unwrap()).unwrap();
    let out = app.run_cli(&["import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn imports_by_another_process_within_one_second_are_told_apart() {
    let app = spawn_app_on_system_clock().await;
    let now = Utc::now();
    let published = |r: &mut ReleaseInput| r.published_at = (now - Duration::hours(1)).to_rfc3339();
    let mut a = version("A");
    published(&mut a);
    let mut b = version("B");
    published(&mut b);
    let mut other = release("two", 1, &["health"]);
    published(&mut other);
    import(&app, &other);
    // Start at the beginning of a second, so both imports usually fall in
    // one (that is the case this test is about; if the machine is slow and
    // they do not, every assertion below must hold all the same).
    let into_second = Utc::now().timestamp_subsec_millis();
    tokio::time::sleep(std::time::Duration::from_millis(u64::from(
        1000 - into_second,
    )))
    .await;

    import(&app, &a);
    let first = settled(&app).await;
    import(&app, &b);
    for (path, a) in DOCS.iter().zip(&first) {
        assert!(shows(&a.body, "A"), "{path}");
        let lm_a = http_date(a.last_modified.unwrap().to_utc());
        let r = fetch(&app, path, &[("if-modified-since", &lm_a)]).await;
        assert_eq!(r.status, 200, "{path}: the other process's second import");
        assert!(shows(&r.body, "B"), "{path}");
        // On the system clock the answer waits for its second rather than
        // going without Last-Modified (check_feeds needs one on every 200).
        let lm = r.last_modified.expect("a Last-Modified on every answer");
        assert!(lm > a.last_modified.unwrap(), "{path}");
        assert!(lm <= r.date, "{path}: never later than Date");
    }
    let second = settled(&app).await;
    for ((path, a), b) in DOCS.iter().zip(&first).zip(&second) {
        let lm_b = b.last_modified.unwrap();
        assert!(lm_b > a.last_modified.unwrap(), "{path}: moves forward");
        let r = fetch(
            &app,
            path,
            &[("if-modified-since", &http_date(lm_b.to_utc()))],
        )
        .await;
        assert_eq!(r.status, 304, "{path}: nothing changed since");
    }
}
