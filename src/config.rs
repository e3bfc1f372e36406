//! Settings: defaults, then `pressfeed.toml`, then `PRESSFEED_*` environment
//! variables, then command-line flags (applied by the caller).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// SQLite database file; created and migrated on first start.
    pub db: PathBuf,
    /// Address to listen on.
    pub bind: String,
    /// Public base URL; every absolute URL in feeds and pages starts with it.
    /// Defaults to `http://{bind}`.
    pub base_url: Option<String>,
    pub site_title: String,
    pub site_description: String,
    /// Language of the site's own text and the channel language of feeds.
    pub site_lang: String,
    /// Default organisation for new releases.
    pub organization: String,
    /// The office's time zone (IANA name): how times are shown and entered.
    pub timezone: String,
    /// Items per feed.
    pub feed_items: usize,
    /// `Cache-Control: max-age` for feeds and the OPML, in seconds.
    pub max_age: u32,
    /// Atom feeds list releases retracted in this many past days as RFC 6721
    /// tombstones; 0 turns them off.
    pub tombstone_days: u32,
    /// HTTP worker threads; 0 = one per CPU core.
    pub workers: usize,
    /// SQLite connections in the pool.
    pub db_pool: u32,
    /// Memory for rendered feeds (all encodings), in bytes.
    pub cache_bytes: usize,
    /// Where rendered feeds beyond `cache_bytes` are kept on disk (read
    /// back through the kernel's page cache); default `<db>-cache` beside
    /// the database. Emptied of pressfeed's files at start.
    pub cache_dir: Option<PathBuf>,
    /// Disk for rendered feeds in `cache_dir`, in bytes; 0 turns it off.
    pub cache_dir_bytes: u64,
    /// Requests that may wait for a render at once; more get 503.
    pub render_queue: usize,
    /// `text` (human-readable) or `json` logs.
    pub log_format: String,
    /// One log line per request.
    pub access_log: bool,
    /// Prometheus metrics at `/metrics` on the `metrics_bind` listener.
    pub metrics: bool,
    /// Address of the private listener that serves `/metrics` (e.g.
    /// `127.0.0.1:9100`); none by default. The public listener never does.
    pub metrics_bind: Option<String>,
    /// Polite-client policy: a client that fetches the same feed without
    /// If-None-Match/If-Modified-Since more often than once in this many
    /// seconds gets 429. 0 turns it off. Conditional polls are never limited.
    pub min_poll_interval: u32,
    /// Take the client address from the last X-Forwarded-For entry (only
    /// behind a reverse proxy that sets it).
    pub trust_proxy: bool,
    /// Newsroom sessions end after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// Secret (32 bytes or more) that signs and encrypts session cookies.
    /// Without it, a key file is used (see `session_key_file`).
    pub session_key: Option<String>,
    /// Where the generated session key is kept; default `session.key`
    /// next to the database. Made (owner-only) on first start.
    pub session_key_file: Option<PathBuf>,
    /// Newsroom sessions end this many hours after sign-in, busy or not.
    pub session_max_hours: u32,
    /// Failed sign-ins allowed per minute per account and address (an
    /// address: four times this over all accounts).
    pub login_attempts_per_minute: u32,
    /// Request bodies being received by all connections together may hold
    /// at most this many bytes; beyond it a request gets 503.
    pub body_memory_bytes: usize,
    /// Uploads (which stream to temporary files in the media folder, not
    /// to memory) being received by all connections together may take at
    /// most this many bytes of disk; beyond it an upload gets 503.
    pub upload_disk_bytes: usize,
    /// The built-in WebSub hub at `/websub` (advertised in every feed).
    pub websub_builtin: bool,
    /// Public WebSub hubs to ping after a change (and advertise).
    pub websub_hubs: Vec<String>,
    /// Callbacks on loopback, private, link-local and unique-local
    /// addresses are refused unless this is on (tests, an intranet).
    pub websub_allow_private_callbacks: bool,
    pub websub_lease_seconds: u32,
    pub websub_lease_min_seconds: u32,
    pub websub_lease_max_seconds: u32,
    pub websub_max_subscriptions: u32,
    pub websub_max_per_topic: u32,
    /// Deliveries in flight at once.
    pub websub_concurrency: u32,
    /// Requests a second to one callback host (deliveries and verifications).
    pub websub_host_rate: u32,
    /// Every outbound hub request (verification, delivery, ping) ends
    /// within this many seconds; no answer by then is a failure.
    pub websub_timeout_seconds: u32,
    /// Where attachments are stored, by SHA-256; default `<db>-media`
    /// beside the database. Back it up with the database (`backup` does).
    pub media_dir: Option<PathBuf>,
    /// Largest attachment accepted, in bytes (enforced while receiving).
    pub media_max_bytes: u64,
    /// Largest image accepted, in pixels (width × height from its header):
    /// a small file can decode to gigabytes.
    pub media_max_pixels: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            db: PathBuf::from("data/pressfeed.db"),
            bind: "127.0.0.1:8080".to_owned(),
            base_url: None,
            site_title: "Press releases".to_owned(),
            site_description: "Press releases, statements and announcements".to_owned(),
            site_lang: "en".to_owned(),
            organization: "Press Office".to_owned(),
            timezone: "UTC".to_owned(),
            feed_items: 50,
            max_age: 300,
            tombstone_days: 30,
            workers: 0,
            db_pool: 8,
            cache_bytes: 64 * 1024 * 1024,
            cache_dir: None,
            cache_dir_bytes: 2 * 1024 * 1024 * 1024,
            render_queue: 256,
            log_format: "text".to_owned(),
            access_log: true,
            metrics: true,
            metrics_bind: None,
            min_poll_interval: 0,
            trust_proxy: false,
            session_idle_minutes: 60,
            session_max_hours: 12,
            session_key: None,
            session_key_file: None,
            login_attempts_per_minute: 5,
            body_memory_bytes: 64 * 1024 * 1024,
            upload_disk_bytes: 512 * 1024 * 1024,
            websub_builtin: true,
            websub_hubs: Vec::new(),
            websub_allow_private_callbacks: false,
            websub_lease_seconds: 10 * 24 * 3600,
            websub_lease_min_seconds: 3600,
            websub_lease_max_seconds: 30 * 24 * 3600,
            websub_max_subscriptions: 100_000,
            websub_max_per_topic: 10_000,
            websub_concurrency: 64,
            websub_host_rate: 200,
            websub_timeout_seconds: 10,
            media_dir: None,
            media_max_bytes: 25 * 1024 * 1024,
            media_max_pixels: 50_000_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// Largest request body the newsroom accepts (a long release with pasted
