//! What an operator meets, with the real binary in real processes: a data
//! directory deleted (or a database replaced) under a running server, a
//! restart after that, a base URL nobody can reach, release ids minted by
//! processes with other settings, logs in a file, `export | head`, commands
//! pointed at a database that is not there, and the deploy/ files and README
//! that tell them how.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pressfeed");

// ------------------------------------------------------------------ helpers

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary with a clean environment: no settings file or variables from
/// the machine running the tests.
fn pressfeed(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).current_dir(std::env::temp_dir());
    for (k, _) in std::env::vars() {
        if k.starts_with("PRESSFEED_") {
            c.env_remove(k);
        }
    }
    c
}

fn run(args: &[&str]) -> Output {
    pressfeed(args).output().expect("pressfeed runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn release_line(slug: &str, i: usize) -> String {
    serde_json::json!({
        "slug": slug,
        "title": format!("Release {slug}"),
        "body_html": format!("<p>Body of {slug}, a paragraph long enough to be a paragraph.</p>"),
        "organization": "Operator Office",
        "lang": "en",
        "published_at": format!("2025-01-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24),
        "topics": ["energy"],
    })
    .to_string()
}

fn write_jsonl(path: &Path, prefix: &str, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        writeln!(f, "{}", release_line(&format!("{prefix}-{i}"), i)).unwrap();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    body: String,
}

/// One HTTP/1.1 exchange on its own connection.
fn request(port: u16, method: &str, path: &str, token: &str, body: &str) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: press.test\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    Response {
        status: head[9..12].parse().unwrap(),
        body: body.to_owned(),
    }
}

/// A `pressfeed serve` process; killed when dropped.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(db: &Path, extra: &[&str], log: &Path) -> Self {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let mut args = vec!["--db", db.to_str().unwrap(), "--bind", &bind, "serve"];
        args.extend_from_slice(extra);
        let child = pressfeed(&args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("server starts");
        let server = Self {
            child,
            port,
            log: log.to_owned(),
        };
        server.wait_until_healthy();
        server
    }

    fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let up = TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.get("/healthz").status == 200;
            if up {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no /healthz: {}", self.log_text());
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn get(&self, path: &str) -> Response {
        request(self.port, "GET", path, "", "")
    }

    /// `/healthz` answers 503 naming `reason`, and a write of release `slug`
    /// is refused with 503; returns the write's error message.
    fn assert_detached(
        &self,
        method: &str,
        path: &str,
        token: &str,
        slug: &str,
        reason: &str,
    ) -> String {
        let health = self.get("/healthz");
        assert_eq!(health.status, 503, "{health:?}");
        assert!(health.body.contains(reason), "{health:?}");
        let r = request(self.port, method, path, token, &release_line(slug, 2));
        assert_eq!(r.status, 503, "the write was not refused: {r:?}");
        json_error(&r)
    }

    /// SIGTERM, then the exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_token(db: &Path) -> String {
    let out = run(&["--db", db.to_str().unwrap(), "create-token", "ops"]);
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn json_error(r: &Response) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("not JSON: {r:?}"));
    v["error"].as_str().expect("an error message").to_owned()
}

// ------------------------------------------------- a lost data directory

#[test]
fn a_deleted_data_directory_stops_writes_and_the_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let db = data.join("pressfeed.db");
    let log = tmp.path().join("server.log");

    // A new site is made on purpose, once.
    let server = Server::start(&db, &["--init"], &log);
    let token = create_token(&db);
    // The first release brings its topic with it.
    let r = request(
        server.port,
        "POST",
        "/api/v1/releases?create_topics=true",
        &token,
        &release_line("before", 1),
    );
    assert_eq!(r.status, 201, "{r:?}");

    std::fs::remove_dir_all(&data).unwrap();

    let why = server.assert_detached("POST", "/api/v1/releases", &token, "after", "deleted");
    assert!(
        why.contains("deleted or replaced") && why.contains("not saved"),
        "{why}"
    );
    // Reads go on from what the process still holds.
    assert_eq!(server.get("/releases/before").status, 200);
    server.stop();

    // The restart (a service manager's, say) does not start an empty site.
    let out = run(&["--db", db.to_str().unwrap(), "serve"]);
    assert!(!out.status.success(), "serve started on a missing database");
    let err = stderr(&out);
    assert!(
        err.contains("no database at") && err.contains("--init") && err.contains("backup"),
        "{err}"
    );
    assert!(!data.exists(), "nothing was created: {err}");

    // A deliberate new start still works.
    let server = Server::start(&db, &["--init"], &log);
    assert_eq!(server.get("/releases/before").status, 404);
    assert!(data.join("session.key").exists());
}

