use super::AppState;
use super::cache::{DocKey, Lookup, RenderClaim};
use super::conditional::{Encoding, Representation, Validators, negotiate};
use super::error::AppError;
use super::polite;
use super::versions::Version;
use crate::domain::{Lang, Month, Slug};
use crate::feeds::{self, Format};
use crate::model::{FeedScope, Part};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

pub async fn global_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let extension = req.path().rsplit('.').next().unwrap_or_default();
    let format = Format::from_extension(extension).ok_or(AppError::NotFound)?;
    serve(&req, &state, DocKey::Feed(FeedScope::All, format)).await
}

pub async fn topic_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, format) = path.into_inner();
    let format = Format::from_extension(&format).ok_or(AppError::NotFound)?;
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound)?;
    serve(&req, &state, DocKey::Feed(FeedScope::Topic(slug), format)).await
}

/// `/archive/{YYYY}/{MM}/feed.{format}`: one month of the global feeds.
pub async fn archive_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (year, month, format) = path.into_inner();
    let key = part_key(FeedScope::All, &year, &month, &format)?;
    serve(&req, &state, key).await
}

/// `/topics/{slug}/archive/{YYYY}/{MM}/feed.{format}`.
pub async fn topic_archive_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, year, month, format) = path.into_inner();
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound)?;
    let key = part_key(FeedScope::Topic(slug), &year, &month, &format)?;
    serve(&req, &state, key).await
}

fn part_key(scope: FeedScope, year: &str, month: &str, format: &str) -> Result<DocKey, AppError> {
    let format = Format::from_extension(format).ok_or(AppError::NotFound)?;
    let month = Month::parse(year, month).ok_or(AppError::NotFound)?;
    Ok(DocKey::Part(scope, Part::Month(month), format))
}

/// `/lang/{tag}/feed.{format}`: the global feeds in one language.
pub async fn lang_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (tag, format) = path.into_inner();
    let format = Format::from_extension(&format).ok_or(AppError::NotFound)?;
    let lang = match canonical_lang(&req, &state, &tag)? {
        Ok(lang) => lang,
        Err(redirect) => return Ok(redirect),
    };
    serve(
        &req,
        &state,
        DocKey::Part(FeedScope::All, Part::Lang(lang), format),
    )
    .await
}

/// `/topics/{slug}/lang/{tag}/feed.{format}`.
pub async fn topic_lang_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, tag, format) = path.into_inner();
    let format = Format::from_extension(&format).ok_or(AppError::NotFound)?;
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound)?;
    let lang = match canonical_lang(&req, &state, &tag)? {
        Ok(lang) => lang,
        Err(redirect) => return Ok(redirect),
    };
    let key = DocKey::Part(FeedScope::Topic(slug), Part::Lang(lang), format);
    serve(&req, &state, key).await
}

/// The language a path names. A tag written in another case (`AR`,
/// `pt-br`) is the same language: the answer is a permanent redirect to its
/// one address, so caches and readers keep a single copy. Not a tag: 404.
fn canonical_lang(
    req: &HttpRequest,
    state: &AppState,
    tag: &str,
) -> Result<Result<Lang, HttpResponse>, AppError> {
    let lang = Lang::parse(tag).map_err(|_| AppError::NotFound)?;
    if lang.as_str() == tag {
        return Ok(Ok(lang));
    }
    let path = req
        .path()
        .replacen(&format!("/lang/{tag}/"), &format!("/lang/{lang}/"), 1);
    Ok(Err(HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, state.site.url(&path)))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .finish()))
}

pub async fn opml(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    serve(&req, &state, DocKey::Opml).await
}

