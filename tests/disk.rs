//! Disk trouble, with real processes and real file systems: when the disk
//! holding the database is full or goes read-only, a writer (the API, an
//! `import`) gets a clear error — 507 or 503 with a JSON message saying the
//! database cannot be written, never a panic or a misleading 4xx — while the
//! feeds and pages keep answering 200 (and 304 to their validators) from what
//! is stored; once the trouble clears, writes succeed again.
//!
//! - Full: the database lives on a small tmpfs (`mount -t tmpfs -o size=4m`),
//!   and a filler file takes the rest of it: SQLite gets ENOSPC (SQLITE_FULL).
//!   Clearing it deletes the filler, with the same server still running.
//!   Without permission to mount (not root), the test says so and falls back
//!   to a file-size limit (`prlimit --fsize`, EFBIG: SQLITE_IOERR) on the
//!   server and `ulimit -f 0` on the import.
//! - Read-only: the database lives on an ext4 image loop-mounted with
//!   `errors=remount-ro`; the kernel's own error path (`trigger_fs_error` in
//!   sysfs) turns it read-only under the running server, as a failing disk
//!   does (EROFS: SQLITE_IOERR for the server's open connections,
//!   SQLITE_READONLY for a new process). Clearing it is what an operator
//!   does: stop the server, unmount, `e2fsck`, mount, start again.
//!   Without loop devices, ext4 or that sysfs file it prints SKIP.
//!
//! PRESSFEED_DISK_FALLBACK=1 takes the fallback of the full-disk test even
//! where mounting works (to try it).

use pressfeed::store::Store;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pressfeed");
const TOPICS: [&str; 3] = ["energy", "transport", "health"];

// ------------------------------------------------------------------ helpers

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a command; `Err` with its stderr when it cannot run or fails.
fn sh(program: &str, args: &[&str]) -> Result<Output, String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => Ok(out),
        Ok(out) => Err(format!(
            "`{program} {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run {program}: {e}")),
    }
}

/// A file system mounted for one test; unmounted when dropped.
struct Mounted {
    dir: PathBuf,
}

