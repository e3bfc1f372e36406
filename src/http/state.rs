//! The state every handler reaches (public pages, feeds, the newsroom and
//! the API alike), built once at startup.

use super::cache::FeedCache;
use super::freshness::Freshness;
use super::{limits, pages, polite, search};
use crate::clock::Clock;
use crate::config::Settings;
use crate::feeds::Site;
use crate::store::Store;
use std::sync::Arc;

/// `max-age` of the archive of a month that has ended (never less than
/// `max_age`): it changes only when a release in it is edited or retracted.
pub const CLOSED_MONTH_MAX_AGE: u64 = 3600;

/// Everything a request handler can reach.
pub struct AppState {
    pub store: Arc<Store>,
    pub cache: FeedCache,
    pub site: Site,
    pub settings: Settings,
    pub clock: Clock,
    /// `Cache-Control` of feeds and the OPML (`max_age`).
    pub feed_freshness: Freshness,
    /// `Cache-Control` of archive documents of months that have ended.
    pub archive_freshness: Freshness,
    /// `Cache-Control` of the home and topic pages.
    pub page_freshness: Freshness,
    /// The polite-client policy; `None` when off.
    pub polite: Option<polite::PoliteLimiter>,
    /// The authority new release ids are minted under: the one recorded in
    /// the database on its first start (see `Store::tag_authority`).
    pub tag_authority: String,
    /// Request body bytes all connections hold together.
    pub body_budget: Arc<limits::BodyBudget>,
    /// Bytes of uploads being written to the media folder at once.
    pub upload_budget: Arc<limits::BodyBudget>,
    /// The search feeds' documents and validators.
    pub search: search::SearchCache,
    /// The media folder (attachments).
    pub media: crate::media::MediaFiles,
}

impl AppState {
    pub fn new(
        store: Arc<Store>,
        settings: Settings,
        clock: Clock,
        tag_authority: String,
        media: crate::media::MediaFiles,
    ) -> Self {
        let site = Site {
            base_url: settings.base_url(),
            title: settings.site_title.clone(),
            description: settings.site_description.clone(),
            lang: settings.site_lang.clone(),
            hubs: crate::websub::hub_urls(&settings),
        };
        Self {
            feed_freshness: Freshness::new(u64::from(settings.max_age)),
            archive_freshness: Freshness::new(
                u64::from(settings.max_age).max(CLOSED_MONTH_MAX_AGE),
            ),
            page_freshness: Freshness::new(pages::PAGE_MAX_AGE),
            store,
            cache: FeedCache::new(settings.cache_bytes)
                .with_render_queue(
                    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
                    settings.render_queue,
                )
                .with_spill(super::spill::Spill::open(
                    settings.cache_dir_path(),
                    settings.cache_dir_bytes,
                )),
            polite: polite::PoliteLimiter::new(settings.min_poll_interval),
            body_budget: Arc::new(limits::BodyBudget::new(settings.body_memory_bytes)),
            upload_budget: Arc::new(limits::BodyBudget::new(settings.upload_disk_bytes)),
            search: search::SearchCache::default(),
            media,
            site,
            settings,
            clock,
            tag_authority,
        }
    }
}
