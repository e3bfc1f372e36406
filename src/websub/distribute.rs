//! Noticing that a subscribed feed's bytes changed, and owing the new
//! version to its subscribers.
//!
//! Every commit by any pressfeed process moves the database's change mark
//! (`<db>-changes`, read through a memory mapping; other programs' writes
//! through `PRAGMA data_version`, within a second). When it moves, and when
//! a subscribed feed's next scheduled release becomes visible (with no
//! request arriving), each subscribed feed is rendered — from the feed cache
//! when nothing in it changed — and compared, by ETag, with the version its
//! subscribers last got. A new version is stored with one delivery per
//! subscriber in a single transaction, so a kill at any moment either owes
//! it to all of them or to none, and then the next look after the restart
//! sees the difference again.

use super::Hub;
use super::topic::FeedTopic;
use crate::http::AppState;
use crate::http::conditional::Encoding;
use actix_web::web;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// How often the change mark and the clock are looked at.
const TICK: Duration = Duration::from_millis(20);
/// Leases are cleared and gauges set this often (clock time).
const HOUSEKEEPING: chrono::Duration = chrono::Duration::seconds(1);

pub async fn run(state: web::Data<AppState>, hub: Arc<Hub>) {
    let mut seen_version: Option<u64> = None;
    let mut next_change: Option<DateTime<Utc>> = None;
    let mut housekeeping_at = DateTime::<Utc>::MIN_UTC;
    let mut last_public: std::collections::HashMap<String, String> = Default::default();
    loop {
        let now = state.clock.now();
        if now >= housekeeping_at {
            housekeeping_at = now + HOUSEKEEPING;
            housekeeping(&hub, now).await;
        }
        let version = match state.store.change_version() {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(error = %e, "websub: cannot read the change mark");
                None
            }
        };
        let due = next_change.is_some_and(|t| now >= t);
        if version.is_some() && (version != seen_version || due) {
            seen_version = version;
            next_change = None;
            if hub.builtin {
                match look(&state, &hub, now).await {
                    Ok(next) => next_change = next,
                    Err(e) => {
                        // Looked at again on the next change or tick.
                        tracing::warn!(error = %e, "websub: cannot compare subscribed feeds");
                        seen_version = None;
                    }
                }
            }
            if !hub.settings.public_hubs.is_empty() {
                let next = super::ping::look(&state, &hub, now, &mut last_public).await;
                next_change = earliest(next_change, next);
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

async fn housekeeping(hub: &Arc<Hub>, now: DateTime<Utc>) {
    let h = Arc::clone(hub);
    let done = web::block(move || {
        h.store().expire(now)?;
        h.store().depth(now)
    })
    .await;
    match done {
        Ok(Ok((subscriptions, owed))) => {
            metrics::gauge!("pressfeed_websub_subscriptions").set(subscriptions as f64);
            metrics::gauge!("pressfeed_websub_queue_depth").set(owed as f64);
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "websub: lease upkeep failed"),
        Err(e) => tracing::warn!(error = %e, "websub: lease upkeep failed"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LookError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    App(#[from] crate::http::error::AppError),
    #[error("the server is busy: {0}")]
    Blocking(#[from] actix_web::error::BlockingError),
}

/// Compares every subscribed feed with the version its subscribers last
/// got, owing them the new one. Returns when a subscribed feed next
/// changes by itself.
async fn look(
    state: &web::Data<AppState>,
    hub: &Arc<Hub>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, LookError> {
    let h = Arc::clone(hub);
    let topics = web::block(move || h.store().active_topics(now)).await??;
    let mut next_change = None;
    let mut owed_any = false;
    for path in topics {
        let Some(topic) = FeedTopic::from_path(&path) else {
            continue;
        };
        let Some(rep) = crate::http::feeds::document(state, topic.key).await? else {
            // The topic was deleted: its subscribers keep their lease, and
            // get the feed again if it comes back.
            continue;
        };
        next_change = earliest(next_change, rep.next_change);
        let etag = rep
            .etag(Encoding::Identity)
            .to_str()
            .unwrap_or_default()
            .to_owned();
        let h = Arc::clone(hub);
        let owed = web::block(move || {
            h.store().enqueue(
                &path,
                &etag,
                rep.content_type,
                rep.body(Encoding::Identity),
                now,
            )
        })
        .await??;
        if owed > 0 {
            owed_any = true;
            metrics::counter!("pressfeed_websub_versions_total").increment(1);
            tracing::info!(topic = %topic.path, subscribers = owed, "websub: a feed changed; delivering");
        }
    }
    if owed_any {
        hub.queued.notify_one();
    }
    Ok(next_change)
}