/// HTML fits many times over). Here, not in `admin`, because the settings
/// check `body_memory_bytes` against it and config sits below the newsroom.
pub const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

/// Every settings key, as its environment variable suffix.
const KEYS: &[&str] = &[
    "db",
    "bind",
    "base_url",
    "site_title",
    "site_description",
    "site_lang",
    "organization",
    "timezone",
    "feed_items",
    "max_age",
    "tombstone_days",
    "workers",
    "db_pool",
    "cache_bytes",
    "cache_dir",
    "cache_dir_bytes",
    "render_queue",
    "log_format",
    "access_log",
    "metrics",
    "metrics_bind",
    "min_poll_interval",
    "trust_proxy",
    "session_idle_minutes",
    "session_max_hours",
    "session_key",
    "session_key_file",
    "login_attempts_per_minute",
    "body_memory_bytes",
    "upload_disk_bytes",
    "websub_builtin",
    "websub_hubs",
    "websub_allow_private_callbacks",
    "websub_lease_seconds",
    "websub_lease_min_seconds",
    "websub_lease_max_seconds",
    "websub_max_subscriptions",
    "websub_max_per_topic",
    "websub_concurrency",
    "websub_host_rate",
    "websub_timeout_seconds",
    "media_dir",
    "media_max_bytes",
    "media_max_pixels",
];

