//! Property tests for the validating domain types: whatever text comes in,
//! a value that gets its type obeys the type's documented rules.

use super::{
    Lang, Slug, Title, clean_optional, clean_text, cleaned_markdown, markdown_to_html_reporting,
};
use proptest::prelude::*;

/// XML 1.0 `Char` production (§2.2), written out independently of the code
/// under test.
fn xml_allowed(c: char) -> bool {
    let u = c as u32;
    u == 0x9
        || u == 0xA
        || u == 0xD
        || (0x20..=0xD7FF).contains(&u)
        || (0xE000..=0xFFFD).contains(&u)
        || (0x1_0000..=0x10_FFFF).contains(&u)
}

/// The slug rule as documented on [`Slug`]: 1 to 200 of `a-z`, `0-9` and
/// single hyphens, neither first nor last.
fn documented_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= Slug::MAX_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Characters that make text hostile: C0 controls, CR, the non-characters
/// XML forbids, bidi marks, NEL and other odd whitespace, plus any char.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => proptest::char::range('\0', '\u{1f}'),
        1 => Just('\r'),
        1 => Just('\n'),
        1 => Just('\u{fffe}'),
        1 => Just('\u{ffff}'),
        1 => Just('\u{85}'),
        1 => Just('\u{200f}'),
        1 => Just('\u{feff}'),
        1 => Just('\u{2028}'),
        1 => Just(' '),
        3 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('A', 'Z'),
        1 => proptest::char::range('0', '9'),
        1 => Just('-'),
    ]
}

fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(nasty_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// Strings near the slug alphabet, so both sides of the rule get exercised.
fn slug_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{0,12}",
        "[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,4}",
        "[a-zA-Z0-9_ ./-]{0,12}",
        "[a-z0-9-]{195,205}",
        "[a-z]{1}[a-z0-9]{198,201}",
        nasty_string(16),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn slug_parse_accepts_exactly_the_documented_charset(s in slug_like()) {
        let parsed = Slug::parse(&s);
        prop_assert_eq!(parsed.is_ok(), documented_slug(&s), "{:?} -> {:?}", s, parsed);
        if let Ok(slug) = parsed {
            prop_assert_eq!(slug.as_str(), s.as_str());
        }
    }

    #[test]
    fn well_formed_slugs_are_always_accepted(s in "[a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,8}") {
        prop_assert!(Slug::parse(&s).is_ok(), "{:?} refused", s);
    }

    #[test]
    fn slug_from_text_is_valid_or_none(s in prop_oneof![nasty_string(120), any::<String>(), ".{0,300}"]) {
        if let Some(slug) = Slug::from_text(&s) {
            prop_assert!(documented_slug(slug.as_str()), "{:?} -> {:?}", s, slug);
            prop_assert!(slug.as_str().len() <= 80, "{:?} -> {:?}", s, slug);
            // What it made parses back to itself.
            prop_assert_eq!(Slug::parse(slug.as_str()).unwrap(), slug);
        }
    }

    /// Hostile Markdown with HTML in it: cleaning never panics, and what it
    /// gives back has nothing left for the sanitiser to remove.
    #[test]
    fn cleaned_markdown_leaves_nothing_to_remove(
        s in prop_oneof![
            nasty_string(200),
            "([a-z *_\\[\\]()\n]|<script>|</script>|<a href=\"javascript:x\">|</a>|\\[l\\]\\(javascript:y\\)|<p onclick=z>|\r\n){0,40}",
        ]
    ) {
        if let Some(md) = cleaned_markdown(&s) {
            prop_assert!(markdown_to_html_reporting(&md).1.is_empty(), "{s:?} -> {md:?}");
        }
    }

    #[test]
    fn slug_from_text_keeps_ascii_words(words in proptest::collection::vec("[a-z0-9]{1,6}", 1..5)) {
        let text = words.join(" ");
        let slug = Slug::from_text(&text).expect("ascii words make a slug");
        prop_assert_eq!(slug.as_str(), words.join("-"));
    }

    #[test]
    fn lang_parse_round_trips_its_own_output(
        s in prop_oneof![
            "[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{1,8}){0,4}",
            " ?[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-[a-zA-Z]{2}|-[0-9]{3})? ?",
            nasty_string(12),
            any::<String>(),
        ]
    ) {
        if let Ok(lang) = Lang::parse(&s) {
            let again = Lang::parse(lang.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&lang), "{:?} -> {:?}", s, lang);
            prop_assert!(lang.as_str().is_ascii());
            prop_assert!(lang.as_str().len() <= 35);
            prop_assert_eq!(lang.as_str().trim(), lang.as_str());
            prop_assert!(matches!(lang.dir(), "ltr" | "rtl"));
        }
    }

    #[test]
    fn title_is_never_empty_or_too_long(
        s in prop_oneof![
            nasty_string(64),
            any::<String>(),
            // Around the limit, with padding that trimming removes.
            ("[ \t\n\r\u{85}\u{3000}]{0,3}", "x{995,1005}", "[ \t\n\r\u{1}]{0,3}")
                .prop_map(|(a, b, c)| format!("{a}{b}{c}")),
            "[é🎉ب]{995,1003}",
        ]
    ) {
        if let Ok(t) = Title::parse(&s) {
            let t = t.as_str();
            prop_assert!(!t.trim().is_empty(), "{:?} -> {:?}", s, t);
            prop_assert!(t.chars().count() <= Title::MAX_CHARS, "{:?}", s);
            prop_assert!(t.chars().all(xml_allowed), "{:?}", t);
            prop_assert!(!t.contains(['\n', '\r', '\t']), "{:?}", t);
            prop_assert_eq!(t.trim(), t);
        }
    }

    #[test]
    fn clean_text_is_xml_valid_and_idempotent(s in prop_oneof![nasty_string(64), any::<String>()]) {
        let once = clean_text(&s);
        prop_assert!(once.chars().all(xml_allowed), "{:?} -> {:?}", s, once);
        prop_assert!(!once.contains('\r'), "{:?} -> {:?}", s, once);
        prop_assert_eq!(clean_text(&once), once.clone());
        // Only forbidden characters go; everything allowed keeps its order.
        let kept: String = s
            .replace("\r\n", "\n")
            .chars()
            .filter(|&c| xml_allowed(c))
            .map(|c| if c == '\r' { '\n' } else { c })
            .collect();
        prop_assert_eq!(once, kept);
    }

    #[test]
    fn clean_optional_is_trimmed_valid_or_none(s in prop_oneof![nasty_string(32), any::<String>()]) {
        if let Some(out) = clean_optional(Some(&s)) {
            prop_assert!(!out.is_empty());
            prop_assert_eq!(out.trim(), out.as_str(), "{:?}", s);
            prop_assert!(out.chars().all(xml_allowed), "{:?}", out);
            prop_assert_eq!(clean_optional(Some(&out)), Some(out.clone()));
        }
    }
}

