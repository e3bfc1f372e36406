//! Cold render of one RFC 5005 archive document: a month holding 10,000
//! releases, in a database of 30,000 (the month's query is a range, not the
//! whole table), read from the store and rendered as Atom, RSS and JSON
//! Feed with no feed cache. The target: at most 50 ms.
//!
//! The database is built once under target/bench-data/ and reused.

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use pressfeed::domain::{Month, ReleaseInput};
use pressfeed::feeds::{Site, render_atom, render_json, render_rss};
use pressfeed::model::FeedScope;
use pressfeed::store::Store;
use std::path::PathBuf;

const IN_MONTH: usize = 10_000;
const TOTAL: usize = 30_000;

fn body(i: usize) -> String {
    format!(
        "<p>Release {i}: the office reports steady progress on the programme of work, \
         with partners from more than forty countries taking part in the sessions.</p>\
         <p>Further consultations are expected in the last quarter; the full text of the \
         report is available on the website &amp; in the library.</p>"
    )
}

fn build() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let path = dir.join(format!("archive-{TOTAL}.db"));
    if let Ok(store) = Store::open(&path, 1)
        && store.count_releases().unwrap_or(0) == TOTAL as i64
    {
        return path;
    }
    let _ = std::fs::remove_file(&path);
    let store = Store::open(&path, 1).expect("open bench db");
    // 10,000 in May 2024 (one every 4 minutes), the rest spread over the
    // months before and after.
    let may = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    let drafts: Vec<_> = (0..TOTAL)
        .map(|i| {
            let at = if i < IN_MONTH {
                may + Duration::minutes(i as i64 * 4)
            } else {
                let k = (i - IN_MONTH) as i64;
                let offset = Duration::minutes(k * 37);
                if k % 2 == 0 {
                    may - Duration::days(1) - offset
                } else {
                    may + Duration::days(32) + offset
                }
            };
            ReleaseInput {
                slug: format!("release-{i:06}"),
                title: format!("Release number {i} on topic {}", i % 20),
                summary: Some(format!("Summary of release {i}.")),
                body_html: body(i),
                organization: "Bench Office".into(),
                lang: if i % 6 == 0 { "ar".into() } else { "en".into() },
                published_at: at.to_rfc3339(),
                topics: vec![format!("topic-{:02}", i % 20)],
                ..Default::default()
            }
            .validate()
            .expect("valid bench release")
        })
        .collect();
    store
        .save_releases(&drafts, Utc::now(), "bench.example", &mut |_| {})
        .expect("bench data saved");
    path
}

fn bench(c: &mut Criterion) {
    let site = Site {
        base_url: "https://press.example".into(),
        title: "Bench".into(),
        description: "Bench".into(),
        lang: "en".into(),
        hubs: Vec::new(),
    };
    let store = Store::open(&build(), 2).expect("bench db");
    let month = Month::new(2024, 5).expect("a month");
    let now = Utc::now();
    let snap = store
        .archive_snapshot(&FeedScope::All, month, now)
        .expect("read")
        .expect("the month has releases");
    assert_eq!(snap.items.len(), IN_MONTH);
    let mut group = c.benchmark_group("archive_month_10k");
    group.sample_size(10);
    group.bench_function("query", |b| {
        b.iter(|| store.archive_snapshot(&FeedScope::All, month, now).unwrap())
    });
    for (name, render) in [
        ("query+atom", render_atom as fn(&Site, &_) -> Vec<u8>),
        ("query+rss", render_rss),
        ("query+json", render_json),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let snap = store
                    .archive_snapshot(&FeedScope::All, month, now)
                    .unwrap()
                    .unwrap();
                render(&site, &snap)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
