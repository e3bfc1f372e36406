//! Embargoed early access: an accredited journalist's private feeds hold
//! scheduled releases before their time, marked as embargoed; nobody else
//! sees them, and a revoked or unknown token gets 404 at once.

use crate::conditional::seeded;
use crate::helpers::{TestApp, header, scheduled};
use chrono::Duration;
use pressfeed::domain::ReleaseInput;

/// Accredits through the real binary (as an operator would) and returns
/// the private base URL's path, e.g. `/private/0a1b…/`.
fn accredit(app: &TestApp, name: &str) -> String {
    let out = app.run_cli(&["accredit", name, "--outlet", "Wire Service"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).unwrap();
    let url = url.trim();
    // The CLI's base URL is its own default (no base_url in its settings);
    // only the path matters here.
    let at = url.find("/private/").expect("a private URL");
    url[at..].to_owned()
}

fn embargoed(app: &TestApp) -> ReleaseInput {
    ReleaseInput {
        title: "Quarterly trade figures".into(),
        body_html: "<p>Exports rose by a third.</p>".into(),
        ..scheduled(
            "trade-figures",
            app.clock.now() + Duration::hours(1),
            &["trade-secrets"],
        )
    }
}

#[tokio::test]
async fn a_journalist_sees_the_embargoed_release_marked_and_then_unmarked() {
    let app = seeded().await;
    app.save(&[embargoed(&app)]);
    let base = accredit(&app, "Ana Ruiz");

    let r = app.get(&format!("{base}feed.atom")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(r.headers(), "cache-control"), "private, no-store");
    assert!(header(r.headers(), "x-robots-tag").contains("noindex"));
    assert_eq!(
        header(r.headers(), "content-type"),
        "application/atom+xml; charset=utf-8"
    );
    let etag_before = header(r.headers(), "etag").to_owned();
    let body = r.text().await.unwrap();
    let feed = atom_syndication::Feed::read_from(body.as_bytes()).expect("a valid Atom feed");
    let first = &feed.entries()[0];
    assert_eq!(
        first.title().as_str(),
        "EMBARGOED until 1 March 2026 13:00 (UTC) — Quarterly trade figures"
    );
    let content = first.content().and_then(|c| c.value()).unwrap_or_default();
    assert!(content.contains("EMBARGOED until 1 March 2026 13:00 (UTC)"));
    assert!(content.contains("Exports rose by a third."));
    // The public releases are there too, unmarked.
    assert_eq!(feed.entries().len(), 4);
    assert!(!feed.entries()[1].title().as_str().contains("EMBARGOED"));
    // The private feed names no hub (it is never pinged) and links itself.
    assert!(!body.contains("rel=\"hub\""));
    assert!(body.contains(&format!("{base}feed.atom")));

    // The public feed does not have it.
    assert!(!app.text("/feed.atom").await.contains("trade"));

    // The hidden topic only the embargoed release is in: private yes, public no.
    let topic = app
        .get(&format!("{base}topics/trade-secrets/feed.rss"))
        .await;
    assert_eq!(topic.status(), 200);
    let channel = rss::Channel::read_from(topic.text().await.unwrap().as_bytes()).unwrap();
    assert_eq!(channel.items().len(), 1);
    assert!(channel.items()[0].title().unwrap().starts_with("EMBARGOED"));
    assert_eq!(
        app.get("/topics/trade-secrets/feed.rss").await.status(),
        404
    );

    app.clock.advance(Duration::hours(1));
    let r = app.get(&format!("{base}feed.atom")).await;
    assert_ne!(
        header(r.headers(), "etag"),
        etag_before,
        "the lifted embargo changes the document"
    );
    let feed = atom_syndication::Feed::read_from(r.text().await.unwrap().as_bytes()).unwrap();
    let first = &feed.entries()[0];
    assert_eq!(first.title().as_str(), "Quarterly trade figures");
    assert_eq!(
        first.id(),
        atom_syndication::Feed::read_from(app.text("/feed.atom").await.as_bytes())
            .unwrap()
            .entries()[0]
            .id(),
        "the same entry id as the public feed's"
    );
    // Said to be updated when the mark went, so a reader replaces it.
    assert_eq!(first.updated().to_rfc3339(), "2026-03-01T13:00:00+00:00");
}

#[tokio::test]
async fn private_feeds_answer_conditional_get_and_change_with_invisible_writes() {
    let app = seeded().await;
    app.save(&[embargoed(&app)]);
    let base = accredit(&app, "Ana Ruiz");
    let path = format!("{base}feed.json");
    let r = app.get(&path).await;
    let etag = header(r.headers(), "etag").to_owned();
    let last_modified = header(r.headers(), "last-modified").to_owned();
    assert!(!last_modified.is_empty());

    let r = app.get_with(&path, &[("If-None-Match", &etag)]).await;
    assert_eq!(r.status(), 304);
    assert_eq!(header(r.headers(), "cache-control"), "private, no-store");
    let r = app
        .get_with(&path, &[("If-Modified-Since", &last_modified)])
        .await;
    assert_eq!(r.status(), 304);

    // Editing the scheduled release changes nothing public, but this feed.
    app.clock.advance(Duration::seconds(5));
    app.save(&[ReleaseInput {
        title: "Quarterly trade figures, revised".into(),
        ..embargoed(&app)
    }]);
    let r = app.get_with(&path, &[("If-None-Match", &etag)]).await;
    assert_eq!(r.status(), 200);
    let r = app
        .get_with(&path, &[("If-Modified-Since", &last_modified)])
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("revised"));
}

