//! The Markdown an admin typed, with what the sanitiser removes taken out
//! of the text itself: the form can then keep showing Markdown after a
//! save that removed a script, and the box shows nothing readers do not
//! get.

use super::html::{markdown_to_html, markdown_to_html_reporting, sanitize_html_reporting};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// Text and nothing else, whitespace collapsed: what a reader reads.
fn visible_text(html: &str) -> String {
    let text = ammonia::Builder::empty().clean(html).to_string();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `markdown` with the raw HTML the sanitiser would remove cleaned, and
/// links to refused addresses reduced to their text. `None` when that
/// cannot be done without changing what readers read (a script split
/// across a paragraph, say): the caller then keeps the HTML instead.
pub fn cleaned_markdown(markdown: &str) -> Option<String> {
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    // The link being dropped, and where its label starts and ends.
    let mut dropped_link: Option<(Range<usize>, Option<Range<usize>>)> = None;
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).into_offset_iter();
    for (event, range) in parser {
        if let Some((_, label)) = &mut dropped_link {
            if let Event::End(TagEnd::Link | TagEnd::Image) = event {
                let (whole, label) = dropped_link.take()?;
                let text = label.map_or("", |l| &markdown[l]);
                edits.push((whole, text.to_owned()));
            } else {
                *label = Some(match label.take() {
                    Some(l) => l.start.min(range.start)..l.end.max(range.end),
                    None => range,
                });
            }
            continue;
        }
        match event {
            Event::Html(raw) | Event::InlineHtml(raw) => {
                let (clean, removed) = sanitize_html_reporting(&raw);
                let clean = without_added_end_tag(&raw, clean);
                if !removed.is_empty() {
                    let text = if clean.trim().is_empty() {
                        String::new()
                    } else if raw.ends_with('\n') && !clean.ends_with('\n') {
                        format!("{clean}\n")
                    } else {
                        clean
                    };
                    edits.push((range, text));
                }
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let probe = format!("<a href=\"{}\">x</a>", html_attr(&dest_url));
                if sanitize_html_reporting(&probe).1.unsafe_links > 0 {
                    dropped_link = Some((range, None));
                }
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(markdown.len());
    let mut at = 0;
    for (range, text) in edits {
        if range.start < at {
            return None;
        }
        out.push_str(&markdown[at..range.start]);
        out.push_str(&text);
        at = range.end;
        // A block removed whole leaves no empty paragraph gap behind
        // (browsers send form text with CRLF line ends).
        if text.trim().is_empty() && (out.ends_with("\n\n") || out.ends_with("\n\r\n")) {
            let rest = &markdown[at..];
            at += rest.len() - rest.trim_start_matches(['\r', '\n']).len();
        }
    }
    out.push_str(&markdown[at..]);
    let (html, removed) = markdown_to_html_reporting(&out);
    let original = markdown_to_html(markdown);
    (removed.is_empty() && visible_text(&html) == visible_text(&original)).then_some(out)
}

/// Inline HTML comes one tag at a time (`<a href="…">`, its text and
/// `</a>` are separate events). Cleaned alone, a start tag gets the end
/// tag the sanitiser closes it with: kept, that would put an empty element
/// in the text and leave the typed end tag stray
/// (`<a rel="…"></a>two</a>`).
fn without_added_end_tag(raw: &str, clean: String) -> String {
    if raw.contains("</") {
        return clean;
    }
    match clean.rfind("</") {
        Some(i)
            if clean.ends_with('>')
                && clean[i + 2..clean.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric()) =>
        {
            clean[..i].to_owned()
        }
        _ => clean,
    }
}

fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_scripts_and_unsafe_links_from_the_text() {
        let typed = "Read the **report**.\n\n<script>alert('x')</script>\n\n\
                     Get it [here](javascript:alert(1)) or <a href=\"https://e.org/\">there</a>.";
        let md = cleaned_markdown(typed).expect("can be cleaned");
        assert!(!md.contains("script") && !md.contains("javascript"), "{md}");
        assert!(
            md.starts_with("Read the **report**.\n\nGet it here"),
            "{md}"
        );
        assert!(
            md.contains("Get it here or <a href=\"https://e.org/\">there</a>."),
            "{md}"
        );
        let (html, removed) = markdown_to_html_reporting(&md);
        assert!(removed.is_empty(), "{removed:?}");
        assert!(html.contains("<strong>report</strong>"), "{html}");
    }

    #[test]
    fn leaves_no_gap_with_crlf_line_ends() {
        let md = cleaned_markdown("One.\r\n\r\n<script>x()</script>\r\n\r\nTwo.").unwrap();
        assert_eq!(md, "One.\r\n\r\nTwo.");
    }

    #[test]
    fn cleans_attributes_of_pasted_html() {
        let md = cleaned_markdown("<p onclick=\"x()\">Pasted <b>HTML</b></p>\n\nMore.").unwrap();
        assert_eq!(md, "<p>Pasted <b>HTML</b></p>\n\nMore.");
    }

    /// An unsafe link typed as HTML inside a paragraph keeps its text and
    /// its one end tag: no empty link, nothing stray.
    #[test]
    fn an_inline_tag_is_cleaned_without_closing_it() {
        let md = cleaned_markdown("See <a href=\"javascript:alert(2)\">two</a> now.").unwrap();
        assert_eq!(md, "See <a rel=\"noopener noreferrer\">two</a> now.");
        let md = cleaned_markdown("A <b onclick=\"x()\">bold</b> word.").unwrap();
        assert_eq!(md, "A <b>bold</b> word.");
    }

    /// A script inside a paragraph comes as separate pieces; cleaning the
    /// tags alone would leave its code as text for readers.
    #[test]
    fn gives_up_rather_than_change_what_readers_read() {
        assert_eq!(
            cleaned_markdown("Hi <script>alert(1)</script> there."),
            None
        );
    }
}
