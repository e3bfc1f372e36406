//! The PostgreSQL backend's own parts: connecting, migrating (`db/postgres`),
//! and noticing commits from every process on every machine.
//!
//! SQLite marks a file after each commit (`changes.rs`) and every process
//! reads it; here every table has a statement trigger that calls
//! `pg_notify('pressfeed_changes', …)`, delivered at commit to every
//! connection that listens. Each store keeps one listening connection on a
//! thread of its own and moves [`Changes::version`] for every notification;
//! its own commits move it at once (`db.rs`), so the process that wrote
//! sees the write on its very next request, and the others when the
//! notification arrives (well under a millisecond on one network). A
//! listening connection that is lost may have missed notifications: the
//! thread notices within a second (a cheap query on it when idle),
//! connects again and counts the gap as a foreign commit, which makes
//! caches take every document for stale.

use super::db::{PgManager, Result as DbResult};
use super::{Result, StoreError};
use include_dir::{Dir, include_dir};
use postgres::fallible_iterator::FallibleIterator;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

static MIGRATION_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/db/postgres");

/// What `--db` names a PostgreSQL database with.
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The commits this process knows of.
#[derive(Debug, Default)]
pub struct Changes {
    version: AtomicU64,
    foreign: AtomicU64,
    stop: AtomicBool,
}

impl Changes {
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn foreign(&self) -> u64 {
        self.foreign.load(Ordering::Acquire)
    }

    /// One of ours committed.
    pub fn committed(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    fn notified(&self, payload: &str) {
        match payload {
            // The hub's tables are in no document.
            "hub" => return,
            "on" => {}
            _ => {
                self.foreign.fetch_add(1, Ordering::AcqRel);
            }
        }
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Notifications may have been lost: anything may have changed.
    fn missed(&self) {
        self.foreign.fetch_add(1, Ordering::AcqRel);
        self.version.fetch_add(1, Ordering::AcqRel);
    }
}

/// The pool and the listener of one store.
pub(super) struct PgBackend {
    pub pool: r2d2::Pool<PgManager>,
    pub changes: Arc<Changes>,
    config: postgres::Config,
}

impl PgBackend {
    /// Connections for the WebSub hub: see `websub.rs`.
    pub fn hub_pool(&self) -> Result<r2d2::Pool<PgManager>> {
        let manager = PgManager {
            hub: true,
            config: self.config.clone(),
            changes: Arc::clone(&self.changes),
        };
        Ok(r2d2::Pool::builder()
            .max_size(2)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(15))
            .build_unchecked(manager))
    }
}

impl Drop for PgBackend {
    fn drop(&mut self) {
        self.changes.stop.store(true, Ordering::Release);
    }
}

fn config(url: &str) -> Result<postgres::Config> {
    url.parse::<postgres::Config>()
        .map_err(|e| StoreError::Database(e.into()))
}

/// Statements every pooled connection starts with: its commits are
/// pressfeed's, or the hub's (see the trigger), and a writer waits for the
/// write lock at most as long as SQLite's busy timeout.
pub(super) fn session_setup(hub: bool) -> &'static str {
    if hub {
        "SET pressfeed.writer = 'hub'; SET lock_timeout = '10s'"
    } else {
        "SET pressfeed.writer = 'on'; SET lock_timeout = '10s'"
    }
}

/// Connects, migrates when `migrate` (else refuses a schema that is not
/// this program's), and starts listening.
pub(super) fn open(url: &str, pool_size: u32, migrate: bool) -> Result<PgBackend> {
    let config = config(url)?;
    let mut client = config.connect(postgres::NoTls).map_err(db_error)?;
    if migrate {
        migrate_client(&mut client)?;
    } else {
        let found = schema_version(&mut client)?;
        let wanted = super::Store::schema_version();
        if found < wanted {
            return Err(StoreError::OldSchema { found, wanted });
        }
        if found > wanted {
            return Err(StoreError::NewerSchema { found, wanted });
        }
    }
    let changes = Arc::new(Changes::default());
    client
        .batch_execute("LISTEN pressfeed_changes")
        .map_err(db_error)?;
    let listener = Arc::clone(&changes);
    let listen_config = config.clone();
    std::thread::Builder::new()
        .name("pressfeed-listen".into())
        .spawn(move || listen(client, &listen_config, &listener))
        .map_err(|source| StoreError::Io {
            path: "<listener thread>".into(),
            source,
        })?;
    let manager = PgManager {
        config: config.clone(),
        changes: Arc::clone(&changes),
        hub: false,
    };
    let pool = r2d2::Pool::builder()
        .max_size(pool_size.max(2))
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(15))
        .build(manager)?;
    Ok(PgBackend {
        pool,
        changes,
        config,
    })
}