#[tokio::test]
async fn unknown_revoked_and_malformed_tokens_get_404() {
    let app = seeded().await;
    app.save(&[embargoed(&app)]);
    let base = accredit(&app, "Ana Ruiz");
    assert_eq!(app.get(&format!("{base}feed.rss")).await.status(), 200);

    let unknown = format!("/private/{}/feed.rss", "0".repeat(64));
    assert_eq!(app.get(&unknown).await.status(), 404);
    assert_eq!(app.get("/private/x/feed.rss").await.status(), 404);
    assert_eq!(app.get(&format!("{base}feed.xml")).await.status(), 404);
    assert_eq!(
        app.get(&format!("{base}topics/no-such-topic/feed.rss"))
            .await
            .status(),
        404
    );

    let out = app.run_cli(&["revoke-accreditation", "Ana Ruiz"]);
    assert!(out.status.success());
    let r = app.get(&format!("{base}feed.rss")).await;
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains("trade"));

    // Revoking twice says so; the same name may be accredited again, with
    // a new URL (the old one stays dead).
    assert!(
        !app.run_cli(&["revoke-accreditation", "Ana Ruiz"])
            .status
            .success()
    );
    let again = accredit(&app, "Ana Ruiz");
    assert_ne!(again, base);
    assert_eq!(app.get(&format!("{again}feed.rss")).await.status(), 200);
    assert_eq!(app.get(&format!("{base}feed.rss")).await.status(), 404);
    // One active accreditation per name.
    assert!(
        !app.run_cli(&["accredit", "Ana Ruiz", "--outlet", "Other"])
            .status
            .success()
    );
}

#[tokio::test]
async fn the_newsroom_learns_who_saw_a_release_before_its_embargo() {
    let app = seeded().await;
    app.save(&[embargoed(&app)]);
    let ana = accredit(&app, "Ana Ruiz");
    let ben = accredit(&app, "Ben Okafor");
    let _cy = accredit(&app, "Cy Tan");
    let id = app
        .store()
        .release_by_slug("trade-figures")
        .unwrap()
        .expect("stored")
        .id;
    let reach = |app: &TestApp| app.store().embargo_reach(&[id]).unwrap()[&id];
    assert_eq!(reach(&app).seen_before, 0);
    assert_eq!(reach(&app).accredited, 3);

    app.get(&format!("{ana}feed.atom")).await;
    app.get(&format!("{ana}feed.rss")).await;
    assert_eq!(reach(&app).seen_before, 1, "counted once per journalist");

    app.clock.advance(Duration::hours(1));
    app.get(&format!("{ben}feed.atom")).await;
    assert_eq!(reach(&app).seen_before, 1, "Ben saw it after the embargo");

    let records = app.store().accreditations().unwrap();
    let ana_record = records.iter().find(|a| a.name == "Ana Ruiz").unwrap();
    assert_eq!(ana_record.fetches, 2);
    let fetches = app.store().private_fetches(ana_record.id, 10).unwrap();
    let documents: Vec<&str> = fetches.iter().map(|(_, d, _)| d.as_str()).collect();
    assert_eq!(documents, ["/feed.rss", "/feed.atom"]);
}

