//! Translations (issue 14): `translation_of` through the API, the import
//! and the newsroom form; refusals; hreflang links on pages and in Atom
//! entries, only to translations readers can see; the public interface in
//! the page's language (Arabic right to left, English unchanged).

use crate::admin_support::*;
use crate::helpers::{TestApp, header, release, spawn_app, t0};
use chrono::Duration;
use pressfeed::domain::ReleaseInput;
use serde_json::{Value, json};

fn token(app: &TestApp) -> String {
    let out = app.run_cli(&["create-token", "translator"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn api(app: &TestApp, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn api_release(slug: &str, lang: &str, of: Option<&str>, topics: &[&str]) -> Value {
    let mut v = json!({
        "slug": slug,
        "title": format!("Title of {slug}"),
        "body_html": "<p>Body.</p>",
        "organization": "Office",
        "lang": lang,
        "published_at": "2026-03-01T11:00:00Z",
        "topics": topics,
    });
    if let Some(of) = of {
        v["translation_of"] = json!(of);
    }
    v
}

/// The one message the API gave for `translation_of`.
fn translation_error(body: &Value) -> String {
    let errors = body["errors"].as_array().expect("errors listed");
    errors
        .iter()
        .find(|e| e["field"] == "translation_of")
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no translation_of error in {body}"))
        .to_owned()
}

fn translated(slug: &str, lang: &str, of: &str) -> ReleaseInput {
    ReleaseInput {
        lang: lang.into(),
        title: format!("عنوان {slug}"),
        translation_of: Some(of.into()),
        topics: Vec::new(),
        ..release(slug, 1, &[])
    }
}

/// Every `<link rel="alternate" hreflang=…>` of a document: (lang, href).
fn hreflang_links(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in doc.split("<link ").skip(1) {
        let tag = &part[..part.find('>').unwrap_or(part.len())];
        let attr = |name: &str| {
            tag.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next())
                .map(str::to_owned)
        };
        if let (Some(lang), Some(href)) = (attr("hreflang"), attr("href")) {
            out.push((lang, href));
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_api_stores_a_translation_with_its_originals_topics_and_refuses_bad_links() {
    let app = spawn_app().await;
    let token = token(&app);
    let path = "/api/v1/releases?create_topics=true";
    let (status, _) = api(
        &app,
        &token,
        "POST",
        path,
        api_release("budget", "en", None, &["economy"]),
    )
    .await;
    assert_eq!(status, 201);
    let (status, body) = api(
        &app,
        &token,
        "POST",
        path,
        api_release("budget-ar", "ar", Some("budget"), &[]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["translation_of"], "budget");
    assert_eq!(body["topics"], json!(["economy"]), "the original's topics");
    // Given topics win over the original's.
    let (status, body) = api(
        &app,
        &token,
        "POST",
        path,
        api_release("budget-fr", "fr", Some("budget-ar"), &["europe"]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["topics"], json!(["europe"]));
    let (status, list) = api(&app, &token, "GET", "/api/v1/releases?lang=ar", Value::Null).await;
    assert_eq!(status, 200, "{list}");
    assert!(
        list.to_string().contains("\"translation_of\":\"budget\""),
        "{list}"
    );

    let before = exported(&app);
    let cases = [
        (
            api_release("budget-de", "de", Some("nowhere"), &[]),
            "names no release",
        ),
        (
            api_release("budget-de", "de", Some("budget-de"), &[]),
            "itself",
        ),
        (
            api_release("budget-ar2", "ar", Some("budget"), &[]),
            "\"ar\"",
        ),
    ];
    for (input, expected) in cases {
        let (status, body) = api(&app, &token, "POST", path, input).await;
        assert_eq!(status, 422, "{body}");
        let message = translation_error(&body);
        assert!(message.contains(expected), "{message}");
    }
    // A cycle: budget (the original of budget-ar) made a translation of
    // budget-fr, which is a translation of budget-ar.
    let (status, body) = api(
        &app,
        &token,
        "PUT",
        "/api/v1/releases/budget",
        api_release("budget", "en", Some("budget-fr"), &["economy"]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(translation_error(&body).contains("cycle"), "{body}");
    assert_eq!(exported(&app), before, "a refused write changes nothing");

    // Every page of the set links every other: A←B←C is one set.
    let page = app.text("/releases/budget-fr").await;
    let links = hreflang_links(&page);
    assert_eq!(
        links,
        vec![
            ("ar".into(), "http://press.test/releases/budget-ar".into()),
            ("en".into(), "http://press.test/releases/budget".into()),
            ("fr".into(), "http://press.test/releases/budget-fr".into()),
        ]
    );
    assert_eq!(hreflang_links(&app.text("/releases/budget").await), links);

    // A PUT without the link takes the release out of the set.
    let (status, body) = api(
        &app,
        &token,
        "PUT",
        "/api/v1/releases/budget-fr",
        api_release("budget-fr", "fr", None, &["europe"]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(hreflang_links(&app.text("/releases/budget-fr").await).is_empty());
    assert_eq!(hreflang_links(&app.text("/releases/budget").await).len(), 2);
}

#[tokio::test]
async fn import_links_a_translation_given_before_its_original_and_export_keeps_it() {
    let app = spawn_app().await;
    let ar = serde_json::to_value(translated("statement-ar", "ar", "statement")).unwrap();
    let en = serde_json::to_value(release("statement", 2, &["health"])).unwrap();
    app.import_in_another_process(&[ar, en]);
    let stored = app
        .store()
        .release_by_slug("statement-ar")
        .unwrap()
        .unwrap();
    assert_eq!(stored.translation_of.as_deref(), Some("statement"));
    let topics: Vec<_> = stored.topics.iter().map(|t| t.slug.as_str()).collect();
    assert_eq!(topics, ["health"], "the original's topics");
    let export = exported(&app);
    assert!(
        export.contains("\"translation_of\":\"statement\""),
        "{export}"
    );

    // A bad link in a file is reported by line, and nothing is written.
    let file = app.dir.path().join("bad.jsonl");
    let bad = serde_json::to_string(&translated("other-ar", "ar", "statement")).unwrap();
    let fine = serde_json::to_string(&release("fine", 1, &[])).unwrap();
    std::fs::write(&file, format!("{fine}\n{bad}\n")).unwrap();
    let out = app.run_cli(&["import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl:2:") && err.contains("\"ar\""),
        "{err}"
    );
    assert!(app.store().release_by_slug("fine").unwrap().is_none());
}

#[tokio::test]
async fn the_form_links_a_translation_and_keeps_the_typed_form_on_a_bad_link() {
    let app = spawn_newsroom().await;
    app.save(&[release("original", 2, &["health"])]);
    let csrf = sign_in(&app).await;
    let mut f = vec![
        ("csrf", csrf.as_str()),
        ("title", "بيان عن الصحة"),
        ("slug", "original-ar"),
        ("body", "نص **البيان**."),
        ("organization", "الوزارة"),
        ("lang", "ar"),
        ("translation_of", "no-such-release"),
        ("action", "publish"),
    ];
    let res = post_form(&app, "/admin/releases/new", &f).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("names no release"), "{page}");
    assert_eq!(
        input_value(&page, "title").as_deref(),
        Some("بيان عن الصحة")
    );
    assert_eq!(
        input_value(&page, "translation_of").as_deref(),
        Some("no-such-release")
    );
    assert_eq!(textarea(&page, "body").as_deref(), Some("نص **البيان**."));
    assert!(
        app.store()
            .release_by_slug("original-ar")
            .unwrap()
            .is_none()
    );

    f.retain(|(k, _)| *k != "translation_of");
    f.push(("translation_of", "original"));
    let res = post_form(&app, "/admin/releases/new", &f).await;
    assert_eq!(res.status(), 303);
    let id = edit_id(&res);
    let stored = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(stored.translation_of.as_deref(), Some("original"));
    assert_eq!(
        stored.topics[0].slug, "health",
        "no topic ticked: the original's"
    );
    let form = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert_eq!(
        input_value(&form, "translation_of").as_deref(),
        Some("original")
    );
    let page = app.text("/releases/original").await;
    assert!(
        hreflang_links(&page)
            .contains(&("ar".into(), "http://press.test/releases/original-ar".into())),
        "{page}"
    );
}

#[tokio::test]
async fn an_arabic_page_is_right_to_left_in_arabic_and_switches_to_english() {
    let app = spawn_app().await;
    app.save(&[
        release("en-page", 2, &["health"]),
        translated("ar-page", "ar", "en-page"),
    ]);
    let ar = app.text("/releases/ar-page").await;
    assert!(ar.contains("<html lang=\"ar\" dir=\"rtl\">"), "{ar}");
    assert!(ar.contains("<p class=\"kind\">بيان صحفي</p>"), "{ar}");
    assert!(ar.contains("المواضيع:"), "{ar}");
    // 12:00 UTC on 1 March 2026, an hour before t0, in Arabic.
    assert!(ar.contains("1 مارس 2026، الساعة 11:00 UTC"), "{ar}");
    assert!(
        ar.contains(
            "<a href=\"/releases/en-page\" hreflang=\"en\" lang=\"en\" dir=\"ltr\">English</a>"
        ),
        "{ar}"
    );
    assert!(
        ar.contains(">العربية</span>"),
        "its own language, not linked: {ar}"
    );
    // The layout mirrors by itself: the stylesheet says start and end,
    // never left and right.
    let css_href = ar
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a stylesheet");
    let css = app.text(css_href).await;
    assert!(css.contains("inline-start"), "{css}");
    assert!(!css.contains("left") && !css.contains("right"), "{css}");
    let en = app.text("/releases/en-page").await;
    assert!(en.contains("<html lang=\"en\" dir=\"ltr\">"), "{en}");
    assert!(
        en.contains(
            "<a href=\"/releases/ar-page\" hreflang=\"ar\" lang=\"ar\" dir=\"rtl\">العربية</a>"
        ),
        "{en}"
    );
    assert!(en.contains("<p class=\"kind\">Press release</p>"), "{en}");
}

#[tokio::test]
async fn a_retracted_arabic_release_says_so_in_arabic() {
    let app = spawn_app().await;
    let mut gone = translated("gone-ar", "ar", "gone-en");
    gone.status = Some("retracted".into());
    gone.organization = "وزارة الصحة".into();
    app.save(&[release("gone-en", 2, &[]), gone]);
    let res = app.get("/releases/gone-ar").await;
    assert_eq!(res.status(), 410);
    let page = res.text().await.unwrap();
    assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">"), "{page}");
    assert!(page.contains("<p class=\"kind\">مسحوب</p>"), "{page}");
    assert!(
        page.contains("سحبت <span lang=\"ar\" dir=\"rtl\">وزارة الصحة</span> هذا البيان الصحفي"),
        "{page}"
    );
    // The English original is still published, and links no retracted page.
    let en = app.text("/releases/gone-en").await;
    assert!(!en.contains("gone-ar") && !en.contains("hreflang"), "{en}");
}

#[tokio::test]
async fn an_english_page_without_translations_is_as_before() {
    let app = spawn_app().await;
    app.save(&[release("plain", 2, &["health"])]);
    let page = app.text("/releases/plain").await;
    assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(page.contains("<p class=\"kind\">Press release</p>"));
    assert!(page.contains("1 March 2026, 10:00 UTC"), "{page}");
    assert!(page.contains("<p class=\"tags\">Topics: "));
    assert!(page.contains(">Latest</a>") && page.contains("<p>Subscribe: "));
    assert!(!page.contains("hreflang"), "no translations, no links");
    assert!(!page.contains("class=\"languages\""));
    let home = app.text("/").await;
    assert!(
        home.contains("<h2>Latest releases</h2>")
            && home.contains("<html lang=\"en\" dir=\"ltr\">")
    );
}

#[tokio::test]
async fn the_site_pages_speak_the_sites_language() {
    let app = crate::helpers::spawn_app_with(|s| s.site_lang = "ar".into()).await;
    app.save(&[release("one", 2, &["health"])]);
    let home = app.text("/").await;
    assert!(home.contains("<html lang=\"ar\" dir=\"rtl\">"), "{home}");
    assert!(home.contains("<h2>أحدث البيانات</h2>"), "{home}");
    assert!(home.contains("تصفّح حسب الشهر: مارس 2026"), "{home}");
    let month = app.text("/archive/2026/03/").await;
    assert!(
        month.contains("<h1>مارس 2026</h1>") && month.contains("هذا الشهر كخلاصة:"),
        "{month}"
    );
    assert!(app.text("/topics").await.contains("<h1>المواضيع</h1>"));
    let search = app.text("/search?q=one").await;
    assert!(
        search.contains("<h1>بحث</h1>") && search.contains("اشترك في هذا البحث:"),
        "{search}"
    );
    // Error pages too, outside the newsroom (which is in English).
    for path in ["/releases/no-such-release", "/no/such/page"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404);
        let page = res.text().await.unwrap();
        assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">"), "{page}");
        assert!(page.contains("لا يوجد شيء منشور على هذا العنوان."), "{page}");
        assert!(page.contains(">أحدث البيانات</a>"), "{page}");
    }
    let admin = app.get("/admin/no-such-page").await.text().await.unwrap();
    assert!(!admin.contains("lang=\"ar\""), "{admin}");
    // A release in English keeps an English interface on its own page.
    let page = app.text("/releases/one").await;
    assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"), "{page}");
}

#[tokio::test]
async fn translations_readers_cannot_see_appear_nowhere_until_they_can() {
    let app = spawn_app().await;
    let later = t0() + Duration::hours(2);
    let mut draft = translated("secret-draft", "fr", "visible");
    draft.status = Some("draft".into());
    draft.title = "Draft title".into();
    let mut embargoed = translated("secret-embargo", "ar", "visible");
    embargoed.published_at = later.to_rfc3339();
    embargoed.title = "Embargoed title".into();
    // In a topic of its own: the original's topic feed must still change
    // by itself when the translation's time comes.
    embargoed.topics = vec!["gulf".into()];
    let mut withdrawn = translated("secret-retracted", "de", "visible");
    withdrawn.status = Some("retracted".into());
    withdrawn.title = "Retracted title".into();
    app.save(&[
        release("visible", 2, &["health"]),
        draft,
        embargoed,
        withdrawn,
    ]);

    // (A retracted release has its own tombstone in the Atom feeds, which
    // links its page; no entry links it as a translation.)
    let secrets = [
        "secret-draft",
        "secret-embargo",
        "Draft title",
        "Embargoed title",
        "Retracted title",
        // No hreflang link names a hidden translation's language (the
        // pages' language-feed links name only languages readers can see:
        // here English).
        "hreflang=\"fr\"",
        "hreflang=\"ar\"",
        "hreflang=\"de\"",
    ];
    for path in [
        "/releases/visible",
        "/feed.atom",
        "/topics/health/feed.atom",
        "/",
        "/topics/health",
    ] {
        let doc = app.text(path).await;
        for s in secrets {
            assert!(!doc.contains(s), "{path} shows {s:?}: {doc}");
        }
    }
    assert!(
        !app.text("/releases/visible")
            .await
            .contains("secret-retracted")
    );
    // Its time comes: the embargoed translation is linked both ways, and
    // the feed carrying the original changes validators.
    let before = app.get("/topics/health/feed.atom").await;
    let etag = header(before.headers(), "etag").to_owned();
    let last_modified = header(before.headers(), "last-modified").to_owned();
    app.clock.set(later);
    let res = app
        .get_with(
            "/topics/health/feed.atom",
            &[("If-Modified-Since", &last_modified)],
        )
        .await;
    assert_eq!(res.status(), 200, "changed since {last_modified}");
    let page = app.text("/releases/visible").await;
    assert_eq!(
        hreflang_links(&page),
        vec![
            (
                "ar".into(),
                "http://press.test/releases/secret-embargo".into()
            ),
            ("en".into(), "http://press.test/releases/visible".into()),
        ]
    );
    let feed = app.get("/topics/health/feed.atom").await;
    assert_ne!(header(feed.headers(), "etag"), etag);
    let feed = feed.text().await.unwrap();
    assert!(feed.contains(
        "<link href=\"http://press.test/releases/secret-embargo\" rel=\"alternate\" hreflang=\"ar\" type=\"text/html\"/>"
    ), "{feed}");
    let global = app.text("/feed.atom").await;
    assert!(global.contains(
        "<link href=\"http://press.test/releases/visible\" rel=\"alternate\" hreflang=\"en\" type=\"text/html\"/>"
    ), "the translation's entry links back: {global}");
    assert!(!feed.contains("secret-draft"));
    assert!(!feed.contains("hreflang=\"fr\"") && !feed.contains("hreflang=\"de\""));
}

#[tokio::test]
async fn retracting_one_translation_leaves_the_others_and_moves_their_feeds() {
    let app = spawn_app().await;
    // Different topics: the Arabic one is only in "gulf".
    let mut ar = translated("news-ar", "ar", "news");
    ar.topics = vec!["gulf".into()];
    app.save(&[release("news", 2, &["health"]), ar]);
    let feed = app.get("/topics/health/feed.atom").await;
    let etag = header(feed.headers(), "etag").to_owned();
    assert!(feed.text().await.unwrap().contains("hreflang=\"ar\""));

    app.clock.advance(Duration::seconds(5));
    let id = app.store().release_id_by_slug("news-ar").unwrap().unwrap();
    pressfeed::service::retract_release(app.store(), id, "withdrawn", app.clock.now()).unwrap();
    assert_eq!(app.get("/releases/news-ar").await.status(), 410);
    assert_eq!(
        app.get("/releases/news").await.status(),
        200,
        "not retracted"
    );
    let page = app.text("/releases/news").await;
    assert!(
        !page.contains("news-ar") && !page.contains("hreflang"),
        "{page}"
    );
    let res = app
        .get_with("/topics/health/feed.atom", &[("If-None-Match", &etag)])
        .await;
    assert_eq!(res.status(), 200, "the original's topic feed lost its link");
    assert!(!res.text().await.unwrap().contains("hreflang"));
}
