//! The search page (`/search?q=…`) and the search feeds
//! (`/search.{rss,atom,json}?q=…`): what a reader typed is read here
//! (never a 500, whatever it is), searched by the store, and answered as a
//! page or as a feed with conditional GET.
//!
//! A search feed is a subscription like any other: its ETag is the hash of
//! its bytes, and its Last-Modified the newest visible change among its
//! items. The server keeps the validators it last gave each search (a
//! bounded map, like the feed cache's), so a new version whose items'
//! newest change is not later than what was sent (an item that left the
//! results, or a second change within one second) gets the second after
//! it (`Representation::follow`). A write that changes no result gives the
//! same bytes, and so the same validators.

use super::conditional::{Representation, Validators};
use super::error::AppError;
use super::pages::{FeedLink, PageInfo};
use super::release_view::ReleaseView;
use super::routes::{Name, url};
use super::{AppState, blocking, html_response};
use crate::domain::search::{Fragment, SearchQuery, html_text, snippet};
use crate::domain::{Lang, Slug};
use crate::feeds::{self, Format, Site};
use crate::model::FeedSnapshot;
use crate::store::{SearchFilter, SearchOutcome, SearchResults};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

/// Results on one page of the HTML search.
pub const PAGE_SIZE: usize = 50;
/// Pages a search can be read to: a search deeper than 1,000 results
/// needs more words, and each page further costs the index more.
pub const MAX_PAGES: usize = 20;
/// Words of body text in a result's snippet.
const SNIPPET_WORDS: usize = 30;

/// What a request asked: the query and filters as typed.
#[derive(Debug, Default)]
struct Asked {
    q: Option<String>,
    topic: Option<String>,
    lang: Option<String>,
    page: Option<String>,
}

impl Asked {
    /// Reads the query string; bytes that are not UTF-8 become U+FFFD,
    /// which separates words like any other symbol.
    fn of(req: &HttpRequest) -> Self {
        let mut asked = Asked::default();
        for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            let slot = match k.as_ref() {
                "q" => &mut asked.q,
                "topic" => &mut asked.topic,
                "lang" => &mut asked.lang,
                "page" => &mut asked.page,
                _ => continue,
            };
            slot.get_or_insert_with(|| v.into_owned());
        }
        asked
    }
}

/// A search that can run: the query, its filters and the page.
#[derive(Debug, Clone)]
struct Search {
    query: SearchQuery,
    filter: SearchFilter,
    page: usize,
}

impl Search {
    /// The query string of this search (`page` left out), canonical, so
    /// every spelling of one search shares one feed URL and cache entry.
    fn query_string(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        out.append_pair("q", &self.query.canonical());
        if let Some(t) = &self.filter.topic {
            out.append_pair("topic", t);
        }
        if let Some(l) = &self.filter.lang {
            out.append_pair("lang", l);
        }
        out.finish()
    }
}

/// Why a search cannot run, in words for whoever asked.
fn understand(asked: &Asked) -> Result<Search, String> {
    let query = SearchQuery::parse(asked.q.as_deref().unwrap_or("")).map_err(|e| e.to_string())?;
    let topic = match asked.topic.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            Slug::parse(t)
                .map_err(|_| no_such_topic(t))?
                .as_str()
                .to_owned(),
        ),
    };
    let lang = match asked.lang.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => Some(
            Lang::parse(l)
                .map_err(|_| no_such_language(l))?
                .as_str()
                .to_owned(),
        ),
    };
    let page = match asked.page.as_deref() {
        None | Some("") => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=MAX_PAGES).contains(p))
            .ok_or_else(|| {
                format!("Pages go from 1 to {MAX_PAGES}; add words to narrow the search.")
            })?,
    };
    Ok(Search {
        query,
        filter: SearchFilter { topic, lang },
        page,
    })
}

fn no_such_topic(t: &str) -> String {
    format!("There is no topic “{}”.", shorten(t))
}

fn no_such_language(l: &str) -> String {
    format!("No release is in the language “{}”.", shorten(l))
}

