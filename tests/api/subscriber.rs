//! A WebSub subscriber for tests: an HTTP server that echoes challenges
//! (unless told not to), records every verification and delivery, and
//! answers deliveries from a script.
#![allow(dead_code)] // each test binary uses a part of it

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Delivery {
    /// The callback URL's query (which subscription it was for).
    pub query: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// A WebSub subscriber: echoes challenges (unless told not to), records
/// every verification and delivery, answers deliveries from a script.
#[derive(Clone, Default)]
pub struct Subscriber {
    pub url: String,
    pub verifications: Arc<Mutex<Vec<HashMap<String, String>>>>,
    pub deliveries: Arc<Mutex<Vec<Delivery>>>,
    /// Status codes for the next deliveries (204 when empty).
    pub script: Arc<Mutex<VecDeque<u16>>>,
    pub wrong_echo: Arc<Mutex<bool>>,
    /// How long each delivery takes to acknowledge, in milliseconds.
    pub delay_ms: Arc<AtomicU64>,
    /// When set, verifications are answered with a redirect there.
    pub redirect_to: Arc<Mutex<Option<String>>>,
    /// How long each verification takes to answer, in milliseconds.
    pub verify_delay_ms: Arc<AtomicU64>,
}

async fn verification(req: HttpRequest, sub: web::Data<Subscriber>) -> HttpResponse {
    let q: HashMap<String, String> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let challenge = q.get("hub.challenge").cloned().unwrap_or_default();
    let delay = sub.verify_delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    sub.verifications.lock().unwrap().push(q);
    if let Some(to) = sub.redirect_to.lock().unwrap().clone() {
        let location = format!("{to}&{}", req.query_string());
        return HttpResponse::Found()
            .insert_header(("Location", location))
            .finish();
    }
    if *sub.wrong_echo.lock().unwrap() {
        return HttpResponse::Ok().body(format!("{challenge}x"));
    }
    HttpResponse::Ok().body(challenge)
}

async fn delivery(req: HttpRequest, body: web::Bytes, sub: web::Data<Subscriber>) -> HttpResponse {
    let mut headers = HashMap::new();
    for (k, v) in req.headers() {
        let v = v.to_str().unwrap_or_default().to_owned();
        headers
            .entry(k.as_str().to_owned())
            .and_modify(|old: &mut String| {
                old.push_str(", ");
                old.push_str(&v);
            })
            .or_insert(v);
    }
    let delay = sub.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    sub.deliveries.lock().unwrap().push(Delivery {
        query: req.query_string().to_owned(),
        headers,
        body: body.to_vec(),
    });
    let status = sub.script.lock().unwrap().pop_front().unwrap_or(204);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl Subscriber {
    pub async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sub = Subscriber {
            url: format!("http://127.0.0.1:{port}/cb?who=test"),
            ..Default::default()
        };
        let data = web::Data::new(sub.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .route("/cb", web::get().to(verification))
                .route("/cb", web::post().to(delivery))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        sub
    }

    pub fn verifications(&self) -> Vec<HashMap<String, String>> {
        self.verifications.lock().unwrap().clone()
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }
}
