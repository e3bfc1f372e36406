use chrono::{DateTime, Duration, TimeZone, Utc};
use pressfeed::clock::Clock;
use pressfeed::config::Settings;
use pressfeed::domain::ReleaseInput;
use pressfeed::http::AppState;
use pressfeed::startup::Application;
use reqwest::header::HeaderMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The moment every test starts at (the manual clock).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

pub struct TestApp {
    pub address: String,
    /// The private metrics listener, when `metrics_bind` is set.
    pub metrics_address: Option<String>,
    /// The SQLite file, or on PostgreSQL the path the media and cache
    /// directories sit beside (they are set to `<db_path>-media` and
    /// `<db_path>-cache` there too).
    pub db_path: PathBuf,
    /// What `--db` names: the SQLite file or the PostgreSQL URL.
    pub db: PathBuf,
    pub clock: Clock,
    pub state: actix_web::web::Data<AppState>,
    /// Sign-in limits and password checks (counts argon2 verifications).
    pub admin: actix_web::web::Data<pressfeed::admin::AdminState>,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with default settings changed by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(Clock::manual(t0()), configure).await
}

/// Starts the app on the system clock, for tests where another process
/// (which reads the real time) writes to the database.
pub async fn spawn_app_on_system_clock() -> TestApp {
    spawn_app_on(Clock::system(), |_| {}).await
}

/// The PostgreSQL server the suite runs against instead of SQLite files,
/// when `PRESSFEED_TEST_POSTGRES` names one (CI's `postgres` stage).
pub fn test_postgres() -> Option<String> {
    std::env::var("PRESSFEED_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
}

/// True when the suite runs on SQLite: for the tests of what only a
/// SQLite file has (its permissions, its `-changes` file, deleting it).
pub fn on_sqlite() -> bool {
    test_postgres().is_none()
}

/// A schema of its own on the test server for one test, as a URL whose
/// connections use it.
pub async fn fresh_postgres(server: &str) -> String {
    let name = format!(
        "t_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            ^ u128::from(rand_u64())
    );
    let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL server answers");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {name}"))
        .await
        .expect("a schema for the test");
    let sep = if server.contains('?') { '&' } else { '?' };
    format!("{server}{sep}options=-c%20search_path%3D{name}")
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}

pub async fn spawn_app_on(clock: Clock, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("test.db");
    let db = match test_postgres() {
        Some(server) => PathBuf::from(fresh_postgres(&server).await),
        None => db_path.clone(),
    };
    let beside = |suffix: &str| {
        let mut name = db_path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let mut settings = Settings {
        db: db.clone(),
        media_dir: test_postgres().map(|_| beside("-media")),
        cache_dir: test_postgres().map(|_| beside("-cache")),
        session_key_file: test_postgres().map(|_| dir.path().join("session.key")),
        bind: "127.0.0.1:0".into(),
        base_url: Some("http://press.test".into()),
        workers: 1,
        db_pool: 4,
        ..Default::default()
    };
    configure(&mut settings);
    let app = Application::build(settings, clock.clone()).expect("app builds");
    let port = app.port();
    let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
    let state = app.state();
    let admin = app.admin();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .no_proxy()
        .build()
        .unwrap();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        metrics_address,
        db_path,
        db,
        clock,
        state,
        admin,
        client,
        dir,
    }
}

/// A valid release in the import format, published `hours_ago` before t0.
pub fn release(slug: &str, hours_ago: i64, topics: &[&str]) -> ReleaseInput {
    ReleaseInput {
        slug: slug.into(),
        title: format!("Title of {slug}"),
        summary: Some(format!("Summary of {slug}")),
        body_html: format!("<p>Body of {slug}.</p>"),
        organization: "Test Office".into(),
        lang: "en".into(),
        published_at: (t0() - Duration::hours(hours_ago)).to_rfc3339(),
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        ..Default::default()
    }
}

