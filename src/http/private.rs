//! Accredited journalists' private feeds: `/private/{token}/feed.{fmt}` and
//! `/private/{token}/topics/{slug}/feed.{fmt}`. They hold scheduled
//! releases before their time, marked as embargoed, so they are rendered
//! for each request (there are few such readers) and never enter the
//! public feed cache, the spill directory or any shared cache.

use super::AppState;
use super::conditional::{etag_list_matches, parse_http_date};
use super::error::AppError;
use super::respond::blocking;
use crate::domain::Slug;
use crate::feeds::{FeedMeta, Format, Site, render_atom_with, render_json_with, render_rss_with};
use crate::model::{FeedScope, FeedSnapshot, Release};
use crate::store::Accredited;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};

/// Items in a private feed: the public feeds' number.
const PRIVATE_ITEMS: usize = 50;

/// Never stored by a shared cache, never indexed.
const CACHE_CONTROL: &str = "private, no-store";
const ROBOTS: &str = "noindex, nofollow";

pub async fn global_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, ext) = path.into_inner();
    respond(req, state, token, FeedScope::All, &ext).await
}

pub async fn topic_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, slug, ext) = path.into_inner();
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound)?;
    respond(req, state, token, FeedScope::Topic(slug), &ext).await
}

/// What a private feed request found.
enum Found {
    /// No such accreditation (unknown or revoked token) or no such topic.
    Nothing,
    Feed {
        body: Vec<u8>,
        etag: HeaderValue,
        last_modified: DateTime<Utc>,
        not_modified: bool,
    },
}