/// A value echoed in a message stays short (a 10 KB parameter is not).
fn shorten(s: &str) -> String {
    let cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// One result as the page shows it.
struct Hit {
    r: ReleaseView,
    snippet: Vec<Fragment>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: PageInfo,
    q: String,
    topic: String,
    lang: String,
    message: Option<String>,
    hits: Vec<Hit>,
    searched: bool,
    /// When a phrase search stopped at its cost limit: the instant it
    /// searched back to, as shown.
    partial: Option<String>,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let asked = Asked::of(&req);
    let mut page = PageInfo::for_search(&state);
    let mut view = SearchPage {
        q: asked.q.clone().unwrap_or_default(),
        topic: asked.topic.clone().unwrap_or_default(),
        lang: asked.lang.clone().unwrap_or_default(),
        page: PageInfo::for_search(&state),
        message: None,
        hits: Vec::new(),
        searched: false,
        partial: None,
        prev: None,
        next: None,
    };
    // The bare page is the search form; a query that cannot run says why.
    if asked.q.is_none() && asked.topic.is_none() && asked.lang.is_none() {
        return render(view, StatusCode::OK, None, &state);
    }
    let search = match understand(&asked) {
        Ok(s) => s,
        Err(message) => {
            view.message = Some(message);
            return render(view, StatusCode::BAD_REQUEST, None, &state);
        }
    };
    let now = state.clock.now();
    let s = search.clone();
    let outcome = blocking(&state, move |st| {
        st.store.search(
            &s.query,
            &s.filter,
            (s.page - 1) * PAGE_SIZE,
            PAGE_SIZE,
            now,
        )
    })
    .await??;
    let results = match outcome {
        SearchOutcome::Found(r) => r,
        SearchOutcome::NoSuchTopic => {
            view.message = Some(no_such_topic(search.filter.topic.as_deref().unwrap_or("")));
            return render(view, StatusCode::BAD_REQUEST, None, &state);
        }
        SearchOutcome::NoSuchLanguage => {
            view.message = Some(no_such_language(
                search.filter.lang.as_deref().unwrap_or(""),
            ));
            return render(view, StatusCode::BAD_REQUEST, None, &state);
        }
    };
    let base = search.query_string();
    page.feeds = Format::ALL
        .into_iter()
        .map(|f| FeedLink {
            mime: f.content_type().split(';').next().unwrap_or_default(),
            title: format!(
                "Search “{}” ({})",
                search.query.canonical(),
                format_label(f)
            ),
            href: state.site.url(&format!(
                "{}?{base}",
                url(Name::SearchFeed, &[f.extension()])
            )),
            hreflang: None,
        })
        .collect();
    view.page = page;
    view.searched = true;
    let at = |p: usize| format!("{}?{base}&page={p}", url(Name::Search, &[]));
    view.prev = (search.page > 1).then(|| at(search.page - 1));
    view.next = (results.more && search.page < MAX_PAGES).then(|| at(search.page + 1));
    let next_change = results.next_change;
    view.partial = results.searched_since.map(|t| {
        super::release_view::display_time(&state, super::release_view::site_ui(&state), t)
    });
    view.hits = results
        .items
        .into_iter()
        .map(|r| {
            let text = format!(
                "{} {}",
                r.summary.as_deref().unwrap_or(""),
                html_text(&r.body_html)
            );
            Hit {
                snippet: snippet(&text, &search.query, SNIPPET_WORDS),
                r: ReleaseView::of(&state, r, super::release_view::site_ui(&state)),
            }
        })
        .collect();
    render(view, StatusCode::OK, next_change, &state)
}

fn format_label(f: Format) -> &'static str {
    match f {
        Format::Rss => "RSS",
        Format::Atom => "Atom",
        Format::Json => "JSON Feed",
    }
}

fn render(
    view: SearchPage,
    status: StatusCode,
    next_change: Option<DateTime<Utc>>,
    state: &AppState,
) -> Result<HttpResponse, AppError> {
    let mut res = html_response(status, view.render()?);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        state.page_freshness.header(next_change, state.clock.now()),
    );
    Ok(res)
}

/// Which search feed a document is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FeedKey {
    format: Format,
    query_string: String,
}

/// The search feeds' documents and validators, per search: bodies for a
/// few, validators (a few hundred bytes) for many more, so a search polled
/// with conditional GET keeps its Last-Modified across the body's eviction.
pub struct SearchCache {
    inner: Mutex<Inner>,
}

struct Inner {
    validators: LruCache<FeedKey, Checked<Arc<Validators>>>,
    bodies: LruCache<FeedKey, Arc<Representation>>,
}

/// A value and what it was computed against: the database's change mark
/// and the next instant a scheduled match becomes visible.
#[derive(Clone)]
struct Checked<T> {
    value: T,
    change: u64,
    until: Option<DateTime<Utc>>,
}

impl<T> Checked<T> {
    fn fresh(&self, change: u64, now: DateTime<Utc>) -> bool {
        self.change == change && self.until.is_none_or(|t| now < t)
    }
}

impl Default for SearchCache {
    fn default() -> Self {
        Self::new(10_000, 64)
    }
}

