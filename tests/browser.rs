//! The newsroom in a real browser: headless Chromium driven over WebDriver
//! (chromedriver), against the real app on a random port with a manual
//! clock. Skips, saying why, when Chromium or chromedriver is not
//! installed (Debian packages `chromium` and `chromium-driver`; `.ci/run`
//! installs them).
//!
//!     cargo test --test browser -- --nocapture
//!
//! With `PRESSFEED_UPDATE_SCREENSHOTS=1` the screenshots (the release form,
//! a scheduled release, a refused form, the sanitiser's report) are written
//! to `docs/screenshots/` (else under `target/screenshots/`).

use chrono::{Duration, TimeZone, Utc};
use fantoccini::{Client, ClientBuilder, Locator};
use pressfeed::clock::Clock;
use pressfeed::config::Settings;
use pressfeed::startup::Application;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const CHROMIUM: &str = "/usr/bin/chromium";
const USER: &str = "editor";
const PASSWORD: &str = "a long newsroom password";

fn chromedriver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// chromedriver, ended when the test ends (also on panic).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_driver(path: &Path) -> (Driver, String) {
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let url = format!("http://127.0.0.1:{port}");
    pressfeed::websub::install_tls_provider();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{url}/status")).send().await
            && r.status().is_success()
        {
            return (driver, url);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {url} within 10 s");
}

async fn browser(driver_url: &str, profile: &Path) -> Client {
    let args = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--lang=en-US".to_owned(),
        "--window-size=1280,1800".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!("a JSON object")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver_url)
        .await
        .expect("a WebDriver session")
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.expect(css);
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("typing");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

async fn value_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

/// Waits until the page's address has `query`: an element of the next page
/// may already be on the current one, so the address says the submit landed.
async fn wait_for_query(c: &Client, query: &str) {
    for _ in 0..100 {
        if c.current_url().await.expect("url").query() == Some(query) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "the address never got ?{query}: {}",
        c.current_url().await.expect("url")
    );
}

/// Sets the `datetime-local` "Publish at" field (typing into it depends on
/// the browser's locale).
async fn set_schedule(c: &Client, value: &str) {
    let schedule = c.find(Locator::Css("#schedule")).await.expect("#schedule");
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![serde_json::to_value(&schedule).unwrap(), json!(value)],
    )
    .await
    .expect("value set");
}

/// Saves the window as `name` under `docs/screenshots/` with
/// `PRESSFEED_UPDATE_SCREENSHOTS` set, else under `target/screenshots/`.
async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if std::env::var_os("PRESSFEED_UPDATE_SCREENSHOTS").is_some() {
        root.join("docs/screenshots")
    } else {
        root.join("target/screenshots")
    };
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, &png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

