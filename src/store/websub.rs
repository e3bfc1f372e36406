//! The WebSub hub's tables: verified subscriptions, the version each
//! subscribed feed was last distributed in, and the deliveries still owed.
//!
//! The hub writes through a connection of its own ([`HubStore`]) whose
//! commits do not mark `<db>-changes`: a delivery acknowledged changes no
//! feed, and a mark would make every cached feed stale and every server
//! re-render on each of ten thousand acknowledgements. `PRAGMA data_version`
//! still sees these commits (at most once a second, see `Store::change_version`).

use super::{BUSY_TIMEOUT, Result, Store, from_ms};
use crate::store::db::{self, Conn, OptionalExtension, params};
use chrono::{DateTime, Utc};
use rusqlite::OpenFlags;
use std::sync::Mutex;

/// The hub's connection to the database: one SQLite connection of its
/// own, or a small PostgreSQL pool whose commits notify as the hub's
/// (`postgres.rs`: they move no version).
pub struct HubStore {
    inner: HubInner,
}

enum HubInner {
    Sqlite(Box<Mutex<Conn>>),
    Postgres(r2d2::Pool<db::PgManager>),
}

/// A connection lent by [`HubStore::lock`].
enum HubConn<'a> {
    Guard(std::sync::MutexGuard<'a, Conn>),
    Owned(Box<Conn>),
}

impl std::ops::Deref for HubConn<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        match self {
            HubConn::Guard(g) => g,
            HubConn::Owned(c) => c,
        }
    }
}

/// A subscription whose intent was verified.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: i64,
    /// The feed's path under `base_url`, e.g. `/topics/health/feed.atom`.
    pub topic: String,
    pub callback: String,
    pub lease_seconds: i64,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<String>,
    /// Attempts of the delivery still owed to it, if one is.
    pub pending_attempts: Option<i64>,
    pub pending_due_at: Option<DateTime<Utc>>,
}

/// A delivery claimed for sending.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub subscription_id: i64,
    pub content_id: i64,
    pub attempts: i64,
    pub topic: String,
    pub callback: String,
    pub secret: Option<String>,
}

/// One distributed version of a feed.
#[derive(Debug)]
pub struct Content {
    pub topic: String,
    pub content_type: String,
    pub body: Vec<u8>,
    pub seen_at: DateTime<Utc>,
}

/// What became of one attempt, recorded in batches.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// 2xx: the delivery is never needed again.
    Delivered {
        delivery: i64,
        content: i64,
        subscription: i64,
        status: u16,
    },
    /// Anything else: retried at `retry_at`, or given up when `None`.
    Failed {
        delivery: i64,
        content: i64,
        subscription: i64,
        reason: String,
        retry_at: Option<DateTime<Utc>>,
    },
    /// 410 Gone: the subscriber asked to be forgotten.
    Gone { subscription: i64 },
}

impl Store {
    /// A connection for the hub (see the module comment): no change mark,
    /// but the same refusal to commit into a deleted or replaced file.
    pub fn hub_store(&self) -> Result<HubStore> {
        if let Some(pool) = self.hub_pool()? {
            return Ok(HubStore {
                inner: HubInner::Postgres(pool),
            });
        }
        let conn = rusqlite::Connection::open_with_flags(
            self.path(),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        if let Some(id) = self.identity.clone() {
            conn.commit_hook(Some(move || id.check().is_err()))?;
        }
        Ok(HubStore {
            inner: HubInner::Sqlite(Box::new(Mutex::new(Conn::Sqlite(conn)))),
        })
    }
}

/// A subscription request accepted (202) whose intent is not yet verified.
#[derive(Debug, Clone)]
pub struct PendingVerification {
    pub id: i64,
    /// `subscribe` or `unsubscribe`.
    pub mode: String,
    pub topic: String,
    pub callback: String,
    pub lease_seconds: i64,
    pub secret: Option<String>,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

impl HubStore {
    fn lock(&self) -> Result<HubConn<'_>> {
        Ok(match &self.inner {
            HubInner::Sqlite(m) => HubConn::Guard(m.lock().unwrap_or_else(|p| p.into_inner())),
            HubInner::Postgres(pool) => HubConn::Owned(Box::new(Conn::Pg(pool.get()?))),
        })
    }

