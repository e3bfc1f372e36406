//! Accredited journalists: their private feeds' tokens (as SHA-256 only),
//! what those feeds hold (scheduled releases before their time), and the
//! record of every fetch and of which releases each journalist saw first.

use super::releases::{RELEASE_COLUMNS, attach_topics, release_from_row};
use super::topics::find_topic;
use super::{Conflict, Result, Store, from_ms, to_ms, unique_or};
use crate::model::{FeedKind, FeedScope, FeedSnapshot, Release, Topic};
use crate::store::db::{self, OptionalExtension, params};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// An accreditation whose token still works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accredited {
    pub id: i64,
    pub name: String,
    pub outlet: String,
}

/// Every accreditation ever issued, for the newsroom and the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccreditationRecord {
    pub id: i64,
    pub name: String,
    pub outlet: String,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub fetches: i64,
    pub last_fetch_at: Option<DateTime<Utc>>,
}

/// How many journalists saw a release before its embargo lifted, of how
/// many accredited now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EmbargoReach {
    pub seen_before: i64,
    pub accredited: i64,
}

/// Fetches kept per journalist: enough to answer "who read what, when" for
/// weeks of minute-by-minute polling, without growing for ever.
const FETCHES_KEPT: i64 = 50_000;

/// Everything published, scheduled or not, newest first: a private feed.
const PRIVATE_ALL_SQL: &str = "SELECT {COLUMNS} FROM releases r \
     WHERE r.status = 'published' ORDER BY r.published_at DESC, r.id DESC LIMIT ?1";
const PRIVATE_TOPIC_SQL: &str = "SELECT {COLUMNS} FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id \
     WHERE rt.topic_id = ?2 AND rt.feed_at IS NOT NULL \
     ORDER BY rt.feed_at DESC, rt.release_id DESC LIMIT ?1";
/// The last write to any release: a scheduled release edited, withdrawn or
/// deleted changes a private feed without touching any public stamp.
const LAST_RELEASE_WRITE_SQL: &str = "SELECT max(changed_at) FROM releases";

impl Store {
    /// Issues an accreditation; `Taken` when an active one has that name.
    pub fn create_accreditation(
        &self,
        name: &str,
        outlet: &str,
        email: Option<&str>,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "INSERT INTO accreditations (name, outlet, email, token_sha256, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )?
        .query_row(
            params![name, outlet, email, token_sha256, to_ms(now)],
            |r| r.get(0),
        )
        .map_err(unique_or(|| Conflict::AccreditationTaken(name.to_owned())))
    }

