//! Cold render of a topic feed (query + Atom + gzip/brotli variants, no
//! feed cache) at 1,000 and at 1,000,000 releases with 1,000 topics. The
//! target: the big archive costs at most 1.5x the small one.
//!
//! Both databases are built once under target/bench-data/ (the 1M one takes
//! a few minutes) and reused. `PRESSFEED_BENCH_SIZES=1000` skips the big one.

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use pressfeed::domain::{ReleaseInput, Slug};
use pressfeed::feeds::{Site, render_atom};
use pressfeed::http::conditional::{Encoding, Representation};
use pressfeed::model::FeedScope;
use pressfeed::store::Store;
use std::path::PathBuf;

const TOPICS: usize = 1000;
/// Every release is in this topic and one other, so the measured feed has
/// its full 50 items at both sizes.
const MEASURED: &str = "measured";

fn body(i: usize) -> String {
    format!(
        "<p>Release {i}: the office reports steady progress on the programme of work, \
         with partners from more than forty countries taking part in the sessions.</p>\
         <p>Further consultations are expected in the last quarter; the full text of the \
         report is available on the website &amp; in the library.</p>"
    )
}

fn build(size: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let path = dir.join(format!("render-{size}.db"));
    if let Ok(store) = Store::open(&path, 1)
        && store.count_releases().unwrap_or(0) == size as i64
    {
        return path;
    }
    let _ = std::fs::remove_file(&path);
    let store = Store::open(&path, 1).expect("open bench db");
    let start = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let now = Utc::now();
    let chunk = 20_000;
    for from in (0..size).step_by(chunk) {
        let drafts: Vec<_> = (from..(from + chunk).min(size))
            .map(|i| {
                ReleaseInput {
                    slug: format!("release-{i:07}"),
                    title: format!("Release number {i} on topic {}", i % TOPICS),
                    summary: Some(format!("Summary of release {i}.")),
                    body_html: body(i),
                    organization: "Bench Office".into(),
                    lang: if i % 6 == 0 { "ar".into() } else { "en".into() },
                    published_at: (start + Duration::seconds(i as i64 * 60)).to_rfc3339(),
                    topics: vec![MEASURED.into(), format!("topic-{:04}", i % TOPICS)],
                    ..Default::default()
                }
                .validate()
                .expect("valid bench release")
            })
            .collect();
        store
            .save_releases(&drafts, now, "bench.example", &mut |_| {})
            .expect("bench data saved");
        eprintln!("bench data: {}/{size}", (from + chunk).min(size));
    }
    path
}

fn bench(c: &mut Criterion) {
    let sizes: Vec<usize> = std::env::var("PRESSFEED_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let site = Site {
        base_url: "https://press.example".into(),
        title: "Bench".into(),
        description: "Bench".into(),
        lang: "en".into(),
        hubs: Vec::new(),
    };
    let mut group = c.benchmark_group("topic_feed_cold");
    group.sample_size(30);
    for size in sizes {
        let path = build(size);
        let store = Store::open(&path, 2).expect("open");
        let now = Utc::now();
        let measured = FeedScope::Topic(Slug::parse(MEASURED).unwrap());
        let small = FeedScope::Topic(Slug::parse("topic-0007").unwrap());
        group.bench_function(format!("query+atom+compress/{size}"), |b| {
            b.iter(|| {
                let snap = store.feed_snapshot(&measured, 50, now).unwrap().unwrap();
                assert_eq!(snap.items.len(), 50.min(size));
                let body = render_atom(&site, &snap);
                let rep =
                    Representation::new("application/atom+xml", body, snap.last_modified, None);
                rep.body(Encoding::Gzip);
                rep.body(Encoding::Brotli);
                rep
            })
        });
        group.bench_function(format!("query+atom/{size}"), |b| {
            b.iter(|| {
                let snap = store.feed_snapshot(&measured, 50, now).unwrap().unwrap();
                render_atom(&site, &snap)
            })
        });
        group.bench_function(format!("query-only/{size}"), |b| {
            b.iter(|| store.feed_snapshot(&measured, 50, now).unwrap().unwrap())
        });
        group.bench_function(format!("query-only-one-of-1000-topics/{size}"), |b| {
            b.iter(|| store.feed_snapshot(&small, 50, now).unwrap().unwrap())
        });
    }
    group.finish();

    // The per-request freshness check every feed answer pays.
    let path = build(1000);
    let store = Store::open(&path, 1).expect("open");
    c.bench_function("data_version_check", |b| {
        b.iter(|| store.data_version().unwrap())
    });
    c.bench_function("change_version_check", |b| {
        b.iter(|| store.change_version().unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
