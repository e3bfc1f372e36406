//! RFC 5005 archives: a crawler following `prev-archive` from any current
//! feed finds every visible release of that scope exactly once, and a write
//! inside one month changes that month's archive (and its validators)
//! only.

use crate::helpers::{TestApp, header, release, spawn_app, spawn_app_on_system_clock, t0};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use pressfeed::domain::ReleaseInput;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One document of the chain as a crawler reads it.
struct Doc {
    archive: bool,
    current: Option<String>,
    prev: Option<String>,
    next: Option<String>,
    /// Item links (`/releases/{slug}`) and their publication times.
    items: Vec<(String, DateTime<Utc>)>,
}

fn path_of(url: &str) -> String {
    url.strip_prefix("http://press.test")
        .unwrap_or(url)
        .to_owned()
}

fn parse(format: &str, body: &str) -> Doc {
    match format {
        "atom" => {
            let feed: atom_syndication::Feed = body.parse().expect("valid Atom");
            let link = |rel: &str| {
                feed.links()
                    .iter()
                    .find(|l| l.rel() == rel)
                    .map(|l| path_of(l.href()))
            };
            Doc {
                archive: feed
                    .extensions()
                    .get("fh")
                    .is_some_and(|e| e.contains_key("archive")),
                current: link("current"),
                prev: link("prev-archive"),
                next: link("next-archive"),
                items: feed
                    .entries()
                    .iter()
                    .map(|e| {
                        let link = e.links().iter().find(|l| l.rel() == "alternate").unwrap();
                        let at = e.published().unwrap().with_timezone(&Utc);
                        (path_of(link.href()), at)
                    })
                    .collect(),
            }
        }
        "rss" => {
            let channel = rss::Channel::read_from(body.as_bytes()).expect("valid RSS");
            let atom = channel.atom_ext().expect("atom links");
            let link = |rel: &str| {
                atom.links()
                    .iter()
                    .find(|l| l.rel() == rel)
                    .map(|l| path_of(l.href()))
            };
            Doc {
                archive: channel
                    .extensions()
                    .get("fh")
                    .is_some_and(|e| e.contains_key("archive")),
                current: link("current"),
                prev: link("prev-archive"),
                next: link("next-archive"),
                items: channel
                    .items()
                    .iter()
                    .map(|i| {
                        let at = DateTime::parse_from_rfc2822(i.pub_date().unwrap()).unwrap();
                        (path_of(i.link().unwrap()), at.with_timezone(&Utc))
                    })
                    .collect(),
            }
        }
        _ => {
            let v: serde_json::Value = serde_json::from_str(body).expect("valid JSON");
            let s = |v: &serde_json::Value| v.as_str().map(path_of);
            Doc {
                archive: v["_archive"]["archive"] == true,
                current: s(&v["_archive"]["current"]),
                prev: s(&v["next_url"]),
                next: s(&v["_archive"]["next_archive"]),
                items: v["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| {
                        let at =
                            DateTime::parse_from_rfc3339(i["date_published"].as_str().unwrap())
                                .unwrap();
                        (s(&i["url"]).unwrap(), at.with_timezone(&Utc))
                    })
                    .collect(),
            }
        }
    }
}

async fn fetch(app: &TestApp, path: &str, format: &str) -> Doc {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    parse(format, &r.text().await.unwrap())
}

/// Follows `prev-archive` from the current feed at `scope` (`` or
/// `/topics/x`) to the end; every archive document must be marked, link
/// back to the current feed and to the document the crawler came from.
/// Returns each release link with the number of archive documents it was
/// found in, and the current feed's own items.
async fn crawl(app: &TestApp, scope: &str, format: &str) -> (HashMap<String, usize>, Vec<String>) {
    let current_path = format!("{scope}/feed.{format}");
    let current = fetch(app, &current_path, format).await;
    assert!(!current.archive, "{current_path} is not an archive");
    let mut found: HashMap<String, usize> = HashMap::new();
    let mut next_expected: Option<String> = None;
    let mut at = current.prev.clone();
    let mut seen_docs = HashSet::new();
    while let Some(path) = at {
        assert!(seen_docs.insert(path.clone()), "a loop at {path}");
        let doc = fetch(app, &path, format).await;
        assert!(doc.archive, "{path} is marked fh:archive");
        assert_eq!(
            doc.current.as_deref(),
            Some(current_path.as_str()),
            "{path}"
        );
        assert_eq!(doc.next, next_expected, "{path} links the newer month back");
        assert!(!doc.items.is_empty(), "{path} is not empty");
        // Every item of `/archive/YYYY/MM/` was published in that month.
        let month: Vec<&str> = path.rsplitn(4, '/').collect();
        let (y, m): (i32, u32) = (month[2].parse().unwrap(), month[1].parse().unwrap());
        for (link, when) in &doc.items {
            assert_eq!((when.year(), when.month()), (y, m), "{link} in {path}");
            *found.entry(link.clone()).or_default() += 1;
        }
        next_expected = Some(path);
        at = doc.prev;
    }
    (found, current.items.into_iter().map(|(l, _)| l).collect())
}

