//! Public HTML pages: status codes, autodiscovery, language and direction.

use crate::helpers::{header, release, spawn_app};
use chrono::Duration;

#[tokio::test]
async fn pages_answer_200_404_410_as_the_contract_says() {
    let app = spawn_app().await;
    let mut draft = release("a-draft", 1, &["t"]);
    draft.status = Some("draft".into());
    let mut gone = release("gone", 1, &["t"]);
    gone.status = Some("retracted".into());
    gone.retraction_note = Some("Issued in error.".into());
    let mut later = release("later", 0, &["t"]);
    later.published_at = (app.clock.now() + Duration::hours(1)).to_rfc3339();
    app.save(&[release("visible", 1, &["t"]), draft, gone, later]);

    for (path, status) in [
        ("/", 200),
        ("/releases/visible", 200),
        ("/releases/a-draft", 404),
        ("/releases/later", 404),
        ("/releases/nope", 404),
        ("/releases/gone", 410),
        ("/topics", 200),
        ("/topics/t", 200),
        ("/topics/nope", 404),
        ("/healthz", 200),
        ("/no/such/page", 404),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        if path != "/healthz" {
            assert!(
                header(r.headers(), "content-type").starts_with("text/html"),
                "{path}"
            );
        }
    }
    let gone = app.text("/releases/gone").await;
    assert!(
        gone.contains("retracted") && gone.contains("Issued in error."),
        "{gone}"
    );
    let head = app
        .client
        .head(app.url("/releases/visible"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
}

#[tokio::test]
async fn pages_carry_feed_autodiscovery() {
    let app = spawn_app().await;
    app.save(&[release("visible", 1, &["health"])]);
    let home = app.text("/").await;
    for href in [
        "http://press.test/feed.atom",
        "http://press.test/feed.rss",
        "http://press.test/feed.json",
    ] {
        assert!(
            home.contains(&format!("href=\"{href}\"")),
            "home lacks {href}"
        );
    }
    assert!(home.contains("rel=\"alternate\" type=\"application/atom+xml\""));
    assert!(home.contains("Title of visible"));
    let topic = app.text("/topics/health").await;
    assert!(topic.contains("href=\"http://press.test/topics/health/feed.atom\""));
    let page = app.text("/releases/visible").await;
    assert!(page.contains("href=\"http://press.test/topics/health/feed.atom\""));
    assert!(page.contains("<p>Body of visible.</p>"));
}

#[tokio::test]
async fn arabic_releases_are_right_to_left() {
    let app = spawn_app().await;
    let mut ar = release("arabic", 1, &["t"]);
    ar.lang = "ar".into();
    ar.title = "بيان صحفي".into();
    app.save(&[ar]);
    let page = app.text("/releases/arabic").await;
    assert!(page.contains("lang=\"ar\" dir=\"rtl\""), "{page}");
    assert!(page.contains("بيان صحفي"));
    let home = app.text("/").await;
    assert!(
        home.contains("lang=\"ar\" dir=\"rtl\">بيان صحفي</a>"),
        "{home}"
    );
}

/// The text of the element that opens at `start` (a byte offset of its
/// `<`), up to its matching close tag: enough for these pages' markup.
fn element_at(page: &str, start: usize) -> &str {
    let name: String = page[start + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let close = format!("</{name}>");
    // The next opening tag of the same name (`<a ` but not `<article`).
    let next_open = |from: usize| {
        page[from..]
            .match_indices(&format!("<{name}"))
            .map(|(p, _)| p + from)
            .find(|&p| matches!(page.as_bytes().get(p + 1 + name.len()), Some(b' ' | b'>')))
    };
    let mut depth = 0;
    let mut i = start;
    loop {
        let next_close = page[i..].find(&close).map(|p| p + i).expect("closed");
        match next_open(i + 1) {
            Some(o) if o < next_close => {
                depth += 1;
                i = o;
            }
            _ if depth > 0 => {
                depth -= 1;
                i = next_close + 1;
            }
            _ => return &page[start..next_close + close.len()],
        }
    }
}

#[tokio::test]
async fn a_release_in_another_language_marks_interface_and_release_text_apart() {
    let app = spawn_app().await;
    // Hebrew: a language the interface does not speak (Arabic does: see
    // tests/api/translations.rs), so the page's words stay the site's.
    let mut he = release("hebrew", 1, &["t"]);
    he.lang = "he".into();
    he.title = "הודעה לעיתונות".into();
    he.body_html = "<p>גוף ההודעה.</p>".into();
    he.dateline = Some("ירושלים".into());
    app.save(&[he]);
    let page = app.text("/releases/hebrew").await;
    // The page is the interface's; its <title> is the release's own and says so.
    assert!(page.contains("<html lang=\"en\" dir=\"ltr\">"), "{page}");
    assert!(
        page.contains("<title lang=\"he\" dir=\"rtl\">הודעה לעיתונות</title>"),
        "{page}"
    );
    // Exactly one element is marked Hebrew around the release's text, and no
    // interface words are inside it except times, which are marked English.
    let marked: Vec<usize> = page
        .match_indices("lang=\"he\"")
        .map(|(i, _)| page[..i].rfind('<').unwrap())
        .collect();
    let content = marked
        .iter()
        .map(|&i| element_at(&page, i))
        .find(|e| e.contains("גוף ההודעה."))
        .expect("the release text is marked Hebrew");
    assert!(content.contains("הודעה לעיתונות") && content.contains("ירושלים"));
    for interface in ["Press release", "Topics:", "Subscribe", "Latest"] {
        assert!(!content.contains(interface), "{interface:?} in {content}");
    }
    let time = content
        .find("<time")
        .expect("the date is in the release's block");
    let around = &content[..time];
    let marker = around.rfind("lang=\"").expect("the date is marked");
    assert!(
        around[marker..].starts_with("lang=\"en\""),
        "the English date is marked English: {content}"
    );

    // Same on the home page: the title is Hebrew, the date and topics are not.
    let home = app.text("/").await;
    let list = home
        .find("<ol class=\"releases\">")
        .expect("a release list");
    let li = element_at(&home, list + home[list..].find("<li").unwrap());
    assert!(!li.starts_with("<li lang=\"he\""), "{li}");
    assert!(
        li.contains("lang=\"he\" dir=\"rtl\">הודעה לעיתונות</a>"),
        "{li}"
    );

    // An English release keeps the site title in <title>, unmarked.
    app.save(&[release("english", 1, &["t"])]);
    let en = app.text("/releases/english").await;
    assert!(
        en.contains("<title>Title of english — Press releases</title>"),
        "{en}"
    );

    // A retracted Hebrew release: the interface sentence is not Hebrew.
    let mut gone = release("gone-he", 1, &["t"]);
    gone.lang = "he".into();
    gone.title = "הודעה שנמשכה".into();
    gone.status = Some("retracted".into());
    app.save(&[gone]);
    let page = app.text("/releases/gone-he").await;
    assert!(page.contains("has been retracted"), "{page}");
    let marked: Vec<&str> = page
        .match_indices("lang=\"he\"")
        .map(|(i, _)| element_at(&page, page[..i].rfind('<').unwrap()))
        .collect();
    assert!(!marked.is_empty(), "{page}");
    for e in marked {
        assert!(!e.contains("has been retracted"), "{e}");
    }
}

#[tokio::test]
async fn pages_never_build_links_from_the_host_header() {
    let app = spawn_app().await;
    app.save(&[release("visible", 1, &["t"])]);
    let r = app
        .client
        .get(app.url("/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(!body.contains("evil.example"));
    let feed = app
        .client
        .get(app.url("/feed.atom"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!feed.contains("evil.example"));
}
