//! What an operator sees: one log line per request, Prometheus metrics,
//! and the `/metrics` endpoint (served on the private `metrics_bind`
//! listener only; see `startup.rs`).

use super::AppState;
use crate::http::blocking;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// The process-wide recorder; every app in the process shares it.
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05,
                    0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            spawn_upkeep(handle.clone());
            Some(handle)
        })
        .as_ref()
}

/// How often histogram samples are folded into their buckets: at most a
/// second of samples waits (under 1 MB at 60,000 requests/s).
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A recorder made with `build_recorder` keeps every histogram sample until
/// someone folds them into buckets; without a scrape of /metrics that was
/// 16 bytes per request for ever (+37 MB after 2.3 million 304s). The
/// exporter's own upkeep task only comes with its HTTP listener.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(
            "cannot start the metrics upkeep thread ({e}); histograms drain only when /metrics is read"
        );
    }
}

fn status_label(status: u16) -> metrics::SharedString {
    match status {
        200 => "200".into(),
        304 => "304".into(),
        404 => "404".into(),
        other => other.to_string().into(),
    }
}

type Instruments = (metrics::Counter, metrics::Histogram);

/// Metric handles per (route, status), looked up once per thread: the hot
/// path then costs two atomic adds.
fn instruments(route: &'static str, status: u16) -> Instruments {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<(&'static str, u16), Instruments>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry((route, status))
            .or_insert_with(|| {
                (
                    metrics::counter!("pressfeed_http_requests_total", "route" => route, "status" => status_label(status)),
                    metrics::histogram!("pressfeed_http_request_duration_seconds", "route" => route),
                )
            })
            .clone()
    })
}

/// Middleware: counts and times every request by route and status, and
/// logs it (method, route, status, duration, bytes) unless logging is off.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let access_log = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.access_log);
    let res = next.call(req).await?;
    let elapsed = started.elapsed();
    let route = super::routes::label(res.request().path());
    let status = res.status().as_u16();
    let (requests, duration) = instruments(route, status);
    requests.increment(1);
    duration.record(elapsed.as_secs_f64());
    if access_log {
        let bytes = match res.response().body().size() {
            BodySize::Sized(n) => n,
            _ => 0,
        };
        tracing::info!(
            target: "pressfeed::access",
            method = %res.request().method(),
            route,
            path = %logged_path(res.request().path()),
            status,
            ms = millis(elapsed),
            bytes,
        );
    }
    Ok(res)
}

/// The path as the access log shows it: a private feed's token is a
/// credential, and logs travel further than the database.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path
        .strip_prefix("/private/")
        .and_then(|rest| rest.split_once('/'))
    {
        Some((_, rest)) => std::borrow::Cow::Owned(format!("/private/…/{rest}")),
        None => std::borrow::Cow::Borrowed(path),
    }
}

/// A duration for a log line: milliseconds to the microsecond (`0.085`),
/// not the float noise of `as_secs_f64() * 1e3` (`0.08480700000000001`).
pub(crate) fn millis(d: std::time::Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// `GET /metrics` (on the `metrics_bind` listener): Prometheus text format.
pub async fn metrics_endpoint(state: web::Data<AppState>) -> HttpResponse {
    if !state.settings.metrics {
        return super::error::error_page(
            actix_web::http::StatusCode::NOT_FOUND,
            "Nothing is published at this address.",
        );
    }
    let Some(handle) = prometheus() else {
        return HttpResponse::ServiceUnavailable().body("metrics recorder unavailable\n");
    };
    let (docs, bytes) = state.cache.usage();
    let hits = state.cache.hits.load(std::sync::atomic::Ordering::Relaxed);
    let misses = state
        .cache
        .misses
        .load(std::sync::atomic::Ordering::Relaxed);
    metrics::gauge!("pressfeed_feed_cache_documents").set(docs as f64);
    metrics::gauge!("pressfeed_feed_cache_bytes").set(bytes as f64);
    metrics::gauge!("pressfeed_feed_cache_hits").set(hits as f64);
    metrics::gauge!("pressfeed_feed_cache_misses").set(misses as f64);
    if let Ok(Ok(counts)) = blocking(&state, move |st| st.store.release_counts()).await {
        for (status, n) in counts {
            metrics::gauge!("pressfeed_releases", "status" => status).set(n as f64);
        }
    }
    let (full, not_modified) = state.cache.answers();
    if full + not_modified > 0 {
        metrics::gauge!("pressfeed_feed_not_modified_ratio")
            .set(not_modified as f64 / (full + not_modified) as f64);
    }
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .body(handle.render())
}

#[cfg(test)]
mod tests {
    use super::millis;

    #[test]
    fn log_durations_are_rounded_to_the_microsecond() {
        let d = std::time::Duration::from_nanos(84_807);
        assert_eq!(millis(d).to_string(), "0.084");
        assert_eq!(
            millis(std::time::Duration::from_millis(12)).to_string(),
            "12"
        );
    }
}