/// Applies pending migrations; returns (before, after).
pub(super) fn migrate(url: &str) -> Result<(usize, usize)> {
    let mut client = config(url)?.connect(postgres::NoTls).map_err(db_error)?;
    let before = schema_version(&mut client)?;
    migrate_client(&mut client)?;
    Ok((before, schema_version(&mut client)?))
}

fn db_error(e: postgres::Error) -> StoreError {
    StoreError::Database(e.into())
}

/// The migrations, by number (a directory `NN-name` holding `up.sql`).
fn migrations() -> Vec<(usize, &'static str)> {
    let mut all: Vec<(usize, &'static str)> = MIGRATION_DIR
        .dirs()
        .filter_map(|d| {
            let name = d.path().file_name()?.to_str()?;
            let number: usize = name.split('-').next()?.parse().ok()?;
            let sql = d.get_file(d.path().join("up.sql"))?.contents_utf8()?;
            Some((number, sql))
        })
        .collect();
    all.sort_by_key(|(n, _)| *n);
    all
}

fn schema_version(client: &mut postgres::Client) -> Result<usize> {
    let exists: bool = client
        .query_one("SELECT to_regclass('pressfeed_schema') IS NOT NULL", &[])
        .map_err(db_error)?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: i64 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM pressfeed_schema",
            &[],
        )
        .map_err(db_error)?
        .get(0);
    Ok(usize::try_from(v).unwrap_or(0))
}

/// Each pending migration in a transaction of its own, under the write
/// lock, so two processes starting at once migrate once.
fn migrate_client(client: &mut postgres::Client) -> Result<()> {
    for (number, sql) in migrations() {
        let mut tx = client.transaction().map_err(db_error)?;
        tx.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({}); \
             CREATE TABLE IF NOT EXISTS pressfeed_schema (version BIGINT NOT NULL)",
            super::db::WRITE_LOCK
        ))
        .map_err(db_error)?;
        let current: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM pressfeed_schema",
                &[],
            )
            .map_err(db_error)?
            .get(0);
        if usize::try_from(current).unwrap_or(0) >= number {
            continue;
        }
        tx.batch_execute(sql).map_err(db_error)?;
        tx.execute(
            "INSERT INTO pressfeed_schema (version) VALUES ($1)",
            &[&i64::try_from(number).unwrap_or(i64::MAX)],
        )
        .map_err(db_error)?;
        tx.commit().map_err(db_error)?;
    }
    Ok(())
}

/// The listening thread: see the module comment.
fn listen(mut client: postgres::Client, config: &postgres::Config, changes: &Changes) {
    loop {
        match drain(&mut client, changes) {
            Ok(()) => return,
            Err(e) => tracing::warn!(error = %e, "lost the connection that listens for commits"),
        }
        client = loop {
            if changes.stop.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
            match config
                .connect(postgres::NoTls)
                .and_then(|mut c| c.batch_execute("LISTEN pressfeed_changes").map(|()| c))
            {
                Ok(c) => break c,
                Err(e) => tracing::warn!(error = %e, "cannot listen for commits yet"),
            }
        };
        changes.missed();
    }
}

/// Notes notifications until told to stop (`Ok`) or the connection fails.
fn drain(client: &mut postgres::Client, changes: &Changes) -> DbResult<()> {
    while !changes.stop.load(Ordering::Acquire) {
        {
            let mut notes = client.notifications();
            let mut waiting = notes.timeout_iter(Duration::from_secs(1));
            while let Some(note) = waiting.next()? {
                changes.notified(note.payload());
            }
        }
        // Idle for a second: make sure the connection is still there.
        client.simple_query("")?;
    }
    Ok(())
}