async fn serve(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    key: DocKey,
) -> Result<HttpResponse, AppError> {
    if let Some(limiter) = &state.polite
        && !polite::is_conditional(req)
    {
        let client = super::client_ip(req, state.settings.trust_proxy);
        if let Err(wait) = limiter.check(client, req.path(), state.clock.now()) {
            return Ok(too_many_polls(wait));
        }
    }
    // The hub serves the current feeds; archives and language feeds name none.
    let is_feed = matches!(key, DocKey::Feed(..));
    let now = state.clock.now();
    let freshness = freshness_of(state, &key, now);
    let version = scope_version(state, &key)
        .await?
        .ok_or(AppError::NotFound)?;
    // A conditional GET that matches needs no body, even an evicted one.
    let meta = state.cache.validators(&key, version, now);
    if let Some(meta) = &meta
        && meta.answers_not_modified(req)
    {
        wait_for_second(state, meta.last_modified).await;
        if let Some(mut res) = meta.respond_not_modified(req, freshness, state.clock.now()) {
            if is_feed {
                add_hub_links(&mut res, req, state);
            }
            state.cache.count_answer(true);
            return Ok(res);
        }
    }
    let rep = match state.cache.held(&key, version, now) {
        Some(rep) => rep,
        None => {
            // Evicted from memory: the same bytes may still be on disk.
            match meta.and_then(|meta| spilled(state, &key, meta, negotiate(req.headers()))) {
                Some(Spilled::Body(meta, body)) => {
                    wait_for_second(state, meta.last_modified).await;
                    let mut res = meta.respond_with(req, freshness, state.clock.now(), |_| body);
                    if is_feed {
                        add_hub_links(&mut res, req, state);
                    }
                    state.cache.count_answer(false);
                    return Ok(res);
                }
                Some(Spilled::Identity(rep)) => rep,
                None => {
                    let Some(rep) =
                        cached_or_rendered(state, key.clone(), version, now, true).await?
                    else {
                        return Ok(busy());
                    };
                    rep.ok_or(AppError::NotFound)?
                }
            }
        }
    };
    if let Some(enc) = rep.pending_body(req) {
        // The first full answer in this encoding compresses it, once.
        let Ok(slot) = state.cache.slots.enter().await else {
            return Ok(busy());
        };
        let rep = Arc::clone(&rep);
        let st = web::Data::clone(state);
        web::block(move || {
            let body = rep.body(enc);
            drop(slot);
            st.cache.grown(&key, &rep);
            if let Some(spill) = &st.cache.spill {
                spill.write(&key, rep.validators(), enc, body);
            }
        })
        .await?;
    }
    wait_for_second(state, rep.validators().last_modified).await;
    let mut res = rep.respond(req, freshness, state.clock.now());
    if is_feed {
        add_hub_links(&mut res, req, state);
    }
    state
        .cache
        .count_answer(res.status() == StatusCode::NOT_MODIFIED);
    Ok(res)
}

enum Spilled {
    /// The variant asked for.
    Body(Arc<Validators>, bytes::Bytes),
    /// Only the identity: the variant is compressed from it, not rendered.
    Identity(Arc<Representation>),
}

/// The body of `key` in `enc` from the cache directory, if it holds the
/// variant `meta` names (or its identity, to compress). A read from the
/// page cache takes microseconds, less than handing it to the blocking
/// pool would, so it is made here; a body that is not there (the
/// directory emptied) is rendered instead.
fn spilled(
    state: &AppState,
    key: &DocKey,
    meta: Arc<Validators>,
    enc: Encoding,
) -> Option<Spilled> {
    let spill = state.cache.spill.as_ref()?;
    if let Some(body) = spill.read(key, &meta, enc) {
        return Some(Spilled::Body(meta, body));
    }
    if enc == Encoding::Identity {
        return None;
    }
    let identity = spill.read(key, &meta, Encoding::Identity)?;
    Some(Spilled::Identity(Arc::new(Representation::from_identity(
        meta, identity,
    ))))
}