async fn respond(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: String,
    scope: FeedScope,
    ext: &str,
) -> Result<HttpResponse, AppError> {
    let format = Format::from_extension(ext).ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let inm = header_str(&req, header::IF_NONE_MATCH);
    let ims = header_str(&req, header::IF_MODIFIED_SINCE);
    let document = private_document(req.path());
    // Every private fetch is a render (no cache: each journalist's document
    // is their own), so it queues for the same bounded slots as public
    // renders: a script polling in a tight loop cannot take the blocking
    // pool from the public feeds.
    let Ok(slot) = state.cache.slots.enter().await else {
        return Ok(super::feeds::busy());
    };
    let found = blocking(&state, move |st| -> Result<Found, AppError> {
        let _slot = slot;
        let digest = crate::authentication::token_digest(&token);
        let Some(who) = st.store.accredited(&digest)? else {
            return Ok(Found::Nothing);
        };
        let Some(snap) = st.store.private_feed_snapshot(&scope, PRIVATE_ITEMS, now)? else {
            return Ok(Found::Nothing);
        };
        let shown: Vec<(i64, bool)> = snap
            .items
            .iter()
            .map(|r| (r.id, r.published_at > now))
            .collect();
        let snap = marked(snap, st.settings.tz(), now);
        let body = render(&st.site, &who, &token, &snap, format);
        let etag =
            HeaderValue::from_str(&format!("\"p{:016x}\"", xxhash_rust::xxh3::xxh3_64(&body)))
                .unwrap_or_else(|_| HeaderValue::from_static("\"p\""));
        let not_modified = match (&inm, &ims) {
            (Some(list), _) => etag_list_matches(list, &etag),
            (None, Some(since)) => {
                parse_http_date(since).is_some_and(|since| snap.last_modified <= since)
            }
            (None, None) => false,
        };
        let status = if not_modified { 304 } else { 200 };
        st.store
            .record_private_fetch(who.id, &document, status, &shown, now)?;
        Ok(Found::Feed {
            body,
            etag,
            last_modified: snap.last_modified,
            not_modified,
        })
    })
    .await??;
    let Found::Feed {
        body,
        etag,
        last_modified,
        not_modified,
    } = found
    else {
        return Err(AppError::NotFound);
    };
    let mut res = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header(("X-Robots-Tag", ROBOTS))
        .insert_header((header::ETAG, etag));
    // A Last-Modified ahead of the clock (rounded up to its second) would
    // let a client's If-Modified-Since hide a change later in that second.
    if last_modified <= now {
        res.insert_header((
            header::LAST_MODIFIED,
            header::HttpDate::from(std::time::SystemTime::from(last_modified)).to_string(),
        ));
    }
    if not_modified {
        return Ok(res.finish());
    }
    Ok(res
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .body(body))
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The document as the fetch record names it: the path without the token.
fn private_document(path: &str) -> String {
    path.strip_prefix("/private/")
        .and_then(|rest| rest.split_once('/'))
        .map_or_else(|| path.to_owned(), |(_, doc)| format!("/{doc}"))
}

/// Marks each release still under embargo at `now`: "EMBARGOED until …"
/// before its title and at the top of its text, dated when it was last
/// written. A release whose embargo
/// has lifted says it was updated then, so a reader that stored the
/// marked entry replaces it with the unmarked one.
fn marked(mut snap: FeedSnapshot, tz: chrono_tz::Tz, now: DateTime<Utc>) -> FeedSnapshot {
    // Every entry's `updated` differs from the others' (readers may take
    // two equal values for one entry): the public items' are already told
    // apart (`FeedSnapshot::entry_updated`); an embargoed one steps back a
    // millisecond from any value already taken.
    let mut taken: std::collections::HashSet<DateTime<Utc>> = snap
        .items
        .iter()
        .filter(|r| r.published_at <= now)
        .map(|r| snap.entry_updated(r).max(r.published_at))
        .collect();
    for r in &mut snap.items {
        if r.published_at > now {
            let until = embargo_label(r, tz);
            r.title = format!("{until} — {}", r.title);
            r.body_html = format!(
                "<p><strong>{until}.</strong> Not for publication or broadcast before then.</p>\n{}",
                r.body_html
            );
            // Dated when the newsroom last wrote it: a date in the future
            // makes readers pin the item or call it implausible; the
            // embargo's time is in the title and text.
            let mut at = r.changed_at.min(now);
            while !taken.insert(at) {
                at -= chrono::Duration::milliseconds(1);
            }
            r.published_at = at;
            r.updated_at = at;
            snap.updated_ties.remove(&r.id);
        } else if r.updated_at < r.published_at {
            r.updated_at = r.published_at;
            snap.updated_ties.remove(&r.id);
        }
    }
    snap
}

/// "EMBARGOED until 1 March 2026 14:00 (Europe/Brussels)".
pub fn embargo_label(r: &Release, tz: chrono_tz::Tz) -> String {
    let local = r.published_at.with_timezone(&tz);
    format!(
        "EMBARGOED until {} ({})",
        local.format("%-d %B %Y %H:%M"),
        tz.name()
    )
}

fn render(site: &Site, who: &Accredited, token: &str, snap: &FeedSnapshot, f: Format) -> Vec<u8> {
    // Pings go to the hub for public feeds only; this one names none.
    let site = Site {
        hubs: Vec::new(),
        ..site.clone()
    };
    let scope = snap
        .topic
        .as_ref()
        .map_or_else(String::new, |t| format!("/topics/{}", t.slug));
    let title = match &snap.topic {
        None => site.title.clone(),
        Some(t) => format!("{} — {}", site.title, t.name),
    };
    let meta = FeedMeta {
        title: format!("{title} — embargoed early access for {}", who.name),
        description: format!(
            "Releases of {} including those under embargo, for {} ({}). Not for redistribution.",
            site.title, who.name, who.outlet
        ),
        page_url: site.url("/"),
        feed_stem: format!("/private/{token}{scope}/feed"),
        feed_query: String::new(),
    };
    let doc = match f {
        Format::Rss => render_rss_with(&site, snap, &meta),
        Format::Atom => render_atom_with(&site, snap, &meta),
        Format::Json => render_json_with(&site, snap, &meta),
    };
    // Attachments through the journalist's own URLs: the public ones 404
    // until the embargo lifts (and stop working for nobody when revoked).
    // Every document names them as `{base}/media/…` (escaping leaves the
    // ASCII of a URL as it is), so one replacement moves all of them.
    let public = format!("{}/media/", site.base_url);
    let private = format!("{}/private/{token}/media/", site.base_url);
    match String::from_utf8(doc) {
        Ok(text) => text.replace(&public, &private).into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// `GET /private/{token}/media/{sha256}/{filename}`: an attachment of a
/// published release, scheduled ones included, for an accredited
/// journalist; 404 for an unknown or revoked token, as the feeds.
pub async fn media(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, sha, name) = path.into_inner();
    let sha = crate::domain::attachment::Sha256Hex::parse(&sha)
        .filter(|_| crate::domain::attachment::is_served_filename(&name))
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let document = private_document(req.path());
    let record = blocking(&state, move |st| -> Result<_, AppError> {
        let digest = crate::authentication::token_digest(&token);
        let Some(who) = st.store.accredited(&digest)? else {
            return Ok(None);
        };
        let record = st.store.published_media(&sha)?;
        if record.is_some() {
            st.store
                .record_private_fetch(who.id, &document, 200, &[], now)?;
        }
        Ok(record)
    })
    .await??
    .ok_or(AppError::NotFound)?;
    let mut res = super::media::serve_stored(&req, &state.media, &record, CACHE_CONTROL);
    res.headers_mut().insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static(ROBOTS),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fetch_record_never_holds_the_token() {
        assert_eq!(private_document("/private/abc123/feed.atom"), "/feed.atom");
        assert_eq!(
            private_document("/private/abc123/topics/health/feed.rss"),
            "/topics/health/feed.rss"
        );
    }
}