    /// Revokes the active accreditation called `name`; false when none.
    pub fn revoke_accreditation(&self, name: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = self
            .conn()?
            .prepare_cached(
                "UPDATE accreditations SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![name, to_ms(now)])?;
        Ok(n > 0)
    }

    /// Revokes by id (the newsroom's button); false when already revoked.
    pub fn revoke_accreditation_id(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let n = self
            .conn()?
            .prepare_cached(
                "UPDATE accreditations SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![id, to_ms(now)])?;
        Ok(n > 0)
    }

    /// The active accreditation with this token hash. One lookup in a
    /// unique index whether the token is unknown, revoked or good, so the
    /// answer's timing says nothing about which.
    pub fn accredited(&self, token_sha256: &str) -> Result<Option<Accredited>> {
        Ok(self
            .conn()?
            .prepare_cached(
                "SELECT id, name, outlet, revoked_at FROM accreditations WHERE token_sha256 = ?1",
            )?
            .query_row([token_sha256], |r| {
                Ok((
                    Accredited {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        outlet: r.get(2)?,
                    },
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .optional()?
            .and_then(|(a, revoked)| revoked.is_none().then_some(a)))
    }

    /// Every accreditation, newest first.
    pub fn accreditations(&self) -> Result<Vec<AccreditationRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, outlet, email, created_at, revoked_at, fetches, last_fetch_at \
             FROM accreditations ORDER BY created_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AccreditationRecord {
                id: r.get(0)?,
                name: r.get(1)?,
                outlet: r.get(2)?,
                email: r.get(3)?,
                created_at: from_ms(r.get(4)?),
                revoked_at: r.get::<_, Option<i64>>(5)?.map(from_ms),
                fetches: r.get(6)?,
                last_fetch_at: r.get::<_, Option<i64>>(7)?.map(from_ms),
            })
        })?;
        Ok(rows.collect::<db::Result<_>>()?)
    }

    /// Notes one private fetch: who, when, which document and its status,
    /// and the releases it showed that this journalist had not seen before
    /// (`embargoed`: the ones not yet public at `now`).
    pub fn record_private_fetch(
        &self,
        accreditation_id: i64,
        document: &str,
        status: u16,
        shown: &[(i64, bool)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let now_ms = to_ms(now);
        tx.prepare_cached(
            "UPDATE accreditations SET fetches = fetches + 1, last_fetch_at = ?2 WHERE id = ?1",
        )?
        .execute(params![accreditation_id, now_ms])?;
        tx.prepare_cached(
            "INSERT INTO accreditation_fetches (accreditation_id, at, document, status) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![accreditation_id, now_ms, document, status])?;
        tx.prepare_cached(
            "DELETE FROM accreditation_fetches WHERE accreditation_id = ?1 AND at < \
             (SELECT at FROM accreditation_fetches WHERE accreditation_id = ?1 \
              ORDER BY at DESC LIMIT 1 OFFSET ?2)",
        )?
        .execute(params![accreditation_id, FETCHES_KEPT])?;
        let mut seen = tx.prepare_cached(
            "INSERT INTO accreditation_sightings \
             (accreditation_id, release_id, first_seen_at, before_embargo) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT DO NOTHING",
        )?;
        for (release_id, embargoed) in shown {
            seen.execute(params![accreditation_id, release_id, now_ms, embargoed])?;
        }
        drop(seen);
        tx.commit()?;
        Ok(())
    }

    /// The latest fetches of one journalist, newest first: (when, document, status).
    pub fn private_fetches(
        &self,
        accreditation_id: i64,
        limit: usize,
    ) -> Result<Vec<(DateTime<Utc>, String, u16)>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT at, document, status FROM accreditation_fetches \
             WHERE accreditation_id = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![accreditation_id, limit as i64], |r| {
            Ok((from_ms(r.get(0)?), r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<db::Result<_>>()?)
    }

    /// For each release id asked about: how many journalists saw it before
    /// its embargo, of how many are accredited now.
    pub fn embargo_reach(&self, release_ids: &[i64]) -> Result<HashMap<i64, EmbargoReach>> {
        let conn = self.conn()?;
        let accredited: i64 = conn
            .prepare_cached("SELECT count(*) FROM accreditations WHERE revoked_at IS NULL")?
            .query_row([], |r| r.get(0))?;
        // One grouped read over the listed ids, not a count per release.
        let ids = format!(
            "[{}]",
            release_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut seen: HashMap<i64, i64> = conn
            .prepare_cached(
                "SELECT release_id, count(*) FROM accreditation_sightings \
                 WHERE release_id IN (SELECT value FROM json_each(?1)) AND before_embargo <> 0 \
                 GROUP BY release_id",
            )?
            .query_map([ids], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<db::Result<_>>()?;
        let out = release_ids
            .iter()
            .map(|&id| {
                let reach = EmbargoReach {
                    seen_before: seen.remove(&id).unwrap_or(0),
                    accredited,
                };
                (id, reach)
            })
            .collect();
        Ok(out)
    }

    /// A private feed's items at `now`: every published release of the
    /// scope, scheduled ones included, newest first; `None` for a topic
    /// that does not exist (a topic only embargoed releases are in exists
    /// here). Validators: see [`private_last_modified`].
    pub fn private_feed_snapshot(
        &self,
        scope: &FeedScope,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Option<FeedSnapshot>> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let limit = limit as i64;
        let (topic, mut items): (Option<Topic>, Vec<Release>) = match scope {
            FeedScope::All => {
                let items = tx
                    .prepare_cached(&PRIVATE_ALL_SQL.replace("{COLUMNS}", RELEASE_COLUMNS))?
                    .query_map([limit], release_from_row)?
                    .collect::<db::Result<_>>()?;
                (None, items)
            }
            FeedScope::Topic(slug) => {
                let Some(topic) = find_topic(&tx, slug.as_str())? else {
                    return Ok(None);
                };
                let items = tx
                    .prepare_cached(&PRIVATE_TOPIC_SQL.replace("{COLUMNS}", RELEASE_COLUMNS))?
                    .query_map(params![limit, topic.id], release_from_row)?
                    .collect::<db::Result<_>>()?;
                (Some(topic), items)
            }
        };
        attach_topics(&tx, &mut items)?;
        let updated_ties = super::feeds::updated_ties(&tx, &items)?;
        let last_write: Option<i64> = tx
            .prepare_cached(LAST_RELEASE_WRITE_SQL)?
            .query_row([], |r| r.get(0))?;
        let site_stamp: i64 = tx
            .prepare_cached(super::scopes::GLOBAL_STAMP_SQL)?
            .query_row([], |r| r.get(0))?;
        let last_modified = private_last_modified(
            &items,
            topic.as_ref(),
            last_write.unwrap_or(0).max(site_stamp),
            now,
        );
        let next_change = items
            .iter()
            .map(|r| r.published_at)
            .filter(|t| *t > now)
            .min();
        Ok(Some(FeedSnapshot {
            topic,
            items,
            last_modified,
            next_change,
            tombstones: Vec::new(),
            updated_ties,
            kind: FeedKind::Search,
        }))
    }
}

/// A private feed changes when any release is written (`last_write_ms`,
/// which covers a scheduled release edited or withdrawn: those move no
/// public stamp), when its topic changes, and when an embargo lifts (the
/// item loses its mark at `published_at`). The latest of these, rounded up
/// to the second, so a client's `If-Modified-Since` never hides a change
/// made later in the same second.
fn private_last_modified(
    items: &[Release],
    topic: Option<&Topic>,
    last_write_ms: i64,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let lifted = items
        .iter()
        .map(|r| r.published_at)
        .filter(|t| *t <= now)
        .max();
    let latest = [
        Some(from_ms(last_write_ms)),
        lifted,
        topic.map(|t| t.changed_at),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(now);
    let ms = to_ms(latest);
    DateTime::from_timestamp(super::scopes::ceil_secs(ms), 0).unwrap_or(latest)
}
