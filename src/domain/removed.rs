//! What the sanitiser took out of a body, counted by kind, so the newsroom
//! can say it ("1 script and 1 unsafe link were removed") instead of
//! dropping things silently. Found by comparing the input with the
//! output, so it reports what ammonia did rather than a second copy
//! of its rules. The input and output are tokenized the same way.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Counts of what sanitising removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Elements by tag name (`script`, `iframe`, ...).
    pub elements: BTreeMap<String, usize>,
    /// `href`/`src`/... attributes whose address was refused (`javascript:`).
    pub unsafe_links: usize,
    /// `on…` attributes (`onclick`, `onerror`).
    pub event_handlers: usize,
    /// Other attributes by name (`style`, `class`).
    pub attributes: BTreeMap<String, usize>,
    pub comments: usize,
}

/// What a fragment holds: elements by name, attributes by element and
/// name, comments.
#[derive(Default)]
struct Census {
    elements: BTreeMap<String, usize>,
    attributes: BTreeMap<(String, String), usize>,
    comments: usize,
}

/// Counts start tags, their attributes and comments as they come from
/// the tokenizer: no tree is built, so nesting depth costs nothing.
struct Counter(RefCell<Census>);

impl TokenSink for Counter {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut c = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                let element = tag.name.to_string();
                for a in &tag.attrs {
                    *c.attributes
                        .entry((element.clone(), a.name.local.to_string()))
                        .or_default() += 1;
                }
                *c.elements.entry(element).or_default() += 1;
                // What the tree builder would tell the tokenizer: the text
                // inside these is not markup.
                match &*tag.name {
                    "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                        return TokenSinkResult::RawData(RawKind::Rawtext);
                    }
                    "title" | "textarea" => return TokenSinkResult::RawData(RawKind::Rcdata),
                    "plaintext" => return TokenSinkResult::Plaintext,
                    _ => {}
                }
            }
            Token::CommentToken(_) => c.comments += 1,
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn census(html: &str) -> Census {
    let tokenizer = Tokenizer::new(
        Counter(RefCell::new(Census::default())),
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

/// A tag or attribute name that can travel in a query string as it is.
fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':'))
}

/// Names that could not travel are counted together.
fn query_name(name: &str) -> &str {
    if name_ok(name) { name } else { "other" }
}

/// Attributes that carry an address (ammonia's list).
fn is_url_attribute(name: &str) -> bool {
    matches!(
        name,
        "href" | "src" | "xlink:href" | "action" | "data" | "formaction" | "ping" | "poster"
    )
}

impl Removed {
    /// What turning `input` into `output` removed. `kept` says which
    /// elements the sanitiser allows: attributes are counted on those only,
    /// since a removed element takes its attributes with it.
    pub fn between(input: &str, output: &str, kept: impl Fn(&str) -> bool) -> Self {
        let before = census(input);
        let after = census(output);
        let mut r = Removed::default();
        for (name, n) in &before.elements {
            let gone = n.saturating_sub(after.elements.get(name).copied().unwrap_or(0));
            if gone > 0 {
                r.elements.insert(name.clone(), gone);
            }
        }
        for ((element, attribute), n) in &before.attributes {
            if !kept(element) {
                continue;
            }
            let left = after
                .attributes
                .get(&(element.clone(), attribute.clone()))
                .copied()
                .unwrap_or(0);
            let gone = n.saturating_sub(left);
            if gone == 0 {
                continue;
            }
            if attribute.starts_with("on") {
                r.event_handlers += gone;
            } else if is_url_attribute(attribute) {
                r.unsafe_links += gone;
            } else {
                *r.attributes.entry(attribute.clone()).or_default() += gone;
            }
        }
        r.comments = before.comments.saturating_sub(after.comments);
        r
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    fn total(&self) -> usize {
        self.elements.values().sum::<usize>()
            + self.unsafe_links
            + self.event_handlers
            + self.attributes.values().sum::<usize>()
            + self.comments
    }

    /// "1 script and 1 unsafe link were removed"; `None` when nothing was.
    pub fn sentence(&self) -> Option<String> {
        let count = |n: usize, one: &str, many: &str| crate::wording::counted(n as u64, one, many);
        let mut parts = Vec::new();
        for (name, &n) in &self.elements {
            parts.push(match name.as_str() {
                "script" => count(n, "script", "scripts"),
                "style" => count(n, "style sheet", "style sheets"),
                other => count(n, &format!("{other} element"), &format!("{other} elements")),
            });
        }
        if self.unsafe_links > 0 {
            parts.push(count(self.unsafe_links, "unsafe link", "unsafe links"));
        }
        if self.event_handlers > 0 {
            parts.push(count(
                self.event_handlers,
                "event-handler attribute",
                "event-handler attributes",
            ));
        }
        for (name, &n) in &self.attributes {
            parts.push(count(
                n,
                &format!("{name} attribute"),
                &format!("{name} attributes"),
            ));
        }
        if self.comments > 0 {
            parts.push(count(self.comments, "comment", "comments"));
        }
        let last = parts.pop()?;
        let list = if parts.is_empty() {
            last
        } else {
            format!("{} and {last}", parts.join(", "))
        };
        let verb = if self.total() == 1 { "was" } else { "were" };
        Some(format!("{list} {verb} removed"))
    }

    /// A compact form for a redirect's query string
    /// (`el.script.1~link.1~on.2~attr.style.1~comment.1`).
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (name, n) in &self.elements {
            parts.push(format!("el.{}.{n}", query_name(name)));
        }
        if self.unsafe_links > 0 {
            parts.push(format!("link.{}", self.unsafe_links));
        }
        if self.event_handlers > 0 {
            parts.push(format!("on.{}", self.event_handlers));
        }
        for (name, n) in &self.attributes {
            parts.push(format!("attr.{}.{n}", query_name(name)));
        }
        if self.comments > 0 {
            parts.push(format!("comment.{}", self.comments));
        }
        parts.join("~")
    }