impl SearchCache {
    pub fn new(validators: usize, bodies: usize) -> Self {
        let n = |v: usize| NonZeroUsize::new(v.max(1)).unwrap_or(NonZeroUsize::MIN);
        Self {
            inner: Mutex::new(Inner {
                validators: LruCache::new(n(validators)),
                bodies: LruCache::new(n(bodies)),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub async fn feed(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let extension = req.path().rsplit('.').next().unwrap_or_default();
    let format = Format::from_extension(extension).ok_or(AppError::NotFound)?;
    let search = match understand(&Asked::of(&req)) {
        Ok(s) => s,
        Err(message) => return Ok(refused(&message)),
    };
    let key = FeedKey {
        format,
        query_string: search.query_string(),
    };
    let change = state.store.change_version()?;
    let now = state.clock.now();
    let known = state.search.lock().validators.get(&key).cloned();
    if let Some(meta) = known.as_ref().filter(|m| m.fresh(change, now))
        && meta.value.answers_not_modified(&req)
    {
        super::feeds::wait_for_second(&state, meta.value.last_modified).await;
        if let Some(res) =
            meta.value
                .respond_not_modified(&req, &state.feed_freshness, state.clock.now())
        {
            return Ok(res);
        }
    }
    let cached = state.search.lock().bodies.get(&key).cloned();
    let rep = match (cached, &known) {
        (Some(rep), Some(meta))
            if meta.fresh(change, now) && Arc::ptr_eq(rep.validators(), &meta.value) =>
        {
            rep
        }
        _ => {
            let Some(rep) = render_feed(&state, &search, &key, now).await? else {
                return Ok(refused(&match search.filter.topic {
                    Some(t) => no_such_topic(&t),
                    None => no_such_language(search.filter.lang.as_deref().unwrap_or("")),
                }));
            };
            let (mut rep, until) = rep;
            if let Some(previous) = &known {
                rep.follow(&previous.value);
            }
            let rep = Arc::new(rep);
            let mut cache = state.search.lock();
            let checked = |value| Checked {
                value,
                change,
                until,
            };
            cache
                .validators
                .put(key.clone(), checked(Arc::clone(rep.validators())));
            cache.bodies.put(key, Arc::clone(&rep));
            rep
        }
    };
    if let Some(enc) = rep.pending_body(&req) {
        let rep = Arc::clone(&rep);
        web::block(move || {
            rep.body(enc);
        })
        .await?;
    }
    super::feeds::wait_for_second(&state, rep.validators().last_modified).await;
    Ok(rep.respond(&req, &state.feed_freshness, state.clock.now()))
}

/// Searches and renders a feed's document; `None` when a filter names
/// nothing. Also returns when the document changes by itself.
async fn render_feed(
    state: &web::Data<AppState>,
    search: &Search,
    key: &FeedKey,
    now: DateTime<Utc>,
) -> Result<Option<(Representation, Option<DateTime<Utc>>)>, AppError> {
    let s = search.clone();
    let key = key.clone();
    let rendered = blocking(state, move |st| -> Result<_, AppError> {
        let outcome = st
            .store
            .search(&s.query, &s.filter, 0, st.settings.feed_items, now)?;
        let SearchOutcome::Found(results) = outcome else {
            return Ok(None);
        };
        let (last_modified, next_change) = (results.last_modified, results.next_change);
        let body = render_document(&st.site, &s, &key, results);
        Ok(Some((
            Representation::new(key.format.content_type(), body, last_modified, next_change),
            next_change,
        )))
    })
    .await??;
    Ok(rendered)
}

/// The feed of a search's newest results. Search feeds name no WebSub hub:
/// the hub serves the site's feeds, not every possible query.
fn render_document(site: &Site, search: &Search, key: &FeedKey, results: SearchResults) -> Vec<u8> {
    let site = Site {
        hubs: Vec::new(),
        ..site.clone()
    };
    let meta = feeds::FeedMeta {
        title: format!("{} — search: {}", site.title, search.query.canonical()),
        description: format!(
            "Press releases matching “{}”, newest first",
            search.query.canonical()
        ),
        page_url: site.url(&format!("{}?{}", url(Name::Search, &[]), key.query_string)),
        feed_stem: url(Name::SearchFeed, &[""])
            .trim_end_matches('.')
            .to_owned(),
        feed_query: format!("?{}", key.query_string),
    };
    let snap = FeedSnapshot {
        topic: None,
        items: results.items,
        last_modified: results.last_modified,
        next_change: results.next_change,
        tombstones: Vec::new(),
        updated_ties: results.updated_ties,
        kind: crate::model::FeedKind::Search,
    };
    match key.format {
        Format::Rss => feeds::render_rss_with(&site, &snap, &meta),
        Format::Atom => feeds::render_atom_with(&site, &snap, &meta),
        Format::Json => feeds::render_json_with(&site, &snap, &meta),
    }
}

/// A search feed that cannot run: 400 with the reason, as plain text.
fn refused(message: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .content_type("text/plain; charset=utf-8")
        .body(format!("{message}\n"))
}
