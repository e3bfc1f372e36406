//! Builds the HTTP application the same way for `serve` and for tests:
//! bind first, then report the port, so tests can ask for port 0.

use crate::clock::Clock;
use crate::config::Settings;
use crate::http::{self, AppState};
use crate::store::{Store, StoreError};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    SessionKey(#[from] crate::admin::session::KeyError),
    #[error("websub: {0}")]
    Hub(#[from] crate::websub::HubError),
    #[error("media folder {path}: {source}")]
    Media {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    server: Server,
    /// The private listener for `/metrics` (`metrics_bind`), when set.
    metrics: Option<(u16, Server)>,
    state: web::Data<AppState>,
    admin: web::Data<crate::admin::AdminState>,
}

impl Application {
    /// Opens the database, binds the listener and prepares the server.
    pub fn build(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        let store = Arc::new(Store::open(&settings.db, settings.db_pool)?);
        Self::build_with_store(settings, store, clock)
    }

    pub fn build_with_store(
        settings: Settings,
        store: Arc<Store>,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind.clone(),
            source,
        })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        // Install the metrics recorder before the first request is counted.
        http::observe::prometheus();
        let workers = settings.workers();
        // The newsroom: a session key that survives restarts, and the
        // sign-in limiter shared by all workers.
        let session_key = crate::admin::session::load_key(&settings)?;
        let secure_cookie = settings.is_https();
        let admin_state = web::Data::new(crate::admin::AdminState::new(&settings));
        let configured = settings.tag_authority();
        let tag_authority = store.tag_authority(&configured)?;
        if tag_authority != configured {
            tracing::info!(
                "new release ids keep the tag authority {tag_authority:?} recorded in the database (base_url now points at {configured:?})"
            );
        }
        let metrics_listener = match settings.metrics_bind() {
            Some(addr) => Some(
                TcpListener::bind(addr).map_err(|source| StartupError::Bind {
                    addr: addr.to_owned(),
                    source,
                })?,
            ),
            None => None,
        };
        let hub = crate::websub::Hub::new(&store, &settings)?;
        let hub_data = web::Data::from(Arc::clone(&hub));
        let builtin_hub = settings.websub_builtin;
        let media_dir = settings.media_dir_path();
        let media =
            crate::media::MediaFiles::open(&media_dir).map_err(|source| StartupError::Media {
                path: media_dir,
                source,
            })?;
        let state = web::Data::new(AppState::new(store, settings, clock, tag_authority, media));
        let app_state = state.clone();
        let admin = admin_state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(middleware::from_fn(http::error::html_errors))
                .wrap(middleware::from_fn(http::limits::limit_requests))
                .wrap(middleware::from_fn(http::security::security_headers))
                .wrap(middleware::from_fn(http::observe::observe))
                .configure(crate::router::site)
                .app_data(admin_state.clone())
                .configure(|cfg| {
                    crate::admin::configure(
                        cfg,
                        session_key.clone(),
                        secure_cookie,
                        crate::router::newsroom(),
                    )
                })
                .configure(|cfg| crate::api::configure(cfg, crate::router::api()))
                .app_data(hub_data.clone())
                .configure(|cfg| {
                    if builtin_hub {
                        crate::websub::configure(cfg, crate::router::hub());
                    }
                })
                .default_service(web::to(not_found))
        })
        .workers(workers)
        .backlog(2048)
        // Slow or silent clients lose their connection instead of a worker.
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(2))
        .keep_alive(Duration::from_secs(75))
        .shutdown_timeout(20)
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            addr: "listener".into(),
            source,
        })?
        .run();
        crate::websub::start(state.clone(), Arc::clone(&hub));
        let metrics = match metrics_listener {
            Some(listener) => Some(metrics_server(listener, state.clone())?),
            None => None,
        };
        Ok(Self {
            port,
            server,
            metrics,
            state,
            admin,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the private metrics listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The newsroom's shared state (sign-in limits and password checks).
    pub fn admin(&self) -> web::Data<crate::admin::AdminState> {
        self.admin.clone()
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((_, metrics)) = self.metrics else {
            return self.server.await;
        };
        let metrics_handle = metrics.handle();
        let public = async move {
            let stopped = self.server.await;
            metrics_handle.stop(true).await;
            stopped
        };
        let (public, metrics) = futures_util::future::join(public, metrics).await;
        public.and(metrics)
    }
}

/// `/metrics` alone, on its own listener: the public one never serves it
/// (it tells how many drafts there are), so a reverse proxy cannot leak it.
fn metrics_server(
    listener: TcpListener,
    state: web::Data<AppState>,
) -> Result<(u16, Server), StartupError> {
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(crate::router::private)
            .default_service(web::to(not_found))
    })
    .workers(1)
    .shutdown_timeout(2)
    .listen(listener)
    .map_err(|source| StartupError::Bind {
        addr: "metrics listener".into(),
        source,
    })?
    .run();
    Ok((port, server))
}

async fn not_found() -> actix_web::HttpResponse {
    http::error::error_page(
        actix_web::http::StatusCode::NOT_FOUND,
        &crate::i18n::Ui::for_lang("en", "en").t("error-not-found"),
    )
}