impl Settings {
    /// Loads defaults < file < environment. `file` is the explicit
    /// `--config` path; without it `./pressfeed.toml` is read if present.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut table = toml::Table::new();
        let path = file.map(Path::to_owned).or_else(|| {
            let p = PathBuf::from("pressfeed.toml");
            p.exists().then_some(p)
        });
        let mut origin = "defaults".to_owned();
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            table = text
                .parse::<toml::Table>()
                .map_err(|e| ConfigError::Invalid {
                    origin: path.display().to_string(),
                    message: e.to_string(),
                })?;
            origin = path.display().to_string();
        }
        for key in KEYS {
            let var = format!("PRESSFEED_{}", key.to_ascii_uppercase());
            if let Some(value) = env(&var) {
                // Numbers and booleans keep their type; the rest are strings.
                let v = if *key == "websub_hubs" {
                    // A list in one variable: URLs separated by commas or spaces.
                    toml::Value::Array(
                        value
                            .split([',', ' '])
                            .filter(|u| !u.is_empty())
                            .map(|u| toml::Value::String(u.to_owned()))
                            .collect(),
                    )
                } else {
                    match value.parse::<i64>() {
                        Ok(n) => toml::Value::Integer(n),
                        Err(_) => match value.as_str() {
                            "true" => toml::Value::Boolean(true),
                            "false" => toml::Value::Boolean(false),
                            _ => toml::Value::String(value),
                        },
                    }
                };
                table.insert((*key).to_owned(), v);
                origin = format!("{origin} + environment");
            }
        }
        let settings: Settings =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    origin: origin.clone(),
                    message: e.to_string(),
                })?;
        Ok(settings)
    }

    /// Checks values that have rules beyond their type.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |message: String| ConfigError::Invalid {
            origin: "settings".to_owned(),
            message,
        };
        let base = self.base_url();
        let url = url::Url::parse(&base).map_err(|e| bad(format!("base_url {base:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad(format!(
                "base_url {base:?} must be an http(s) URL with a host"
            )));
        }
        if self.feed_items == 0 || self.feed_items > 1000 {
            return Err(bad(format!(
                "feed_items {} must be between 1 and 1000",
                self.feed_items
            )));
        }
        if self.tombstone_days > 3650 {
            return Err(bad(format!(
                "tombstone_days {} must be between 0 (off) and 3650",
                self.tombstone_days
            )));
        }
        crate::domain::Lang::parse(&self.site_lang).map_err(|e| bad(format!("site_lang: {e}")))?;
        self.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            bad(format!(
                "timezone {:?} is not an IANA time zone name",
                self.timezone
            ))
        })?;
        if self.session_idle_minutes == 0 {
            return Err(bad("session_idle_minutes must be at least 1".to_owned()));
        }
        if self.session_max_hours == 0 {
            return Err(bad("session_max_hours must be at least 1".to_owned()));
        }
        if self.body_memory_bytes < MAX_FORM_BYTES {
            return Err(bad(format!(
                "body_memory_bytes must be at least {} (one full form)",
                MAX_FORM_BYTES
            )));
        }
        if self.login_attempts_per_minute == 0 {
            return Err(bad(
                "login_attempts_per_minute must be at least 1".to_owned()
            ));
        }
        if self
            .session_key
            .as_deref()
            .is_some_and(|k| !k.is_empty() && k.len() < 32)
        {
            return Err(bad("session_key must be at least 32 bytes long".to_owned()));
        }
        for hub in &self.websub_hubs {
            match url::Url::parse(hub) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
                _ => {
                    return Err(bad(format!("websub_hubs: {hub:?} is not an http(s) URL")));
                }
            }
        }
        if self.websub_lease_min_seconds == 0
            || self.websub_lease_min_seconds > self.websub_lease_seconds
            || self.websub_lease_seconds > self.websub_lease_max_seconds
        {
            return Err(bad(
                "websub leases must satisfy 0 < websub_lease_min_seconds <= websub_lease_seconds <= websub_lease_max_seconds".to_owned(),
            ));
        }
        if self.websub_concurrency == 0 || self.websub_host_rate == 0 {
            return Err(bad(
                "websub_concurrency and websub_host_rate must be at least 1".to_owned(),
            ));
        }
        // A delivery's claim lasts 60 s: a request must end well before,
        // or another process would send it again while it still runs.
        if !(1..=50).contains(&self.websub_timeout_seconds) {
            return Err(bad(
                "websub_timeout_seconds must be between 1 and 50".to_owned()
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(bad(format!(
                "log_format {:?} must be text or json",
                self.log_format
            )));
        }
        Ok(())
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        let raw = match &self.base_url {
            Some(u) if !u.trim().is_empty() => u.trim().to_owned(),
            _ => format!("http://{}", self.bind),
        };
        raw.trim_end_matches('/').to_owned()
    }

    /// Where `/metrics` is served: `metrics_bind` unless metrics are off.
    pub fn metrics_bind(&self) -> Option<&str> {
        self.metrics_bind
            .as_deref()
            .map(str::trim)
            .filter(|a| self.metrics && !a.is_empty())
    }

    /// Serving and importing write the base URL into feeds and mint
    /// permanent ids from its host: refuse one nobody can reach. Without
    /// `base_url` it comes from `bind`, and `0.0.0.0` or `::` (every
    /// interface) is no address for a link.
    pub fn check_public_base_url(&self) -> Result<(), ConfigError> {
        let base = self.base_url();
        let unroutable = match url::Url::parse(&base)
            .ok()
            .and_then(|u| u.host().map(|h| h.to_owned()))
        {
            Some(url::Host::Ipv4(a)) => a.is_unspecified(),
            Some(url::Host::Ipv6(a)) => a.is_unspecified(),
            Some(url::Host::Domain(d)) => d.is_empty(),
            None => true,
        };
        if !unroutable {
            return Ok(());
        }
        let explicit = self
            .base_url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty());
        let message = if explicit {
            format!(
                "base_url {base:?} is no address a reader can reach (0.0.0.0 and :: mean every interface); set base_url to the public URL, e.g. https://press.example.org"
            )
        } else {
            format!(
                "base_url is not set and bind {:?} listens on every interface, so feeds would link to {base} and release ids would be minted under it for ever; set the public URL with base_url in the settings file, PRESSFEED_BASE_URL or --base-url (e.g. https://press.example.org)",
                self.bind
            )
        };
        Err(ConfigError::Invalid {
            origin: "settings".to_owned(),
            message,
        })
    }

    /// The authority used in minted `tag:` ids (the base URL's host).
    pub fn tag_authority(&self) -> String {
        url::Url::parse(&self.base_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".to_owned())
    }

    /// Whether `db` names a PostgreSQL database (a `postgres://` URL).
    pub fn db_is_postgres(&self) -> bool {
        self.db.to_str().is_some_and(is_postgres_url)
    }

    /// The file the directories' defaults sit beside: the SQLite file, or
    /// for PostgreSQL `data/<database name>` (the directories are then the
    /// process's own; several processes share media only through a
    /// configured `media_dir`, README "Scaling out").
    fn beside(&self) -> PathBuf {
        if !self.db_is_postgres() {
            return sqlite_path(&self.db);
        }
        let name = self
            .db
            .to_str()
            .and_then(|s| url::Url::parse(s).ok())
            .map(|u| u.path().trim_start_matches('/').to_owned())
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .unwrap_or_else(|| "pressfeed".to_owned());
        PathBuf::from("data").join(name)
    }

    /// The cache directory: configured, or `<db>-cache` beside the database.
    pub fn cache_dir_path(&self) -> PathBuf {
        self.cache_dir.clone().unwrap_or_else(|| {
            let mut name = self.beside().into_os_string();
            name.push("-cache");
            PathBuf::from(name)
        })
    }

    /// The media directory: configured, or `<db>-media` beside the database.
    pub fn media_dir_path(&self) -> PathBuf {
        self.media_dir.clone().unwrap_or_else(|| {
            let mut name = self.beside().into_os_string();
            name.push("-media");
            PathBuf::from(name)
        })
    }

    /// The session key file: configured, or `session.key` beside the database.
    pub fn session_key_path(&self) -> PathBuf {
        self.session_key_file
            .clone()
            .unwrap_or_else(|| self.beside().with_file_name("session.key"))
    }

    /// Whether cookies must be `Secure` (the public site is https).
    pub fn is_https(&self) -> bool {
        self.base_url().starts_with("https://")
    }

    /// How long a retraction stays in Atom feeds as a tombstone (`None`: off).
    pub fn tombstone_window(&self) -> Option<chrono::Duration> {
        (self.tombstone_days > 0).then(|| chrono::Duration::days(i64::from(self.tombstone_days)))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }

    pub fn workers(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(2, usize::from)
        }
    }
}

