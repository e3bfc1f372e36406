//! Invariants the fuzz targets check, written independently of the code
//! under test (so a bug there cannot hide itself here).

use pressfeed::domain::{ReleaseDraft, Slug};

/// XML 1.0 `Char` (§2.2).
pub fn xml_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x1_0000..=0x10_FFFF)
}

/// Panics unless every character of `s` may appear in an XML document.
pub fn assert_xml_text(what: &str, s: &str) {
    if let Some(c) = s.chars().find(|&c| !xml_char(c)) {
        panic!("{what}: XML-forbidden character {c:?} in {s:?}");
    }
}

/// URL schemes the sanitiser lets through.
const SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// Attributes whose value a browser follows as a URL.
const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "background",
    "poster",
    "longdesc",
    "usemap",
    "xlink:href",
    "srcset",
    "data",
    "codebase",
];

/// The few references the HTML serialiser writes inside attribute values,
/// plus numeric ones, decoded as a browser would before using the value.
fn decode_attr(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "nbsp" => Some('\u{a0}'),
                n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The scheme a browser would see in `url`: tabs and newlines anywhere and
/// leading C0 controls and spaces are ignored, as the URL standard says.
fn scheme_of(url: &str) -> Option<String> {
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

/// Panics if sanitised HTML could run script: a `<script` anywhere (text
/// `<` is always escaped, so any literal one is a tag), an `on*` event
/// handler attribute, or a URL attribute whose scheme is not allowed
/// (`javascript:`, `vbscript:`, `data:` …). Text content that merely
/// mentions "javascript:" is harmless and allowed.
pub fn assert_safe_html(what: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{what}: <script in {html:?}");
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        // A tag (or a comment, which runs nothing).
        if html[i..].starts_with("<!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        i += 1;
        if i < b.len() && b[i] == b'/' {
            i += 1;
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
            i += 1;
        }
        let tag = html[name_start..i].to_ascii_lowercase();
        assert!(
            !matches!(
                tag.as_str(),
                "script" | "iframe" | "object" | "embed" | "style"
            ),
            "{what}: <{tag}> survived in {html:?}"
        );
        // Attributes up to the closing '>'.
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let n0 = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>') {
                i += 1;
            }
            let name = html[n0..i].to_ascii_lowercase();
            assert!(
                !name.starts_with("on"),
                "{what}: event handler attribute {name:?} in {html:?}"
            );
            assert!(
                name != "style",
                "{what}: style attribute survived in {html:?}"
            );
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= b.len() || b[i] != b'=' {
                continue;
            }
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let v0 = i + 1;
                let v1 = html[v0..]
                    .bytes()
                    .position(|c| c == q)
                    .map_or(b.len(), |p| v0 + p);
                i = (v1 + 1).min(b.len());
                &html[v0..v1]
            } else {
                let v0 = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                &html[v0..i]
            };
            if URL_ATTRS.contains(&name.as_str()) {
                let value = decode_attr(value);
                if let Some(scheme) = scheme_of(&value) {
                    assert!(
                        SCHEMES.contains(&scheme.as_str()),
                        "{what}: {name}={value:?} has scheme {scheme:?} in {html:?}"
                    );
                }
            }
        }
    }
}

/// What every validated release must satisfy, whatever it came from.
pub fn assert_valid_draft(d: &ReleaseDraft) {
    assert!(
        Slug::parse(d.slug.as_str()).is_ok(),
        "bad slug {:?}",
        d.slug
    );
    let title = d.title.as_str();
    assert!(!title.trim().is_empty(), "empty title");
    assert!(title.chars().count() <= 1000, "title too long");
    assert!(
        !title.contains(['\n', '\r', '\t']),
        "title not one line: {title:?}"
    );
    assert_xml_text("title", title);
    assert_xml_text("organization", &d.organization);
    assert!(!d.organization.trim().is_empty(), "empty organization");
    for (what, v) in [
        ("summary", &d.summary),
        ("department", &d.department),
        ("dateline", &d.dateline),
        ("correction_note", &d.correction_note),
        ("retraction_note", &d.retraction_note),
    ] {
        if let Some(v) = v {
            assert_xml_text(what, v);
            assert!(!v.is_empty(), "{what}: Some(\"\")");
        }
    }
    assert_xml_text("body_html", &d.body_html);
    assert_safe_html("body_html", &d.body_html);
    assert!(!d.body_html.trim().is_empty(), "empty body accepted");
    for t in &d.topics {
        assert!(Slug::parse(t.as_str()).is_ok(), "bad topic {t:?}");
    }
    assert!(d.updated_at.is_none_or(|u| u >= d.published_at));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catches_what_it_must() {
        for bad in [
            r#"<a href="javascript:alert(1)">x</a>"#,
            r#"<a href=" JaVa&#x09;script&colon;x">x</a>"#.replace("&colon;", ":").as_str(),
            r#"<a href="&#106;avascript:x">x</a>"#,
            r#"<img src=x onerror="y">"#,
            r#"<p ONCLICK=y>"#,
            "<SCRIPT>x</SCRIPT>",
            r#"<img src="data:text/html,x">"#,
        ] {
            let r = std::panic::catch_unwind(|| assert_safe_html("t", bad));
            assert!(r.is_err(), "{bad} passed");
        }
    }

    #[test]
    fn lets_harmless_html_through() {
        assert_safe_html(
            "t",
            r#"<p>use javascript: or onload=x &lt;script&gt;</p><a href="https://e.org/a?b=1&amp;c" rel="noopener noreferrer">l</a><a href="/x:y">r</a><!-- c --><img src="tel:1" alt="a > b">"#,
        );
    }
}
