//! The SQLite store: the only code that knows SQL or rusqlite.

mod accreditations;
mod admins;
mod changes;
pub(crate) mod db;
mod feeds;
mod furniture;
pub use furniture::OrganizationAbout;
mod identity;
mod media;
mod part_feeds;
mod parts;
mod postgres;
pub use crate::config::{is_postgres_url, sqlite_path};
mod releases;
mod scopes;
mod search;
mod sessions;
mod site_facts;
mod tokens;
mod topics;
mod versions;
mod websub;

pub use accreditations::{AccreditationRecord, Accredited, EmbargoReach};
pub use admins::AdminAccount;
pub use identity::Detached;
pub use media::{MediaRecord, ORPHAN_GRACE, RenditionRecord};
pub use part_feeds::{Languages, PageOfReleases};
pub use releases::ReleaseFilter;
pub use search::{SearchFilter, SearchOutcome, SearchResults};
pub use sessions::AdminSession;
pub use tokens::{ApiToken, TokenRecord};
pub use topics::{NewTopic, PublicTopics, TopicDeletion, TopicUsage};
pub use versions::ScopeVersions;
pub use websub::{Content, DueDelivery, HubStore, Outcome, PendingVerification, Subscription};

use include_dir::{Dir, include_dir};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::Migrations;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use std::time::Instant;

static MIGRATION_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/db/migrations");
static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::from_directory(&MIGRATION_DIR).expect("db/migrations is embedded and well-formed")
});

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: database error: {0}")]
    Database(#[from] db::Error),
    #[error("store: no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("store: migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("store: cannot create {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "store: the database schema is at version {found}, this program needs {wanted}; run `pressfeed migrate`"
    )]
    OldSchema { found: usize, wanted: usize },
    #[error(
        "store: the database was written by a newer pressfeed (schema {found}, this one knows {wanted})"
    )]
    NewerSchema { found: usize, wanted: usize },
    #[error("store: not available on PostgreSQL: {0}")]
    NotOnPostgres(&'static str),
    #[error("store: backup failed its integrity check: {0}")]
    BackupCorrupt(String),
    /// Refused because of what is stored (a taken slug or name, an id that
    /// would change): the writer's mistake, not a failure.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error("item {index}: {source}")]
    InBatch {
        index: usize,
        source: Box<StoreError>,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.into())
    }
}

impl StoreError {
    /// True when the cause is the disk (read-only, full, locked), not the request.
    pub fn is_unavailable(&self) -> bool {
        self.unavailable().is_some()
    }

    /// Why the database cannot serve the request, when the cause is the
    /// disk or the database file rather than the request.
    pub fn unavailable(&self) -> Option<Unavailable> {
        use rusqlite::ErrorCode::*;
        match self {
            StoreError::Database(db::Error::Postgres(e)) => postgres_unavailable(e),
            StoreError::Database(db::Error::Sqlite(rusqlite::Error::SqliteFailure(e, _))) => {
                match e.code {
                    DiskFull => Some(Unavailable::Full),
                    ReadOnly => Some(Unavailable::ReadOnly),
                    DatabaseBusy | DatabaseLocked => Some(Unavailable::Busy),
                    CannotOpen | SystemIoFailure => Some(Unavailable::Io),
                    ConstraintViolation
                        if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_COMMITHOOK =>
                    {
                        Some(Unavailable::Detached)
                    }
                    _ => None,
                }
            }
            StoreError::Pool(_) => Some(Unavailable::Busy),
            StoreError::Io { .. } => Some(Unavailable::Io),
            StoreError::InBatch { source, .. } => source.unavailable(),
            _ => None,
        }
    }
}

/// Why PostgreSQL cannot serve the request, when the server or the link
/// to it is the cause.
fn postgres_unavailable(e: &tokio_postgres::Error) -> Option<Unavailable> {
    use tokio_postgres::error::SqlState;
    match e.code() {
        None => Some(Unavailable::Busy),
        Some(c) if *c == SqlState::DISK_FULL => Some(Unavailable::Full),
        Some(c) if *c == SqlState::READ_ONLY_SQL_TRANSACTION => Some(Unavailable::ReadOnly),
        Some(c)
            if *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
                || *c == SqlState::TOO_MANY_CONNECTIONS
                || *c == SqlState::LOCK_NOT_AVAILABLE
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            Some(Unavailable::Busy)
        }
        Some(c) if *c == SqlState::IO_ERROR => Some(Unavailable::Io),
        _ => None,
    }
}

