//! The release list: filters, paging, and where each release stands.

use super::done_message;
use crate::admin::views::{self, AdminPage, Choice};
use crate::admin::{AdminError, CurrentAdmin};
use crate::domain::State;
use crate::http::blocking;
use crate::http::list_filter::ListFilter;
use crate::http::routes::{Name, url};
use crate::http::{AppState, html_response};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

const PAGE_SIZE: usize = 25;

pub struct ListRow {
    pub id: i64,
    pub title: String,
    pub status: &'static str,
    pub when: String,
    pub lang: String,
    pub dir: &'static str,
    pub topics: String,
    pub public_url: Option<String>,
    /// "seen by 3 of 12 accredited journalists before the embargo".
    pub embargo_reach: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/list.html")]
struct ListPage {
    page: AdminPage,
    rows: Vec<ListRow>,
    statuses: Vec<Choice>,
    topics: Vec<Choice>,
    langs: Vec<Choice>,
    q: String,
    total: i64,
    page_no: usize,
    pages: usize,
    prev_url: Option<String>,
    next_url: Option<String>,
}

/// The list's own query besides its filters ([`ListFilter`]).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    done: String,
}
fn list_url(q: &ListFilter, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("status", &q.status),
        ("topic", &q.topic),
        ("lang", &q.lang),
        ("q", &q.q),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("page", &page.to_string());
    format!("{}?{}", url(Name::AdminHome, &[]), s.finish())
}

pub async fn list(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    filter: web::Query<ListFilter>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AdminError> {
    let (q, query) = (filter.into_inner(), query.into_inner());
    let now = state.clock.now();
    let filter = q.with_status(State::parse(&q.status));
    let page_no = query.page.unwrap_or(1).max(1);
    let f = filter.clone();
    let ((items, total), topics, langs, reach) =
        blocking(&state, move |st| -> Result<_, AdminError> {
            let (items, total) = st.store.list_releases(
                &f,
                now,
                PAGE_SIZE,
                (page_no - 1).saturating_mul(PAGE_SIZE),
            )?;
            let ids: Vec<i64> = items.iter().map(|r| r.id).collect();
            Ok((
                (items, total),
                st.store.topics()?,
                st.store.release_languages()?,
                st.store.embargo_reach(&ids)?,
            ))
        })
        .await??;
    let rows = items
        .into_iter()
        .map(|r| {
            let status = r.state(now);
            let when = match status {
                State::Draft if r.published_at > now => format!(
                    "created {}; planned for {}",
                    views::office_time(&state, r.created_at),
                    views::going_out(&state, r.published_at, now)
                ),
                State::Draft => {
                    format!("created {}", views::office_time(&state, r.created_at))
                }
                State::Scheduled => {
                    format!("at {}", views::going_out(&state, r.published_at, now))
                }
                _ => views::office_time(&state, r.published_at),
            };
            let lang = r.lang_tag();
            let embargo_reach = reach
                .get(&r.id)
                .filter(|e| e.accredited > 0 && (status == State::Scheduled || e.seen_before > 0))
                .map(|e| {
                    format!(
                        "seen by {} of {} accredited journalists before the embargo",
                        e.seen_before, e.accredited
                    )
                });
            ListRow {
                embargo_reach,
                id: r.id,
                public_url: (status == State::Public).then(|| url(Name::Release, &[&r.slug])),
                title: r.title,
                status: status.as_str(),
                when,
                dir: lang.dir(),
                lang: lang.to_string(),
                topics: r
                    .topics
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let pages = (total.max(0) as usize).div_ceil(PAGE_SIZE).max(1);
    let choice = |value: &str, label: &str, current: &str| Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: value == current,
    };
    let statuses = std::iter::once(choice("", "any status", &q.status))
        .chain(
            State::ALL
                .iter()
                .map(|s| choice(s.as_str(), s.as_str(), &q.status)),
        )
        .collect();
    let topics = std::iter::once(choice("", "any topic", &q.topic))
        .chain(topics.iter().map(|t| choice(&t.slug, &t.name, &q.topic)))
        .collect();
    let langs = std::iter::once(choice("", "any language", &q.lang))
        .chain(langs.iter().map(|l| choice(l, l, &q.lang)))
        .collect();
    let mut page = AdminPage::new(&state, "Releases", Some(&admin));
    page.notice = done_message(&query.done);
    let body = ListPage {
        page,
        rows,
        statuses,
        topics,
        langs,
        total,
        page_no,
        pages,
        prev_url: (page_no > 1).then(|| list_url(&q, page_no - 1)),
        next_url: (page_no < pages).then(|| list_url(&q, page_no + 1)),
        q: q.q,
    }
    .render()?;
    Ok(html_response(StatusCode::OK, body))
}
