//! Push subscribers (WebSub): who is subscribed to which feed (callback
//! host only: the full URL may carry the subscriber's own token), how the
//! last delivery went, what is waiting for a retry; and removing one.

use super::views::AdminPage;
use super::{AdminError, CurrentAdmin};
use crate::http::routes::{Name, url};
use crate::http::{AppState, blocking, html_response, see_other};
use crate::websub::Hub;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

pub struct SubscriberRow {
    pub id: i64,
    pub host: String,
    pub since: String,
    pub expires: String,
    pub last: String,
    /// "retry 2 at …" when a delivery is waiting, else empty.
    pub pending: String,
}

pub struct FeedSubscribers {
    pub feed: String,
    pub rows: Vec<SubscriberRow>,
}

#[derive(Template)]
#[template(path = "admin/subscriptions.html")]
struct SubscriptionsPage {
    page: AdminPage,
    hub_url: String,
    feeds: Vec<FeedSubscribers>,
    total: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscriptionsQuery {
    #[serde(default)]
    done: String,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub async fn list(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    hub: web::Data<Hub>,
    query: web::Query<SubscriptionsQuery>,
) -> Result<HttpResponse, AdminError> {
    let now = state.clock.now();
    let h = hub.clone();
    let subs = blocking(&state, move |_| h.store().subscriptions(now)).await??;
    let total = subs.len();
    let mut feeds: Vec<FeedSubscribers> = Vec::new();
    for s in subs {
        let host = url::Url::parse(&s.callback)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let row = SubscriberRow {
            id: s.id,
            host,
            since: when(s.created_at),
            expires: when(s.expires_at),
            last: match (s.last_attempt_at, &s.last_outcome) {
                (Some(t), Some(o)) => format!("{o}, {}", when(t)),
                _ => "nothing sent yet".to_owned(),
            },
            pending: match (s.pending_attempts, s.pending_due_at) {
                (Some(0), _) => "waiting to be sent".to_owned(),
                (Some(n), Some(t)) => format!("{n} failed, next try {}", when(t)),
                _ => String::new(),
            },
        };
        match feeds.last_mut() {
            Some(f) if f.feed == s.topic => f.rows.push(row),
            _ => feeds.push(FeedSubscribers {
                feed: s.topic,
                rows: vec![row],
            }),
        }
    }
    let mut page = AdminPage::new(&state, "Push subscribers", Some(&admin));
    page.notice = (query.done == "removed").then(|| "Subscription removed.".to_owned());
    let view = SubscriptionsPage {
        page,
        hub_url: hub.url(),
        feeds,
        total,
    };
    Ok(html_response(StatusCode::OK, view.render()?))
}

pub async fn remove(
    state: web::Data<AppState>,
    _admin: CurrentAdmin,
    hub: web::Data<Hub>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AdminError> {
    let id = id.into_inner();
    let removed = blocking(&state, move |_| hub.store().remove(id)).await??;
    if removed {
        tracing::info!(
            subscription = id,
            "websub: subscription removed in the newsroom"
        );
    }
    Ok(see_other(&format!(
        "{}?done=removed",
        url(Name::Subscriptions, &[])
    )))
}
