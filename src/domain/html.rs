use super::text::{clean_text, is_xml_char};
use std::borrow::Cow;
use std::sync::LazyLock;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(sanitizer);

/// The allowlist every body goes through (at save, and again when its
/// relative URLs are resolved).
fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto", "tel"].into_iter().collect());
    b.link_rel(Some("noopener noreferrer"));
    // ammonia judges a URL with a control character in its scheme
    // ("jav\u{12}ascript:") as relative and keeps it; removing the
    // character afterwards (below) would then make it `javascript:`. So an
    // attribute holding a character XML forbids goes, whatever it is.
    b.attribute_filter(|_element, _attribute, value| {
        value
            .chars()
            .all(is_xml_char)
            .then_some(std::borrow::Cow::Borrowed(value))
    });
    b
}

/// Allowlist-sanitises body HTML, then strips XML-forbidden characters
/// (ammonia keeps them, and a feed must stay well-formed).
pub fn sanitize_html(html: &str) -> String {
    let clean = SANITIZER.clean(html).to_string();
    clean_text(&clean)
}

/// Sanitised body HTML with every relative `href` and `src` made absolute
/// against `base` (the release's permalink), as a reader resolves them on
/// the release's page; feeds must carry absolute URLs (RSS and JSON Feed
/// have no `xml:base`, and readers show items far from their page).
/// Bodies without a relative URL, nearly all, are returned as they are.
pub fn resolve_relative_urls<'a>(html: &'a str, base: &str) -> Cow<'a, str> {
    if !has_relative_url(html) {
        return Cow::Borrowed(html);
    }
    let Ok(base) = ammonia::Url::parse(base) else {
        return Cow::Borrowed(html);
    };
    let mut b = sanitizer();
    b.url_relative(ammonia::UrlRelative::RewriteWithBase(base));
    Cow::Owned(clean_text(&b.clean(html).to_string()))
}

/// Whether any `href="…"` or `src="…"` in sanitiser output may hold a
/// relative URL. The sanitiser keeps only http, https, mailto and tel
/// URLs besides relative ones, and always writes attributes double-quoted,
/// so a value not starting with one of those schemes is relative. Text that
/// merely looks like an attribute only costs the full pass.
fn has_relative_url(html: &str) -> bool {
    const ABSOLUTE: [&str; 4] = ["http://", "https://", "mailto:", "tel:"];
    ["href=\"", "src=\""].iter().any(|attr| {
        html.match_indices(attr).any(|(at, _)| {
            let value = &html.as_bytes()[at + attr.len()..];
            !ABSOLUTE.iter().any(|scheme| {
                value.len() >= scheme.len()
                    && value[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
            })
        })
    })
}

/// Markdown (which may contain HTML) to HTML, not yet sanitised.
fn render_markdown(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

/// Renders Markdown (which may contain HTML) and sanitises the result.
pub fn markdown_to_html(markdown: &str) -> String {
    sanitize_html(&render_markdown(markdown))
}

/// [`sanitize_html`], also saying what it removed.
pub fn sanitize_html_reporting(html: &str) -> (String, super::Removed) {
    let clean = sanitize_html(html);
    let kept = SANITIZER.clone_tags();
    let removed = super::Removed::between(html, &clean, |t| kept.contains(t));
    (clean, removed)
}

/// [`markdown_to_html`], also saying what the sanitiser removed.
pub fn markdown_to_html_reporting(markdown: &str) -> (String, super::Removed) {
    sanitize_html_reporting(&render_markdown(markdown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_executable_markup() {
        let out = sanitize_html(
            r#"<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(1)">l</a><iframe src="//e"></iframe>&#1;</p>"#,
        );
        assert!(!out.contains("script"), "{out}");
        assert!(!out.contains("onclick"), "{out}");
        assert!(!out.contains("javascript:"), "{out}");
        assert!(!out.contains("iframe"), "{out}");
        assert!(out.contains("<p>Hi"), "{out}");
    }

    /// Found by `fuzz/run.sh` (target `sanitize`): a control character,
    /// typed or as a reference, hid `javascript:` from the URL check and
    /// was removed only after it.
    #[test]
    fn control_characters_cannot_hide_a_script_url() {
        for input in [
            "<a href=\"&#106;av\u{12}ascript:alert(1)\">e</a>",
            "<a href=\"jav&#18;ascript:alert(1)\">e</a>",
            "<a href=\"java\u{fffe}script:alert(1)\">e</a>",
            "<a href=\"java&#xFFFF;script:alert(1)\">e</a>",
            "<img src=\"\u{1}javascript:alert(1)\">",
        ] {
            let out = sanitize_html(input);
            assert!(
                !out.to_ascii_lowercase().contains("javascript"),
                "{input:?} -> {out:?}"
            );
            let md = markdown_to_html(input);
            assert!(
                !md.to_ascii_lowercase().contains("javascript"),
                "{input:?} -> {md:?}"
            );
        }
        // Ordinary links and attributes stay.
        let out =
            sanitize_html(r#"<a href="https://e.org/?a=1&amp;b">x</a><img src="/i.png" alt="é">"#);
        assert!(out.contains(r#"href="https://e.org/?a=1&amp;b""#), "{out}");
        assert!(out.contains(r#"alt="é""#), "{out}");
    }

    #[test]
    fn relative_urls_resolve_against_the_permalink() {
        let base = "https://press.example/releases/budget";
        let body = sanitize_html(
            r##"<p><a href="annex.pdf">a</a> <a href="/about">b</a> <a href="#s2">c</a> <img src="../img/x.png" alt="x"> <a href="//cdn.example/y">d</a> <a href="https://other.example/z">e</a> <a href="mailto:p@example.org">f</a> href="not-a-link"</p>"##,
        );
        let out = resolve_relative_urls(&body, base);
        for want in [
            r#"href="https://press.example/releases/annex.pdf""#,
            r#"href="https://press.example/about""#,
            r#"href="https://press.example/releases/budget#s2""#,
            r#"src="https://press.example/img/x.png""#,
            r#"href="https://cdn.example/y""#,
            r#"href="https://other.example/z""#,
            r#"href="mailto:p@example.org""#,
            r#"href="not-a-link""#,
        ] {
            assert!(out.contains(want), "{want} missing in {out}");
        }
        // Nothing to do: the very same string back, no second pass.
        let absolute = sanitize_html(
            r#"<p><a href="https://e.org/">x</a> <img src="HTTP://e.org/i.png"></p>"#,
        );
        assert!(matches!(
            resolve_relative_urls(&absolute, base),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn markdown_becomes_safe_html() {
        let out = markdown_to_html("# Title\n\n**bold** <img src=x onerror=alert(1)>");
        assert!(out.contains("<h1>Title</h1>"));
        assert!(out.contains("<strong>bold</strong>"));
        assert!(!out.contains("onerror"));
    }
}