/// How long caches may keep `key`: a month that has ended changes only
/// when a release in it is edited or retracted (see README "Archives"), so
/// it may be kept longer than the current feeds.
fn freshness_of<'a>(
    state: &'a AppState,
    key: &DocKey,
    now: chrono::DateTime<chrono::Utc>,
) -> &'a super::freshness::Freshness {
    match key {
        DocKey::Part(_, Part::Month(m), _) if m.end_ms() <= now.timestamp_millis() => {
            &state.archive_freshness
        }
        _ => &state.feed_freshness,
    }
}

/// WebSub discovery on every feed answer, 304 included.
fn add_hub_links(res: &mut HttpResponse, req: &HttpRequest, state: &AppState) {
    let self_url = state.site.url(req.path());
    crate::websub::add_links(res.headers_mut(), &state.site.hubs, &self_url);
}

/// A second visible change within one second stamps its version with the
/// next second; the answer waits for that second (under a second) so it
/// carries a Last-Modified no later than its Date, as caches and checkers
/// expect on every 200. A manual clock is not moved by waiting: there the
/// answer goes without Last-Modified instead (`respond`).
pub(super) async fn wait_for_second(
    state: &AppState,
    last_modified: chrono::DateTime<chrono::Utc>,
) {
    if !state.clock.is_manual()
        && let Ok(wait) = (last_modified - state.clock.now()).to_std()
    {
        actix_web::rt::time::sleep(wait.min(std::time::Duration::from_secs(1))).await;
    }
}

/// The version of the scope `key` shows; `None` for an unknown topic. The
/// versions are read again (off the async threads) after any commit.
async fn scope_version(
    state: &web::Data<AppState>,
    key: &DocKey,
) -> Result<Option<Version>, AppError> {
    let change_version = state.store.change_version()?;
    if let Some(version) = state.cache.scopes.version(change_version, key) {
        return Ok(version);
    }
    let st = web::Data::clone(state);
    let key = key.clone();
    Ok(web::block(move || st.cache.scopes.refresh(&st.store, change_version, &key)).await??)
}

/// More renders are waiting than the server takes on: come back shortly.
pub(super) fn busy() -> HttpResponse {
    let mut res = super::error::error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        &crate::i18n::Ui::for_lang("en", "en").t("error-unavailable"),
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    res
}

fn too_many_polls(wait_secs: u64) -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, wait_secs.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "This feed was fetched from your address moments ago. Poll with If-None-Match \
             (send back the ETag) to check as often as you like, or retry in {wait_secs} s.\n"
        ))
}

/// The finished document for `key` now, from the cache or freshly
/// rendered; `None` for an unknown topic. For work off the request path
/// (WebSub distribution): it waits for a render slot however long the
/// queue is.
pub async fn document(
    state: &web::Data<AppState>,
    key: DocKey,
) -> Result<Option<Arc<Representation>>, AppError> {
    let now = state.clock.now();
    let Some(version) = scope_version(state, &key).await? else {
        return Ok(None);
    };
    Ok(cached_or_rendered(state, key, version, now, false)
        .await?
        .flatten())
}

/// The finished document for `key` whose scope is at `version`, from the
/// cache or freshly rendered off the async threads, a few at a time.
/// `Some(None)` for an unknown topic; `None` when too many renders wait
/// and `bounded`.
async fn cached_or_rendered(
    state: &web::Data<AppState>,
    key: DocKey,
    version: Version,
    now: chrono::DateTime<chrono::Utc>,
    bounded: bool,
) -> Result<Option<Option<Arc<Representation>>>, AppError> {
    // Waiting ends when the render we wait for is stored or has failed; a
    // further write meanwhile can make us wait for one more render.
    let claim = loop {
        match state.cache.lookup(&key, version, now) {
            Lookup::Fresh(rep) => return Ok(Some(Some(rep))),
            Lookup::Wait(mut done) => {
                let _ = done.changed().await;
            }
            Lookup::Render(claim) => break claim,
        }
    };
    let claim = Claim {
        cache: web::Data::clone(state),
        key,
        _wakes_waiters: claim,
    };
    let slot = if bounded {
        state.cache.slots.enter().await
    } else {
        state.cache.slots.enter_unbounded().await
    };
    let Ok(slot) = slot else {
        return Ok(None);
    };
    // The claim ends in the blocking task, which runs to its end even when
    // this request is dropped, so waiters are always woken.
    let rendered = super::blocking(state, move |st| {
        let _slot = slot;
        let rendered = render(st, &claim.key, now)?;
        Ok::<_, AppError>(rendered.map(|rep| {
            let rep = st.cache.insert(claim.key.clone(), rep, version);
            if let Some(spill) = &st.cache.spill {
                spill.write(
                    &claim.key,
                    rep.validators(),
                    Encoding::Identity,
                    rep.body(Encoding::Identity),
                );
            }
            rep
        }))
    })
    .await??;
    Ok(Some(rendered))
}