#[test]
fn a_database_replaced_under_the_server_is_named_in_healthz_and_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("live.db");
    let other = tmp.path().join("other.db");
    let data = tmp.path().join("one.jsonl");
    write_jsonl(&data, "stored", 2);
    let out = run(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = Server::start(&db, &[], &tmp.path().join("server.log"));
    let token = create_token(&db);

    let out = run(&["--db", other.to_str().unwrap(), "migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::rename(&other, &db).unwrap();

    let path = "/api/v1/releases/stored-0";
    let why = server.assert_detached("PUT", path, &token, "stored-0", "replaced");
    assert!(why.contains("replaced"), "{why}");
}

#[test]
fn serve_without_a_database_needs_init_but_demo_makes_one() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("fresh/pressfeed.db");
    let out = run(&["--db", db.to_str().unwrap(), "serve"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("pressfeed serve --init"),
        "{}",
        stderr(&out)
    );
    assert!(!db.exists());
    // The README's first command, on a fresh clone.
    let server = Server::start(&db, &["--demo"], &tmp.path().join("server.log"));
    assert!(server.get("/feed.atom").body.contains("<entry"));
}

// ------------------------------------------------ base URL and tag authority

#[test]
fn an_every_interface_bind_without_base_url_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("p.db");
    let data = tmp.path().join("r.jsonl");
    write_jsonl(&data, "r", 1);
    let db_arg = db.to_str().unwrap();
    for bind in ["0.0.0.0:0", "[::]:0"] {
        for cmd in [
            vec!["--db", db_arg, "--bind", bind, "serve", "--init"],
            vec![
                "--db",
                db_arg,
                "--bind",
                bind,
                "import",
                data.to_str().unwrap(),
            ],
        ] {
            let out = run(&cmd);
            assert!(!out.status.success(), "{cmd:?} ran");
            let err = stderr(&out);
            assert!(
                err.contains("base_url") && err.contains("PRESSFEED_BASE_URL"),
                "{cmd:?}: {err}"
            );
            assert!(!db.exists(), "{cmd:?} created the database");
        }
    }
    // The container's way: the bind from the environment, the URL given.
    let out = pressfeed(&[
        "--db",
        db_arg,
        "--base-url",
        "https://press.example.org",
        "import",
        data.to_str().unwrap(),
    ])
    .env("PRESSFEED_BIND", "0.0.0.0:8080")
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn ids_keep_the_authority_recorded_by_the_first_process() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("p.db");
    let db_arg = db.to_str().unwrap();
    let (one, two) = (tmp.path().join("one.jsonl"), tmp.path().join("two.jsonl"));
    write_jsonl(&one, "first", 2);
    write_jsonl(&two, "second", 2);
    let first = run(&[
        "--db",
        db_arg,
        "--base-url",
        "https://press.example.org",
        "import",
        one.to_str().unwrap(),
    ]);
    assert!(first.status.success(), "{}", stderr(&first));
    // An operator command without the service's settings.
    let second = run(&["--db", db_arg, "import", two.to_str().unwrap()]);
    assert!(second.status.success(), "{}", stderr(&second));
    // And a server under a new host name.
    let port = free_port();
    let log = tmp.path().join("server.log");
    let mut server = Server {
        child: pressfeed(&[
            "--db",
            db_arg,
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--base-url",
            "https://news.example.net",
            "serve",
        ])
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap(),
        port,
        log,
    };
    server.wait_until_healthy();
    let token = create_token(&db);
    let r = request(
        port,
        "POST",
        "/api/v1/releases",
        &token,
        &release_line("third", 3),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let id = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(id.starts_with("tag:press.example.org,"), "{id}");
    let _ = server.child.kill();

    let out = run(&["--db", db_arg, "export"]);
    assert!(out.status.success());
    let ids: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 5);
    for id in ids {
        assert!(id.starts_with("\"tag:press.example.org,"), "{id}");
    }
}

// ------------------------------------------------------------ logs, export

#[test]
fn logs_in_a_file_have_no_colour_and_round_durations() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("p.db");
    let log = tmp.path().join("server.log");
    let server = Server::start(&db, &["--init"], &log);
    for _ in 0..5 {
        assert_eq!(server.get("/feed.atom").status, 200);
    }
    server.stop();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("/feed.atom"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in a file: {text:?}");
    let durations: Vec<&str> = text
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("ms="))
        .collect();
    assert!(!durations.is_empty(), "{text}");
    for d in durations {
        let decimals = d.split_once('.').map_or(0, |(_, f)| f.len());
        assert!(decimals <= 3, "duration {d} is not rounded");
    }
}