/// A write that what is already stored does not allow. Callers match on
/// the variant (never on the text) to tell the writer which field it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("the slug {0:?} is already taken")]
    SlugTaken(String),
    #[error("the slug of {0:?} cannot change: it has been published")]
    SlugLocked(String),
    #[error("id {0:?} already belongs to another release")]
    IdTaken(String),
    #[error(
        "id {given:?} differs from the stored id {stored:?} of release {slug:?}; ids never change"
    )]
    IdChanged {
        given: String,
        stored: String,
        slug: String,
    },
    #[error("release {0} does not exist")]
    NoSuchRelease(i64),
    #[error("{0} is not an uploaded file (POST /api/v1/media first)")]
    UnknownAttachment(String),
    #[error("{0} is an image and needs alt text (give `alt`)")]
    AttachmentNeedsAlt(String),
    #[error("{0} is marked lead but is not an image")]
    LeadNotImage(String),
    #[error("the topic {0:?} already exists")]
    TopicTaken(String),
    #[error("the username {0:?} is already taken")]
    UsernameTaken(String),
    #[error("the token name {0:?} is already taken")]
    TokenNameTaken(String),
    #[error("{0:?} is already accredited (revoke that accreditation first)")]
    AccreditationTaken(String),
    #[error("translation_of {of:?} names no release (no release has that slug)")]
    UnknownOriginal { slug: String, of: String },
    #[error(
        "translation_of names the release itself ({0:?}); a release cannot be a translation of itself"
    )]
    TranslationOfItself(String),
    #[error(
        "translation_of {of:?} would make a cycle: {of:?} is already, through its originals, \
         a translation of {slug:?}"
    )]
    TranslationCycle { slug: String, of: String },
    #[error(
        "translation_of would put {slug:?} and {other:?}, both in language {lang:?}, among the \
         same translations; there is one release per language among translations"
    )]
    TranslationLangTaken {
        slug: String,
        lang: String,
        other: String,
    },
}

/// Maps a UNIQUE constraint failure to the conflict it means (`conflict`),
/// and any other error to itself.
fn unique_or(conflict: impl FnOnce() -> Conflict) -> impl FnOnce(db::Error) -> StoreError {
    move |e| {
        if e.is_unique_violation() {
            StoreError::Conflict(conflict())
        } else {
            e.into()
        }
    }
}

/// The disk trouble behind a [`StoreError::unavailable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// SQLITE_FULL: the disk (or the file system holding the database) is full.
    Full,
    /// SQLITE_READONLY: the database file or its file system is read-only.
    ReadOnly,
    /// SQLITE_IOERR / SQLITE_CANTOPEN: the operating system refused a read or
    /// write (a file system remounted read-only after errors gives this).
    Io,
    /// Locked by another writer for longer than the busy timeout, or no
    /// connection free in time.
    Busy,
    /// The database file was deleted or replaced under the running process:
    /// the commit was refused (see `identity.rs`).
    Detached,
}

impl Unavailable {
    /// One sentence for whoever made the request (no paths or internals).
    pub fn message(self) -> &'static str {
        match self {
            Unavailable::Full => "the database cannot be written: the disk is full",
            Unavailable::ReadOnly => "the database cannot be written: it is read-only",
            Unavailable::Io => {
                "the database cannot be written: the disk reported an error (it may be read-only or failing)"
            }
            Unavailable::Busy => "the database is busy; try again in a few seconds",
            Unavailable::Detached => {
                "the database file was deleted or replaced while the server was running, so this change was not saved: restore the file from a backup and restart the server"
            }
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

type Pool = r2d2::Pool<SqliteConnectionManager>;

/// The database behind the store: the seam for a second backend. Callers
/// only ever see `Store`'s methods (one `impl Store` per table file), model
/// types and `StoreError`; PostgreSQL (issue 16) becomes a second variant
/// that each table file's methods match on, next to the SQLite SQL, so no
/// caller changes. An enum, not a trait: two backends known at compile
/// time, no `dyn`, and the compiler lists every method a new one lacks.
enum Backend {
    Sqlite(Pool),
    Postgres(Box<postgres::PgBackend>),
}

/// Handle to the database: a pool for reads and writes, and one connection
/// kept aside to notice commits made by anyone else (another process too).
pub struct Store {
    backend: Backend,
    /// SQLite only: the connection that reads `PRAGMA data_version`.
    watcher: Option<Mutex<Connection>>,
    /// `<db>-changes`, marked after every commit by any pressfeed process.
    changes: Option<changes::ChangeFile>,
    /// The last `PRAGMA data_version` seen, and when (ms since `opened`).
    polled_version: AtomicI64,
    polled_at: AtomicI64,
    /// The change file's mark at the last poll, and how many polls saw a
    /// commit without a mark ([`Store::foreign_commits`]).
    polled_mark: AtomicU64,
    foreign_commits: AtomicU64,
    opened: Instant,
    path: PathBuf,
    /// The file the pool writes to, as it was at open.
    identity: Option<Arc<identity::FileIdentity>>,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // No memory-mapped reads: every page a query touched would stay in
    // the process's resident set (measured: +100 MB at 100k releases);
    // SQLite's bounded page cache keeps the server small.
    conn.wal_hook(Some(changes::after_commit));
    search::register_functions(conn)?;
    register_greatest(conn)?;
    Ok(())
}

/// PostgreSQL's `greatest(a, b)`, which the shared SQL uses where SQLite
/// alone would write the two-argument `max(a, b)`: NULLs are ignored.
fn register_greatest(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "greatest",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let a: Option<i64> = ctx.get(0)?;
            let b: Option<i64> = ctx.get(1)?;
            Ok(match (a, b) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            })
        },
    )
}

