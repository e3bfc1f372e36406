//! The home, topic and month pages list a bounded number of releases,
//! newest first, with `rel="next"` / `rel="prev"` links; a bad page number
//! is a 404.

use crate::helpers::{TestApp, release, spawn_app};
use chrono::{TimeZone, Utc};

fn slugs(page: &str) -> Vec<String> {
    page.split("href=\"/releases/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

fn rel(page: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\" href=\"");
    page.split(&marker)
        .nth(1)
        .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"))
}

/// Walks `rel="next"` from `first` to the end, checking each page's
/// `rel="prev"` points back; returns every slug in order.
async fn walk(app: &TestApp, first: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = Some(first.to_owned());
    let mut previous: Option<String> = None;
    while let Some(path) = at {
        let r = app.get(&path).await;
        assert_eq!(r.status(), 200, "{path}");
        let page = r.text().await.unwrap();
        let listed = slugs(&page);
        assert!(listed.len() <= 20, "{path}: {} releases", listed.len());
        assert_eq!(rel(&page, "prev"), previous, "{path}");
        out.extend(listed);
        previous = Some(path);
        at = rel(&page, "next");
    }
    out
}

#[tokio::test]
async fn pages_go_back_through_every_release_newest_first() {
    let app = spawn_app().await;
    let releases: Vec<_> = (0..45)
        .map(|i| {
            release(
                &format!("r{i:02}"),
                i,
                if i % 2 == 0 { &["even"] } else { &[] },
            )
        })
        .collect();
    app.save(&releases);
    let all = walk(&app, "/").await;
    let expected: Vec<String> = (0..45).map(|i| format!("r{i:02}")).collect();
    assert_eq!(all, expected);
    let even = walk(&app, "/topics/even").await;
    let expected: Vec<String> = (0..45).step_by(2).map(|i| format!("r{i:02}")).collect();
    assert_eq!(even, expected);
    for path in [
        "/?page=0",
        "/?page=4",
        "/?page=-1",
        "/?page=abc",
        "/?page=01",
        "/?page=99999999999999999999",
        "/?page=2&page=3",
        "/topics/even?page=3",
        "/topics/nope?page=1",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn a_month_page_lists_that_month_and_links_its_neighbours_and_feeds() {
    let app = spawn_app().await;
    let mut data = Vec::new();
    for (i, (m, d)) in [(1, 5), (1, 20), (3, 2)].iter().enumerate() {
        let mut r = release(&format!("m{i}"), 0, &[]);
        r.published_at = Utc
            .with_ymd_and_hms(2025, *m, *d, 8, 0, 0)
            .unwrap()
            .to_rfc3339();
        data.push(r);
    }
    for i in 0..25 {
        let mut r = release(&format!("big{i:02}"), 0, &[]);
        r.published_at = Utc
            .with_ymd_and_hms(2025, 6, 1 + i, 8, 0, 0)
            .unwrap()
            .to_rfc3339();
        data.push(r);
    }
    app.save(&data);
    let jan = app.text("/archive/2025/01/").await;
    assert_eq!(slugs(&jan), ["m1", "m0"]);
    assert!(jan.contains("href=\"/archive/2025/03/\""), "{jan}");
    assert!(
        jan.contains("href=\"http://press.test/archive/2025/01/feed.atom\""),
        "{jan}"
    );
    let june = walk(&app, "/archive/2025/06/").await;
    assert_eq!(june.len(), 25);
    for path in [
        "/archive/2025/02/",
        "/archive/2025/13/",
        "/archive/25/01/",
        "/archive/2025/06/?page=3",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}