/// A small deterministic generator (no dependency for a few numbers).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// About 700 releases from January 2023 to a few days after t0 (March
/// 2026): months left empty, drafts, retractions, scheduled releases,
/// three topics and three languages.
/// Each release's link: when it is published, its topics, and whether
/// readers see it at t0.
type Truth = BTreeMap<String, (DateTime<Utc>, Vec<String>, bool)>;

fn multi_year_data() -> (Vec<ReleaseInput>, Truth) {
    let mut rng = Lcg(42);
    let start = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    let span = (t0() + Duration::days(10) - start).num_seconds() as u64;
    let mut out = Vec::new();
    let mut truth = BTreeMap::new();
    let topics = ["alpha", "beta", "gamma"];
    for i in 0..700 {
        let at = start + Duration::seconds(rng.next(span) as i64);
        // Every month whose number is 3 more than a multiple of 7 stays empty.
        if (at.year() * 12 + at.month() as i32) % 7 == 3 {
            continue;
        }
        let chosen: Vec<String> = topics
            .iter()
            .filter(|_| rng.next(3) == 0)
            .map(|t| (*t).to_owned())
            .collect();
        let status = match rng.next(20) {
            0 => "draft",
            1 => "retracted",
            _ => "published",
        };
        let slug = format!("r{i}");
        let mut r = release(
            &slug,
            0,
            &chosen.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        r.published_at = at.to_rfc3339();
        r.status = Some(status.into());
        r.lang = ["en", "en", "ar", "fr"][rng.next(4) as usize].into();
        let visible = status == "published" && at <= t0();
        truth.insert(format!("/releases/{slug}"), (at, chosen, visible));
        out.push(r);
    }
    (out, truth)
}

#[tokio::test]
async fn a_crawler_following_prev_archive_finds_every_visible_release_once() {
    let app = spawn_app().await;
    let (data, truth) = multi_year_data();
    app.save(&data);
    for scope in ["", "/topics/alpha", "/topics/beta", "/topics/gamma"] {
        let expected: HashSet<&String> = truth
            .iter()
            .filter(|(_, (_, topics, visible))| {
                *visible && (scope.is_empty() || topics.iter().any(|t| scope.ends_with(t.as_str())))
            })
            .map(|(link, _)| link)
            .collect();
        assert!(expected.len() > 100, "{scope}: {} releases", expected.len());
        let years: HashSet<i32> = expected.iter().map(|l| truth[*l].0.year()).collect();
        assert_eq!(years.len(), 4, "the data spans 2023 to 2026");
        for format in ["rss", "atom", "json"] {
            let (found, current) = crawl(&app, scope, format).await;
            let twice: Vec<_> = found.iter().filter(|(_, n)| **n > 1).collect();
            assert!(twice.is_empty(), "{scope} {format}: found twice: {twice:?}");
            let found: HashSet<&String> = found.keys().collect();
            let missing: Vec<_> = expected.difference(&found).collect();
            let extra: Vec<_> = found.difference(&expected).collect();
            assert!(missing.is_empty(), "{scope} {format}: missing {missing:?}");
            assert!(extra.is_empty(), "{scope} {format}: not visible {extra:?}");
            // The current feed's window is in the archives too.
            assert_eq!(current.len(), 50, "{scope} {format}");
            assert!(current.iter().all(|l| found.contains(l)));
        }
    }
    // A month with no releases, a future one, or a malformed one: 404.
    for path in [
        "/archive/2023/03/feed.atom",
        "/archive/2026/04/feed.atom",
        "/archive/2024/5/feed.atom",
        "/archive/2024/13/feed.rss",
        "/archive/abcd/01/feed.json",
        "/archive/2024/01/feed.xml",
        "/topics/nope/archive/2024/01/feed.atom",
        "/topics/alpha/archive/2023/03/feed.rss",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    // The scheduled releases of this month appear in its archive at their time.
    let march = "/archive/2026/03/feed.json";
    let r = app.get(march).await;
    let before = match r.status().as_u16() {
        404 => 0,
        _ => parse("json", &r.text().await.unwrap()).items.len(),
    };
    let scheduled = truth
        .iter()
        .filter(|(_, (at, _, _))| *at > t0() && at.month() == 3)
        .count();
    assert!(scheduled > 0);
    app.clock.advance(Duration::days(40));
    let after = fetch(&app, march, "json").await.items.len();
    assert!(after > before, "{after} > {before}");
}

struct Answer {
    etag: String,
    last_modified: String,
    cache_control: String,
    body: String,
}

async fn full(app: &TestApp, path: &str) -> Answer {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    let h = r.headers().clone();
    Answer {
        etag: header(&h, "etag").to_owned(),
        last_modified: header(&h, "last-modified").to_owned(),
        cache_control: header(&h, "cache-control").to_owned(),
        body: r.text().await.unwrap(),
    }
}

fn at(y: i32, m: u32, d: u32) -> ReleaseInput {
    let when = Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap();
    let mut r = release(&format!("r-{y}-{m}-{d}"), 0, &["alpha"]);
    r.published_at = when.to_rfc3339();
    r
}

const OCT: &str = "/archive/2025/10/feed.atom";
const NOV: &str = "/archive/2025/11/feed.rss";
const DEC: &str = "/topics/alpha/archive/2025/12/feed.json";
const JAN: &str = "/archive/2026/01/feed.atom";

#[tokio::test]
async fn a_write_inside_one_month_changes_that_archive_only() {
    let app = spawn_app().await;
    app.save(&[
        at(2025, 10, 3),
        at(2025, 11, 5),
        at(2025, 12, 7),
        at(2026, 1, 9),
    ]);
    let before: Vec<Answer> = futures_all(&app, &[OCT, NOV, DEC, JAN]).await;
    let renders = app.state.cache.renders();
    app.clock.advance(Duration::minutes(5));

    // An edit in November: November's archive changes, with later
    // validators; October, December and January keep bytes and validators
    // and are not even rendered again.
    let mut edited = at(2025, 11, 5);
    edited.title = "Corrected title".into();
    app.save(&[edited]);
    let nov = full(&app, NOV).await;
    assert!(nov.body.contains("Corrected title"));
    assert_ne!(nov.etag, before[1].etag);
    let lm = |s: &str| DateTime::parse_from_rfc2822(s).unwrap();
    assert!(lm(&nov.last_modified) > lm(&before[1].last_modified));
    let r = app
        .get_with(NOV, &[("if-modified-since", &before[1].last_modified)])
        .await;
    assert_eq!(r.status(), 200, "the old date is older than the edit");
    for (path, old) in [(OCT, &before[0]), (DEC, &before[2]), (JAN, &before[3])] {
        let r = app.get_with(path, &[("if-none-match", &old.etag)]).await;
        assert_eq!(r.status(), 304, "{path}");
        let r = app
            .get_with(path, &[("if-modified-since", &old.last_modified)])
            .await;
        assert_eq!(r.status(), 304, "{path}");
        let now = full(&app, path).await;
        assert_eq!(
            (&now.etag, &now.last_modified),
            (&old.etag, &old.last_modified)
        );
        assert_eq!(now.body, old.body);
    }
    assert_eq!(
        app.state.cache.renders(),
        renders + 1,
        "only November rendered"
    );

    // A retraction in December changes December (the topic's too).
    app.clock.advance(Duration::minutes(5));
    let id = app
        .store()
        .release_by_slug("r-2025-12-7")
        .unwrap()
        .unwrap()
        .id;
    app.store()
        .set_release_status(
            id,
            pressfeed::domain::Status::Retracted,
            None,
            app.clock.now(),
        )
        .unwrap();
    // It was the month's only release: the month is gone, and its
    // neighbours now link each other.
    assert_eq!(app.get(DEC).await.status(), 404);
    let nov_alpha = fetch(&app, "/topics/alpha/archive/2025/11/feed.json", "json").await;
    assert_eq!(
        nov_alpha.next.as_deref(),
        Some("/topics/alpha/archive/2026/01/feed.json")
    );
    let oct = full(&app, OCT).await;
    assert_eq!(
        oct.etag, before[0].etag,
        "October is no neighbour of December"
    );
}

async fn futures_all(app: &TestApp, paths: &[&str]) -> Vec<Answer> {
    let mut out = Vec::new();
    for p in paths {
        out.push(full(app, p).await);
    }
    out
}

#[tokio::test]
async fn a_month_that_appears_changes_its_neighbours_and_nothing_further() {
    let app = spawn_app().await;
    app.save(&[
        at(2025, 9, 1),
        at(2025, 10, 3),
        at(2025, 12, 7),
        at(2026, 1, 9),
    ]);
    let sep = full(&app, "/archive/2025/09/feed.atom").await;
    let oct = full(&app, OCT).await;
    let dec = full(&app, "/archive/2025/12/feed.atom").await;
    let jan = full(&app, JAN).await;
    app.clock.advance(Duration::minutes(5));
    app.save(&[at(2025, 11, 5)]);
    let oct2 = fetch(&app, OCT, "atom").await;
    assert_eq!(oct2.next.as_deref(), Some("/archive/2025/11/feed.atom"));
    let dec2 = fetch(&app, "/archive/2025/12/feed.atom", "atom").await;
    assert_eq!(dec2.prev.as_deref(), Some("/archive/2025/11/feed.atom"));
    assert_ne!(full(&app, OCT).await.etag, oct.etag);
    assert_ne!(
        full(&app, "/archive/2025/12/feed.atom").await.etag,
        dec.etag
    );
    for (path, old) in [("/archive/2025/09/feed.atom", &sep), (JAN, &jan)] {
        let now = full(&app, path).await;
        assert_eq!(
            (now.etag, now.last_modified),
            (old.etag.clone(), old.last_modified.clone()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_second_change_in_the_same_second_gets_a_later_last_modified() {
    let app = spawn_app().await;
    app.save(&[at(2025, 10, 3), at(2025, 11, 5)]);
    app.clock.advance(Duration::minutes(1));
    let mut edited = at(2025, 11, 5);
    edited.title = "First edit".into();
    app.save(&[edited.clone()]);
    let first = full(&app, NOV).await;
    // Same second (the manual clock has not moved): the new version must
    // not share the Last-Modified the first was sent with.
    edited.title = "Second edit".into();
    app.save(&[edited]);
    let r = app
        .get_with(NOV, &[("if-modified-since", &first.last_modified)])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Second edit"));
}

#[tokio::test]
async fn closed_months_are_cached_longer_and_the_embargo_still_caps_them() {
    let app = spawn_app().await;
    app.save(&[at(2025, 11, 5), at(2026, 2, 20)]);
    let closed = full(&app, NOV).await;
    assert_eq!(closed.cache_control, "public, max-age=3600");
    assert_eq!(
        full(&app, "/archive/2026/02/feed.atom").await.cache_control,
        "public, max-age=3600"
    );
    assert_eq!(
        full(&app, "/feed.atom").await.cache_control,
        "public, max-age=300"
    );
    // A release scheduled 20 minutes from now, in March, gives February
    // (the newest month) a `next-archive` link at that instant: February
    // may be kept until then only. November is not affected.
    let mut march = at(2026, 3, 1);
    march.published_at = (t0() + Duration::minutes(20)).to_rfc3339();
    app.save(&[march]);
    assert_eq!(
        full(&app, "/archive/2026/02/feed.atom").await.cache_control,
        "public, max-age=1200"
    );
    assert_eq!(full(&app, NOV).await.cache_control, "public, max-age=3600");
    assert_eq!(app.get("/archive/2026/03/feed.atom").await.status(), 404);
    app.clock.advance(Duration::minutes(20));
    let feb = fetch(&app, "/archive/2026/02/feed.atom", "atom").await;
    assert_eq!(feb.next.as_deref(), Some("/archive/2026/03/feed.atom"));
    // The current month is an archive too, cached like the current feed.
    let current_month = full(&app, "/archive/2026/03/feed.atom").await;
    assert_eq!(current_month.cache_control, "public, max-age=300");
}

#[tokio::test]
async fn an_import_in_another_process_changes_only_its_months_validators() {
    let app = spawn_app_on_system_clock().await;
    let now = Utc::now();
    let this_month = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .unwrap();
    let old = |slug: &str, days_before: i64| {
        let mut r = release(slug, 0, &["alpha"]);
        r.published_at = (this_month - Duration::days(days_before)).to_rfc3339();
        r
    };
    app.save(&[old("a", 40), old("b", 100)]);
    let a_month = pressfeed::domain::Month::of(this_month - Duration::days(40)).unwrap();
    let b_month = pressfeed::domain::Month::of(this_month - Duration::days(100)).unwrap();
    let path = |m: pressfeed::domain::Month| {
        format!(
            "/archive/{}/{}/feed.atom",
            m.year_segment(),
            m.month_segment()
        )
    };
    let a = full(&app, &path(a_month)).await;
    let b = full(&app, &path(b_month)).await;
    let mut edited = old("a", 40);
    edited.title = "Edited elsewhere".into();
    app.import_in_another_process(&[serde_json::to_value(edited).unwrap()]);
    let a2 = full(&app, &path(a_month)).await;
    assert!(a2.body.contains("Edited elsewhere"));
    assert_ne!(a2.etag, a.etag);
    let b2 = full(&app, &path(b_month)).await;
    assert_eq!((b2.etag, b2.last_modified), (b.etag, b.last_modified));
}
