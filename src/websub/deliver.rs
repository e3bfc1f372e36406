//! Sending what is owed: POST the feed to each subscriber's callback
//! (W3C WebSub §7), with its Content-Type, `Link` rel=hub and rel=self, and
//! `X-Hub-Signature: sha256=…` (HMAC of the body) when a secret was given.
//!
//! 2xx is delivered; 410 Gone ends the subscription; anything else, or no
//! answer within the timeout, is tried again after an exponentially growing
//! wait with jitter, for at most [`GIVE_UP_AFTER`]. Deliveries are claimed
//! from the database and their outcome recorded there in batches: one
//! acknowledged is never sent again, one not yet recorded is sent again
//! after a restart (at least once, duplicates possible).

use super::Hub;
use super::callback::Callback;
use super::verify::describe;
use crate::http::AppState;
use crate::store::{DueDelivery, Outcome};
use actix_web::web;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

/// The first retry waits this long; each further one twice as long.
const FIRST_RETRY: chrono::Duration = chrono::Duration::seconds(30);
const LONGEST_WAIT: chrono::Duration = chrono::Duration::hours(2);
/// A version not delivered this long after the change is given up on.
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(24);
/// A claimed delivery another process may take over after this long
/// (longer than any request may take).
const CLAIM: chrono::Duration = chrono::Duration::seconds(60);
const CLAIM_BATCH: usize = 500;
const TICK: Duration = Duration::from_millis(50);

pub async fn run(state: web::Data<AppState>, hub: Arc<Hub>) {
    // What this process (or another before a kill) was sending is due again.
    // Not on PostgreSQL, where processes on other machines share the
    // deliveries: what one of them is sending now would be sent twice. A
    // claim of a process that died is taken over when it lapses (`CLAIM`).
    if !state.store.is_postgres() {
        release_claims(&hub, state.clock.now()).await;
    }
    deliver_loop(state, hub).await;
}

async fn release_claims(hub: &Arc<Hub>, now: chrono::DateTime<chrono::Utc>) {
    let h = Arc::clone(hub);
    match web::block(move || h.store().release_claims(now)).await {
        Ok(Ok(n)) if n > 0 => {
            tracing::info!(
                deliveries = n,
                "websub: sending again what was in flight before the restart"
            )
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "websub: cannot release claimed deliveries"),
        _ => {}
    }
}

async fn deliver_loop(state: web::Data<AppState>, hub: Arc<Hub>) {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(record(Arc::clone(&hub), state.clone(), rx));
    let slots = Arc::new(Semaphore::new(hub.settings.concurrency));
    loop {
        let free = slots.available_permits();
        let batch = if free == 0 {
            Vec::new()
        } else {
            let (h, now) = (Arc::clone(&hub), state.clock.now());
            match web::block(move || h.store().claim_due(now, free.min(CLAIM_BATCH), now + CLAIM))
                .await
            {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "websub: cannot claim deliveries");
                    Vec::new()
                }
                Err(_) => Vec::new(),
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = hub.queued.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
            continue;
        }
        for d in batch {
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                return;
            };
            let (hub, state, tx) = (Arc::clone(&hub), state.clone(), tx.clone());
            tokio::spawn(async move {
                let outcome = attempt(&hub, &state, d).await;
                let _ = tx.send(outcome);
                drop(slot);
            });
        }
    }
}

/// Records outcomes as they come, many per transaction.
async fn record(
    hub: Arc<Hub>,
    state: web::Data<AppState>,
    mut rx: mpsc::UnboundedReceiver<Outcome>,
) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 2000).await > 0 {
        let outcomes = std::mem::take(&mut batch);
        let (h, now) = (Arc::clone(&hub), state.clock.now());
        let saved = web::block(move || {
            let r = h.store().record(&outcomes, now);
            (r, outcomes)
        })
        .await;
        match saved {
            Ok((Ok(()), _)) => {}
            Ok((Err(e), outcomes)) => {
                // Not recorded: those delivered are sent again once their
                // claim ends (at least once); the rest are retried anyway.
                tracing::warn!(error = %e, lost = outcomes.len(), "websub: cannot record deliveries");
            }
            Err(e) => tracing::warn!(error = %e, "websub: cannot record deliveries"),
        }
        let mut contents = hub.contents.lock().unwrap_or_else(|p| p.into_inner());
        if contents.len() > 16 {
            contents.clear();
        }
    }
}

/// A distributed version in memory, its body shared by every request.
pub struct Version {
    topic: String,
    content_type: String,
    body: Bytes,
    seen_at: DateTime<Utc>,
}