/// Creates the file (and its directory) with owner-only permissions before
/// SQLite does, so the database never exists world-readable.
fn create_private_file(path: &Path) -> Result<()> {
    let io = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database: a SQLite file
    /// at `path` (or `sqlite:path`), or the PostgreSQL database a
    /// `postgres://` URL names.
    pub fn open(path: &Path, pool_size: u32) -> Result<Self> {
        if let Some(url) = postgres_url(path) {
            return Self::open_postgres(url, pool_size, true);
        }
        let path = &sqlite_path(path);
        create_private_file(path)?;
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        // WAL lets readers run while another process imports.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        MIGRATIONS.to_latest(&mut conn)?;
        Self::with_watcher(path, pool_size, conn)
    }

    /// Opens without migrating; refuses a schema this program does not match.
    pub fn open_existing(path: &Path, pool_size: u32) -> Result<Self> {
        if let Some(url) = postgres_url(path) {
            return Self::open_postgres(url, pool_size, false);
        }
        let path = &sqlite_path(path);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        let found = user_version(&conn)?;
        let wanted = Self::schema_version();
        if found < wanted {
            return Err(StoreError::OldSchema { found, wanted });
        }
        if found > wanted {
            return Err(StoreError::NewerSchema { found, wanted });
        }
        Self::with_watcher(path, pool_size, conn)
    }

    fn with_watcher(path: &Path, pool_size: u32, watcher: Connection) -> Result<Self> {
        let identity = identity::FileIdentity::of(path)
            .map_err(|e| tracing::warn!("cannot watch {}: {e}", path.display()))
            .ok()
            .map(Arc::new);
        let guard = identity.clone();
        // Pool connections never create the file: a connection opened after
        // the data directory was deleted and made again must not start an
        // empty database there.
        let manager = SqliteConnectionManager::file(path)
            .with_flags(
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .with_init(move |c| {
                configure(c)?;
                if let Some(id) = guard.clone() {
                    // Returning true turns the commit into a rollback: a
                    // write to a file that is gone is refused, not lost.
                    c.commit_hook(Some(move || id.check().is_err()))?;
                }
                Ok(())
            });
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(15))
            .build(manager)?;
        Ok(Self {
            backend: Backend::Sqlite(pool),
            watcher: Some(Mutex::new(watcher)),
            changes: changes::open(path)
                .map_err(|e| {
                    tracing::warn!(
                        "cannot open {}: {e}; checking data_version on every request",
                        changes::path_for(path).display()
                    )
                })
                .ok(),
            polled_version: AtomicI64::new(i64::MIN),
            polled_at: AtomicI64::new(i64::MIN / 2),
            polled_mark: AtomicU64::new(0),
            foreign_commits: AtomicU64::new(0),
            opened: Instant::now(),
            path: path.to_owned(),
            identity,
        })
    }

    fn open_postgres(url: &str, pool_size: u32, migrate: bool) -> Result<Self> {
        let backend = postgres::open(url, pool_size, migrate)?;
        Ok(Self {
            backend: Backend::Postgres(Box::new(backend)),
            watcher: None,
            changes: None,
            polled_version: AtomicI64::new(i64::MIN),
            polled_at: AtomicI64::new(i64::MIN / 2),
            polled_mark: AtomicU64::new(0),
            foreign_commits: AtomicU64::new(0),
            opened: Instant::now(),
            path: PathBuf::from(redacted(url)),
            identity: None,
        })
    }

    /// A small pool of hub connections (PostgreSQL), whose commits move
    /// no version; `None` on SQLite.
    fn hub_pool(&self) -> Result<Option<r2d2::Pool<db::PgManager>>> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(None),
            Backend::Postgres(pg) => Ok(Some(pg.hub_pool()?)),
        }
    }

    /// Whether the store is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Applies pending migrations; returns (before, after) versions.
    pub fn migrate(path: &Path) -> Result<(usize, usize)> {
        if let Some(url) = postgres_url(path) {
            return postgres::migrate(url);
        }
        let path = &sqlite_path(path);
        create_private_file(path)?;
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let before = user_version(&conn)?;
        MIGRATIONS.to_latest(&mut conn)?;
        Ok((before, Self::schema_version()))
    }

    pub fn schema_version() -> usize {
        MIGRATION_DIR.dirs().count()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<db::Conn> {
        match &self.backend {
            Backend::Sqlite(pool) => Ok(db::Conn::SqlitePooled(pool.get()?)),
            Backend::Postgres(pg) => Ok(db::Conn::Pg(pg.pool.get()?)),
        }
    }

    /// A number that changes whenever anyone commits to the database.
    /// `PRAGMA data_version` on a connection that never writes sees every
    /// commit from every other connection, in this process or another.
    pub fn data_version(&self) -> Result<i64> {
        let watcher = match (&self.backend, &self.watcher) {
            (Backend::Postgres(pg), _) => return Ok(pg.changes.version() as i64),
            (_, Some(w)) => w,
            (_, None) => return Ok(0),
        };
        let conn = watcher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let v = conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        Ok(v)
    }

    /// A number that changes whenever anyone commits to the database: the
    /// change file's mark (one `pread`), combined with `PRAGMA data_version`
    /// polled at most once a second for writers that are not pressfeed.
    pub fn change_version(&self) -> Result<u64> {
        if let Backend::Postgres(pg) = &self.backend {
            return Ok(pg.changes.version());
        }
        let now = self.opened.elapsed().as_millis() as i64;
        let poll_due = now - self.polled_at.load(Ordering::Relaxed) >= 1000;
        let mark = self.changes.as_ref().map_or(0, changes::ChangeFile::read);
        // A new mark polls at once, so the commits it stands for are not
        // taken for another program's at the next poll.
        let marked = mark != self.polled_mark.load(Ordering::Relaxed);
        if poll_due || marked || self.changes.is_none() {
            let version = self.data_version()?;
            let before = self.polled_version.swap(version, Ordering::Relaxed);
            let mark_before = self.polled_mark.swap(mark, Ordering::Relaxed);
            if before != i64::MIN && before != version && mark_before == mark {
                self.foreign_commits.fetch_add(1, Ordering::Relaxed);
            }
            self.polled_at.store(now, Ordering::Relaxed);
        }
        let polled = self.polled_version.load(Ordering::Relaxed) as u64;
        Ok(mark ^ polled.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// How many times a `PRAGMA data_version` poll found a commit that left
    /// the change file alone since the previous poll: a program other than
    /// pressfeed wrote (the `sqlite3` shell), which moves no scope version
    /// (`versions.rs`), so a server must treat every cached document as
    /// stale. Without a change file every commit counts. A pressfeed commit
    /// noticed before the poll that would have seen such a write (within
    /// the same second) hides it.
    pub fn foreign_commits(&self) -> u64 {
        if let Backend::Postgres(pg) = &self.backend {
            return pg.changes.foreign();
        }
        self.foreign_commits.load(Ordering::Relaxed)
    }

    /// Whether the file at the database's path is still the one this
    /// store writes to.
    pub fn check_file(&self) -> std::result::Result<(), Detached> {
        self.identity.as_ref().map_or(Ok(()), |id| id.check())
    }

    /// Succeeds when the database answers a query.
    pub fn ping(&self) -> Result<()> {
        self.conn()?.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Consistent online copy of the database (safe while others write).
    /// SQLite only: a PostgreSQL database is copied with its own tools
    /// (`pg_dump`, README "Scaling out").
    pub fn backup(&self, dest: &Path) -> Result<()> {
        let conn = self.conn()?;
        let Some(src) = conn.sqlite() else {
            return Err(StoreError::NotOnPostgres(
                "`pressfeed backup` copies SQLite files; back up PostgreSQL with its own tool, \
                 `pg_dump --format=custom --file FILE URL`, and copy the media directory \
                 (README \"Scaling out\")",
            ));
        };
        create_private_file(dest)?;
        let mut dst = Connection::open(dest)?;
        {
            let backup = rusqlite::backup::Backup::new(src, &mut dst)?;
            backup.run_to_completion(256, Duration::from_millis(5), None)?;
        }
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        let ok: String = dst.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(StoreError::BackupCorrupt(ok));
        }
        Ok(())
    }

    /// SQLite's `integrity_check`; PostgreSQL checks its own pages
    /// (data checksums), so there it is whether the database answers.
    pub fn integrity_check(&self) -> Result<String> {
        let conn = self.conn()?;
        match conn.sqlite() {
            Some(c) => Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?),
            None => {
                self.ping()?;
                Ok("ok".to_owned())
            }
        }
    }

    /// The query plan SQLite picks for a statement (for tests that prove
    /// feed queries use indexes).
    pub fn explain(&self, sql: &str) -> Result<Vec<String>> {
        let conn = self.conn()?;
        if conn.is_postgres() {
            let mut stmt = conn.prepare(&format!("EXPLAIN {sql}"))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            return Ok(rows.collect::<db::Result<_>>()?);
        }
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<db::Result<_>>()?)
    }
}