// Hostile uploads (README "Attachments"): whatever the bytes or the name,
// the checks answer without panicking, and what they accept is safe.
proptest! {
    #[test]
    fn sniffing_never_panics_and_only_names_accepted_types(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Some(t) = super::attachment::MediaType::sniff(&bytes) {
            prop_assert!(matches!(t.mime(), "image/jpeg" | "image/png" | "image/webp" | "application/pdf"));
        }
    }

    #[test]
    fn an_accepted_file_name_has_no_separator_or_control_character(name in "\\PC{0,40}|[a-z/\\\\\\x00-\\x1f.]{0,20}") {
        if let Ok(clean) = super::attachment::clean_filename(&name) {
            prop_assert!(!clean.contains(['/', '\\']));
            prop_assert!(!clean.chars().any(char::is_control));
            prop_assert!(!clean.starts_with('.'));
            prop_assert!(super::attachment::is_served_filename(&clean));
        }
    }

    #[test]
    fn a_javascript_action_is_found_however_its_name_is_escaped(mask in any::<u16>(), pad in "[ a-z0-9]{0,30}") {
        // Each letter of JavaScript written as #xx where the mask says so.
        let name: String = "JavaScript".chars().enumerate().map(|(i, c)| {
            if mask & (1 << i) != 0 { format!("#{:02X}", c as u32) } else { c.to_string() }
        }).collect();
        let pdf = format!("%PDF-1.4\n{pad}<< /S /{name} >>");
        prop_assert_eq!(super::attachment::pdf_has_script(pdf.as_bytes()), super::attachment::PdfVerdict::Script);
    }
}
