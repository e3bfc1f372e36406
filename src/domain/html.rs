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

/// The most body a release may hold (HTML, or the Markdown typed for it):
/// every feed carries the body of each of its items.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The deepest element nesting accepted. The HTML parser's work per element
/// grows with the depth (150,000 nested `<div>` took 113 s of CPU), and no
/// press release nests anywhere near this.
pub const MAX_NESTING: usize = 512;

/// A body refused before it is sanitised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("is {0} bytes long; a release body may hold at most {MAX_BODY_BYTES} bytes (1 MiB)")]
    TooLarge(usize),
    #[error(
        "nests elements more than {MAX_NESTING} deep; simplify the markup (pasted HTML often \
         carries empty wrappers) and try again"
    )]
    TooDeep,
}

/// Elements that never hold others.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// Elements a repeated start tag closes (`<li>a<li>b` are siblings).
const SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "rb", "rt", "rp", "thead",
    "tbody", "tfoot", "colgroup", "caption",
];
/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// How deep `html` nests elements, counted without building a tree and
/// stopping once past `limit`: start tags open, end tags close the nearest
/// open element of their name, void elements and repeated siblings do not
/// count. Never less than what the parser will build for input that closes
/// its elements; unclosed `<p>` may count a little deeper than it is.
fn nesting_depth(html: &str, limit: usize) -> usize {
    let bytes = html.as_bytes();
    let mut open: Vec<String> = Vec::new();
    // How many of each name are open, so an end tag that closes nothing
    // costs no search (every search then pops what it passes: linear).
    let mut open_count: std::collections::HashMap<String, usize> = Default::default();
    let mut deepest = 0;
    let mut i = 0;
    let name_at = |from: usize| -> (String, usize) {
        let end = bytes[from..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b':'))
            .map_or(bytes.len(), |n| from + n);
        (html[from..end].to_ascii_lowercase(), end)
    };
    while let Some(off) = html[i..].find('<') {
        i += off + 1;
        let Some(&next) = bytes.get(i) else { break };
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(bytes.len(), |n| i + n + 3);
        } else if next == b'/' && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            let (name, end) = name_at(i + 1);
            if open_count.get(&name).is_some_and(|&n| n > 0)
                && let Some(at) = open.iter().rposition(|n| *n == name)
            {
                for closed in open.drain(at..) {
                    if let Some(n) = open_count.get_mut(&closed) {
                        *n -= 1;
                    }
                }
            }
            i = end;
        } else if next.is_ascii_alphabetic() {
            let (name, end) = name_at(i);
            i = end;
            if VOID.contains(&name.as_str())
                || (SIBLINGS.contains(&name.as_str()) && open.last() == Some(&name))
            {
                continue;
            }
            if RAW_TEXT.contains(&name.as_str()) {
                // Skip to its end tag, comparing in place: copying the rest
                // of the body per element would make this quadratic too.
                let close = format!("</{name}");
                i = (i..bytes.len())
                    .filter(|&at| bytes[at] == b'<')
                    .find(|&at| {
                        bytes
                            .get(at..at + close.len())
                            .is_some_and(|b| b.eq_ignore_ascii_case(close.as_bytes()))
                    })
                    .unwrap_or(bytes.len());
            }
            *open_count.entry(name.clone()).or_default() += 1;
            open.push(name);
            deepest = deepest.max(open.len());
            if deepest > limit {
                break;
            }
        }
    }
    deepest
}

/// Refuses a body too large or nested too deep to sanitise safely. Every
/// way in (form, preview, API, import) checks with this, or with
/// [`check_markdown`], before sanitising, to tell the user why.
pub fn check_body(html: &str) -> Result<(), BodyError> {
    if html.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge(html.len()));
    }
    if nesting_depth(html, MAX_NESTING) > MAX_NESTING {
        return Err(BodyError::TooDeep);
    }
    Ok(())
}

/// [`check_body`] for Markdown as typed in the form: its size as typed, its
/// nesting as rendered (`>>>>` nests too).
pub fn check_markdown(markdown: &str) -> Result<(), BodyError> {
    if markdown.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge(markdown.len()));
    }
    if nesting_depth(&render_markdown(markdown), MAX_NESTING) > MAX_NESTING {
        return Err(BodyError::TooDeep);
    }
    Ok(())
}

/// Allowlist-sanitises body HTML, then strips XML-forbidden characters
/// (ammonia keeps them, and a feed must stay well-formed).
///
/// Markup nested deeper than [`MAX_NESTING`] never reaches the parser,
/// whoever calls this: it comes out as its text, escaped (the callers that
/// take input refuse it first with [`check_body`]).
pub fn sanitize_html(html: &str) -> String {
    if nesting_depth(html, MAX_NESTING) > MAX_NESTING {
        let text = html
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        return clean_text(&format!("<p>{text}</p>"));
    }
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

    #[test]
    fn absurd_nesting_is_refused_before_the_parser_sees_it() {
        let deep = |n: usize| format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        assert_eq!(check_body(&deep(MAX_NESTING)), Ok(()));
        assert_eq!(check_body(&deep(MAX_NESTING + 1)), Err(BodyError::TooDeep));
        // Unclosed, misnamed closers, and through Markdown.
        assert_eq!(
            check_body(&"<span>".repeat(50_000)),
            Err(BodyError::TooDeep)
        );
        assert_eq!(
            check_body(&"<b></i>".repeat(1_000)),
            Err(BodyError::TooDeep),
            "an end tag that closes nothing does not count"
        );
        assert_eq!(check_markdown(&">".repeat(1_000)), Err(BodyError::TooDeep));
        // What real bodies do stays: siblings, lists, void elements, text.
        let ordinary = "<p>a<p>b<ul><li>1<li>2</ul><br><img src=/i.png>".repeat(5_000);
        assert_eq!(check_body(&ordinary), Ok(()));
        let script = format!("<p>{}</p>", "<script>if (a<b) {}</script>".repeat(1_000));
        assert_eq!(check_body(&script), Ok(()), "text inside raw-text elements");
    }

    #[test]
    fn the_sanitiser_itself_never_parses_absurd_nesting() {
        let input = format!("{}<script>x</script>", "<div>".repeat(150_000));
        let start = std::time::Instant::now();
        let out = sanitize_html(&input);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(out.starts_with("<p>&lt;div&gt;"), "shown as text");
        assert!(!out.contains("<script"), "{out:.100}");
        assert!(!markdown_to_html(&"> ".repeat(150_000)).contains("<blockquote>"));
    }

    #[test]
    fn counting_stays_linear_on_hostile_shapes() {
        for hostile in [
            "<style>".repeat(150_000),
            "<script>x".repeat(100_000),
            "</a>".repeat(250_000),
            format!("{}{}", "<b>".repeat(MAX_NESTING), "</x>".repeat(250_000)),
        ] {
            let start = std::time::Instant::now();
            let _ = check_body(&hostile);
            assert!(
                start.elapsed() < std::time::Duration::from_secs(1),
                "{:?} for {:.20}",
                start.elapsed(),
                hostile
            );
        }
    }

    #[test]
    fn bodies_over_a_mebibyte_are_refused() {
        let big = "<p>words</p>".repeat(MAX_BODY_BYTES / 12 + 1);
        assert_eq!(check_body(&big), Err(BodyError::TooLarge(big.len())));
        assert_eq!(
            check_markdown(&"words ".repeat(MAX_BODY_BYTES / 6 + 1)),
            Err(BodyError::TooLarge(6 * (MAX_BODY_BYTES / 6 + 1)))
        );
    }
}
