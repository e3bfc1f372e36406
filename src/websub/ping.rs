//! Public hubs (`websub_hubs`): after a feed changes, each is sent a
//! `hub.mode=publish` ping naming the changed feed URLs, and fetches them
//! itself. Which feeds changed is known by their ETags, kept in the
//! database (`websub_pinged`): a change made while no server ran is pinged
//! at start. Only the very first look on a new database takes note.

use super::Hub;
use crate::feeds::Format;
use crate::http::AppState;
use crate::http::cache::DocKey;
use crate::http::conditional::Encoding;
use crate::model::FeedScope;
use actix_web::web;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Waits between the tries of one ping.
const RETRIES: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(20),
    Duration::from_secs(120),
];

/// Compares every feed with the version last seen and pings the public
/// hubs for those that changed. Returns when a feed next changes by itself.
pub async fn look(
    state: &web::Data<AppState>,
    hub: &Arc<Hub>,
    now: DateTime<Utc>,
    last: &mut HashMap<String, String>,
) -> Option<DateTime<Utc>> {
    // The documents are read one after another: a commit in the meantime
    // would leave some read before it and some after, and a change noted
    // as the starting point of a first look (or split across two looks)
    // would never be pinged. Such a look is thrown away and made again.
    let started = state.store.change_version().ok();
    let before = last.clone();
    let st = state.clone();
    // Hubs are public: a topic readers may not know of yet is not named.
    let topics = match web::block(move || st.store.public_topics(now)).await {
        Ok(Ok(list)) => list.topics,
        _ => return None,
    };
    let mut scopes = vec![FeedScope::All];
    scopes.extend(
        topics
            .into_iter()
            .filter_map(|t| crate::domain::Slug::parse(&t.slug).ok())
            .map(FeedScope::Topic),
    );
    let base = &hub.settings.base_url;
    if last.is_empty() {
        let h = Arc::clone(hub);
        match web::block(move || h.store().pinged()).await {
            Ok(Ok(stored)) => *last = stored,
            Ok(Err(e)) => tracing::warn!(error = %e, "websub: cannot read the pinged versions"),
            Err(_) => {}
        }
    }
    // The first look ever only takes note; after it, a feed not seen
    // before (a new topic's) is a change too.
    let first_look = last.is_empty();
    let mut changed = Vec::new();
    let mut noted = Vec::new();
    let mut next_change: Option<DateTime<Utc>> = None;
    for scope in scopes {
        for format in Format::ALL {
            let path = super::topic::feed_path(&scope, format);
            let key = DocKey::Feed(scope.clone(), format);
            let Ok(Some(rep)) = crate::http::feeds::document(state, key).await else {
                continue;
            };
            if let Some(t) = rep.next_change {
                next_change = Some(next_change.map_or(t, |n| n.min(t)));
            }
            let etag = rep
                .etag(Encoding::Identity)
                .to_str()
                .unwrap_or_default()
                .to_owned();
            let (differs, is_new) = match last.insert(path.clone(), etag.clone()) {
                Some(old) => (old != etag, old != etag),
                None => (true, !first_look),
            };
            if differs {
                noted.push((path.clone(), etag));
            }
            if is_new {
                changed.push(format!("{base}{path}"));
            }
        }
    }
    if started.is_none() || state.store.change_version().ok() != started {
        *last = before;
        return Some(now);
    }
    if !noted.is_empty() {
        // Noted before the pings end: a kill during their retries loses
        // them (they are best effort), never pings the same version twice.
        let h = Arc::clone(hub);
        match web::block(move || h.store().set_pinged(&noted)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "websub: cannot record the pinged versions"),
            Err(_) => {}
        }
    }
    if !changed.is_empty() {
        for public in &hub.settings.public_hubs {
            tokio::spawn(ping(Arc::clone(hub), public.clone(), changed.clone()));
        }
    }
    next_change
}

/// One `hub.mode=publish` to `public` for `urls`, tried a few times.
async fn ping(hub: Arc<Hub>, public: String, urls: Vec<String>) {
    let mut form: Vec<(&str, &str)> = vec![("hub.mode", "publish")];
    for u in &urls {
        form.push(("hub.url", u));
        form.push(("hub.topic", u));
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    for (i, wait) in std::iter::once(Duration::ZERO).chain(RETRIES).enumerate() {
        tokio::time::sleep(wait).await;
        let sent = hub
            .ping_client
            .post(&public)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(res) if res.status().is_success() => {
                metrics::counter!("pressfeed_websub_pings_total", "outcome" => "accepted")
                    .increment(1);
                return;
            }
            Ok(res) => {
                tracing::info!(hub = %public, status = res.status().as_u16(), attempt = i + 1, "websub: public hub refused the ping")
            }
            Err(e) => {
                tracing::info!(hub = %public, reason = %super::verify::describe(e), attempt = i + 1, "websub: public hub ping failed")
            }
        }
    }
    metrics::counter!("pressfeed_websub_pings_total", "outcome" => "failed").increment(1);
    tracing::warn!(hub = %public, feeds = urls.len(), "websub: gave up pinging a public hub");
}
