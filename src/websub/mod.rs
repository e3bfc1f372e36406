//! The built-in WebSub hub (W3C Recommendation, 2018): subscribers ask at
//! `POST /websub` to be told about a feed, prove they asked (intent
//! verification), and get the feed POSTed to them whenever its bytes change
//! — by a write here, an `import` in another process, or a scheduled
//! release becoming visible with nobody asking. Public hubs named in
//! `websub_hubs` are pinged too.
//!
//! The hub must never become a tool against others: see `callback.rs` for
//! the address rules and `subscribe.rs` for the caps.

mod callback;
mod deliver;
mod discovery;
mod distribute;
mod ping;
pub(crate) mod subscribe;
mod topic;
mod verify;

pub use callback::install_tls_provider;
pub use discovery::{add_links, hub_urls};
pub use topic::FeedTopic;

use crate::config::Settings;
use crate::http::AppState;
use crate::store::{HubStore, Store, StoreError};
use actix_web::web;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// At most this long to connect (within the request's whole timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The settings the hub works by, taken once at start.
#[derive(Debug, Clone)]
pub struct HubSettings {
    pub base_url: String,
    pub allow_private: bool,
    pub lease_default: i64,
    pub lease_min: i64,
    pub lease_max: i64,
    pub max_subscriptions: i64,
    pub max_per_topic: i64,
    pub concurrency: usize,
    pub host_rate: u32,
    pub public_hubs: Vec<String>,
    /// Every outbound request (verification, delivery, ping) ends by then.
    pub timeout: Duration,
}

impl HubSettings {
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            base_url: s.base_url(),
            allow_private: s.websub_allow_private_callbacks,
            lease_default: i64::from(s.websub_lease_seconds),
            lease_min: i64::from(s.websub_lease_min_seconds),
            lease_max: i64::from(s.websub_lease_max_seconds),
            max_subscriptions: i64::from(s.websub_max_subscriptions),
            max_per_topic: i64::from(s.websub_max_per_topic),
            concurrency: s.websub_concurrency as usize,
            host_rate: s.websub_host_rate,
            public_hubs: s.websub_hubs.clone(),
            timeout: Duration::from_secs(u64::from(s.websub_timeout_seconds)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// The hub's shared state: its store, its HTTP client and what is in flight.
pub struct Hub {
    store: HubStore,
    settings: HubSettings,
    /// Present only when the built-in hub runs (`websub_builtin`).
    builtin: bool,
    client: reqwest::Client,
    /// For the operator's own `websub_hubs` (any address).
    ping_client: reqwest::Client,
    /// Callbacks with a verification in flight (one at a time each).
    verifying: Mutex<HashSet<String>>,
    /// Rings when deliveries were queued.
    queued: tokio::sync::Notify,
    rates: callback::HostRates,
    /// Distributed versions being delivered, by id (a few at a time).
    contents: Mutex<HashMap<i64, Arc<deliver::Version>>>,
}

impl Hub {
    pub fn new(store: &Store, settings: &Settings) -> Result<Arc<Self>, HubError> {
        let hub_settings = HubSettings::from_settings(settings);
        Ok(Arc::new(Self {
            store: store.hub_store()?,
            client: callback::client(hub_settings.allow_private, hub_settings.timeout)?,
            ping_client: callback::client(true, hub_settings.timeout)?,
            rates: callback::HostRates::new(hub_settings.host_rate),
            settings: hub_settings,
            builtin: settings.websub_builtin,
            verifying: Mutex::new(HashSet::new()),
            queued: tokio::sync::Notify::new(),
            contents: Mutex::new(HashMap::new()),
        }))
    }

    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    pub fn store(&self) -> &HubStore {
        &self.store
    }

    /// The built-in hub's own URL (`{base}/websub`).
    pub fn url(&self) -> String {
        format!(
            "{}{}",
            self.settings.base_url,
            crate::http::routes::href(crate::http::routes::Name::Hub)
        )
    }
}

/// `POST /websub`, when the built-in hub runs.
pub fn configure(cfg: &mut web::ServiceConfig, resources: Vec<actix_web::Resource>) {
    for r in resources {
        cfg.service(r.app_data(web::PayloadConfig::new(subscribe::MAX_BODY)));
    }
}

/// Starts the hub's background work on the current runtime: noticing
/// changes, delivering, expiring leases, pinging public hubs.
pub fn start(state: web::Data<AppState>, hub: Arc<Hub>) {
    if tokio::runtime::Handle::try_current().is_err() {
        tracing::error!("websub: no async runtime; the hub does not run");
        return;
    }
    if hub.builtin {
        tokio::spawn(verify::resume(state.clone(), Arc::clone(&hub)));
        tokio::spawn(deliver::run(state.clone(), Arc::clone(&hub)));
    }
    tokio::spawn(distribute::run(state, hub));
}