    /// Reads [`Removed::to_query`] back. Anything malformed gives `None`:
    /// the value comes from a URL, so it is never trusted beyond display.
    pub fn from_query(s: &str) -> Option<Self> {
        let mut r = Removed::default();
        for part in s.split('~').take(50) {
            let mut it = part.split('.');
            let kind = it.next()?;
            let (name, n) = match kind {
                "el" | "attr" => (Some(it.next()?), it.next()?),
                _ => (None, it.next()?),
            };
            if it.next().is_some() {
                return None;
            }
            let n: usize = n.parse().ok().filter(|n| (1..=1_000_000).contains(n))?;
            match (kind, name) {
                ("el", Some(name)) if name_ok(name) => {
                    *r.elements.entry(name.to_owned()).or_default() += n;
                }
                ("attr", Some(name)) if name_ok(name) => {
                    *r.attributes.entry(name.to_owned()).or_default() += n;
                }
                ("link", None) => r.unsafe_links = n,
                ("on", None) => r.event_handlers = n,
                ("comment", None) => r.comments = n,
                _ => return None,
            }
        }
        (!r.is_empty()).then_some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::html::sanitize_html_reporting;

    #[test]
    fn names_what_was_removed() {
        let (out, removed) = sanitize_html_reporting(
            r#"<p onclick="x()">Hi<script>alert(1)</script> <a href="javascript:alert(1)">l</a><iframe src="//e"></iframe><!-- c --></p>"#,
        );
        assert!(!out.contains("script") && !out.contains("iframe"), "{out}");
        assert_eq!(removed.elements.get("script"), Some(&1));
        assert_eq!(removed.elements.get("iframe"), Some(&1));
        assert_eq!(removed.unsafe_links, 1);
        assert_eq!(removed.event_handlers, 1);
        assert_eq!(removed.comments, 1);
        assert_eq!(
            removed.sentence().unwrap(),
            "1 iframe element, 1 script, 1 unsafe link, 1 event-handler attribute and 1 comment \
             were removed"
        );
    }

    #[test]
    fn safe_html_reports_nothing() {
        let (_, removed) = sanitize_html_reporting(
            r#"<h2>T</h2><p>A <a href="https://e.org/">link</a>, <img src="/i.png" alt="i"> and <table><tr><td>x</td></tr></table></p>"#,
        );
        assert!(removed.is_empty(), "{removed:?}");
        assert_eq!(removed.sentence(), None);
    }

    #[test]
    fn one_thing_was_removed() {
        let (_, removed) = sanitize_html_reporting(r#"<p style="color:red">x</p>"#);
        assert_eq!(
            removed.sentence().as_deref(),
            Some("1 style attribute was removed")
        );
    }

    #[test]
    fn the_query_form_round_trips_and_refuses_junk() {
        let (_, removed) = sanitize_html_reporting(
            r#"<script>1</script><script>2</script><a href="javascript:x" class="c">l</a><!--x-->"#,
        );
        let q = removed.to_query();
        assert_eq!(Removed::from_query(&q), Some(removed));
        for junk in [
            "",
            "el.script",
            "el.<b>.1",
            "link.0",
            "x.1",
            "link.1.2",
            "link.-1",
        ] {
            assert_eq!(Removed::from_query(junk), None, "{junk:?}");
        }
    }
}