#[tokio::test]
async fn embargoed_attachments_reach_journalists_through_their_own_urls_only() {
    let app = seeded().await;
    let api = crate::media::token(&app);
    let pdf = crate::media::pdf(2000);
    let up = crate::media::uploaded(
        &app,
        &api,
        &[("file", Some("statement.pdf"), Some("application/pdf"), &pdf)],
    )
    .await;
    let sha = up["sha256"].as_str().unwrap().to_owned();
    let public = up["url"].as_str().unwrap().replace("http://press.test", "");
    let mut release = serde_json::to_value(embargoed(&app)).unwrap();
    release["attachments"] = serde_json::json!([{"sha256": sha, "caption": "Signed statement"}]);
    app.save(&[serde_json::from_value(release).unwrap()]);
    let base = accredit(&app, "Ana Ruiz");

    assert_eq!(app.get(&public).await.status(), 404, "not public yet");
    for path in ["/feed.atom", "/feed.rss", "/feed.json", "/", "/topics.opml"] {
        assert!(
            !app.text(path).await.contains(&sha),
            "{path} names the file"
        );
    }
    let feed = app.text(&format!("{base}feed.atom")).await;
    let private = public.replacen("/media/", &format!("{base}media/"), 1);
    assert!(
        feed.contains(&format!("http://press.test{private}")),
        "{feed}"
    );
    assert!(!feed.contains(&format!("http://press.test{public}")));
    let r = app.get(&private).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(r.headers(), "cache-control"), "private, no-store");
    assert!(header(r.headers(), "x-robots-tag").contains("noindex"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf.as_slice());
    // A hash no published release uses is not served, even privately.
    let other = format!("{base}media/{}/statement.pdf", "a".repeat(64));
    assert_eq!(app.get(&other).await.status(), 404);

    assert!(
        app.run_cli(&["revoke-accreditation", "Ana Ruiz"])
            .status
            .success()
    );
    assert_eq!(app.get(&private).await.status(), 404, "revoked");

    app.clock.advance(Duration::hours(1));
    assert_eq!(app.get(&public).await.status(), 200, "public once lifted");
}

#[tokio::test]
async fn a_journalist_polling_in_a_tight_loop_queues_with_public_renders_and_is_told_to_wait() {
    // Private documents are rendered for every request; they must take the
    // same bounded render slots as public feeds, not the blocking pool
    // without limit.
    let app = crate::helpers::spawn_app_with(|s| {
        s.render_queue = 1;
        s.cache_bytes = 1;
        s.cache_dir_bytes = 0;
    })
    .await;
    app.save(&[crate::helpers::release("a", 2, &["alpha"]), embargoed(&app)]);
    let base = accredit(&app, "Ana Ruiz");
    let held = crate::overload::hold_every_render_slot(&app).await;

    let queued = tokio::spawn({
        let client = app.client.clone();
        let url = app.url(&format!("{base}feed.atom"));
        async move { client.get(url).send().await.unwrap() }
    });
    crate::overload::wait_for_a_queued_render(&app).await;
    // The queue is full: the next private fetch and a public render are
    // both told to come back.
    let refused = app.get(&format!("{base}topics/alpha/feed.rss")).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(header(refused.headers(), "retry-after"), "1");
    assert_eq!(app.get("/topics/alpha/feed.atom").await.status(), 503);

    drop(held);
    let first = queued.await.unwrap();
    assert_eq!(first.status(), 200, "the queued fetch is served");
    assert_eq!(
        header(first.headers(), "cache-control"),
        "private, no-store"
    );
    assert!(first.text().await.unwrap().contains("EMBARGOED"));
    assert_eq!(
        app.get(&format!("{base}topics/alpha/feed.rss"))
            .await
            .status(),
        200,
        "served normally afterwards"
    );
}