impl Mounted {
    fn tmpfs(dir: &Path, size: &str) -> Result<Self, String> {
        std::fs::create_dir_all(dir).unwrap();
        let d = dir.to_str().unwrap();
        sh(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "pressfeed-disk-test",
                d,
            ],
        )?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    fn ext4_image(image: &Path, dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).unwrap();
        let img = image.to_str().unwrap();
        sh("truncate", &["-s", "16M", img])?;
        sh("mkfs.ext4", &["-q", "-F", img])?;
        Self::ext4_mount(image, dir)
    }

    fn ext4_mount(image: &Path, dir: &Path) -> Result<Self, String> {
        sh(
            "mount",
            &[
                "-o",
                "loop,errors=remount-ro",
                image.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
        )?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    fn unmount(&mut self) -> Result<(), String> {
        let d = self.dir.to_str().unwrap().to_owned();
        let mut last = String::new();
        for _ in 0..50 {
            match sh("umount", &[&d]) {
                Ok(_) => {
                    self.dir = PathBuf::new();
                    return Ok(());
                }
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(last)
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if !self.dir.as_os_str().is_empty() && self.unmount().is_err() {
            let _ = sh("umount", &["-l", self.dir.to_str().unwrap()]);
        }
    }
}

/// A `pressfeed serve` process; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// `wrap`: run through `sh -c` with this prefix (for the rlimit fallback).
    fn start(db: &Path, log: &Path, wrap: Option<&str>) -> Self {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let args = ["--db", db.to_str().unwrap(), "--bind", &bind, "serve"];
        let mut cmd = pressfeed(&args, wrap);
        let child = cmd
            .env("PRESSFEED_ACCESS_LOG", "false")
            .env_remove("PRESSFEED_CONFIG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("server starts");
        let mut server = Self {
            child,
            port,
            log: log.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if request(port, "GET", "/healthz", &[], None).is_some_and(|r| r.status == 200) {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited ({status}): {}", server.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "no /healthz: {}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        request(self.port, "GET", path, headers, None)
            .unwrap_or_else(|| panic!("no answer to GET {path}"))
    }

    fn send(&self, method: &str, path: &str, token: &str, body: &str) -> Response {
        let auth = format!("Bearer {token}");
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        request(self.port, method, path, &headers, Some(body))
            .unwrap_or_else(|| panic!("no answer to {method} {path}"))
    }

    /// SIGTERM, then waits for the exit.
    fn stop(mut self) {
        sh("kill", &["-TERM", &self.pid()]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = self.log_text();
        assert!(!log.contains("panicked"), "the server panicked: {log}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// The `error` of a JSON error body; panics when the body is not one.
    fn json_error(&self) -> String {
        assert!(
            self.header("content-type").starts_with("application/json"),
            "not JSON: {self:?}"
        );
        let v: serde_json::Value = serde_json::from_str(&self.body).expect("a JSON body");
        v["error"].as_str().expect("an error message").to_owned()
    }
}

/// One HTTP/1.1 exchange on its own connection; `None` when no answer came.
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Option<Response> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: press.test\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.get(9..12)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Response {
        status,
        headers,
        body: body.to_owned(),
    })
}

fn release_json(slug: &str, title: &str, i: usize) -> serde_json::Value {
    serde_json::json!({
        "slug": slug,
        "title": title,
        "summary": format!("Summary of {slug}"),
        "body_html": format!("<p>{title}.</p>{}", "<p>Paragraph of a stored release, long enough to fill some pages.</p>".repeat(6)),
        "organization": "Disk Office",
        "lang": "en",
        "published_at": format!("2025-03-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24),
        "topics": [TOPICS[i % TOPICS.len()]],
    })
}

fn write_jsonl(path: &Path, prefix: &str, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let line = release_json(
            &format!("{prefix}-{i}"),
            &format!("{prefix} release {i}"),
            i,
        );
        writeln!(f, "{line}").unwrap();
    }
}

/// The pressfeed binary with `args`; `wrap`: run through `sh -c` with this
/// prefix first (for the rlimit fallback).
fn pressfeed(args: &[&str], wrap: Option<&str>) -> Command {
    match wrap {
        Some(prefix) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("{prefix}; exec \"$0\" \"$@\""))
                .arg(BIN)
                .args(args);
            c
        }
        None => {
            let mut c = Command::new(BIN);
            c.args(args);
            c
        }
    }
}

/// `pressfeed import FILE`, through `sh -c PREFIX` when given.
fn import(db: &Path, file: &Path, wrap: Option<&str>) -> Output {
    let args = [
        "--db",
        db.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ];
    pressfeed(&args, wrap)
        .env_remove("PRESSFEED_CONFIG")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

fn create_token(db: &Path) -> String {
    let out = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(["create-token", "disk-test"])
        .env_remove("PRESSFEED_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// What readers see before the trouble: body and ETag of each URL.
struct Snapshot(Vec<(&'static str, String, String)>);

const READ_PATHS: [&str; 7] = [
    "/feed.atom",
    "/feed.rss",
    "/topics/energy/feed.json",
    "/topics.opml",
    "/",
    "/topics/transport",
    "/releases/stored-3",
];

fn snapshot(server: &Server) -> Snapshot {
    Snapshot(
        READ_PATHS
            .iter()
            .map(|&p| {
                let r = server.get(p, &[]);
                assert_eq!(r.status, 200, "GET {p} before the trouble");
                let etag = r.header("etag").to_owned();
                (p, r.body, etag)
            })
            .collect(),
    )
}

/// (b): every URL answers 200 with what is stored, and feeds 304 to their ETag.
fn assert_still_serving(server: &Server, before: &Snapshot, when: &str) {
    for (path, body, etag) in &before.0 {
        let r = server.get(path, &[]);
        assert_eq!(r.status, 200, "{when}: GET {path}");
        if path.contains("feed.") || path.ends_with(".opml") {
            // feeds and the OPML: the same document, and 304 to its validator
            assert_eq!(&r.body, body, "{when}: GET {path} changed");
            let r = server.get(path, &[("If-None-Match", etag)]);
            assert_eq!(r.status, 304, "{when}: GET {path} with If-None-Match");
        } else {
            assert!(r.body.contains("stored release"), "{when}: GET {path}");
        }
    }
    assert!(
        server
            .get("/releases/stored-3", &[])
            .body
            .contains("stored release 3"),
        "{when}: the release page"
    );
    assert_eq!(server.get("/healthz", &[]).status, 200, "{when}: /healthz");
}

/// (a): a POST, a PUT and an import are refused, clearly, and change nothing.
fn assert_writes_refused(
    server: &Server,
    db: &Path,
    token: &str,
    dir: &Path,
    import_wrap: Option<&str>,
    statuses: &[u16],
    says: &[&str],
) {
    let new = release_json("refused-1", "Refused while the disk is in trouble", 1).to_string();
    let put = release_json("stored-3", "Edited while the disk is in trouble", 3).to_string();
    for (method, path, body) in [
        ("POST", "/api/v1/releases", &new),
        ("PUT", "/api/v1/releases/stored-3", &put),
    ] {
        let r = server.send(method, path, token, body);
        assert!(
            statuses.contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        let error = r.json_error();
        eprintln!("{method} {path}: {} {error:?}", r.status);
        for s in says {
            assert!(error.contains(s), "{method} {path}: {error:?} lacks {s:?}");
        }
    }
    // a reader of the API is not turned away (the token is only noted)
    let r = server.get(
        "/api/v1/releases?limit=1",
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(r.status, 200, "GET /api/v1/releases: {}", r.body);

    let batch = dir.join("refused.jsonl");
    write_jsonl(&batch, "refused-batch", 20);
    let out = import(db, &batch, import_wrap);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the import succeeded: {stderr}");
    assert!(
        stderr.contains("nothing was imported") && !stderr.contains("panicked"),
        "import: {stderr}"
    );
    eprintln!(
        "import refused: {}",
        stderr.lines().collect::<Vec<_>>().join(" / ")
    );

    for slug in ["refused-1", "refused-batch-0", "refused-batch-19"] {
        assert_eq!(
            server.get(&format!("/releases/{slug}"), &[]).status,
            404,
            "{slug} was written after all"
        );
    }
    assert!(
        server
            .get("/releases/stored-3", &[])
            .body
            .contains("stored release 3"),
        "the refused PUT changed the release"
    );
}

/// (c): the API and an import write again, and the feeds show it.
fn assert_writes_again(server: &Server, db: &Path, token: &str, dir: &Path, tag: &str) {
    let title = format!("Written after the trouble ({tag})");
    let r = server.send(
        "POST",
        "/api/v1/releases",
        token,
        &release_json("after-1", &title, 27).to_string(),
    );
    assert_eq!(r.status, 201, "POST after the trouble: {}", r.body);
    let edited = format!("Edited after the trouble ({tag})");
    let r = server.send(
        "PUT",
        "/api/v1/releases/stored-3",
        token,
        &release_json("stored-3", &edited, 3).to_string(),
    );
    assert_eq!(r.status, 200, "PUT after the trouble: {}", r.body);
    let batch = dir.join("after.jsonl");
    write_jsonl(&batch, "after-batch", 20);
    let out = import(db, &batch, None);
    assert!(
        out.status.success(),
        "import after the trouble: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let feed = server.get("/feed.atom", &[]);
    assert_eq!(feed.status, 200);
    assert!(
        feed.body.contains(&title),
        "the new release is not in the feed"
    );
    assert!(server.get("/releases/stored-3", &[]).body.contains(&edited));
    assert_eq!(server.get("/releases/after-batch-19", &[]).status, 200);
}

fn seed(db: &Path, dir: &Path) -> String {
    let data = dir.join("stored.jsonl");
    write_jsonl(&data, "stored", 30);
    let out = import(db, &data, None);
    assert!(out.status.success(), "{out:?}");
    create_token(db)
}

// ------------------------------------------------------------------ tests

enum Full {
    /// tmpfs with a filler file: ENOSPC.
    Tmpfs(PathBuf),
    /// RLIMIT_FSIZE = 0 on the server (prlimit) and the import (ulimit): EFBIG.
    Rlimit,
}

/// Takes all free space of the file system holding `dir`.
fn fill(filler: &Path) -> u64 {
    let mut f = std::fs::File::create(filler).unwrap();
    let mut written = 0u64;
    for chunk in [64 * 1024, 4096, 512] {
        let buf = vec![0u8; chunk];
        while f.write_all(&buf).is_ok() {
            written += chunk as u64;
        }
    }
    let _ = f.sync_all();
    written
}

#[test]
fn full_disk_refuses_writes_clearly_and_feeds_keep_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = tmp.path().join("disk");
    let forced = std::env::var("PRESSFEED_DISK_FALLBACK").is_ok_and(|v| v == "1");
    let mounted = if forced {
        Err("PRESSFEED_DISK_FALLBACK=1".to_owned())
    } else {
        Mounted::tmpfs(&disk, "4m")
    };
    let (mode, _mount) = match mounted {
        Ok(m) => (Full::Tmpfs(disk.join("filler")), Some(m)),
        Err(why) => {
            if sh("prlimit", &["--version"]).is_err() {
                eprintln!(
                    "SKIP full_disk: cannot mount a tmpfs ({why}) and no prlimit for the fallback"
                );
                return;
            }
            eprintln!(
                "NOTE full_disk: cannot mount a tmpfs ({why}); falling back to a file-size \
                 limit (RLIMIT_FSIZE=0: EFBIG, SQLITE_IOERR) instead of a full file system"
            );
            std::fs::create_dir_all(&disk).unwrap();
            (Full::Rlimit, None)
        }
    };
    let db = disk.join("press.db");
    let token = seed(&db, tmp.path());
    // SIGXFSZ would kill the process instead of failing the write.
    let wrap = matches!(mode, Full::Rlimit).then_some("trap '' XFSZ");
    let server = Server::start(&db, &tmp.path().join("server.log"), wrap);
    let before = snapshot(&server);

    // -- the disk fills up
    let import_wrap = match &mode {
        Full::Tmpfs(filler) => {
            let n = fill(filler);
            eprintln!("filled the 4 MiB tmpfs with {n} bytes");
            None
        }
        Full::Rlimit => {
            sh("prlimit", &["--pid", &server.pid(), "--fsize=0:unlimited"]).unwrap();
            Some("trap '' XFSZ; ulimit -f 0")
        }
    };
    // (a) writers are told; ENOSPC is SQLITE_FULL (507), EFBIG an I/O error (503)
    let (statuses, says): (&[u16], &[&str]) = match mode {
        Full::Tmpfs(_) => (&[507], &["cannot be written", "the disk is full"]),
        Full::Rlimit => (&[503, 507], &["cannot be written"]),
    };
    assert_writes_refused(
        &server,
        &db,
        &token,
        tmp.path(),
        import_wrap,
        statuses,
        says,
    );
    if matches!(mode, Full::Tmpfs(_)) {
        let out = import(&db, &tmp.path().join("refused.jsonl"), None);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("disk is full"),
            "{out:?}"
        );
    }
    // (b) readers are not
    assert_still_serving(&server, &before, "disk full");

    // -- (c) space again: the same server writes again
    match &mode {
        Full::Tmpfs(filler) => std::fs::remove_file(filler).unwrap(),
        Full::Rlimit => {
            sh(
                "prlimit",
                &["--pid", &server.pid(), "--fsize=unlimited:unlimited"],
            )
            .unwrap();
        }
    }
    assert_writes_again(&server, &db, &token, tmp.path(), "disk full");
    server.stop();
    let store = Store::open(&db, 1).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

/// The sysfs file that makes ext4 report an error on `dir`'s file system.
fn ext4_error_trigger(dir: &Path) -> Result<PathBuf, String> {
    let out = sh(
        "findmnt",
        &["-n", "-o", "SOURCE", "--target", dir.to_str().unwrap()],
    )?;
    let source = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let dev = source.rsplit('/').next().unwrap_or_default();
    let trigger = PathBuf::from(format!("/sys/fs/ext4/{dev}/trigger_fs_error"));
    if trigger.exists() {
        Ok(trigger)
    } else {
        Err(format!("{} does not exist", trigger.display()))
    }
}

#[test]
fn read_only_file_system_refuses_writes_clearly_and_feeds_keep_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("ext4.img");
    let disk = tmp.path().join("disk");
    let mut mount = match Mounted::ext4_image(&image, &disk) {
        Ok(m) => m,
        Err(why) => {
            eprintln!("SKIP read_only: cannot loop-mount an ext4 image: {why}");
            return;
        }
    };
    let trigger = match ext4_error_trigger(&disk) {
        Ok(t) => t,
        Err(why) => {
            eprintln!("SKIP read_only: no ext4 error trigger: {why}");
            return;
        }
    };
    let db = disk.join("press.db");
    let token = seed(&db, tmp.path());
    let log = tmp.path().join("server.log");
    let server = Server::start(&db, &log, None);
    // acknowledged before the disk fails, and on the disk (synchronous=NORMAL
    // leaves the last commits in the page cache until a checkpoint)
    let r = server.send(
        "POST",
        "/api/v1/releases",
        &token,
        &release_json("before-1", "Acknowledged before the disk failed", 5).to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    sh("sync", &["-f", db.to_str().unwrap()]).unwrap();
    let before = snapshot(&server);

    // -- the kernel finds an error and remounts the file system read-only
    std::fs::write(&trigger, "pressfeed disk test").unwrap();
    let probe = std::fs::write(disk.join("probe"), "x").unwrap_err();
    assert_eq!(probe.raw_os_error(), Some(30), "not read-only: {probe}");

    // (a) writers are told: the server's connections get EIO/EROFS (503),
    // a new process SQLITE_READONLY
    assert_writes_refused(
        &server,
        &db,
        &token,
        tmp.path(),
        None,
        &[503],
        &["cannot be written"],
    );
    let out = import(&db, &tmp.path().join("refused.jsonl"), None);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("readonly database"),
        "{out:?}"
    );
    // (b) readers are not
    assert_still_serving(&server, &before, "read-only");

    // -- (c) the operator's repair: stop, unmount, check, mount, start
    server.stop();
    mount.unmount().unwrap();
    let fsck = Command::new("e2fsck")
        .args(["-fy", image.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        matches!(fsck.status.code(), Some(0 | 1)),
        "e2fsck: {fsck:?}"
    );
    let _mount = Mounted::ext4_mount(&image, &disk).unwrap();
    let server = Server::start(&db, &log, None);
    let r = server.get("/releases/before-1", &[]);
    assert_eq!(r.status, 200, "an acknowledged write was lost");
    assert!(r.body.contains("Acknowledged before the disk failed"));
    assert_writes_again(&server, &db, &token, tmp.path(), "read-only");
    server.stop();
    let store = Store::open(&db, 1).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
}
