//! The public site's handlers and what every part of the web layer shares
//! (the route table, state, responses, client addresses, errors). Handlers
//! stay thin: parse the path, ask the store or the cache, hand the result
//! to a template or the response builder.

pub mod cache;
pub mod client_ip;
pub mod conditional;
pub mod error;
pub(crate) mod feeds;
pub mod freshness;
pub mod limits;
pub mod list_filter;
pub mod media;
pub mod observe;
pub mod pages;
pub mod polite;
pub mod private;
pub mod release_view;
pub mod renders;
pub mod respond;
pub mod routes;
pub mod search;
pub mod security;
pub mod spill;
pub mod state;
pub mod versions;

pub use client_ip::client_ip;
pub use respond::{blocking, css, html_response, see_other};
pub use state::AppState;
