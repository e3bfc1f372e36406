//! The built-in WebSub hub, spoken to as a subscriber would: a subscriber
//! server runs inside each test, subscribes over HTTP, answers the
//! verification and receives deliveries.

use crate::helpers::{TestApp, release, scheduled, spawn_app_on, spawn_app_with, t0};
use crate::subscriber::Subscriber;
use chrono::Duration;
use hmac::{Hmac, Mac};
use pressfeed::clock::Clock;
use pressfeed::config::Settings;

const TOPIC: &str = "http://press.test/topics/transport/feed.atom";

/// Waits (real time, up to 15 s) until `cond` holds.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..300 {
        if cond() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

fn private_ok(s: &mut Settings) {
    s.websub_allow_private_callbacks = true;
}

async fn post_hub(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    app.client
        .post(app.url("/websub"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn subscriptions(app: &TestApp) -> Vec<pressfeed::store::Subscription> {
    app.store()
        .hub_store()
        .unwrap()
        .subscriptions(app.clock.now())
        .unwrap()
}

/// Subscribes `sub` to `topic` and waits until the hub has verified it.
async fn subscribe(app: &TestApp, sub: &Subscriber, topic: &str, extra: &[(&str, &str)]) {
    let before = subscriptions(app).len();
    let mut fields = vec![
        ("hub.mode", "subscribe"),
        ("hub.topic", topic),
        ("hub.callback", sub.url.as_str()),
    ];
    fields.extend_from_slice(extra);
    let res = post_hub(app, &fields).await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
    eventually("the subscription is verified", || {
        subscriptions(app).len() > before
    })
    .await;
}

/// The fields of a subscription request to [`TOPIC`] for `callback`.
fn subscribe_to_topic(callback: &str) -> [(&'static str, &str); 3] {
    [
        ("hub.mode", "subscribe"),
        ("hub.topic", TOPIC),
        ("hub.callback", callback),
    ]
}

fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

#[tokio::test]
async fn an_import_in_another_process_is_delivered_signed_to_a_verified_subscriber() {
    let app = spawn_app_on(Clock::system(), private_ok).await;
    let now = chrono::Utc::now();
    let mut first = release("first", 0, &["transport"]);
    first.published_at = (now - Duration::hours(1)).to_rfc3339();
    app.save(&[first]);
    let sub = Subscriber::start().await;
    subscribe(&app, &sub, TOPIC, &[("hub.secret", "s3cret")]).await;

    let v = &sub.verifications()[0];
    assert_eq!(v["hub.mode"], "subscribe");
    assert_eq!(v["hub.topic"], TOPIC);
    assert_eq!(
        v["hub.lease_seconds"], "864000",
        "the default lease: 10 days"
    );
    assert_eq!(v["who"], "test", "the callback's own query is kept");
    assert!(sub.deliveries().is_empty(), "nothing changed yet");

    let line = serde_json::json!({
        "slug": "tram-line", "title": "New tram line opens", "body_html": "<p>Trams.</p>",
        "organization": "Office", "lang": "en", "topics": ["transport"],
        "published_at": (now - Duration::minutes(1)).to_rfc3339(),
    });
    app.import_in_another_process(&[line]);

    eventually("the change is delivered", || !sub.deliveries().is_empty()).await;
    let d = &sub.deliveries()[0];
    let body = String::from_utf8(d.body.clone()).unwrap();
    assert!(body.contains("New tram line opens"), "{body}");
    assert_eq!(
        d.headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    assert_eq!(d.headers["x-hub-signature"], signature("s3cret", &d.body));
    let link = &d.headers["link"];
    assert!(
        link.contains("<http://press.test/websub>; rel=\"hub\""),
        "{link}"
    );
    assert!(link.contains(&format!("<{TOPIC}>; rel=\"self\"")), "{link}");
    // Exactly the feed a poller gets now.
    let polled = app
        .get("/topics/transport/feed.atom")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(d.body, polled.to_vec());
    // Another topic's change is not theirs.
    let mut other = release("other", 0, &["health"]);
    other.published_at = (now - Duration::minutes(1)).to_rfc3339();
    app.save(&[other]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sub.deliveries().len(), 1);
}

#[tokio::test]
async fn a_wrong_echo_does_not_subscribe_and_unsubscribing_is_verified_too() {
    let app = spawn_app_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    *sub.wrong_echo.lock().unwrap() = true;
    let fields = subscribe_to_topic(sub.url.as_str());
    assert_eq!(post_hub(&app, &fields).await.status(), 202);
    eventually("the verification was asked", || {
        !sub.verifications().is_empty()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        subscriptions(&app).is_empty(),
        "not the challenge: no subscription"
    );

    *sub.wrong_echo.lock().unwrap() = false;
    subscribe(&app, &sub, TOPIC, &[]).await;
    let res = post_hub(
        &app,
        &[
            ("hub.mode", "unsubscribe"),
            ("hub.topic", TOPIC),
            ("hub.callback", sub.url.as_str()),
        ],
    )
    .await;
    assert_eq!(res.status(), 202);
    eventually("the unsubscription is verified", || {
        subscriptions(&app).is_empty()
    })
    .await;
    assert_eq!(
        sub.verifications().last().unwrap()["hub.mode"],
        "unsubscribe"
    );
    app.save(&[release("second", 0, &["transport"])]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        sub.deliveries().is_empty(),
        "unsubscribed: nothing delivered"
    );
}

#[tokio::test]
async fn one_verification_at_a_time_per_callback() {
    let app = spawn_app_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    sub.verify_delay_ms
        .store(700, std::sync::atomic::Ordering::Relaxed);
    let fields = subscribe_to_topic(sub.url.as_str());
    assert_eq!(post_hub(&app, &fields).await.status(), 202);
    let res = post_hub(&app, &fields).await;
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("already in progress"));
    eventually("verified", || subscriptions(&app).len() == 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        sub.verifications().len(),
        1,
        "the refused request sent nothing"
    );
    // Once it ended, the callback may ask again (a renewal).
    assert_eq!(post_hub(&app, &fields).await.status(), 202);
}

#[tokio::test]
async fn a_verification_answered_with_a_redirect_is_not_followed() {
    let app = spawn_app_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    let elsewhere = Subscriber::start().await;
    *sub.redirect_to.lock().unwrap() = Some(elsewhere.url.clone());
    let fields = subscribe_to_topic(sub.url.as_str());
    assert_eq!(post_hub(&app, &fields).await.status(), 202);
    eventually("the verification was asked", || {
        !sub.verifications().is_empty()
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        elsewhere.verifications().is_empty(),
        "the redirect was followed"
    );
    assert!(subscriptions(&app).is_empty(), "a 302 is no confirmation");
}

#[tokio::test]
async fn a_lease_ends_at_its_time_and_nothing_is_delivered_after_it() {
    let app = spawn_app_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    subscribe(&app, &sub, TOPIC, &[("hub.lease_seconds", "3600")]).await;
    assert_eq!(sub.verifications()[0]["hub.lease_seconds"], "3600");
    assert_eq!(subscriptions(&app)[0].lease_seconds, 3600);

    // Still within the lease: delivered.
    app.clock.advance(Duration::seconds(3500));
    app.save(&[release("second", 0, &["transport"])]);
    eventually("delivered within the lease", || sub.deliveries().len() == 1).await;

    app.clock.advance(Duration::seconds(101));
    app.save(&[release("third", 0, &["transport"])]);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sub.deliveries().len(), 1, "the lease ended: nothing more");
    assert!(subscriptions(&app).is_empty());

    // A renewal before the end keeps it going.
    subscribe(&app, &sub, TOPIC, &[("hub.lease_seconds", "3600")]).await;
    app.clock.advance(Duration::seconds(3000));
    subscribe_again(&app, &sub).await;
    app.clock.advance(Duration::seconds(3000));
    app.save(&[release("fourth", 0, &["transport"])]);
    eventually("delivered after the renewal", || {
        sub.deliveries().len() == 2
    })
    .await;
}

/// Renews: the subscription count stays, its expiry moves.
async fn subscribe_again(app: &TestApp, sub: &Subscriber) {
    let before = subscriptions(app)[0].expires_at;
    let fields = [
        ("hub.mode", "subscribe"),
        ("hub.topic", TOPIC),
        ("hub.callback", sub.url.as_str()),
        ("hub.lease_seconds", "3600"),
    ];
    assert_eq!(post_hub(app, &fields).await.status(), 202);
    eventually("the renewal is verified", || {
        subscriptions(app)
            .first()
            .is_some_and(|s| s.expires_at > before)
    })
    .await;
    assert_eq!(subscriptions(app).len(), 1);
}

#[tokio::test]
async fn a_failing_subscriber_is_retried_with_backoff_until_it_acknowledges() {
    let app = spawn_app_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    sub.script.lock().unwrap().extend([500, 503]);
    subscribe(&app, &sub, TOPIC, &[]).await;
    app.save(&[release("second", 0, &["transport"])]);
    eventually("the first attempt", || sub.deliveries().len() == 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sub.deliveries().len(), 1, "no retry before the backoff");
    let s = &subscriptions(&app)[0];
    assert_eq!(s.pending_attempts, Some(1));
    assert!(s.last_outcome.as_deref().unwrap().contains("HTTP 500"));
    // The first retry comes 30 s (±25 %) later, the second about 60 s after.
    app.clock.advance(Duration::seconds(40));
    eventually("the second attempt", || sub.deliveries().len() == 2).await;
    app.clock.advance(Duration::seconds(80));
    eventually("the third attempt", || sub.deliveries().len() == 3).await;
    eventually("recorded as delivered", || {
        subscriptions(&app)[0].pending_attempts.is_none()
    })
    .await;
    assert_eq!(
        subscriptions(&app)[0].last_outcome.as_deref(),
        Some("delivered (204)")
    );
    let d = sub.deliveries();
    assert_eq!(d[0].body, d[2].body, "the same version each time");
    app.clock.advance(Duration::hours(3));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sub.deliveries().len(), 3, "acknowledged: never sent again");
}

#[tokio::test]
async fn a_subscriber_that_never_answers_times_out_and_is_retried() {
    let app = spawn_app_with(|s| {
        private_ok(s);
        s.websub_timeout_seconds = 1;
    })
    .await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    subscribe(&app, &sub, TOPIC, &[]).await;
    // The callback takes the delivery and never answers.
    sub.delay_ms
        .store(600_000, std::sync::atomic::Ordering::Relaxed);
    app.save(&[release("second", 0, &["transport"])]);
    let started = std::time::Instant::now();
    loop {
        let s = &subscriptions(&app)[0];
        if s.pending_attempts == Some(1) {
            assert_eq!(
                s.last_outcome.as_deref(),
                Some("failed, retrying: timed out")
            );
            break;
        }
        // The change is seen within a second; the attempt must end a second later.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the delivery to a silent callback did not end at the timeout"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Retried after the backoff, and acknowledged this time.
    sub.delay_ms.store(0, std::sync::atomic::Ordering::Relaxed);
    app.clock.advance(Duration::seconds(40));
    eventually("the retry is acknowledged", || {
        subscriptions(&app)[0].pending_attempts.is_none()
    })
    .await;
    assert_eq!(
        subscriptions(&app)[0].last_outcome.as_deref(),
        Some("delivered (204)")
    );
}

#[tokio::test]
async fn each_change_is_delivered_with_its_own_version() {
    let app = spawn_app_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    subscribe(&app, &sub, TOPIC, &[]).await;
    for (n, slug) in ["second", "third", "fourth"].into_iter().enumerate() {
        app.save(&[release(slug, 0, &["transport"])]);
        eventually("delivered", || sub.deliveries().len() == n + 1).await;
        let polled = app
            .get("/topics/transport/feed.atom")
            .await
            .bytes()
            .await
            .unwrap();
        let body = sub.deliveries()[n].body.clone();
        assert!(
            String::from_utf8_lossy(&body).contains(&format!("Title of {slug}")),
            "delivery {n} lacks {slug}"
        );
        assert_eq!(
            body,
            polled.to_vec(),
            "delivery {n} is the feed as it is now"
        );
        // Let the acknowledgement be recorded (the version is then pruned).
        eventually("acknowledged", || {
            subscriptions(&app)[0].pending_attempts.is_none()
        })
        .await;
    }
}

#[tokio::test]
async fn a_subscriber_answering_410_is_unsubscribed() {
    let app = spawn_app_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    sub.script.lock().unwrap().push_back(410);
    subscribe(&app, &sub, TOPIC, &[]).await;
    app.save(&[release("second", 0, &["transport"])]);
    eventually("unsubscribed", || subscriptions(&app).is_empty()).await;
    assert_eq!(sub.deliveries().len(), 1);
}

#[tokio::test]
async fn a_scheduled_release_is_delivered_at_its_time_with_no_request() {
    let app = spawn_app_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    subscribe(&app, &sub, TOPIC, &[]).await;
    app.save(&[scheduled(
        "embargoed",
        t0() + Duration::minutes(10),
        &["transport"],
    )]);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(sub.deliveries().is_empty(), "still under embargo");
    app.clock.advance(Duration::minutes(10));
    eventually("delivered at its time", || !sub.deliveries().is_empty()).await;
    let body = String::from_utf8(sub.deliveries()[0].body.clone()).unwrap();
    assert!(body.contains("Title of embargoed"), "{body}");
}

#[tokio::test]
async fn private_callbacks_are_refused_by_default() {
    let app = spawn_app_with(|_| {}).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    for callback in [
        sub.url.clone(),
        "http://[::1]:9/cb".into(),
        "http://10.0.0.7/cb".into(),
    ] {
        let res = post_hub(&app, &subscribe_to_topic(callback.as_str())).await;
        assert_eq!(res.status(), 403, "{callback}");
        let text = res.text().await.unwrap();
        assert!(text.contains("private, loopback"), "{text}");
    }
    // A name that resolves to loopback is refused too.
    let by_name = sub.url.replace("127.0.0.1", "localhost");
    let res = post_hub(&app, &subscribe_to_topic(by_name.as_str())).await;
    assert_eq!(res.status(), 403);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(sub.verifications().is_empty(), "no request went to it");
}

#[tokio::test]
async fn bad_requests_get_a_clear_reason_and_caps_deny() {
    let app = spawn_app_with(|s| {
        private_ok(s);
        s.websub_max_per_topic = 1;
    })
    .await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str);
    let cases: &[Case] = &[
        (
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", "http://elsewhere.test/feed.atom"),
                ("hub.callback", &sub.url),
            ],
            400,
            "feed URL of this server",
        ),
        (
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", "http://press.test/topics/nope/feed.atom"),
                ("hub.callback", &sub.url),
            ],
            400,
            "no topic",
        ),
        (&subscribe_to_topic("ftp://x.test/"), 400, "http or https"),
        (
            &[("hub.mode", "subscribe"), ("hub.topic", TOPIC)],
            400,
            "hub.callback is missing",
        ),
        (
            &[
                ("hub.mode", "publish"),
                ("hub.topic", TOPIC),
                ("hub.callback", &sub.url),
            ],
            400,
            "hub.mode",
        ),
        (
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", &sub.url),
                ("hub.lease_seconds", "soon"),
            ],
            400,
            "lease_seconds",
        ),
        (
            &[
                ("hub.mode", "subscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", &sub.url),
                ("hub.secret", &"k".repeat(200)),
            ],
            400,
            "shorter than 200 bytes",
        ),
        (
            &[
                ("hub.mode", "subscribe"),
                ("hub.mode", "unsubscribe"),
                ("hub.topic", TOPIC),
                ("hub.callback", &sub.url),
            ],
            400,
            "more than once",
        ),
    ];
    for (fields, status, reason) in cases {
        let res = post_hub(&app, fields).await;
        assert_eq!(res.status().as_u16(), *status, "{fields:?}");
        let text = res.text().await.unwrap();
        assert!(text.contains(reason), "{fields:?}: {text}");
    }
    let res = app
        .client
        .post(app.url("/websub"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = app
        .client
        .post(app.url("/websub"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("hub.mode=subscribe&x={}", "a".repeat(20_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(
        sub.verifications().is_empty(),
        "no refused request reached it"
    );

    // One subscriber per feed here: the second is refused and told so.
    subscribe(&app, &sub, TOPIC, &[]).await;
    let other = Subscriber::start().await;
    let res = post_hub(&app, &subscribe_to_topic(other.url.as_str())).await;
    assert_eq!(res.status(), 429);
    eventually("the refusal is sent", || !other.verifications().is_empty()).await;
    let denied = &other.verifications()[0];
    assert_eq!(denied["hub.mode"], "denied");
    assert!(denied["hub.reason"].contains("limit of 1"), "{denied:?}");
}

#[tokio::test]
async fn every_feed_names_its_hub_and_itself() {
    let app = spawn_app_with(|s| s.websub_hubs = vec!["https://hub.example.org/".into()]).await;
    app.save(&[release("first", 1, &["transport"])]);
    for path in [
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        "/topics/transport/feed.atom",
        "/topics/transport/feed.rss",
        "/topics/transport/feed.json",
    ] {
        let res = app.get(path).await;
        let links: Vec<String> = res
            .headers()
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(
            links.contains(&"<http://press.test/websub>; rel=\"hub\"".to_owned()),
            "{path}: {links:?}"
        );
        assert!(
            links.contains(&"<https://hub.example.org/>; rel=\"hub\"".to_owned()),
            "{path}: {links:?}"
        );
        assert!(
            links.contains(&format!("<http://press.test{path}>; rel=\"self\"")),
            "{path}: {links:?}"
        );
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let body = res.text().await.unwrap();
        if path.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["hubs"][0]["type"], "WebSub");
            assert_eq!(v["hubs"][0]["url"], "http://press.test/websub");
            assert_eq!(v["hubs"][1]["url"], "https://hub.example.org/");
        } else if path.ends_with(".rss") {
            assert!(
                body.contains("<atom:link href=\"http://press.test/websub\" rel=\"hub\"/>"),
                "{body}"
            );
        } else {
            assert!(
                body.contains("<link href=\"http://press.test/websub\" rel=\"hub\"/>"),
                "{body}"
            );
        }
        // A 304 carries them too.
        let res = app.get_with(path, &[("If-None-Match", &etag)]).await;
        assert_eq!(res.status(), 304);
        assert_eq!(res.headers().get_all("link").iter().count(), 3, "{path}");
    }
}

#[tokio::test]
async fn public_hubs_are_pinged_with_the_changed_feeds() {
    let public = Subscriber::start().await;
    let hub_url = public.url.replace("who=test", "who=public-hub");
    let app = spawn_app_with(|s| {
        s.websub_builtin = false;
        s.websub_hubs = vec![hub_url.clone()];
    })
    .await;
    app.save(&[release("first", 1, &["transport"])]);
    // The built-in hub is off: not served, not advertised.
    let res = post_hub(&app, &[("hub.mode", "subscribe")]).await;
    assert_eq!(res.status(), 404);
    let res = app.get("/feed.atom").await;
    let links: Vec<_> = res.headers().get_all("link").iter().collect();
    assert_eq!(links.len(), 2, "{links:?}");
    // The hub first takes note of every feed's version (a change before
    // that is its starting point, not a change): change one topic until a
    // ping comes.
    let mut pinged = false;
    for i in 0..20 {
        app.save(&[release(&format!("health-{i}"), 0, &["health"])]);
        for _ in 0..20 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if !public.deliveries().is_empty() {
                pinged = true;
                break;
            }
        }
        if pinged {
            break;
        }
    }
    assert!(pinged, "the public hub was never pinged");
    let ping = public.deliveries().last().unwrap().clone();
    assert_eq!(
        ping.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&ping.body)
        .into_owned()
        .collect();
    assert!(
        form.contains(&("hub.mode".into(), "publish".into())),
        "{form:?}"
    );
    let urls: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "hub.url")
        .map(|(_, v)| v.as_str())
        .collect();
    for changed in [
        "http://press.test/feed.atom",
        "http://press.test/topics/health/feed.rss",
        "http://press.test/topics/health/feed.json",
    ] {
        assert!(urls.contains(&changed), "{changed} not in {urls:?}");
    }
    assert!(
        !urls.iter().any(|u| u.contains("/topics/transport/")),
        "transport did not change: {urls:?}"
    );
}

#[tokio::test]
async fn the_hub_is_measured_on_the_private_listener() {
    let app = spawn_app_with(|s| {
        private_ok(s);
        s.metrics_bind = Some("127.0.0.1:0".into());
    })
    .await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    subscribe(&app, &sub, TOPIC, &[]).await;
    app.save(&[release("second", 0, &["transport"])]);
    eventually("delivered", || !sub.deliveries().is_empty()).await;
    let metrics_url = format!("{}/metrics", app.metrics_address.as_deref().unwrap());
    let mut text = String::new();
    for _ in 0..40 {
        text = app
            .client
            .get(&metrics_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains("pressfeed_websub_deliveries_total{outcome=\"delivered\"}")
            && text.contains("pressfeed_websub_queue_depth")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for name in [
        "pressfeed_websub_subscriptions",
        "pressfeed_websub_queue_depth",
        "pressfeed_websub_deliveries_total{outcome=\"delivered\"}",
        "pressfeed_websub_delivery_seconds_bucket",
        "pressfeed_websub_verifications_total{outcome=\"confirmed\"}",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    assert_eq!(
        app.get("/metrics").await.status(),
        404,
        "never on the public listener"
    );
}

#[tokio::test]
async fn the_newsroom_lists_push_subscribers_by_feed_and_removes_one() {
    use crate::admin_support::{post_form, sign_in, spawn_newsroom_with};
    let app = spawn_newsroom_with(private_ok).await;
    app.save(&[release("first", 1, &["transport"])]);
    let sub = Subscriber::start().await;
    sub.script.lock().unwrap().push_back(500);
    subscribe(&app, &sub, TOPIC, &[]).await;
    app.save(&[release("second", 0, &["transport"])]);
    eventually("a failed attempt", || sub.deliveries().len() == 1).await;
    eventually("recorded", || {
        subscriptions(&app)[0].pending_attempts == Some(1)
    })
    .await;

    assert_eq!(
        app.get("/admin/subscriptions").await.status(),
        303,
        "needs a session"
    );
    let csrf = sign_in(&app).await;
    let page = app.text("/admin/subscriptions").await;
    assert!(page.contains("/topics/transport/feed.atom"), "{page}");
    assert!(page.contains("<code>127.0.0.1</code>"), "{page}");
    assert!(!page.contains("who=test"), "only the host is shown: {page}");
    assert!(page.contains("failed, retrying: HTTP 500"), "{page}");
    assert!(page.contains("1 failed, next try"), "{page}");

    let id = subscriptions(&app)[0].id;
    let res = post_form(&app, &format!("/admin/subscriptions/{id}/remove"), &[]).await;
    assert_eq!(res.status(), 403, "no CSRF token: refused");
    assert_eq!(subscriptions(&app).len(), 1);
    let res = post_form(
        &app,
        &format!("/admin/subscriptions/{id}/remove"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(subscriptions(&app).is_empty());
    let page = app.text("/admin/subscriptions?done=removed").await;
    assert!(page.contains("Subscription removed."), "{page}");
    assert!(page.contains("No push subscribers yet."), "{page}");
    app.clock.advance(Duration::minutes(5));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        sub.deliveries().len(),
        1,
        "a removed subscriber gets no retry"
    );
}