/// A valid release like [`release`], published (scheduled) at `at`.
pub fn scheduled(slug: &str, at: DateTime<Utc>, topics: &[&str]) -> ReleaseInput {
    ReleaseInput {
        published_at: at.to_rfc3339(),
        ..release(slug, 0, topics)
    }
}

impl TestApp {
    /// Runs `sql` on the app's database as another program would (the
    /// `sqlite3` shell, `psql`), for tests that set up what no API makes.
    pub async fn foreign_sql(&self, sql: &str) {
        match self.db.to_str().filter(|d| d.starts_with("postgres")) {
            None => {
                let conn = rusqlite::Connection::open(&self.db_path).unwrap();
                conn.execute_batch(sql).unwrap();
            }
            Some(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(connection);
                client.batch_execute(sql).await.unwrap();
                // Another program's commit reaches the server as a
                // notification, not within the caller's call.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
        }
    }

    /// On PostgreSQL, the media and cache directories this app uses, as
    /// settings for a command run against its database.
    pub fn dirs_env(&self) -> Vec<(&'static str, PathBuf)> {
        if self.db == self.db_path {
            return Vec::new();
        }
        let beside = |suffix: &str| {
            let mut name = self.db_path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        vec![
            ("PRESSFEED_MEDIA_DIR", beside("-media")),
            ("PRESSFEED_CACHE_DIR", beside("-cache")),
        ]
    }

    /// The port the app listens on, for raw-socket tests.
    pub fn port(&self) -> u16 {
        self.address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("address has a port")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Stores releases through the service layer, at the app's clock time.
    pub fn save(&self, releases: &[ReleaseInput]) {
        let drafts: Vec<_> = releases
            .iter()
            .map(|r| r.validate().expect("valid release"))
            .collect();
        pressfeed::service::import(
            &self.state.store,
            &pressfeed::service::ImportFile::releases(drafts),
            self.clock.now(),
            "press.test",
            &mut |_| {},
        )
        .expect("saved");
    }

    pub fn store(&self) -> &Arc<pressfeed::store::Store> {
        &self.state.store
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request sent")
    }

    pub async fn text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// Imports `lines` (JSON, one release each) with the real binary in
    /// another process, as an operator's `pressfeed import` beside the
    /// server; panics unless it succeeds.
    pub fn import_in_another_process(&self, lines: &[serde_json::Value]) {
        let file = self.dir.path().join("import.jsonl");
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&file, text).unwrap();
        let out = self.run_cli(&["import", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs the real binary against this app's database (another process).
    /// On PostgreSQL, a command that writes has been seen by this app when
    /// this returns: its commit reaches the app as a notification, which
    /// is waited for (at most 2 s), where SQLite's change file is read on
    /// the next request (README "Scaling out" says so).
    pub fn run_cli(&self, args: &[&str]) -> std::process::Output {
        let before = self.store().change_version().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("PRESSFEED_CONFIG")
            .envs(self.dirs_env())
            .output()
            .expect("pressfeed runs");
        if self.db != self.db_path && out.status.success() && writes(args) {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while self.store().change_version().unwrap() == before
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        out
    }
}

/// Whether a command line changes what is stored.
fn writes(args: &[&str]) -> bool {
    let Some(command) = args.first() else {
        return false;
    };
    match *command {
        "import"
        | "create-admin"
        | "reset-password"
        | "create-token"
        | "revoke-token"
        | "accredit"
        | "revoke-accreditation"
        | "media-renditions"
        | "migrate" => true,
        "media-gc" => !args.contains(&"--dry-run"),
        "organization-about" => args.contains(&"--set") || args.contains(&"--clear"),
        _ => false,
    }
}

pub fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The Content-Length of a raw response head, for raw-socket tests.
pub fn content_length(head: &str) -> Option<usize> {
    head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

/// What a reader shows for text sent as HTML (RSS titles that could pass
/// for HTML, Atom `type="html"` constructs). The feeds escape only these
/// three, and RSS titles sent as text hold no entity reference to undo.
pub fn html_text(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