/// The version a delivery carries, loaded once for all its deliveries.
async fn content(hub: &Arc<Hub>, id: i64) -> Option<Arc<Version>> {
    if let Some(c) = hub
        .contents
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
    {
        return Some(Arc::clone(c));
    }
    let h = Arc::clone(hub);
    let loaded = web::block(move || h.store().content(id))
        .await
        .ok()?
        .ok()??;
    let loaded = Arc::new(Version {
        topic: loaded.topic,
        content_type: loaded.content_type,
        body: Bytes::from(loaded.body),
        seen_at: loaded.seen_at,
    });
    hub.contents
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, Arc::clone(&loaded));
    Some(loaded)
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// When to try again after `attempts` failed ones, or `None` to give up.
fn retry_at(attempts: i64, changed_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let doubling = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    let wait = (FIRST_RETRY * 2i32.pow(doubling.min(12))).min(LONGEST_WAIT);
    // ±25 %, so subscribers that failed together do not retry together.
    let jitter = rand::rng().random_range(0.75..1.25);
    let wait = chrono::Duration::milliseconds((wait.num_milliseconds() as f64 * jitter) as i64);
    let at = now + wait;
    (at <= changed_at + GIVE_UP_AFTER).then_some(at)
}

async fn attempt(hub: &Arc<Hub>, state: &web::Data<AppState>, d: DueDelivery) -> Outcome {
    let failed = |reason: String, changed_at: DateTime<Utc>| {
        let now = state.clock.now();
        let retry = retry_at(d.attempts, changed_at, now);
        if retry.is_none() {
            tracing::warn!(topic = %d.topic, %reason, "websub: giving up on a delivery");
        }
        metrics::counter!("pressfeed_websub_deliveries_total", "outcome" => if retry.is_some() { "failed" } else { "gave_up" })
            .increment(1);
        Outcome::Failed {
            delivery: d.id,
            content: d.content_id,
            subscription: d.subscription_id,
            reason,
            retry_at: retry,
        }
    };
    let Some(content) = content(hub, d.content_id).await else {
        return failed("the version to deliver is gone".into(), state.clock.now());
    };
    let callback = match Callback::parse(&d.callback, hub.settings.allow_private) {
        Ok(c) => c,
        // Settings changed since it subscribed: private callbacks refused now.
        Err(e) => return failed(e.to_string(), content.seen_at - GIVE_UP_AFTER),
    };
    hub.rates.wait_turn(&callback.host()).await;
    let base = &hub.settings.base_url;
    let mut req = hub
        .client
        .post(callback.url().clone())
        .header(reqwest::header::CONTENT_TYPE, &content.content_type)
        .header(
            reqwest::header::LINK,
            format!(
                "<{}>; rel=\"hub\", <{base}{}>; rel=\"self\"",
                hub.url(),
                content.topic
            ),
        )
        .body(content.body.clone());
    if let Some(secret) = &d.secret {
        req = req.header("X-Hub-Signature", signature(secret, &content.body));
    }
    match req.send().await {
        Ok(res) if res.status().is_success() => {
            let latency = (state.clock.now() - content.seen_at).num_milliseconds() as f64 / 1000.0;
            metrics::histogram!("pressfeed_websub_delivery_seconds").record(latency.max(0.0));
            metrics::counter!("pressfeed_websub_deliveries_total", "outcome" => "delivered")
                .increment(1);
            metrics::counter!("pressfeed_websub_bytes_sent_total")
                .increment(content.body.len() as u64);
            Outcome::Delivered {
                delivery: d.id,
                content: d.content_id,
                subscription: d.subscription_id,
                status: res.status().as_u16(),
            }
        }
        Ok(res) if res.status() == reqwest::StatusCode::GONE => {
            tracing::info!(topic = %d.topic, callback = %callback.host(), "websub: the subscriber answered 410 Gone; unsubscribed");
            metrics::counter!("pressfeed_websub_deliveries_total", "outcome" => "gone")
                .increment(1);
            Outcome::Gone {
                subscription: d.subscription_id,
            }
        }
        Ok(res) => failed(format!("HTTP {}", res.status().as_u16()), content.seen_at),
        Err(e) => failed(describe(e), content.seen_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_wait_longer_each_time_and_end() {
        let t = Utc::now();
        let first = retry_at(0, t, t).expect("retried");
        assert!(
            first >= t + chrono::Duration::seconds(22)
                && first <= t + chrono::Duration::seconds(38)
        );
        let fifth = retry_at(4, t, t).expect("retried");
        assert!(fifth >= t + chrono::Duration::seconds(360));
        assert!(retry_at(3, t, t + chrono::Duration::hours(24)).is_none());
    }
}
