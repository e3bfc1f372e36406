//! Integration tests: the real app on a random port, a temporary SQLite
//! file per test (or, with `PRESSFEED_TEST_POSTGRES`, a schema of its own
//! on that PostgreSQL server), spoken to over HTTP.

mod admin;
mod admin_support;
mod api_v1;
mod archives;
mod cli;
mod conditional;
mod embargo_cache;
mod embargo_crawl;
mod embargo_topics;
mod feeds;
mod framing;
mod furniture;
mod helpers;
mod hostile_feeds;
mod hostile_http;
mod import;
mod invisible_writes;
mod lang_feeds;
mod large_bodies;
mod many_feeds;
mod media;
mod newsroom_form;
mod operate;
mod overload;
mod pages;
mod pagination;
mod private_feeds;
mod renditions;
mod same_second;
mod search;
mod security;
mod subscriber;
mod tombstones;
mod translations;
mod two_processes;
mod websub;
