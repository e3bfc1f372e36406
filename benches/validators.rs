//! A 304 for a document whose body was evicted (issue 17): what a
//! conditional GET costs after the scope map says the document is current,
//! with 10,000 topic documents cached and the measured one's body long gone.
//! Compare `evicted_304` with `cached_304` (same document, body held): a 304
//! never renders, so the two should cost the same.

use actix_web::test::TestRequest;
use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use pressfeed::domain::Slug;
use pressfeed::feeds::Format;
use pressfeed::http::cache::{DocKey, FeedCache, Lookup};
use pressfeed::http::conditional::Representation;
use pressfeed::http::freshness::Freshness;
use pressfeed::model::FeedScope;

const TOPICS: usize = 10_000;

fn key(n: usize) -> DocKey {
    DocKey::Feed(
        FeedScope::Topic(Slug::parse(&format!("topic-{n:05}")).expect("slug")),
        Format::Atom,
    )
}

fn doc(n: usize) -> Representation {
    let body = format!("<feed>{}</feed>", "x".repeat(90_000 + n)).into_bytes();
    Representation::new("application/atom+xml", body, Utc::now(), None)
}

fn bench(c: &mut Criterion) {
    // 64 MiB: about 350 bodies of ~90 KB (counted twice for compression).
    let cache = FeedCache::new(64 * 1024 * 1024);
    let version = (0, 1);
    let mut etags = Vec::with_capacity(TOPICS);
    for n in 0..TOPICS {
        let rep = cache.insert(key(n), doc(n), version);
        etags.push(
            rep.etag(pressfeed::http::conditional::Encoding::Identity)
                .clone(),
        );
    }
    let now = Utc::now();
    let evicted = key(0);
    assert!(
        matches!(cache.lookup(&evicted, version, now), Lookup::Render(_)),
        "topic 0's body is evicted"
    );
    let cached = key(TOPICS - 1);
    let freshness = Freshness::new(300);
    for (name, k, etag) in [
        ("evicted_304", &evicted, &etags[0]),
        ("cached_304", &cached, &etags[TOPICS - 1]),
    ] {
        let req = TestRequest::get()
            .insert_header(("if-none-match", etag.clone()))
            .to_http_request();
        c.bench_function(name, |b| {
            b.iter(|| {
                let meta = cache.validators(k, version, now).expect("validators kept");
                meta.respond_not_modified(&req, &freshness, now)
                    .expect("304")
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
