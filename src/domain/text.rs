use super::ValidationError;

/// Removes every character XML 1.0 forbids (C0 controls other than tab,
/// newline and carriage return, and U+FFFE/U+FFFF; Rust strings cannot hold
/// surrogates) and turns CR and CRLF into LF, as an XML reader would, so
/// text reads back exactly as stored.
pub fn clean_text(s: &str) -> String {
    if s.chars().all(|c| is_xml_char(c) && c != '\r') {
        return s.to_owned();
    }
    s.replace("\r\n", "\n")
        .chars()
        .filter(|&c| is_xml_char(c))
        .map(|c| if c == '\r' { '\n' } else { c })
        .collect()
}

pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Cleans an optional free-text field: XML-safe, trimmed, and `None` when empty.
/// Trims after cleaning: a removed control character or a CR turned LF can
/// leave whitespace at either end.
pub fn clean_optional(s: Option<&str>) -> Option<String> {
    s.map(|s| clean_text(s).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Whether `c` is an explicit bidirectional formatting character: an
/// embedding, override or isolate (U+202A–U+202E, U+2066–U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A one-line name as it is shown in lists, feeds and pages (a title, a
/// topic name): XML-safe, line breaks and tabs as spaces, trimmed, and
/// without explicit bidi controls. An override (U+202E) in a name only
/// makes it read differently from what it is, and an unclosed embedding
/// reorders whatever follows it on the page; a name's direction comes
/// from its characters and the release's language, so they are removed.
/// The marks (LRM, RLM, ALM) stay: they reorder nothing, and
/// right-to-left text needs them.
pub fn clean_name(s: &str) -> String {
    let cleaned: String = clean_text(s)
        .chars()
        .filter(|&c| !is_bidi_control(c))
        .map(|c| if matches!(c, '\n' | '\t') { ' ' } else { c })
        .collect();
    cleaned.trim().to_owned()
}

/// A release title: non-empty after cleaning, one line, bounded length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let cleaned = clean_name(s);
        if cleaned.is_empty() {
            return Err(ValidationError::new("title", "a title is required"));
        }
        let n = cleaned.chars().count();
        if n > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "title",
                format!(
                    "is {n} characters long; at most {} are allowed",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_bidi_controls_and_keep_marks() {
        assert_eq!(
            clean_name("Invoice \u{202E}fdp.exe\u{202C} \u{2067}x\u{2069}"),
            "Invoice fdp.exe x"
        );
        assert_eq!(clean_name("\u{202B}\u{202A}\u{202D}a\u{2066}\u{2068}"), "a");
        // RLM and ALM in Arabic text are kept, as are the letters.
        assert_eq!(
            clean_name("بيان\u{200F} 2026\u{061C}"),
            "بيان\u{200F} 2026\u{061C}"
        );
        assert_eq!(clean_name(" a\r\nb\tc "), "a b c");
        assert_eq!(Title::parse("\u{202E}Title").unwrap().as_str(), "Title");
        assert!(Title::parse("\u{202E}\u{202C}").is_err());
    }

    #[test]
    fn removes_xml_forbidden_characters_only() {
        assert_eq!(
            clean_text("a\u{0}b\u{b}c\u{1f}d\te\nf\u{fffe}"),
            "abcd\te\nf"
        );
        assert_eq!(clean_text("مرحبا 🎉 ]]> <b>"), "مرحبا 🎉 ]]> <b>");
    }

    /// Found by the `clean_optional_is_trimmed_valid_or_none` property: the
    /// text was trimmed before cleaning, so "a\r\u{e}" kept a trailing LF.
    #[test]
    fn clean_optional_trims_what_cleaning_leaves() {
        assert_eq!(clean_optional(Some("a\r\u{e}")).as_deref(), Some("a"));
        assert_eq!(clean_optional(Some("\u{1} a \u{0}")).as_deref(), Some("a"));
        assert_eq!(clean_optional(Some("\u{b}\r\n\u{c}")), None);
    }

    #[test]
    fn title_must_have_visible_text() {
        assert!(Title::parse("  \u{1}\n ").is_err());
        assert_eq!(Title::parse(" a\nb ").unwrap().as_str(), "a b");
        assert!(Title::parse(&"x".repeat(1001)).is_err());
    }
}
