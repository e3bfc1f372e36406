//! pressfeed: press releases from SQLite as RSS 2.0, Atom 1.0 and JSON Feed,
//! with exact HTTP conditional GET.

pub mod admin;
pub mod api;
pub mod authentication;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod feeds;
pub mod http;
pub mod i18n;
#[cfg(test)]
mod layers;
pub mod media;
pub mod model;
pub mod router;
pub mod service;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod websub;
pub mod wording;
