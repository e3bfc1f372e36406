//! Two pressfeed processes writing to one database at once (on SQLite one
//! file, on PostgreSQL one server): every write is whole, none is lost,
//! and no id, slug or topic is made twice. The second "process" is a store
//! of its own (its own pool and connections, as another process has), so
//! the writes really race in the database.

use crate::helpers::{release, spawn_app_on, spawn_app_on_system_clock};
use pressfeed::domain::ReleaseInput;
use pressfeed::store::Store;
use std::collections::HashSet;
use std::sync::{Arc, Barrier};

const ROUNDS: usize = 40;

fn save(store: &Store, r: ReleaseInput) {
    let draft = r.validate().expect("valid release");
    pressfeed::service::import(
        store,
        &pressfeed::service::ImportFile::releases(vec![draft]),
        chrono::Utc::now(),
        "press.test",
        &mut |_| {},
    )
    .expect("saved");
}

/// Version `i` of the shared release as process `who` writes it: the
/// title, summary and topics all name the version, so a save applied in
/// part shows up as a mix.
fn version(who: &str, i: usize) -> ReleaseInput {
    let mut r = release("shared", 1, &[&format!("{who}-{i}"), "both"]);
    r.title = format!("{who} {i}");
    r.summary = Some(format!("summary {who} {i}"));
    r.published_at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    r
}

#[tokio::test]
async fn two_processes_writing_at_once_lose_nothing_and_make_nothing_twice() {
    let app = spawn_app_on_system_clock().await;
    let other = Arc::new(Store::open(&app.db, 4).expect("a second store on the same database"));
    let here = Arc::clone(app.store());
    let versions_before = here.scope_versions(None).unwrap();
    let start = Arc::new(Barrier::new(2));
    let writer = |store: Arc<Store>, who: &'static str, start: Arc<Barrier>| {
        std::thread::spawn(move || {
            start.wait();
            for i in 0..ROUNDS {
                // One release both edit, and one of each's own per round,
                // whose slug the other process also creates ("new-i").
                save(&store, version(who, i));
                let mut own = release(&format!("{who}-own-{i}"), 2, &["both"]);
                own.published_at = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
                save(&store, own);
                let mut new = release(&format!("new-{i}"), 3, &[&format!("topic-{i}")]);
                new.title = format!("new {i} by {who}");
                new.published_at = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
                save(&store, new);
            }
        })
    };
    let a = writer(Arc::clone(&here), "a", Arc::clone(&start));
    let b = writer(Arc::clone(&other), "b", Arc::clone(&start));
    a.join().expect("process a wrote");
    b.join().expect("process b wrote");

    let mut all: Vec<ReleaseInput> = Vec::new();
    here.export(&mut |r| {
        all.push(r);
        Ok(())
    })
    .expect("export");
    // Nothing made twice: one release per slug, one id per release.
    let slugs: Vec<&str> = all.iter().map(|r| r.slug.as_str()).collect();
    let unique: HashSet<&str> = slugs.iter().copied().collect();
    assert_eq!(slugs.len(), unique.len(), "a slug stored twice");
    assert_eq!(all.len(), 1 + 2 * ROUNDS + ROUNDS, "every release, once");
    let ids: HashSet<&str> = all.iter().filter_map(|r| r.id.as_deref()).collect();
    assert_eq!(ids.len(), all.len(), "an id given twice");
    // Nothing lost: each process's own releases are all there.
    for who in ["a", "b"] {
        for i in 0..ROUNDS {
            assert!(unique.contains(format!("{who}-own-{i}").as_str()));
        }
    }
    // Every save whole: the shared release is one version, all its fields
    // and topics from the same save, and it is the last of a process.
    let shared = all.iter().find(|r| r.slug == "shared").unwrap();
    let (who, i) = shared.title.split_once(' ').unwrap();
    assert_eq!(
        shared.summary.as_deref(),
        Some(format!("summary {who} {i}").as_str())
    );
    let mut topics = shared.topics.clone();
    topics.sort();
    let mut want = vec!["both".to_owned(), format!("{who}-{i}")];
    want.sort();
    assert_eq!(topics, want);
    assert_eq!(i, (ROUNDS - 1).to_string(), "the last save of one of them");
    // Each "new-i" is one process's whole save, under one topic made once.
    for i in 0..ROUNDS {
        let new = all.iter().find(|r| r.slug == format!("new-{i}")).unwrap();
        assert!(new.title == format!("new {i} by a") || new.title == format!("new {i} by b"));
        assert_eq!(new.topics, vec![format!("topic-{i}")]);
    }
    let topics = here.topics().unwrap();
    let topic_slugs: HashSet<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(topic_slugs.len(), topics.len(), "a topic made twice");
    assert_eq!(topics.len(), 2 * ROUNDS + 1 + ROUNDS);
    // Every write moved the versions: none was applied over another
    // without its own step.
    let after = here.scope_versions(None).unwrap();
    assert!(
        after.seq >= versions_before.seq + (6 * ROUNDS) as i64,
        "{} writes moved the sequence from {} only to {}",
        6 * ROUNDS,
        versions_before.seq,
        after.seq
    );

    // The server, whose store wrote half of it, serves the final state
    // (the other store's last commit reaches it as any process's does).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let body = app.text("/releases/shared").await;
        if body.contains(&shared.title) || std::time::Instant::now() > deadline {
            assert!(
                body.contains(&shared.title),
                "the page shows the stored version"
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn two_processes_claiming_websub_deliveries_at_once_each_make_every_one_once() {
    // The server's own hub stays out: only the two claimers below claim.
    let app = spawn_app_on(pressfeed::clock::Clock::system(), |s| {
        s.websub_builtin = false
    })
    .await;
    let other = Store::open(&app.db, 4).expect("a second store on the same database");
    let (a, b) = (app.store().hub_store().unwrap(), other.hub_store().unwrap());
    let now = chrono::Utc::now();
    let subscribers = 300;
    for i in 0..subscribers {
        a.activate(
            "/feed.atom",
            &format!("http://sub-{i}.example/cb"),
            None,
            3600,
            "v0",
            now,
        )
        .unwrap();
    }
    let owed = b
        .enqueue("/feed.atom", "v1", "application/atom+xml", b"<feed/>", now)
        .unwrap();
    assert_eq!(owed, subscribers);
    let start = Barrier::new(2);
    let claim_all = |hub: &pressfeed::store::HubStore| {
        start.wait();
        let mut mine = Vec::new();
        loop {
            let batch = hub
                .claim_due(now, 7, now + chrono::Duration::seconds(60))
                .unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch.into_iter().map(|d| d.id));
        }
    };
    let (by_a, by_b) = std::thread::scope(|s| {
        let ta = s.spawn(|| claim_all(&a));
        let tb = s.spawn(|| claim_all(&b));
        (ta.join().unwrap(), tb.join().unwrap())
    });
    let all: HashSet<i64> = by_a.iter().chain(&by_b).copied().collect();
    assert_eq!(
        by_a.len() + by_b.len(),
        subscribers,
        "a delivery claimed twice"
    );
    assert_eq!(all.len(), subscribers, "every delivery claimed");
}