/// What `--db` names a PostgreSQL database with.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The file a `sqlite:` URL or a plain path names.
pub fn sqlite_path(db: &Path) -> PathBuf {
    match db.to_str().and_then(|s| s.strip_prefix("sqlite:")) {
        Some(rest) => PathBuf::from(rest.strip_prefix("//").unwrap_or(rest)),
        None => db.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pressfeed.toml");
        std::fs::write(&file, "feed_items = 20\nsite_title = \"From file\"\n").unwrap();
        let s = Settings::load(Some(&file), |k| {
            (k == "PRESSFEED_FEED_ITEMS").then(|| "30".to_owned())
        })
        .unwrap();
        assert_eq!(s.feed_items, 30);
        assert_eq!(s.site_title, "From file");
        assert_eq!(s.max_age, 300);
    }

    #[test]
    fn bad_values_are_explained() {
        let err = Settings::load(None, |k| {
            (k == "PRESSFEED_FEED_ITEMS").then(|| "many".into())
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("feed_items"), "{err}");
        let s = Settings {
            base_url: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(s.validate().is_err());
    }

    #[test]
    fn an_every_interface_bind_is_no_base_url() {
        for bind in ["0.0.0.0:8080", "[::]:8080"] {
            let s = Settings {
                bind: bind.into(),
                ..Default::default()
            };
            let err = s.check_public_base_url().unwrap_err().to_string();
            assert!(err.contains("PRESSFEED_BASE_URL"), "{err}");
            let set = Settings {
                base_url: Some("https://press.example.org".into()),
                ..s
            };
            assert!(set.check_public_base_url().is_ok());
        }
        let explicit = Settings {
            base_url: Some("http://0.0.0.0:8080".into()),
            ..Default::default()
        };
        assert!(explicit.check_public_base_url().is_err());
        assert!(Settings::default().check_public_base_url().is_ok());
    }

    #[test]
    fn db_names_a_sqlite_file_or_a_postgres_database_and_the_files_beside_it() {
        assert_eq!(
            sqlite_path(Path::new("sqlite:data/p.db")),
            PathBuf::from("data/p.db")
        );
        assert_eq!(
            sqlite_path(Path::new("sqlite:///srv/p.db")),
            PathBuf::from("/srv/p.db")
        );
        assert_eq!(
            sqlite_path(Path::new("data/p.db")),
            PathBuf::from("data/p.db")
        );
        let pg = Settings {
            db: PathBuf::from("postgres://u:p@db.example:5432/press?sslmode=disable"),
            ..Default::default()
        };
        assert!(pg.db_is_postgres());
        assert_eq!(pg.media_dir_path(), PathBuf::from("data/press-media"));
        assert_eq!(pg.cache_dir_path(), PathBuf::from("data/press-cache"));
        assert_eq!(pg.session_key_path(), PathBuf::from("data/session.key"));
        let file = Settings {
            db: PathBuf::from("sqlite:/srv/p.db"),
            ..Default::default()
        };
        assert!(!file.db_is_postgres());
        assert_eq!(file.media_dir_path(), PathBuf::from("/srv/p.db-media"));
    }
}
