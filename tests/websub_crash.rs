//! WebSub deliveries survive `kill -9`: the server is killed in the middle
//! of a fan-out (and, in another round, right after the change was
//! committed), started again, and every subscriber still gets the change
//! (duplicates allowed, losses not).

#[path = "api/subscriber.rs"]
mod subscriber;

use pressfeed::store::Store;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use subscriber::Subscriber;

const BIN: &str = env!("CARGO_BIN_EXE_pressfeed");
const SUBSCRIBERS: usize = 120;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(db: &Path, port: u16) -> Child {
    start_server_with(db, port, &[])
}

fn start_server_with(db: &Path, port: u16, env: &[(&str, &str)]) -> Child {
    Command::new(BIN)
        .envs(env.iter().copied())
        .arg("--db")
        .arg(db)
        .args(["--bind", &format!("127.0.0.1:{port}"), "serve", "--init"])
        .env("PRESSFEED_ACCESS_LOG", "false")
        .env("PRESSFEED_WEBSUB_ALLOW_PRIVATE_CALLBACKS", "true")
        // Few at a time, so the kill lands in the middle of the fan-out.
        .env("PRESSFEED_WEBSUB_CONCURRENCY", "4")
        .env("PRESSFEED_WEBSUB_HOST_RATE", "100000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts")
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("server at {base} never became healthy");
}

/// Polls `done` every `every_ms` until it holds; fails saying `what` after
/// `secs` seconds.
async fn wait_until(secs: u64, every_ms: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(every_ms)).await;
    }
}

fn live_subscriptions(db: &Path) -> usize {
    let store = Store::open_existing(db, 1).expect("database opens");
    let hub = store.hub_store().expect("hub store");
    hub.subscriptions(chrono::Utc::now()).expect("listed").len()
}

fn import(db: &Path, dir: &Path, slug: &str, base: &str) {
    let line = serde_json::json!({
        "slug": slug, "title": format!("Release {slug}"), "body_html": "<p>Body.</p>",
        "organization": "Crash Office", "lang": "en", "topics": ["crash"],
        "published_at": (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339(),
    });
    let file = dir.join(format!("{slug}.jsonl"));
    std::fs::write(&file, format!("{line}\n")).unwrap();
    let out = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(["--base-url", base, "import"])
        .arg(&file)
        .output()
        .expect("import runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The subscribers (by their `who`) that received a delivery holding `text`.
fn reached(sub: &Subscriber, text: &str) -> HashSet<String> {
    sub.deliveries()
        .into_iter()
        .filter(|d| String::from_utf8_lossy(&d.body).contains(text))
        .map(|d| d.query)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscriber_gets_the_change_after_a_kill_during_fan_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    pressfeed::websub::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    import(&db, dir.path(), "seed", &base);
    let mut server = start_server(&db, port);
    wait_healthy(&client, &base).await;

    let sub = Subscriber::start().await;
    sub.delay_ms.store(20, Ordering::Relaxed);
    let topic = format!("{base}/topics/crash/feed.atom");
    for i in 0..SUBSCRIBERS {
        let callback = sub.url.replace("who=test", &format!("who={i}"));
        let res = client
            .post(format!("{base}/websub"))
            .form(&[
                ("hub.mode", "subscribe"),
                ("hub.topic", topic.as_str()),
                ("hub.callback", callback.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    wait_until(30, 50, "subscriptions not all verified", || {
        live_subscriptions(&db) >= SUBSCRIBERS
    })
    .await;

    // Round 1: killed in the middle of the fan-out.
    import(&db, dir.path(), "one", &base);
    wait_until(30, 5, "the fan-out never started", || {
        reached(&sub, "Release one").len() >= 10
    })
    .await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let before = reached(&sub, "Release one").len();
    assert!(
        before < SUBSCRIBERS,
        "the kill came after the fan-out ended: {before}"
    );

    // Round 2: a change committed while no server runs; it starts, sees it,
    // and is killed again at once (maybe before, maybe after queueing it).
    import(&db, dir.path(), "two", &base);
    server = start_server(&db, port);
    wait_healthy(&client, &base).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    server.kill().unwrap();
    server.wait().unwrap();

    server = start_server(&db, port);
    wait_healthy(&client, &base).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let one = reached(&sub, "Release one").len();
        let two = reached(&sub, "Release two").len();
        if one == SUBSCRIBERS && two == SUBSCRIBERS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the restarts: {one} of {SUBSCRIBERS} got release one, {two} release two"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

/// A subscription request answered 202 is verified even when the server
/// stops before its verification ends: the request is in the database and
/// the next server verifies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_cut_short_by_a_kill_is_resumed_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    pressfeed::websub::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    import(&db, dir.path(), "seed", &base);
    let mut server = start_server(&db, port);
    wait_healthy(&client, &base).await;

    let sub = Subscriber::start().await;
    // The callback does not answer before the server is killed.
    sub.verify_delay_ms.store(60_000, Ordering::Relaxed);
    let topic = format!("{base}/topics/crash/feed.atom");
    let res = client
        .post(format!("{base}/websub"))
        .form(&[
            ("hub.mode", "subscribe"),
            ("hub.topic", topic.as_str()),
            ("hub.callback", sub.url.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    // Let the hub send its verification request, then kill it mid-wait.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    assert_eq!(live_subscriptions(&db), 0);

    sub.verify_delay_ms.store(0, Ordering::Relaxed);
    server = start_server(&db, port);
    wait_healthy(&client, &base).await;
    wait_until(
        30,
        50,
        "the subscription accepted before the kill was never verified",
        || live_subscriptions(&db) >= 1,
    )
    .await;
    // And it is a working subscription: the next change reaches it.
    import(&db, dir.path(), "after", &base);
    wait_until(30, 50, "the change never reached the subscriber", || {
        !reached(&sub, "Release after").is_empty()
    })
    .await;
    server.kill().unwrap();
    server.wait().unwrap();
}

/// A change made while no server runs (an `import` between two runs) is
/// still pinged to the public hubs when the next server starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_while_no_server_ran_is_pinged_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    pressfeed::websub::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let public = Subscriber::start().await;
    let env = [("PRESSFEED_WEBSUB_HUBS", public.url.as_str())];
    import(&db, dir.path(), "seed", &base);
    let mut server = start_server_with(&db, port, &env);
    wait_healthy(&client, &base).await;
    // The first server takes note of every feed's version.
    wait_until(30, 50, "the versions were never noted", || {
        let store = Store::open_existing(&db, 1).expect("database opens");
        !store.hub_store().unwrap().pinged().unwrap().is_empty()
    })
    .await;
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(public.deliveries().is_empty(), "nothing changed yet");

    import(&db, dir.path(), "offline", &base);
    server = start_server_with(&db, port, &env);
    wait_healthy(&client, &base).await;
    let topic = format!("{base}/topics/crash/feed.atom");
    wait_until(
        30,
        50,
        "the change made while no server ran was never pinged",
        || {
            public.deliveries().iter().any(|d| {
                url::form_urlencoded::parse(&d.body).any(|(k, v)| k == "hub.url" && v == topic)
            })
        },
    )
    .await;
    server.kill().unwrap();
    server.wait().unwrap();
}
