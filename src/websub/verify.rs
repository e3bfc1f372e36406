//! Intent verification (W3C WebSub §5.3): before a subscription starts or
//! ends, the hub asks the callback with a GET carrying a random
//! `hub.challenge`; only a 2xx answer whose body is exactly the challenge
//! counts. At most one verification per callback is in flight. An accepted
//! request is kept in `websub_pending` until its verification ends, so a
//! server stopped before then verifies it when it starts again.

use super::Hub;
use super::callback::Callback;
use super::subscribe::{Mode, Request, SubscribeError};
use crate::http::AppState;
use crate::http::conditional::Encoding;
use actix_web::web;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::sync::Arc;

/// A challenge echo is short; more than this is not an echo.
const MAX_ECHO: usize = 1024;

/// Marks a verification for `callback` as in flight; false if one is.
pub fn claim(hub: &Hub, callback: &Callback) -> bool {
    hub.verifying
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(callback.as_str().to_owned())
}

/// Ends the in-flight mark when the verification ends, however it ends.
struct Claimed<'a>(&'a Hub, String);

impl Drop for Claimed<'_> {
    fn drop(&mut self) {
        self.0
            .verifying
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.1);
    }
}

/// The caps on subscriptions (a renewal is not held to them).
pub fn check_caps(hub: &Hub, r: &Request, now: DateTime<Utc>) -> Result<(), SubscribeError> {
    let store = hub.store();
    let unavailable = |_| SubscribeError::Unavailable;
    if store
        .is_subscribed(&r.topic.path, r.callback.as_str(), now)
        .map_err(unavailable)?
    {
        return Ok(());
    }
    let (total, for_topic) = store.counts(&r.topic.path, now).map_err(unavailable)?;
    let s = hub.settings();
    if total >= s.max_subscriptions {
        return Err(SubscribeError::Full(s.max_subscriptions));
    }
    if for_topic >= s.max_per_topic {
        return Err(SubscribeError::TopicFull(s.max_per_topic));
    }
    Ok(())
}

fn verification_url(hub: &Hub, r: &Request, mode: &str, extra: &[(&str, &str)]) -> url::Url {
    let mut url = r.callback.url().clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("hub.mode", mode)
            .append_pair("hub.topic", &r.topic.url(&hub.settings().base_url));
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    url
}

/// Starts verifying an accepted request in the background, remembered in
/// the database until it ends so that a restart resumes it.
pub async fn begin(
    state: web::Data<AppState>,
    hub: Arc<Hub>,
    r: Request,
) -> Result<(), SubscribeError> {
    if !claim(&hub, &r.callback) {
        return Err(SubscribeError::Verifying);
    }
    let (h, req, now) = (Arc::clone(&hub), r.clone(), state.clock.now());
    let stored = web::block(move || {
        h.store().add_pending(
            req.mode.as_str(),
            &req.topic.path,
            req.callback.as_str(),
            req.lease_seconds,
            req.secret.as_deref(),
            now,
        )
    })
    .await;
    let id = match stored {
        Ok(Ok(id)) => id,
        failed => {
            if let Ok(Err(e)) = failed {
                tracing::warn!(error = %e, "websub: cannot store a subscription request");
            }
            drop(Claimed(&hub, r.callback.as_str().to_owned()));
            return Err(SubscribeError::Unavailable);
        }
    };
    tokio::spawn(run(state, hub, r, id));
    Ok(())
}

/// Resumes the verifications a previous server accepted and never ended.
pub async fn resume(state: web::Data<AppState>, hub: Arc<Hub>) {
    let h = Arc::clone(&hub);
    let pending = match web::block(move || h.store().pending()).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "websub: cannot read the pending verifications");
            return;
        }
        Err(_) => return,
    };
    for p in pending {
        let mode = match p.mode.as_str() {
            "subscribe" => Some(Mode::Subscribe),
            "unsubscribe" => Some(Mode::Unsubscribe),
            _ => None,
        };
        let topic = super::topic::FeedTopic::from_path(&p.topic);
        let callback = Callback::parse(&p.callback, hub.settings().allow_private).ok();
        let (Some(mode), Some(topic), Some(callback)) = (mode, topic, callback) else {
            // Settings changed since (e.g. private callbacks refused now).
            forget(&hub, p.id).await;
            continue;
        };
        if !claim(&hub, &callback) {
            forget(&hub, p.id).await;
            continue;
        }
        let r = Request {
            mode,
            topic,
            callback,
            lease_seconds: p.lease_seconds,
            secret: p.secret,
        };
        tracing::info!(callback = %r.callback.host(), mode = r.mode.as_str(), "websub: resuming a verification accepted before the restart");
        tokio::spawn(run(state.clone(), Arc::clone(&hub), r, p.id));
    }
}

async fn forget(hub: &Arc<Hub>, id: i64) {
    let h = Arc::clone(hub);
    if let Ok(Err(e)) = web::block(move || h.store().remove_pending(id)).await {
        tracing::warn!(error = %e, "websub: cannot forget a pending verification");
    }
}

