//! Escaping for the hand-written Atom and RSS documents. Every string that
//! reaches here has had the characters XML 1.0 forbids removed on input
//! (`domain::text`), so escaping is all that is left to do.

/// Character data: `&`, `<` and `>` escaped (`>` for `]]>`).
pub(crate) fn push_text(out: &mut String, s: &str) {
    push_replaced(out, s, ["&amp;", "&lt;", "&gt;"]);
}

/// `s` with `&`, `<` and `>` replaced by `with`'s three strings. The
/// runs between them are copied whole (found with `memchr`), not char by
/// char: an archive escapes megabytes of body HTML this way. The three are
/// ASCII, so every run ends on a character boundary.
fn push_replaced(out: &mut String, s: &str, with: [&str; 3]) {
    out.reserve(s.len());
    let mut start = 0;
    for i in memchr::memchr3_iter(b'&', b'<', b'>', s.as_bytes()) {
        out.push_str(&s[start..i]);
        out.push_str(match s.as_bytes()[i] {
            b'&' => with[0],
            b'<' => with[1],
            _ => with[2],
        });
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// A double-quoted attribute value. Tabs and line breaks are written as
/// references: a parser would turn them into spaces otherwise.
pub(crate) fn push_attr(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let with = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\t' => "&#9;",
            b'\n' => "&#10;",
            b'\r' => "&#13;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(with);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Plain text as an HTML text node (what `type="html"` and RSS expect):
/// the typed characters, so a reader rendering it as HTML shows them as
/// typed. Quotes need no escaping outside attributes.
pub(crate) fn push_text_as_html(out: &mut String, s: &str) {
    push_replaced(out, s, ["&amp;amp;", "&amp;lt;", "&amp;gt;"]);
}

/// Plain text in an RSS element that readers render as HTML: escaped for
/// HTML, and the `&` of each HTML escape written as the hexadecimal
/// reference `&#x26;`, as the RSS Best Practices Profile asks, so readers
/// and validators can tell escaped text from markup.
pub(crate) fn push_rss_text(out: &mut String, s: &str) {
    push_replaced(out, s, ["&#x26;amp;", "&#x26;lt;", "&#x26;gt;"]);
}

/// An RSS title: RSS cannot say whether a title is text or HTML, and
/// readers differ (newsboat shows it as text; readers built on feedparser
/// take it for HTML when it holds an end tag or an entity reference). Plain
/// text that cannot pass for HTML goes as text, the RSS profile's way, and
/// every reader shows it as typed; text that could (`Budget <b>cuts</b>`,
/// `&amp;` typed as such) goes escaped as HTML, so readers that take it for
/// HTML show the typed characters and no validator sees undeclared markup.
pub(crate) fn push_rss_title(out: &mut String, s: &str) {
    if looks_like_html(s) {
        push_rss_text(out, s);
    } else {
        push_rss_plain(out, s);
    }
}

/// Whether `s` holds an end tag (`</b>`) or an entity reference (`&amp;`,
/// `&#38;`): what readers and validators take for HTML in RSS text.
fn looks_like_html(s: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let ends_with = |rest: &str, close: char| {
        let n = rest.chars().take_while(|&c| word(c)).count();
        n > 0 && rest.chars().nth(n) == Some(close)
    };
    s.match_indices("</")
        .any(|(i, _)| ends_with(&s[i + 2..], '>'))
        || s.match_indices('&').any(|(i, _)| {
            let rest = &s[i + 1..];
            ends_with(rest.strip_prefix('#').unwrap_or(rest), ';')
        })
}

/// Plain text in an RSS element read as plain text (a category): `&` and
/// `<` as the hexadecimal references the RSS Best Practices Profile asks for.
pub(crate) fn push_rss_plain(out: &mut String, s: &str) {
    push_replaced(out, s, ["&#x26;", "&#x3C;", "&gt;"]);
}

/// HTML in a CDATA section; a `]]>` inside is split across two sections.
pub(crate) fn push_cdata(out: &mut String, s: &str) {
    out.push_str("<![CDATA[");
    out.push_str(&s.replace("]]>", "]]]]><![CDATA[>"));
    out.push_str("]]>");
}

/// `<name>text</name>` with plain character data.
pub(crate) fn push_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_text(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: fn(&mut String, &str), s: &str) -> String {
        let mut out = String::new();
        f(&mut out, s);
        out
    }

    #[test]
    fn escapes_for_each_context() {
        let s = "a & <b>\"c\"</b> ]]>\t";
        assert_eq!(
            with(push_text, s),
            "a &amp; &lt;b&gt;\"c\"&lt;/b&gt; ]]&gt;\t"
        );
        assert_eq!(
            with(push_attr, s),
            "a &amp; &lt;b&gt;&quot;c&quot;&lt;/b&gt; ]]&gt;&#9;"
        );
        assert_eq!(
            with(push_text_as_html, "x < y & z"),
            "x &amp;lt; y &amp;amp; z"
        );
        assert_eq!(
            with(push_rss_text, "x < y & z"),
            "x &#x26;lt; y &#x26;amp; z"
        );
        assert_eq!(with(push_rss_plain, "x < y & z"), "x &#x3C; y &#x26; z");
        // Titles: as text unless a reader would take them for HTML.
        assert_eq!(
            with(push_rss_title, "Q&A: <2026>"),
            "Q&#x26;A: &#x3C;2026&gt;"
        );
        assert_eq!(
            with(push_rss_title, "a <b>b</b>"),
            "a &#x26;lt;b&#x26;gt;b&#x26;lt;/b&#x26;gt;"
        );
        assert_eq!(with(push_rss_title, "x &amp; y"), "x &#x26;amp;amp; y");
        assert_eq!(with(push_rss_title, "&#38;"), "&#x26;amp;#38;");
        for plain in ["R&D & </ >", "a</ b>", "&;", "&#;", "1 < 2 > 0"] {
            assert!(!looks_like_html(plain), "{plain}");
        }
        assert_eq!(
            with(push_cdata, "<p>]]></p>"),
            "<![CDATA[<p>]]]]><![CDATA[></p>]]>"
        );
    }
}