/// Gives each release its rows of `(release id, value)` (in the rows'
/// order) through `set`; a release without rows gets none.
fn hand_out<T>(
    releases: &mut [crate::model::Release],
    rows: Vec<(i64, T)>,
    mut set: impl FnMut(&mut crate::model::Release, Vec<T>),
) {
    let mut of: std::collections::HashMap<i64, Vec<T>> = std::collections::HashMap::new();
    for (id, value) in rows {
        of.entry(id).or_default().push(value);
    }
    for r in releases.iter_mut() {
        set(r, of.remove(&r.id).unwrap_or_default());
    }
}

/// The PostgreSQL URL `--db` gives, if it is one.
fn postgres_url(db: &Path) -> Option<&str> {
    db.to_str().filter(|s| is_postgres_url(s))
}

/// A URL without its password, for messages and `Store::path`.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(usize::try_from(v).unwrap_or(0))
}

pub(crate) fn to_ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        // Not `MIGRATIONS.validate()`: its connection lacks the functions
        // every pressfeed connection has, which the search migration uses.
        let mut conn = Connection::open_in_memory().unwrap();
        configure(&conn).unwrap();
        MIGRATIONS.to_latest(&mut conn).unwrap();
    }

    /// Migration 14 hides the topics that a release nobody can see yet
    /// brought into being, and only those.
    #[test]
    fn upgrading_hides_topics_only_unseen_releases_brought() {
        let mut conn = Connection::open_in_memory().unwrap();
        MIGRATIONS.to_version(&mut conn, 13).unwrap();
        let future = to_ms(chrono::Utc::now()) + 3_600_000;
        conn.execute_batch(&format!(
            "INSERT INTO topics (id, slug, name, created_at, changed_at) VALUES \
               (1, 'embargoed', 'E', 10, 10), (2, 'drafted', 'D', 20, 20), \
               (3, 'seen', 'S', 30, 30), (4, 'made-by-hand', 'M', 5, 5), \
               (5, 'retracted', 'R', 40, 40), (6, 'empty', 'Y', 1, 1);
             INSERT INTO releases (id, uid, slug, title, body_html, organization, lang, status, \
               published_at, updated_at, created_at, changed_at) VALUES \
               (1, 'u1', 'a', 'A', '', 'O', 'en', 'published', {future}, 0, 10, 10), \
               (2, 'u2', 'b', 'B', '', 'O', 'en', 'draft', 0, 0, 20, 20), \
               (3, 'u3', 'c', 'C', '', 'O', 'en', 'published', 30, 30, 30, 30), \
               (4, 'u4', 'd', 'D', '', 'O', 'en', 'draft', 0, 0, 50, 50), \
               (5, 'u5', 'e', 'E', '', 'O', 'en', 'retracted', 40, 40, 40, 40);
             INSERT INTO release_topics (release_id, topic_id, position) VALUES \
               (1, 1, 0), (2, 2, 0), (3, 3, 0), (4, 4, 0), (5, 5, 0);"
        ))
        .unwrap();
        MIGRATIONS.to_version(&mut conn, 14).unwrap();
        let hidden: Vec<String> = conn
            .prepare("SELECT slug FROM topics WHERE listed = 0 ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(hidden, ["embargoed", "drafted"]);
    }
}