/// Malformed requests are the client's mistake: the log keeps ERROR for the
/// server's own failures (actix-http logged each one as an ERROR).
#[test]
fn malformed_requests_are_not_logged_as_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("p.db");
    let log = tmp.path().join("server.log");
    let server = Server::start(&db, &["--init"], &log);
    for garbage in [
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "\x01\x02 nonsense\r\n\r\n",
        "GET / HTTP/1.1\r\nHost x\r\n\r\n",
    ] {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(garbage.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(
            answer.starts_with("HTTP/1.1 400"),
            "{garbage:?}: {answer:?}"
        );
    }
    assert_eq!(server.get("/healthz").status, 200);
    server.stop();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("ERROR"), "{text}");
}

#[test]
fn export_into_a_closed_pipe_stops_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("p.db");
    let data = tmp.path().join("many.jsonl");
    write_jsonl(&data, "many", 1500);
    let out = run(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // `pressfeed export | head -n 1`
    let mut child = pressfeed(&["--db", db.to_str().unwrap(), "export"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"slug\""));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(&out));
    assert_eq!(stderr(&out), "", "nothing to say about a reader that left");

    let out = run(&["--db", db.to_str().unwrap(), "export", "-o", "/dev/null"]);
    assert!(
        stderr(&out).contains("exported 1500 releases"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn commands_that_need_a_database_refuse_a_missing_one() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("missing/path.db");
    let db_arg = db.to_str().unwrap();
    let backup = tmp.path().join("copy.db");
    for cmd in [
        vec!["--db", db_arg, "export"],
        vec!["--db", db_arg, "backup", backup.to_str().unwrap()],
        vec!["--db", db_arg, "revoke-token", "ops"],
        // Neither may the commands that add to it: an account or a token
        // made after the data directory was lost would leave an empty
        // database that `serve` starts on.
        vec!["--db", db_arg, "list-tokens"],
        vec!["--db", db_arg, "create-token", "ops"],
        vec!["--db", db_arg, "create-admin", "alice", "--password-stdin"],
        vec![
            "--db",
            db_arg,
            "reset-password",
            "alice",
            "--password-stdin",
        ],
    ] {
        let out = run(&cmd);
        assert!(!out.status.success(), "{cmd:?} succeeded");
        let err = stderr(&out);
        assert!(err.contains("no database at"), "{cmd:?}: {err}");
        assert!(
            !db.exists() && !db.parent().unwrap().exists(),
            "{cmd:?} made it"
        );
        assert!(!backup.exists());
    }
    // One release, one word.
    let one = tmp.path().join("one.jsonl");
    write_jsonl(&one, "single", 1);
    let made = tmp.path().join("made.db");
    let out = run(&[
        "--db",
        made.to_str().unwrap(),
        "import",
        one.to_str().unwrap(),
    ]);
    assert!(
        stderr(&out).contains(": 1 release (1 new"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--db", made.to_str().unwrap(), "export", "-o", "/dev/null"]);
    assert!(
        stderr(&out).contains("exported 1 release\n"),
        "{}",
        stderr(&out)
    );
}

// ------------------------------------------------------- deploy/ and README

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_unit_and_its_operator_commands_read_one_settings_file() {
    let unit = repo_file("deploy/pressfeed.service");
    const CONFIG: &str = "--config /etc/pressfeed/pressfeed.toml";
    let exec = unit
        .lines()
        .find(|l| l.starts_with("ExecStart="))
        .expect("ExecStart");
    assert!(exec.contains(CONFIG) && exec.ends_with(" serve"), "{exec}");
    // Nothing reaches the service that a hand-run command would not see.
    for line in unit.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            !line.starts_with("Environment=PRESSFEED") && !line.starts_with("EnvironmentFile="),
            "{line}"
        );
    }
    let commands: Vec<&str> = unit
        .lines()
        .filter(|l| l.starts_with('#') && l.contains("sudo -u pressfeed pressfeed"))
        .collect();
    assert!(commands.len() >= 3, "{commands:?}");
    for c in &commands {
        assert!(c.contains(CONFIG), "{c}");
    }
    assert!(commands.iter().any(|c| c.contains(" import ")));

    // The settings file it installs: valid, public base URL, private metrics.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/pressfeed.toml");
    let s = pressfeed::config::Settings::load(Some(&path), |_| None).unwrap();
    s.validate().unwrap();
    s.check_public_base_url().unwrap();
    assert_eq!(s.db, Path::new("/var/lib/pressfeed/pressfeed.db"));
    let metrics: std::net::SocketAddr = s.metrics_bind().expect("metrics_bind").parse().unwrap();
    assert!(metrics.ip().is_loopback());

    // The binary takes the unit's command line.
    let out = run(&[
        "--config",
        path.to_str().unwrap(),
        "--db",
        "/nonexistent/x.db",
        "export",
    ]);
    assert!(
        stderr(&out).contains("no database at /nonexistent/x.db"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_nginx_example_never_forwards_metrics() {
    let conf = repo_file("deploy/nginx.conf");
    let start = conf
        .find("location = /metrics")
        .expect("a /metrics location");
    let block = &conf[start..start + conf[start..].find('}').unwrap()];
    assert!(block.contains("return 404"), "{block}");
    assert!(!block.contains("proxy_pass"), "{block}");
}

#[test]
fn the_readme_says_where_the_binary_is_and_which_feeds_old_readers_take() {
    let readme = repo_file("README.md");
    // Right after the two first commands.
    let first = readme.find("cargo run --release -- serve --demo").unwrap();
    let block_end = first + readme[first..].find("```\n").unwrap();
    let next = &readme[block_end..block_end + 400];
    assert!(next.contains("cargo install --path ."), "{next}");
    assert!(next.contains("target/release/pressfeed"), "{next}");
    let subscribing = &readme[readme.find("## Subscribing").unwrap()..];
    let subscribing = &subscribing[..subscribing[3..].find("\n## ").unwrap()];
    for needle in [
        "newsboat 2.21",
        "feedparser 6.0",
        "JSON Feed",
        "/feed.atom",
        "/feed.rss",
    ] {
        assert!(
            subscribing.contains(needle),
            "{needle} not in {subscribing}"
        );
    }
}

#[test]
fn a_write_by_a_program_that_keeps_no_scope_versions_is_seen_within_a_second() {
    // The sqlite3 shell moves no scope version and no change mark: the
    // server notices the commit by polling PRAGMA data_version (at most a
    // second apart) and treats every cached document as stale.
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("pressfeed.db");
    let jsonl = tmp.path().join("in.jsonl");
    write_jsonl(&jsonl, "r", 3);
    let out = run(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        jsonl.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = Server::start(&db, &[], &tmp.path().join("server.log"));
    let path = "/topics/energy/feed.atom";
    let before = server.get(path);
    assert_eq!(before.status, 200);
    assert!(!before.body.contains("Edited by hand"));
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE releases SET title = 'Edited by hand' WHERE slug = 'r-1'",
        [],
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let after = server.get(path);
    assert!(after.body.contains("Edited by hand"), "{}", after.body);
    server.stop();
}
