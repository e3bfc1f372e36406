use super::text::clean_text;
use std::sync::LazyLock;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto", "tel"].into_iter().collect());
    b.link_rel(Some("noopener noreferrer"));
    b
});

/// Allowlist-sanitises body HTML, then strips XML-forbidden characters
/// (ammonia keeps them, and a feed must stay well-formed).
pub fn sanitize_html(html: &str) -> String {
    let clean = SANITIZER.clean(html).to_string();
    clean_text(&clean)
}

/// Renders Markdown (which may contain HTML) and sanitises the result.
pub fn markdown_to_html(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    sanitize_html(&html)
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

    #[test]
    fn markdown_becomes_safe_html() {
        let out = markdown_to_html("# Title\n\n**bold** <img src=x onerror=alert(1)>");
        assert!(out.contains("<h1>Title</h1>"));
        assert!(out.contains("<strong>bold</strong>"));
        assert!(!out.contains("onerror"));
    }
}