/// Ends a claimed render when dropped (also on an error or a panic):
/// forgets it in the cache, then wakes the requests waiting for it.
struct Claim {
    cache: web::Data<AppState>,
    key: DocKey,
    /// Dropped after `drop` below has run: that wakes the waiters.
    _wakes_waiters: RenderClaim,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.cache.cache.rendered(&self.key);
    }
}

fn feed_representation(
    state: &AppState,
    snap: &crate::model::FeedSnapshot,
    format: Format,
) -> Representation {
    let body = match format {
        Format::Rss => feeds::render_rss(&state.site, snap),
        Format::Atom => feeds::render_atom(&state.site, snap),
        Format::Json => feeds::render_json(&state.site, snap),
    };
    Representation::new(
        format.content_type(),
        body,
        snap.last_modified,
        snap.next_change,
    )
}

fn render(
    state: &AppState,
    key: &DocKey,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Representation>, AppError> {
    let started = std::time::Instant::now();
    let out = match key {
        DocKey::Opml => {
            let list = state.store.public_topics(now)?;
            // It changes by itself when a topic only a scheduled release is
            // in appears with that release, or a language whose first
            // release is scheduled.
            let languages = state.store.languages(&FeedScope::All, now)?;
            let body = feeds::render_opml(
                &state.site,
                &list.topics,
                &languages.tags,
                list.last_modified,
            );
            let last_modified = languages
                .appeared
                .map_or(list.last_modified, |t| t.max(list.last_modified));
            let next_change = match (list.next_change, languages.next_change) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            Some(Representation::new(
                feeds::OPML_CONTENT_TYPE,
                body,
                last_modified,
                next_change,
            ))
        }
        DocKey::Part(scope, part, format) => {
            let snap = match part {
                Part::Month(month) => state.store.archive_snapshot(scope, *month, now)?,
                Part::Lang(lang) => {
                    let window = match format {
                        Format::Atom => state.settings.tombstone_window(),
                        Format::Rss | Format::Json => None,
                    };
                    state.store.lang_snapshot(
                        scope,
                        lang,
                        state.settings.feed_items,
                        window,
                        now,
                    )?
                }
            };
            snap.map(|snap| feed_representation(state, &snap, *format))
        }
        DocKey::Feed(scope, format) => {
            // Only Atom can carry tombstones (RFC 6721); RSS and JSON Feed
            // must not change when one expires.
            let window = match format {
                Format::Atom => state.settings.tombstone_window(),
                Format::Rss | Format::Json => None,
            };
            let Some(snap) = state.store.feed_snapshot_with_tombstones(
                scope,
                state.settings.feed_items,
                window,
                now,
            )?
            else {
                return Ok(None);
            };
            Some(feed_representation(state, &snap, *format))
        }
    };
    let elapsed = started.elapsed();
    metrics::histogram!("pressfeed_render_seconds").record(elapsed.as_secs_f64());
    tracing::debug!(
        ?key,
        elapsed_ms = super::observe::millis(elapsed),
        "rendered"
    );
    Ok(out)
}
