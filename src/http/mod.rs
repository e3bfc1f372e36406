//! Routes and handlers. Handlers stay thin: parse the path, ask the store
//! or the cache, hand the result to a template or the response builder.

pub mod cache;
pub mod conditional;
pub mod error;
mod feeds;
pub mod freshness;
pub mod limits;
pub mod observe;
pub mod pages;
pub mod polite;
pub mod security;

use crate::clock::Clock;
use crate::config::Settings;
use crate::feeds::Site;
use crate::store::Store;
use actix_web::{guard, web};
use cache::FeedCache;
use freshness::Freshness;
use std::sync::Arc;

/// Everything a request handler can reach.
pub struct AppState {
    pub store: Arc<Store>,
    pub cache: FeedCache,
    pub site: Site,
    pub settings: Settings,
    pub clock: Clock,
    /// `Cache-Control` of feeds and the OPML (`max_age`).
    pub feed_freshness: Freshness,
    /// `Cache-Control` of the home and topic pages.
    pub page_freshness: Freshness,
    /// The polite-client policy; `None` when off.
    pub polite: Option<polite::PoliteLimiter>,
    /// The authority new release ids are minted under: the one recorded in
    /// the database on its first start (see `Store::tag_authority`).
    pub tag_authority: String,
    /// Request body bytes all connections hold together.
    pub body_budget: Arc<limits::BodyBudget>,
}

impl AppState {
    pub fn new(store: Arc<Store>, settings: Settings, clock: Clock, tag_authority: String) -> Self {
        let site = Site {
            base_url: settings.base_url(),
            title: settings.site_title.clone(),
            description: settings.site_description.clone(),
            lang: settings.site_lang.clone(),
        };
        Self {
            feed_freshness: Freshness::new(u64::from(settings.max_age)),
            page_freshness: Freshness::new(pages::PAGE_MAX_AGE),
            store,
            cache: FeedCache::new(settings.cache_bytes),
            polite: polite::PoliteLimiter::new(settings.min_poll_interval),
            body_budget: Arc::new(limits::BodyBudget::new(settings.body_memory_bytes)),
            site,
            settings,
            clock,
            tag_authority,
        }
    }
}

/// GET and HEAD: a HEAD answers with the GET's headers and no body.
fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Three fixed paths rather than `/feed.{format}` (or one resource with
    // three paths, which actix matches with a regex set): plain string
    // comparison, ahead of every pattern, on the most polled URLs.
    for path in ["/feed.atom", "/feed.rss", "/feed.json"] {
        cfg.service(web::resource(path).route(get_or_head().to(feeds::global_feed)));
    }
    cfg.service(web::resource("/topics.opml").route(get_or_head().to(feeds::opml)))
        .service(
            web::resource("/topics/{slug}/feed.{format}")
                .route(get_or_head().to(feeds::topic_feed)),
        )
        .service(web::resource("/").route(get_or_head().to(pages::home)))
        .service(web::resource("/releases/{slug}").route(get_or_head().to(pages::release)))
        .service(web::resource("/topics").route(get_or_head().to(pages::topics)))
        .service(web::resource("/topics/{slug}").route(get_or_head().to(pages::topic)))
        .service(web::resource("/healthz").route(get_or_head().to(pages::healthz)))
        .service(web::resource("/static/style.css").route(get_or_head().to(pages::stylesheet)));
}
