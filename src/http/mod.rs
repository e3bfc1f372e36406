//! Routes and handlers. Handlers stay thin: parse the path, ask the store
//! or the cache, hand the result to a template or the response builder.

pub mod cache;
pub mod client_ip;
pub mod conditional;
pub mod error;
pub(crate) mod feeds;
pub mod freshness;
pub mod limits;
pub mod observe;
pub mod pages;
pub mod polite;
pub mod release_view;
pub mod respond;
pub mod security;
pub mod state;

pub use client_ip::client_ip;
pub use respond::{blocking, css, html_response, see_other};
pub use state::AppState;

use actix_web::{guard, web};

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