    /// Each feed's ETag when the public hubs were last told about it.
    pub fn pinged(&self) -> Result<std::collections::HashMap<String, String>> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached("SELECT path, etag FROM websub_pinged")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<db::Result<_>>()?)
    }

    /// Records the versions the public hubs were (or are being) told about.
    pub fn set_pinged(&self, versions: &[(String, String)]) -> Result<()> {
        let conn = self.lock()?;
        let tx = conn.begin_write()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO websub_pinged (path, etag) VALUES (?1, ?2) \
                 ON CONFLICT (path) DO UPDATE SET etag = excluded.etag",
            )?;
            for (path, etag) in versions {
                stmt.execute(params![path, etag])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Remembers an accepted request until its verification ends.
    pub fn add_pending(
        &self,
        mode: &str,
        topic: &str,
        callback: &str,
        lease_seconds: i64,
        secret: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let conn = self.lock()?;
        Ok(conn.prepare_cached(
            "INSERT INTO websub_pending (mode, topic, callback, lease_seconds, secret, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        )?
        .query_row(
            params![mode, topic, callback, lease_seconds, secret, ms(now)],
            |r| r.get(0),
        )?)
    }

    /// Forgets a request whose verification ended (either way).
    pub fn remove_pending(&self, id: i64) -> Result<()> {
        self.lock()?
            .prepare_cached("DELETE FROM websub_pending WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// The requests whose verification never ended, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingVerification>> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, mode, topic, callback, lease_seconds, secret FROM websub_pending ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingVerification {
                id: r.get(0)?,
                mode: r.get(1)?,
                topic: r.get(2)?,
                callback: r.get(3)?,
                lease_seconds: r.get(4)?,
                secret: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<db::Result<_>>()?)
    }

    /// Live subscriptions in all, and to `topic`.
    pub fn counts(&self, topic: &str, now: DateTime<Utc>) -> Result<(i64, i64)> {
        let conn = self.lock()?;
        let total = conn
            .prepare_cached("SELECT count(*) FROM websub_subscriptions WHERE expires_at > ?1")?
            .query_row([ms(now)], |r| r.get(0))?;
        let for_topic = conn
            .prepare_cached(
                "SELECT count(*) FROM websub_subscriptions WHERE topic = ?1 AND expires_at > ?2",
            )?
            .query_row(params![topic, ms(now)], |r| r.get(0))?;
        Ok((total, for_topic))
    }

    /// Whether `callback` holds a live subscription to `topic` (a renewal
    /// is not held to the caps).
    pub fn is_subscribed(&self, topic: &str, callback: &str, now: DateTime<Utc>) -> Result<bool> {
        let conn = self.lock()?;
        Ok(conn
            .prepare_cached(
                "SELECT 1 FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2 AND expires_at > ?3",
            )?
            .query_row(params![topic, callback, ms(now)], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Stores a verified subscription, or renews it (new lease and secret).
    /// `etag` is the feed's current version: the first subscriber of a feed
    /// is owed the versions after it, not this one.
    pub fn activate(
        &self,
        topic: &str,
        callback: &str,
        secret: Option<&str>,
        lease_seconds: i64,
        etag: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.lock()?;
        let tx = conn.begin_write()?;
        let expires = ms(now) + lease_seconds * 1000;
        tx.prepare_cached(
            "INSERT INTO websub_subscriptions (topic, callback, secret, lease_seconds, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, \
             lease_seconds = excluded.lease_seconds, expires_at = excluded.expires_at",
        )?
        .execute(params![topic, callback, secret, lease_seconds, expires, ms(now)])?;
        tx.prepare_cached(
            "INSERT INTO websub_topics (topic, etag, changed_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (topic) DO NOTHING",
        )?
        .execute(params![topic, etag, ms(now)])?;
        tx.commit()?;
        Ok(())
    }

    /// Ends a subscription; false when there was none.
    pub fn unsubscribe(&self, topic: &str, callback: &str) -> Result<bool> {
        let conn = self.lock()?;
        let n = conn
            .prepare_cached("DELETE FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2")?
            .execute(params![topic, callback])?;
        prune_topics(&conn)?;
        Ok(n > 0)
    }

    /// Ends a subscription by id (the newsroom's *Remove*); false when gone.
    pub fn remove(&self, id: i64) -> Result<bool> {
        let conn = self.lock()?;
        let n = conn
            .prepare_cached("DELETE FROM websub_subscriptions WHERE id = ?1")?
            .execute([id])?;
        prune_topics(&conn)?;
        Ok(n > 0)
    }

    /// Forgets subscriptions whose lease ended (and what was owed to them).
    pub fn expire(&self, now: DateTime<Utc>) -> Result<usize> {
        let conn = self.lock()?;
        let n = conn
            .prepare_cached("DELETE FROM websub_subscriptions WHERE expires_at <= ?1")?
            .execute([ms(now)])?;
        if n > 0 {
            prune_topics(&conn)?;
            prune_contents(&conn)?;
        }
        Ok(n)
    }

    /// Feeds with at least one live subscriber.
    pub fn active_topics(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT topic FROM websub_subscriptions WHERE expires_at > ?1 ORDER BY topic",
        )?;
        let rows = stmt.query_map([ms(now)], |r| r.get(0))?;
        Ok(rows.collect::<db::Result<_>>()?)
    }

    /// When `topic` is now at `etag` and its subscribers last got another
    /// version: stores this one and owes it to every live subscriber (a
    /// delivery still owed of an older version is replaced: the new
    /// document holds the change too). Returns how many are owed it; 0
    /// when the version is the one already distributed.
    pub fn enqueue(
        &self,
        topic: &str,
        etag: &str,
        content_type: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let conn = self.lock()?;
        let tx = conn.begin_write()?;
        let last: Option<String> = tx
            .prepare_cached("SELECT etag FROM websub_topics WHERE topic = ?1")?
            .query_row([topic], |r| r.get(0))
            .optional()?;
        if last.as_deref() == Some(etag) {
            return Ok(0);
        }
        tx.prepare_cached(
            "INSERT INTO websub_topics (topic, etag, changed_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (topic) DO UPDATE SET etag = excluded.etag, changed_at = excluded.changed_at",
        )?
        .execute(params![topic, etag, ms(now)])?;
        if last.is_none() {
            // Nobody was subscribed when it was last seen: nothing is owed.
            tx.commit()?;
            return Ok(0);
        }
        let content: i64 = tx
            .prepare_cached(
                "INSERT INTO websub_contents (topic, content_type, body, seen_at) \
                 VALUES (?1, ?2, ?3, ?4) RETURNING id",
            )?
            .query_row(params![topic, content_type, body, ms(now)], |r| r.get(0))?;
        let owed = tx
            .prepare_cached(
                "INSERT INTO websub_deliveries (subscription_id, content_id, attempts, due_at) \
                 SELECT id, ?1, 0, ?2 FROM websub_subscriptions WHERE topic = ?3 AND expires_at > ?2 \
                 ON CONFLICT (subscription_id) DO UPDATE SET content_id = excluded.content_id, \
                 attempts = 0, due_at = excluded.due_at, in_flight = 0",
            )?
            .execute(params![content, ms(now), topic])?;
        prune_contents(&tx)?;
        tx.commit()?;
        Ok(owed)
    }

    /// Deliveries of another process that was killed while sending them
    /// (or of this one before a restart) are due again now.
    pub fn release_claims(&self, now: DateTime<Utc>) -> Result<usize> {
        let conn = self.lock()?;
        Ok(conn
            .prepare_cached(
                "UPDATE websub_deliveries SET in_flight = 0, due_at = ?1 WHERE in_flight = 1",
            )?
            .execute([ms(now)])?)
    }

    /// Claims up to `limit` due deliveries until `claim_until` (another
    /// process, or this one after a crash, takes them over then).
    pub fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        claim_until: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>> {
        let conn = self.lock()?;
        let tx = conn.begin_write()?;
        let claimed = {
            // On PostgreSQL a claim also skips rows another process is
            // claiming: each delivery is made once per attempt.
            let mut stmt = tx.prepare_cached(if tx.is_postgres() {
                "UPDATE websub_deliveries SET in_flight = 1, due_at = ?3 WHERE id IN \
                 (SELECT id FROM websub_deliveries WHERE due_at <= ?1 ORDER BY due_at LIMIT ?2 \
                 FOR UPDATE SKIP LOCKED) RETURNING id, subscription_id, content_id, attempts"
            } else {
                "UPDATE websub_deliveries SET in_flight = 1, due_at = ?3 WHERE id IN \
                 (SELECT id FROM websub_deliveries WHERE due_at <= ?1 ORDER BY due_at LIMIT ?2) \
                 RETURNING id, subscription_id, content_id, attempts"
            })?;
            let rows = stmt.query_map(params![ms(now), limit as i64, ms(claim_until)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<db::Result<Vec<(i64, i64, i64, i64)>>>()?
        };
        let mut out = Vec::with_capacity(claimed.len());
        {
            let mut sub = tx.prepare_cached(
                "SELECT topic, callback, secret FROM websub_subscriptions WHERE id = ?1",
            )?;
            for (id, subscription_id, content_id, attempts) in claimed {
                let Some((topic, callback, secret)) = sub
                    .query_row([subscription_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?
                else {
                    continue;
                };
                out.push(DueDelivery {
                    id,
                    subscription_id,
                    content_id,
                    attempts,
                    topic,
                    callback,
                    secret,
                });
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// When the next delivery not yet claimed falls due.
    pub fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let conn = self.lock()?;
        let t: Option<i64> = conn
            .prepare_cached("SELECT min(due_at) FROM websub_deliveries")?
            .query_row([], |r| r.get(0))?;
        Ok(t.map(from_ms))
    }

    pub fn content(&self, id: i64) -> Result<Option<Content>> {
        let conn = self.lock()?;
        Ok(conn
            .prepare_cached(
                "SELECT topic, content_type, body, seen_at FROM websub_contents WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Content {
                    topic: r.get(0)?,
                    content_type: r.get(1)?,
                    body: r.get(2)?,
                    seen_at: from_ms(r.get(3)?),
                })
            })
            .optional()?)
    }

    /// Records what became of a batch of attempts, in one transaction. A
    /// delivery replaced meanwhile by a newer version stays owed.
    pub fn record(&self, outcomes: &[Outcome], now: DateTime<Utc>) -> Result<()> {
        let conn = self.lock()?;
        let tx = conn.begin_write()?;
        {
            let mut delete = tx.prepare_cached(
                "DELETE FROM websub_deliveries WHERE id = ?1 AND content_id = ?2",
            )?;
            let mut retry = tx.prepare_cached(
                "UPDATE websub_deliveries SET attempts = attempts + 1, due_at = ?3, in_flight = 0 \
                 WHERE id = ?1 AND content_id = ?2",
            )?;
            let mut note = tx.prepare_cached(
                "UPDATE websub_subscriptions SET last_attempt_at = ?2, last_outcome = ?3 WHERE id = ?1",
            )?;
            let mut gone = tx.prepare_cached("DELETE FROM websub_subscriptions WHERE id = ?1")?;
            for o in outcomes {
                match o {
                    Outcome::Delivered {
                        delivery,
                        content,
                        subscription,
                        status,
                    } => {
                        delete.execute(params![delivery, content])?;
                        note.execute(params![
                            subscription,
                            ms(now),
                            format!("delivered ({status})")
                        ])?;
                    }
                    Outcome::Failed {
                        delivery,
                        content,
                        subscription,
                        reason,
                        retry_at,
                    } => {
                        match retry_at {
                            Some(at) => retry.execute(params![delivery, content, ms(*at)])?,
                            None => delete.execute(params![delivery, content])?,
                        };
                        let outcome = match retry_at {
                            Some(_) => format!("failed, retrying: {reason}"),
                            None => format!("gave up: {reason}"),
                        };
                        note.execute(params![subscription, ms(now), outcome])?;
                    }
                    Outcome::Gone { subscription } => {
                        gone.execute([subscription])?;
                    }
                }
            }
        }
        if outcomes.iter().any(|o| matches!(o, Outcome::Gone { .. })) {
            prune_topics(&tx)?;
        }
        prune_contents(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// (live subscriptions, deliveries owed).
    pub fn depth(&self, now: DateTime<Utc>) -> Result<(i64, i64)> {
        let conn = self.lock()?;
        let subs = conn
            .prepare_cached("SELECT count(*) FROM websub_subscriptions WHERE expires_at > ?1")?
            .query_row([ms(now)], |r| r.get(0))?;
        let owed = conn
            .prepare_cached("SELECT count(*) FROM websub_deliveries")?
            .query_row([], |r| r.get(0))?;
        Ok((subs, owed))
    }

    /// Every live subscription, by feed then callback (the newsroom's list).
    pub fn subscriptions(&self, now: DateTime<Utc>) -> Result<Vec<Subscription>> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.topic, s.callback, s.lease_seconds, s.expires_at, s.created_at, \
             s.last_attempt_at, s.last_outcome, d.attempts, d.due_at \
             FROM websub_subscriptions s LEFT JOIN websub_deliveries d ON d.subscription_id = s.id \
             WHERE s.expires_at > ?1 ORDER BY s.topic, s.callback",
        )?;
        let rows = stmt.query_map([ms(now)], |r| {
            Ok(Subscription {
                id: r.get(0)?,
                topic: r.get(1)?,
                callback: r.get(2)?,
                lease_seconds: r.get(3)?,
                expires_at: from_ms(r.get(4)?),
                created_at: from_ms(r.get(5)?),
                last_attempt_at: r.get::<_, Option<i64>>(6)?.map(from_ms),
                last_outcome: r.get(7)?,
                pending_attempts: r.get(8)?,
                pending_due_at: r.get::<_, Option<i64>>(9)?.map(from_ms),
            })
        })?;
        Ok(rows.collect::<db::Result<_>>()?)
    }
}

/// Forgets the version of feeds nobody subscribes to any more, so a later
/// first subscriber starts from the version current then.
fn prune_topics(conn: &Conn) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM websub_topics WHERE NOT EXISTS \
         (SELECT 1 FROM websub_subscriptions s WHERE s.topic = websub_topics.topic)",
    )?
    .execute([])?;
    Ok(())
}

/// Versions no delivery needs any more.
fn prune_contents(conn: &Conn) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM websub_contents WHERE NOT EXISTS \
         (SELECT 1 FROM websub_deliveries d WHERE d.content_id = websub_contents.id)",
    )?
    .execute([])?;
    Ok(())
}