async fn page_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .expect("body")
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newsroom_in_a_real_browser() {
    let Some(driver_path) = chromedriver().filter(|_| Path::new(CHROMIUM).exists()) else {
        eprintln!(
            "SKIPPED the_newsroom_in_a_real_browser: {CHROMIUM} or chromedriver is missing \
             (apt-get install chromium chromium-driver)"
        );
        return;
    };

    // The app: a temporary database, a manual clock, the office in Paris.
    // With PRESSFEED_TEST_POSTGRES (CI's pg-suite), a schema of its own on
    // that PostgreSQL server, media beside the temporary folder's files.
    let dir = tempfile::tempdir().unwrap();
    let db = match std::env::var("PRESSFEED_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
    {
        None => dir.path().join("browser.db"),
        Some(server) => {
            let schema = format!("browser_{}", std::process::id());
            let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
                .await
                .expect("the test PostgreSQL server answers");
            tokio::spawn(connection);
            client
                .batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))
                .await
                .expect("a schema for the test");
            let sep = if server.contains('?') { '&' } else { '?' };
            PathBuf::from(format!("{server}{sep}options=-c%20search_path%3D{schema}"))
        }
    };
    let settings = Settings {
        media_dir: Some(dir.path().join("browser.db-media")),
        cache_dir: Some(dir.path().join("browser.db-cache")),
        session_key_file: Some(dir.path().join("session.key")),
        db,
        bind: "127.0.0.1:0".into(),
        base_url: Some("http://press.test".into()),
        timezone: "Europe/Paris".into(),
        workers: 2,
        db_pool: 4,
        ..Default::default()
    };
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let clock = Clock::manual(t0);
    let app = Application::build(settings, clock.clone()).expect("app builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    pressfeed::service::create_admin(&state.store, USER, PASSWORD, t0).expect("admin");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let feed = |path: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            http.get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };

    let (_driver, driver_url) = start_driver(&driver_path).await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver_url, profile.path()).await;

    // Sign in: /admin sends a stranger to the sign-in page.
    c.goto(&format!("{base}/admin")).await.unwrap();
    wait_for(&c, "#username").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/admin/login");
    fill(&c, "#username", USER).await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#sign-in").await;
    wait_for(&c, "#sign-out").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/admin");

    // A release in two topics, published now.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "Minister opens the new harbour").await;
    fill(&c, "#summary", "The harbour doubles the port's capacity.").await;
    fill(
        &c,
        "#body",
        "The **new harbour** opened today.\n\nIt took four years to build.\n\n\\# # #",
    )
    .await;
    fill(&c, "#dateline", "Portville").await;
    fill(&c, "#new_topics", "Transport, Economy").await;
    click(&c, "#action-publish").await;
    wait_for(&c, ".flash").await;
    let url = c.current_url().await.unwrap();
    assert!(url.path().ends_with("/edit"), "{url}");
    assert_eq!(url.query(), Some("done=published"));
    for path in [
        "/feed.atom",
        "/topics/transport/feed.atom",
        "/topics/economy/feed.atom",
    ] {
        assert!(
            feed(path).await.contains("Minister opens the new harbour"),
            "{path}"
        );
    }
    c.goto(&format!("{base}/releases/minister-opens-the-new-harbour"))
        .await
        .unwrap();
    assert!(page_text(&c).await.contains("It took four years to build."));

    // A missing title: the error shows and the body text is still there.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    let long_body =
        "Every word of this long body must survive a validation error.\n\n".repeat(20) + "The end.";
    fill(&c, "#body", &long_body).await;
    click(&c, "#action-publish").await;
    let error = wait_for(&c, "#title-error").await;
    assert_eq!(error.text().await.unwrap(), "A title is required");
    assert_eq!(value_of(&c, "#body").await, long_body);

    // The release form, for the README.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "Harbour traffic up 40% in the first month").await;
    fill(
        &c,
        "#summary",
        "Container traffic through the new harbour rose by 40% in March.",
    )
    .await;
    fill(
        &c,
        "#body",
        "Container traffic through the **new harbour** rose by 40% in its first month, \
         the Ministry of Transport said on Monday.\n\n\"The figures exceed our forecasts,\" \
         the minister said.\n\n\\# # #",
    )
    .await;
    fill(&c, "#department", "Press Office").await;
    fill(&c, "#dateline", "Portville").await;
    click(&c, "input[name=topics][value=transport]").await;
    screenshot(&c, "release-form.png").await;

    // Embargo safety (issue 10, item 1): "Publish now" pressed with a
    // future "Publish at" publishes nothing; the page names the time and
    // scheduling becomes the default, which Enter in the title submits.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "Christmas opening hours").await;
    fill(
        &c,
        "#body",
        "The harbour office opens at 10:00 on 24 December.",
    )
    .await;
    set_schedule(&c, "2026-12-24T09:00").await;
    click(&c, "#action-publish").await;
    wait_for(&c, "#action-publish-now").await;
    let text = page_text(&c).await;
    assert!(
        text.contains("Not published: “Publish at” says 24 Dec 2026, 09:00 CET (08:00 UTC)"),
        "{text}"
    );
    assert!(!feed("/feed.atom").await.contains("Christmas opening hours"));
    assert_eq!(value_of(&c, "#schedule").await, "2026-12-24T09:00");
    let default = c
        .find(Locator::Css("#release-form button[type=submit]"))
        .await
        .unwrap();
    assert_eq!(
        default.text().await.unwrap(),
        "Schedule for 24 Dec 2026, 09:00 CET"
    );
    c.find(Locator::Css("#title"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    wait_for_query(&c, "done=scheduled").await;
    wait_for(&c, "#schedule-note").await;
    let text = page_text(&c).await;
    assert!(
        text.contains(
            "Scheduled: appears by itself at 24 Dec 2026, 09:00 CET (08:00 UTC), in 297 days 20 hours."
        ),
        "{text}"
    );
    assert!(!feed("/feed.atom").await.contains("Christmas opening hours"));
    screenshot(&c, "release-scheduled.png").await;

    // Item 2: "Save draft" keeps the typed time, as planned.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "Draft with a plan").await;
    fill(&c, "#body", "Not decided yet.").await;
    set_schedule(&c, "2026-04-02T10:30").await;
    click(&c, "#action-draft").await;
    wait_for_query(&c, "done=draft").await;
    wait_for(&c, "#schedule-note").await;
    assert_eq!(value_of(&c, "#schedule").await, "2026-04-02T10:30");
    assert!(
        page_text(&c)
            .await
            .contains("Planned for 2 Apr 2026, 10:30 CEST")
    );

    // Item 3: "Schedule" without a time gets the banner at the top, like
    // every other refusal, and the message beside the field.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "No time given").await;
    fill(&c, "#body", "Every word stays.").await;
    click(&c, "#action-schedule").await;
    let banner = wait_for(&c, ".flash.alert").await;
    assert_eq!(
        banner.text().await.unwrap(),
        "Nothing was saved: please correct the fields marked below."
    );
    assert_eq!(
        wait_for(&c, "#schedule-error").await.text().await.unwrap(),
        "Choose the date and time to publish at"
    );
    assert_eq!(value_of(&c, "#body").await, "Every word stays.");
    screenshot(&c, "release-error.png").await;

    // Item 6: what the sanitiser removed is said, and the body box shows
    // the body as stored.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "Pasted from elsewhere").await;
    fill(
        &c,
        "#body",
        "Read the **report**.\n\n<script>alert('x')</script>\n\n\
         Download it [here](javascript:alert(1)) or <a href=\"https://example.org/\">there</a>.",
    )
    .await;
    click(&c, "#action-draft").await;
    let report = wait_for(&c, "#sanitiser-report").await;
    assert!(
        report
            .text()
            .await
            .unwrap()
            .contains("1 script and 1 unsafe link were removed"),
        "{}",
        report.text().await.unwrap()
    );
    // The box keeps the Markdown, without what was removed.
    let stored = value_of(&c, "#body").await;
    assert!(
        !stored.contains("script") && !stored.contains("javascript"),
        "{stored}"
    );
    assert!(stored.starts_with("Read the **report**."), "{stored}");
    screenshot(&c, "release-sanitised.png").await;

    // Scheduled one minute ahead (13:01 in Paris is 12:01 UTC): not in the
    // feed yet; it appears by itself when the clock gets there.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "Embargoed: harbour figures").await;
    fill(&c, "#body", "Figures under embargo until 13:01.").await;
    c.find(Locator::Css("input[name=topics][value=transport]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    set_schedule(&c, "2026-03-01T13:01").await;
    click(&c, "#action-schedule").await;
    wait_for(&c, ".flash").await;
    let edit_url = c.current_url().await.unwrap();
    assert_eq!(edit_url.query(), Some("done=scheduled"), "{edit_url}");
    assert!(page_text(&c).await.contains("1 Mar 2026, 13:01 CET"));
    assert!(
        !feed("/feed.atom")
            .await
            .contains("Embargoed: harbour figures")
    );
    clock.advance(Duration::minutes(2));
    assert!(
        feed("/feed.atom")
            .await
            .contains("Embargoed: harbour figures")
    );
    assert!(
        feed("/topics/transport/feed.atom")
            .await
            .contains("Embargoed: harbour figures")
    );

    // Retract it (with confirmation): its page turns 410 Gone.
    c.goto(edit_url.as_str()).await.unwrap();
    click(&c, "#retract").await;
    wait_for(&c, "#confirm-retract").await;
    // The red button stands well apart from Cancel.
    let rect = |css: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("{css}: {e}"))
                .rectangle()
                .await
                .unwrap()
        }
    };
    let (cancel_x, _, cancel_w, _) = rect("#cancel-retract").await;
    let (retract_x, _, _, _) = rect("#confirm-retract").await;
    let gap = retract_x - (cancel_x + cancel_w);
    assert!(gap >= 48.0, "Cancel and Retract are {gap:.0} px apart");
    fill(
        &c,
        "#retraction_note",
        "Published before the embargo was lifted.",
    )
    .await;
    click(&c, "#confirm-retract").await;
    wait_for_query(&c, "done=retracted").await;
    wait_for(&c, ".flash").await;
    let page = http
        .get(format!("{base}/releases/embargoed-harbour-figures"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    c.goto(&format!("{base}/releases/embargoed-harbour-figures"))
        .await
        .unwrap();
    let text = page_text(&c).await;
    assert!(
        text.contains("Published before the embargo was lifted."),
        "{text}"
    );
    assert!(
        !feed("/feed.atom")
            .await
            .contains("Embargoed: harbour figures")
    );

    // An Arabic translation of the first release, from the form: its page
    // reads right to left (the masthead starts on the right) in Arabic,
    // and its language switch leads to the English original.
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "الوزير يفتتح الميناء الجديد").await;
    fill(&c, "#slug", "harbour-ar").await;
    fill(&c, "#body", "افتُتح **الميناء الجديد** اليوم.").await;
    c.find(Locator::Css("#lang"))
        .await
        .unwrap()
        .select_by_value("ar")
        .await
        .unwrap();
    fill(&c, "#translation_of", "minister-opens-the-new-harbour").await;
    click(&c, "#action-publish").await;
    wait_for_query(&c, "done=published").await;
    c.goto(&format!("{base}/releases/harbour-ar"))
        .await
        .unwrap();
    wait_for(&c, "nav.languages").await;
    let text = page_text(&c).await;
    assert!(
        text.contains("بيان صحفي") && text.contains("English"),
        "{text}"
    );
    let (brand_x, ..) = rect(".brand").await;
    let (nav_x, ..) = rect(".masthead nav").await;
    assert!(
        brand_x > nav_x,
        "right to left: the site name comes first on the right"
    );
    screenshot(&c, "release-arabic.png").await;
    click(&c, "nav.languages a[hreflang=en]").await;
    // (The browser may show its copy from before the translation, which
    // pages' max-age of 60 s allows: no switch yet, same layout.)
    wait_for(&c, ".release").await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        "/releases/minister-opens-the-new-harbour"
    );
    let (brand_x, ..) = rect(".brand").await;
    let (nav_x, ..) = rect(".masthead nav").await;
    assert!(brand_x < nav_x, "left to right on the English page");

    // Attachments (issue 15): a photo and a PDF chosen in the plain file
    // input. The photo needs alt text, so the form comes back with both
    // files kept; described, it publishes, and the page and the feed show
    // them.
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("harbour.png");
    image::RgbImage::from_pixel(8, 6, image::Rgb([20, 90, 160]))
        .save(&photo)
        .unwrap();
    let statement = files.path().join("statement.pdf");
    std::fs::write(
        &statement,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    )
    .unwrap();
    c.goto(&format!("{base}/admin/releases/new")).await.unwrap();
    wait_for(&c, "#release-form").await;
    fill(&c, "#title", "Harbour photos").await;
    fill(&c, "#body", "Pictures of the new harbour.").await;
    c.find(Locator::Css("#files"))
        .await
        .unwrap()
        .send_keys(&format!("{}\n{}", photo.display(), statement.display()))
        .await
        .unwrap();
    click(&c, "#action-publish").await;
    wait_for(&c, "#alt-1").await;
    let text = page_text(&c).await;
    assert!(
        text.contains("“harbour.png” is an image: it needs alt text"),
        "{text}"
    );
    assert_eq!(value_of(&c, "#title").await, "Harbour photos");
    fill(&c, "#alt-1", "Cranes at the new harbour").await;
    fill(&c, "#caption-1", "The harbour at dawn").await;
    click(&c, "#lead-1").await;
    click(&c, "#action-publish").await;
    wait_for_query(&c, "done=published").await;
    c.goto(&format!("{base}/releases/harbour-photos"))
        .await
        .unwrap();
    wait_for(&c, "figure.lead-image img").await;
    let shown = c
        .execute(
            "const i = document.querySelector('figure.lead-image img'); \
             return [i.naturalWidth, i.alt, document.querySelector('figcaption').textContent];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        shown,
        json!([8, "Cranes at the new harbour", "The harbour at dawn"])
    );
    let text = page_text(&c).await;
    assert!(
        text.contains("Downloads") && text.contains("statement.pdf (PDF, 51 bytes)"),
        "{text}"
    );
    let atom = feed("/feed.atom").await;
    let enclosures: Vec<&str> = atom
        .split("<link ")
        .filter(|l| l.starts_with("rel=\"enclosure\""))
        .map(|l| &l[..l.find("/>").unwrap_or(l.len())])
        .collect();
    for name in ["harbour.png", "statement.pdf"] {
        assert!(
            enclosures
                .iter()
                .any(|l| l.contains("href=\"http://press.test/media/")
                    && l.contains(&format!("/{name}\""))),
            "{name} is no enclosure: {enclosures:?}"
        );
    }

    c.close().await.unwrap();
}
