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

use super::db::{PgManager, pg_connect, run};
use super::{Result, StoreError};
use include_dir::{Dir, include_dir};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

static MIGRATION_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/db/postgres");

/// The commits this process knows of.
#[derive(Debug, Default)]
pub struct Changes {
    version: AtomicU64,
    foreign: AtomicU64,
    stop: AtomicBool,
    /// The server processes of this store's own connections: their commits
    /// moved `version` when they returned, and their notifications, which
    /// come later, would move it again (and wake everything that watches
    /// it at a moment no commit happens).
    own: std::sync::Mutex<std::collections::HashSet<i32>>,
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

    pub fn adopt(&self, pid: i32) {
        self.own
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(pid);
    }

    pub fn release(&self, pid: i32) {
        self.own
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&pid);
    }

    fn notified(&self, pid: i32, payload: &str, schema: &str) {
        let (writer, from) = payload.split_once(' ').unwrap_or((payload, ""));
        if from != schema
            || self
                .own
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&pid)
        {
            return;
        }
        match writer {
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
    config: tokio_postgres::Config,
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

fn config(url: &str) -> Result<tokio_postgres::Config> {
    url.parse::<tokio_postgres::Config>()
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
    let client = Arc::new(pg_connect(&config).map_err(db_error)?);
    if migrate {
        migrate_client(&client)?;
    } else {
        let found = schema_version(&client)?;
        let wanted = super::Store::schema_version();
        if found < wanted {
            return Err(StoreError::OldSchema { found, wanted });
        }
        if found > wanted {
            return Err(StoreError::NewerSchema { found, wanted });
        }
    }
    drop(client);
    let changes = Arc::new(Changes::default());
    // The first listening connection is made here, so a wrong address or
    // password is this call's error; later ones by the listener itself.
    let first = connect_listener(&config, &changes).map_err(db_error)?;
    let (listen_config, listener) = (config.clone(), Arc::clone(&changes));
    super::db::spawn_pg(listen(first, listen_config, listener));
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
    let client = Arc::new(pg_connect(&config(url)?).map_err(db_error)?);
    let before = schema_version(&client)?;
    migrate_client(&client)?;
    Ok((before, schema_version(&client)?))
}

fn db_error(e: tokio_postgres::Error) -> StoreError {
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

/// The newest migration applied (0 for an empty database).
fn schema_version(client: &Arc<tokio_postgres::Client>) -> Result<usize> {
    let client = Arc::clone(client);
    let v: i64 = run(async move {
        let exists: bool = client
            .query_one("SELECT to_regclass('pressfeed_schema') IS NOT NULL", &[])
            .await?
            .get(0);
        if !exists {
            return Ok(0);
        }
        let row = client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM pressfeed_schema",
                &[],
            )
            .await?;
        Ok::<i64, tokio_postgres::Error>(row.get(0))
    })
    .map_err(db_error)?;
    Ok(usize::try_from(v).unwrap_or(0))
}

/// Each pending migration in a transaction of its own, under the write
/// lock, so two processes starting at once migrate once.
fn migrate_client(client: &Arc<tokio_postgres::Client>) -> Result<()> {
    let setup = Arc::clone(client);
    let quiet = format!(
        "{}; SET client_min_messages = warning",
        session_setup(false)
    );
    run(async move { setup.batch_execute(&quiet).await }).map_err(db_error)?;
    for (number, sql) in migrations() {
        let client = Arc::clone(client);
        let number = i64::try_from(number).unwrap_or(i64::MAX);
        run(async move {
            client
                .batch_execute(&format!(
                    "BEGIN; SELECT pg_advisory_xact_lock({}); \
                     CREATE TABLE IF NOT EXISTS pressfeed_schema (version BIGINT NOT NULL)",
                    super::db::WRITE_LOCK
                ))
                .await?;
            let current: i64 = client
                .query_one(
                    "SELECT coalesce(max(version), 0) FROM pressfeed_schema",
                    &[],
                )
                .await?
                .get(0);
            if current >= number {
                return client.batch_execute("ROLLBACK").await;
            }
            let applied = async {
                client.batch_execute(sql).await?;
                client
                    .execute(
                        "INSERT INTO pressfeed_schema (version) VALUES ($1)",
                        &[&number],
                    )
                    .await?;
                client.batch_execute("COMMIT").await
            }
            .await;
            if applied.is_err() {
                let _ = client.batch_execute("ROLLBACK").await;
            }
            applied
        })
        .map_err(db_error)?;
    }
    Ok(())
}

/// A connection that listens, its notifications noted by a task of its own
/// (which ends when the connection does).
fn connect_listener(
    config: &tokio_postgres::Config,
    changes: &Arc<Changes>,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (config, changes) = (config.clone(), Arc::clone(changes));
    run(async move { listener(&config, changes).await })
}

async fn listener(
    config: &tokio_postgres::Config,
    changes: Arc<Changes>,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let (schema_tx, schema_rx) = tokio::sync::oneshot::channel::<String>();
    tokio::spawn(async move {
        let mut schema_rx = Some(schema_rx);
        let mut schema = String::new();
        loop {
            let message = std::future::poll_fn(|cx| connection.poll_message(cx)).await;
            if let Some(rx) = schema_rx.as_mut()
                && let Ok(s) = rx.try_recv()
            {
                schema = s;
                schema_rx = None;
            }
            match message {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                    changes.notified(n.process_id(), n.payload(), &schema);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!(error = %super::db::Error::Postgres(e), "the connection that listens for commits failed");
                    return;
                }
                None => return,
            }
        }
    });
    // The schema is known before LISTEN, so no notification meant for
    // this store is compared with an empty name.
    let schema: String = client
        .query_one("SELECT current_schema()", &[])
        .await?
        .get(0);
    let _ = schema_tx.send(schema);
    client.batch_execute("LISTEN pressfeed_changes").await?;
    Ok(client)
}

/// The listener's life: see the module comment.
async fn listen(
    mut client: tokio_postgres::Client,
    config: tokio_postgres::Config,
    changes: Arc<Changes>,
) {
    loop {
        // Idle: make sure once a second that the connection is still there.
        while !changes.stop.load(Ordering::Acquire) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let alive = tokio::time::timeout(Duration::from_secs(5), client.simple_query(""));
            if !matches!(alive.await, Ok(Ok(_))) {
                break;
            }
        }
        if changes.stop.load(Ordering::Acquire) {
            return;
        }
        client = loop {
            if changes.stop.load(Ordering::Acquire) {
                return;
            }
            match listener(&config, Arc::clone(&changes)).await {
                Ok(c) => break c,
                Err(e) => {
                    tracing::warn!(error = %super::db::Error::Postgres(e), "cannot listen for commits yet");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        };
        changes.missed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every migration is written for both engines: the newest PostgreSQL
    /// migration is SQLite's newest, so a schema change made for one only
    /// fails here, not on a server.
    #[test]
    fn both_engines_have_every_migration() {
        let newest = migrations().last().map(|(n, _)| *n);
        assert_eq!(newest, Some(super::super::Store::schema_version()));
        let numbers: Vec<usize> = migrations().iter().map(|(n, _)| *n).collect();
        let mut sorted = numbers.clone();
        sorted.dedup();
        assert_eq!(numbers, sorted, "two PostgreSQL migrations share a number");
    }
}
