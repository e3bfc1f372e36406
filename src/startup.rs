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
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
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
        let state = web::Data::new(AppState::new(store, settings, clock));
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(middleware::from_fn(http::limits::limit_requests))
                .wrap(middleware::from_fn(http::security::security_headers))
                .wrap(middleware::from_fn(http::observe::observe))
                .configure(http::routes)
                .app_data(admin_state.clone())
                .configure(|cfg| crate::admin::configure(cfg, session_key.clone(), secure_cookie))
                .configure(crate::api::configure)
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
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn not_found() -> actix_web::HttpResponse {
    http::error::error_page(
        actix_web::http::StatusCode::NOT_FOUND,
        "Nothing is published at this address.",
    )
}