/// Verifies a claimed request, then forgets it (whatever the outcome).
async fn run(state: web::Data<AppState>, hub: Arc<Hub>, r: Request, pending: i64) {
    verify_and_apply(&state, &hub, &r).await;
    forget(&hub, pending).await;
}

/// Verifies intent, then starts, renews or ends the subscription.
async fn verify_and_apply(state: &web::Data<AppState>, hub: &Arc<Hub>, r: &Request) {
    let claimed = Claimed(hub, r.callback.as_str().to_owned());
    let challenge: String = {
        let mut rng = rand::rng();
        (0..32)
            .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
            .collect()
    };
    let lease = r.lease_seconds.to_string();
    let mut extra = vec![("hub.challenge", challenge.as_str())];
    if r.mode == Mode::Subscribe {
        extra.push(("hub.lease_seconds", lease.as_str()));
    }
    let url = verification_url(hub, r, r.mode.as_str(), &extra);
    hub.rates.wait_turn(&r.callback.host()).await;
    let confirmed = match echo(hub, url).await {
        Ok(body) if body == challenge.as_bytes() => true,
        Ok(_) => {
            tracing::info!(callback = %r.callback.host(), mode = r.mode.as_str(), "websub: verification not confirmed (the answer was not the challenge)");
            false
        }
        Err(reason) => {
            tracing::info!(callback = %r.callback.host(), mode = r.mode.as_str(), %reason, "websub: verification failed");
            false
        }
    };
    metrics::counter!("pressfeed_websub_verifications_total", "outcome" => if confirmed { "confirmed" } else { "refused" })
        .increment(1);
    // The request to the callback is over: the next may start (a
    // subscriber that unsubscribes right after its confirmation is not
    // refused while this one is being stored).
    drop(claimed);
    if !confirmed {
        return;
    }
    if let Err(e) = apply(state, hub, r).await {
        tracing::warn!(error = %e, "websub: a verified {} was not stored", r.mode.as_str());
        if r.mode == Mode::Subscribe {
            deny(hub, r, &e.to_string()).await;
        }
    }
}

/// The callback's answer body, if it answered 2xx (at most [`MAX_ECHO`] bytes).
async fn echo(hub: &Hub, url: url::Url) -> Result<Vec<u8>, String> {
    let mut res = hub.client.get(url).send().await.map_err(describe)?;
    if !res.status().is_success() {
        return Err(format!("HTTP {}", res.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(describe)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ECHO {
            return Err("the answer is longer than any challenge".into());
        }
    }
    Ok(body)
}

/// A short reason for a failed request (no URL: it may hold a secret).
pub fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        e.without_url().to_string()
    }
}

async fn apply(
    state: &web::Data<AppState>,
    hub: &Arc<Hub>,
    r: &Request,
) -> Result<(), SubscribeError> {
    let now = state.clock.now();
    match r.mode {
        Mode::Unsubscribe => {
            let (h, r) = (Arc::clone(hub), r.clone());
            web::block(move || h.store().unsubscribe(&r.topic.path, r.callback.as_str()))
                .await
                .map_err(|_| SubscribeError::Unavailable)?
                .map_err(|_| SubscribeError::Unavailable)?;
        }
        Mode::Subscribe => {
            // The version current now is the one the subscriber could
            // fetch itself; deliveries start with the next.
            let rep = crate::http::feeds::document(state, r.topic.key.clone())
                .await
                .map_err(|_| SubscribeError::Unavailable)?
                .ok_or(SubscribeError::Topic(super::topic::TopicError::Unknown))?;
            let etag = rep
                .etag(Encoding::Identity)
                .to_str()
                .unwrap_or_default()
                .to_owned();
            let (h, req) = (Arc::clone(hub), r.clone());
            web::block(move || {
                let r = req;
                check_caps(&h, &r, now)?;
                h.store()
                    .activate(
                        &r.topic.path,
                        r.callback.as_str(),
                        r.secret.as_deref(),
                        r.lease_seconds,
                        &etag,
                        now,
                    )
                    .map_err(|_| SubscribeError::Unavailable)
            })
            .await
            .map_err(|_| SubscribeError::Unavailable)??;
            tracing::info!(topic = %r.topic.path, callback = %r.callback.host(), lease = r.lease_seconds, "websub: subscribed");
        }
    }
    Ok(())
}

/// Tells the callback its subscription was refused (§5.2), once,
/// without waiting for it.
async fn deny(hub: &Hub, r: &Request, reason: &str) {
    let url = verification_url(hub, r, "denied", &[("hub.reason", reason)]);
    hub.rates.wait_turn(&r.callback.host()).await;
    if let Err(e) = hub.client.get(url).send().await {
        tracing::debug!(reason = %describe(e), "websub: the denial did not arrive");
    }
}

/// [`deny`] in the background, when no verification for the callback is
/// in flight (a refused request must not become a way to send many).
pub fn deny_later(hub: &Arc<Hub>, r: &Request, reason: &str) {
    if !claim(hub, &r.callback) {
        return;
    }
    let (hub, r, reason) = (Arc::clone(hub), r.clone(), reason.to_owned());
    tokio::spawn(async move {
        let _claimed = Claimed(&hub, r.callback.as_str().to_owned());
        deny(&hub, &r, &reason).await;
    });
}
