//! Crash safety with real processes: the server and an `import` are killed
//! with SIGKILL at random moments, many times; after each round the database
//! passes `PRAGMA integrity_check`, every import is all-or-nothing, and every
//! import that reported success (exit 0) is fully present. A SIGTERM lets
//! in-flight requests finish and closes the database cleanly.
//!
//! Rounds: PRESSFEED_CRASH_ROUNDS (default 12; CI runs the default).

use pressfeed::store::Store;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pressfeed");
const PER_IMPORT: usize = 300;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(db: &Path, port: u16) -> Child {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(["--bind", &format!("127.0.0.1:{port}"), "serve", "--init"])
        .env("PRESSFEED_ACCESS_LOG", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts")
}

/// A raw GET; returns the status code and body length.
fn get(port: u16, path: &str) -> Option<(u16, usize)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    let status = text.get(9..12)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len());
    Some((status, body))
}

fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if get(port, "/healthz").is_some_and(|(s, _)| s == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on {port} never became healthy");
}

fn write_batch(dir: &Path, round: usize) -> PathBuf {
    let path = dir.join(format!("round-{round}.jsonl"));
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for j in 0..PER_IMPORT {
        let line = serde_json::json!({
            "slug": format!("crash-{round}-{j}"),
            "title": format!("Round {round} release {j}"),
            "body_html": "<p>Body text that is long enough to span pages when many are written.</p>".repeat(8),
            "organization": "Crash Office",
            "lang": if j % 5 == 0 { "ar" } else { "en" },
            "published_at": "2025-01-01T00:00:00Z",
            "topics": [format!("topic-{}", j % 7)],
        });
        writeln!(f, "{line}").unwrap();
    }
    path
}

fn count_round(store: &Store, round: usize) -> usize {
    (0..PER_IMPORT)
        .filter(|j| {
            store
                .release_by_slug(&format!("crash-{round}-{j}"))
                .unwrap()
                .is_some()
        })
        .count()
}

#[test]
fn sigkill_at_random_points_loses_nothing_acknowledged() {
    let rounds: usize = std::env::var("PRESSFEED_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let mut acknowledged = Vec::new();
    let mut killed_mid_import = 0;
    for round in 0..rounds {
        let port = free_port();
        let mut server = start_server(&db, port);
        wait_healthy(port);
        let batch = write_batch(dir.path(), round);
        let mut import = Command::new(BIN)
            .arg("--db")
            .arg(&db)
            .arg("import")
            .arg(&batch)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Readers keep the server busy while the import runs.
        let reader = std::thread::spawn(move || {
            for _ in 0..20 {
                let _ = get(port, "/feed.atom");
            }
        });
        let delay = rand::random_range(0..250u64);
        std::thread::sleep(Duration::from_millis(delay));
        let finished = import.try_wait().unwrap();
        let _ = import.kill();
        let _ = server.kill();
        let import_status = import.wait().unwrap();
        let _ = server.wait();
        let _ = reader.join();
        let acked = finished.is_some_and(|s| s.success()) || import_status.success();
        if acked {
            acknowledged.push(round);
        } else {
            killed_mid_import += 1;
        }

        let store = Store::open(&db, 1).expect("database opens after a crash");
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        let n = count_round(&store, round);
        assert!(
            n == 0 || n == PER_IMPORT,
            "round {round}: import half-applied ({n} rows)"
        );
        for &r in &acknowledged {
            assert_eq!(
                count_round(&store, r),
                PER_IMPORT,
                "acknowledged round {r} lost"
            );
        }
    }
    eprintln!(
        "crash rounds: {rounds}, imports acknowledged: {}, killed mid-import: {killed_mid_import}",
        acknowledged.len()
    );
    assert!(
        rounds < 4 || killed_mid_import > 0,
        "no round killed an import mid-way; the test proved little"
    );
}

#[test]
fn sigterm_finishes_in_flight_requests_and_closes_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("term.db");
    let batch = write_batch(dir.path(), 0);
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg(&batch)
        .output()
        .unwrap();
    assert!(out.status.success());
    let port = free_port();
    let mut server = start_server(&db, port);
    wait_healthy(port);
    let clients: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut results = Vec::new();
                for _ in 0..30 {
                    match get(port, "/feed.atom") {
                        Some(r) => results.push(r),
                        None => break, // refused after shutdown began: fine
                    }
                }
                results
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "graceful exit, got {status:?}");
    let mut answered = 0;
    for c in clients {
        for (code, len) in c.join().unwrap() {
            assert_eq!(code, 200, "an accepted request was not completed");
            assert!(len > 1000, "a response was cut short ({len} bytes)");
            answered += 1;
        }
    }
    assert!(answered > 0);
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the WAL was not checkpointed: the database was not closed cleanly"
    );
    let store = Store::open(&db, 1).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
}
