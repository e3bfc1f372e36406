//! Search text: the one folding of words that the index and every query go
//! through, the query a reader types turned into terms (never into search
//! syntax), and the highlighted snippet of a result.
//!
//! Folding makes spellings that readers take for the same word equal:
//! Arabic without short vowels finds text written with them and back
//! (tashkeel and other non-spacing marks dropped, tatweel dropped; the
//! hamza carriers أ إ آ and alef wasla ٱ become ا, ؤ becomes و and ئ ي, as
//! compatibility decomposition gives; alef maqsura ى becomes ي and teh
//! marbuta ة becomes ه, the two spellings Arabic writers interchange at the
//! end of a word; Persian ی and ک become ي and ك; Arabic-Indic digits
//! become 0-9), Latin letters lose their accents (café finds cafe), case is
//! folded, and compatibility forms (presentation forms, ligatures,
//! full-width letters) become their plain letters. A word is a run of
//! letters, digits and spacing marks; everything else separates words.

use icu_normalizer::DecomposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;
use std::ops::Range;

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words a query may hold, phrases' words included: each word is
/// one more index lookup, and phrases one more position check.
pub const MAX_QUERY_WORDS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Part of a word, kept.
    Word,
    /// Part of a word, dropped (marks, tatweel, joiners, soft hyphen).
    Silent,
    Separator,
}

fn class(c: char) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            Class::Word
        } else {
            Class::Separator
        };
    }
    if matches!(c, '\u{0640}' | '\u{200C}' | '\u{200D}' | '\u{00AD}') {
        return Class::Silent;
    }
    use GeneralCategory as G;
    match CodePointMapData::<GeneralCategory>::new().get(c) {
        G::NonspacingMark => Class::Silent,
        G::UppercaseLetter
        | G::LowercaseLetter
        | G::TitlecaseLetter
        | G::ModifierLetter
        | G::OtherLetter
        | G::DecimalNumber
        | G::LetterNumber
        | G::OtherNumber
        | G::PrivateUse
        | G::SpacingMark
        | G::EnclosingMark => Class::Word,
        _ => Class::Separator,
    }
}

/// Letters folded beyond what decomposition and lowercasing give.
fn fold_letter(c: char, out: &mut String) {
    match c {
        '\u{0671}' => out.push('\u{0627}'), // ٱ alef wasla → ا
        '\u{0649}' | '\u{06CC}' => out.push('\u{064A}'), // ى, Persian ی → ي
        '\u{0629}' => out.push('\u{0647}'), // ة → ه
        '\u{06A9}' => out.push('\u{0643}'), // Persian ک → ك
        '\u{0660}'..='\u{0669}' => out.push(char::from(b'0' + (c as u32 - 0x0660) as u8)),
        '\u{06F0}'..='\u{06F9}' => out.push(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
        'ß' | 'ẞ' => out.push_str("ss"),
        'æ' | 'Æ' => out.push_str("ae"),
        'œ' | 'Œ' => out.push_str("oe"),
        'ø' | 'Ø' => out.push('o'),
        'đ' | 'Đ' => out.push('d'),
        'ł' | 'Ł' => out.push('l'),
        'ı' => out.push('i'),
        _ => {
            for l in c.to_lowercase() {
                if class(l) == Class::Word {
                    out.push(l);
                }
            }
        }
    }
}

/// Calls `f` with each word of `text`: where it is, and its folded form
/// (several folded words, space-separated, when a compatibility form
/// decomposes into more than one: ½ → `1 2`). One buffer for all words:
/// indexing folds every release's text.
fn scan(text: &str, mut f: impl FnMut(Range<usize>, &str)) {
    let nfkd = DecomposingNormalizerBorrowed::new_nfkd();
    let mut word = String::new();
    let mut start = None;
    let mut end = 0;
    let mut flush = |start: &mut Option<usize>, word: &mut String, end: usize| {
        if let Some(s) = start.take() {
            let w = word.trim_matches(' ');
            if !w.is_empty() {
                f(s..end, w);
            }
        }
        word.clear();
    };
    for (i, c) in text.char_indices() {
        match class(c) {
            Class::Separator => flush(&mut start, &mut word, end),
            Class::Silent => {
                if start.is_some() {
                    end = i + c.len_utf8();
                }
            }
            Class::Word => {
                start.get_or_insert(i);
                if c.is_ascii() {
                    word.push(c.to_ascii_lowercase());
                } else {
                    for d in nfkd.normalize_iter(std::iter::once(c)) {
                        match class(d) {
                            Class::Word => fold_letter(d, &mut word),
                            Class::Silent => {}
                            // A compatibility form that decomposes into
                            // several words (½ → 1⁄2): they stay apart.
                            Class::Separator => word.push(' '),
                        }
                    }
                }
                end = i + c.len_utf8();
            }
        }
    }
    flush(&mut start, &mut word, end);
}

/// The words of `text`: where each is in `text`, and its folded form.
pub fn words(text: &str) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    scan(text, |range, folded| {
        for w in folded.split(' ').filter(|w| !w.is_empty()) {
            out.push((range.clone(), w.to_owned()));
        }
    });
    out
}

/// `text` folded: its folded words, one space apart. What the index holds
/// and what queries are made of.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    scan(text, |_, folded| {
        for w in folded.split(' ').filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    });
    out
}

/// The text a reader reads in a body of sanitised HTML: tags become word
/// breaks and character references their characters.
pub fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find(['<', '&']) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => {
                    out.push(' ');
                    rest = &rest[end + 1..];
                }
                None => {
                    rest = "";
                }
            }
        } else {
            let end = rest[1..]
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
                .map(|e| e + 1);
            let (entity, after) = match end {
                Some(e) if rest[e..].starts_with(';') => (&rest[1..e], &rest[e + 1..]),
                _ => ("", &rest[1..]),
            };
            match decode_reference(entity) {
                Some(c) => {
                    out.push(c);
                    rest = after;
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_reference(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{00A0}',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

/// Why a query cannot be run; the message is shown to whoever typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Type one or more words to search for.")]
    Empty,
    #[error("The search is too long: at most {MAX_QUERY_CHARS} characters.")]
    TooLong,
    #[error("The search has too many words: at most {MAX_QUERY_WORDS}, phrases included.")]
    TooManyWords,
}

/// A query as terms: every term must be in a release for it to match;
/// a term of several words is a phrase (its words in that order, side by
/// side). Search operators a reader might type (`*`, `-`, `NEAR(`, `OR`,
/// parentheses) are not operators here: punctuation separates words and
/// `or` is a word like any other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<Vec<String>>,
}

impl SearchQuery {
    /// Reads what a reader typed: words, and phrases in double quotes (an
    /// unclosed quote runs to the end).
    pub fn parse(raw: &str) -> Result<Self, QueryError> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        let mut terms: Vec<Vec<String>> = Vec::new();
        for (i, part) in raw.split('"').enumerate() {
            let folded: Vec<String> = words(part).into_iter().map(|(_, w)| w).collect();
            if i % 2 == 1 && folded.len() > 1 {
                terms.push(folded);
            } else {
                terms.extend(folded.into_iter().map(|w| vec![w]));
            }
        }
        let mut seen = std::collections::HashSet::new();
        terms.retain(|t| seen.insert(t.clone()));
        let count: usize = terms.iter().map(Vec::len).sum();
        if count == 0 {
            return Err(QueryError::Empty);
        }
        if count > MAX_QUERY_WORDS {
            return Err(QueryError::TooManyWords);
        }
        Ok(Self { terms })
    }

    /// The terms, each one word or a phrase's folded words.
    pub fn terms(&self) -> &[Vec<String>] {
        &self.terms
    }

    /// The query as it is understood, in a canonical form: the same for
    /// every spelling of the same search.
    pub fn canonical(&self) -> String {
        let parts: Vec<String> = self
            .terms
            .iter()
            .map(|t| {
                if t.len() > 1 {
                    format!("\"{}\"", t.join(" "))
                } else {
                    t.join(" ")
                }
            })
            .collect();
        parts.join(" ")
    }

    fn matches(&self, folded_word: &str) -> bool {
        self.terms.iter().flatten().any(|w| w == folded_word)
    }
}

/// A stretch of text in a snippet, marked when it is a searched word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub mark: bool,
}

/// Up to `width` words of `text` around the first searched word (its
/// start when there is none), with every searched word marked; an
/// ellipsis where the text was cut.
pub fn snippet(text: &str, query: &SearchQuery, width: usize) -> Vec<Fragment> {
    let words = words(text);
    if words.is_empty() {
        return Vec::new();
    }
    let first = words
        .iter()
        .position(|(_, w)| query.matches(w))
        .unwrap_or(0);
    let from = first.saturating_sub(width / 4);
    let to = (from + width).min(words.len());
    let mut out = Vec::new();
    let mut push = |text: &str, mark: bool| {
        if !text.is_empty() {
            out.push(Fragment {
                text: text.to_owned(),
                mark,
            });
        }
    };
    if from > 0 {
        push("… ", false);
    }
    let mut at = words[from].0.start;
    for (range, w) in &words[from..to] {
        if query.matches(w) {
            push(&text[at..range.start], false);
            push(&text[range.clone()], true);
            at = range.end;
        }
    }
    let end = words[to - 1].0.end;
    if at < end {
        push(&text[at..end], false);
    }
    if to < words.len() {
        push(" …", false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn arabic_with_and_without_tashkeel_fold_alike() {
        // "the detainees" with full vowel marks, and without.
        assert_eq!(fold("المُعْتَقَلِينَ"), fold("المعتقلين"));
        assert_eq!(fold("المُعْتَقَلِينَ"), "المعتقلين");
        // Tatweel (kashida) only stretches a word.
        assert_eq!(fold("المعـــتقلين"), "المعتقلين");
    }

    #[test]
    fn arabic_letter_forms_fold_to_one() {
        assert_eq!(fold("أحمد"), fold("احمد"));
        assert_eq!(fold("إسلام"), fold("اسلام"));
        assert_eq!(fold("آمن"), fold("امن"));
        assert_eq!(fold("ٱلله"), fold("الله"));
        assert_eq!(fold("مستشفى"), fold("مستشفي"));
        assert_eq!(fold("مدرسة"), fold("مدرسه"));
        assert_eq!(fold("سؤال"), fold("سوال"));
        // Presentation forms (as pasted from old PDFs) are plain letters.
        assert_eq!(
            fold("\u{FEE3}\u{FEAE}\u{FEA3}\u{FE92}\u{FE8E}"),
            fold("مرحبا")
        );
        assert_eq!(fold("٢٠٢٦"), "2026");
    }

    #[test]
    fn latin_accents_and_case_fold() {
        assert_eq!(fold("Café"), "cafe");
        assert_eq!(fold("CAFÉ"), fold("cafe"));
        assert_eq!(fold("Ærøskøbing"), "aeroskobing");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("naïve résumé"), "naive resume");
        assert_eq!(fold("ｆｕｌｌ"), "full");
    }

    #[test]
    fn punctuation_and_markup_characters_separate_words() {
        assert_eq!(fold("a-b c*d (e) \"f\" NEAR(g)"), "a b c d e f near g");
        assert_eq!(fold("x\u{0}y\u{7}z"), "x y z");
        assert_eq!(fold(""), "");
        assert_eq!(fold("  !!  "), "");
    }

    #[test]
    fn html_text_reads_what_readers_read() {
        assert_eq!(
            html_text("<p>Budget &amp; <b>cuts</b></p><p>next&#x41;&#66;&nbsp;x</p>"),
            " Budget &  cuts   nextAB\u{a0}x "
        );
        assert_eq!(html_text("a & b &bogus; <unclosed"), "a & b &bogus; ");
    }

    #[test]
    fn queries_are_words_and_quoted_phrases() {
        let q = SearchQuery::parse("Detainees \"human RIGHTS\" café").unwrap();
        assert_eq!(
            q.terms(),
            &[
                vec!["detainees".to_owned()],
                vec!["human".to_owned(), "rights".to_owned()],
                vec!["cafe".to_owned()]
            ]
        );
        assert_eq!(q.canonical(), "detainees \"human rights\" cafe");
        // Operators are words or separators, never syntax.
        let q = SearchQuery::parse("a OR b NOT c NEAR(d* -e").unwrap();
        assert_eq!(q.canonical(), "a or b not c near d e");
        // An unclosed quote runs to the end; one word in quotes is a word.
        assert_eq!(
            SearchQuery::parse("x \"y z").unwrap().canonical(),
            "x \"y z\""
        );
        assert_eq!(SearchQuery::parse("\"y\"").unwrap().canonical(), "y");
    }

    #[test]
    fn queries_have_limits() {
        assert_eq!(SearchQuery::parse("   "), Err(QueryError::Empty));
        assert_eq!(SearchQuery::parse("\"*()\""), Err(QueryError::Empty));
        assert_eq!(
            SearchQuery::parse(&"a".repeat(10_000)),
            Err(QueryError::TooLong)
        );
        assert_eq!(
            SearchQuery::parse("a b c d e f g h i"),
            Err(QueryError::TooManyWords)
        );
        assert!(SearchQuery::parse("a b c d e f g h").is_ok());
        // The same word twice counts once.
        assert!(SearchQuery::parse("a a a a a a a a a a").is_ok());
    }

    #[test]
    fn snippets_mark_the_searched_words_as_written() {
        let q = SearchQuery::parse("المعتقلين cafe").unwrap();
        let s = snippet("زيارة المُعْتَقَلِينَ في Café", &q, 10);
        let marked: Vec<&str> = s
            .iter()
            .filter(|f| f.mark)
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(marked, ["المُعْتَقَلِينَ", "Café"]);
        let joined: String = s.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(joined, "زيارة المُعْتَقَلِينَ في Café");
        let long = format!("{}needle {}", "w ".repeat(50), "v ".repeat(50));
        let s = snippet(&long, &SearchQuery::parse("needle").unwrap(), 12);
        let joined: String = s.iter().map(|f| f.text.as_str()).collect();
        assert!(joined.starts_with("… w w w needle"), "{joined}");
        assert!(joined.ends_with("v …"), "{joined}");
    }

    proptest! {
        /// Folding is a fixed point: folded text folds to itself, so the
        /// index and a query typed from indexed text agree.
        #[test]
        fn folding_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        /// Whatever is typed, a query is refused with a reason or gives
        /// terms made only of word characters, within the limits.
        #[test]
        fn any_input_gives_safe_terms_or_a_reason(s in "(\\PC|[\"*()\\-:^{}])*") {
            if let Ok(q) = SearchQuery::parse(&s) {
                let words: usize = q.terms().iter().map(Vec::len).sum();
                prop_assert!((1..=MAX_QUERY_WORDS).contains(&words));
                for w in q.terms().iter().flatten() {
                    prop_assert!(!w.is_empty());
                    prop_assert!(w.chars().all(|c| class(c) == Class::Word), "{:?}", w);
                }
            }
        }

        /// Adding or removing short vowels never changes what an Arabic
        /// word folds to.
        #[test]
        fn tashkeel_never_matters(
            letters in proptest::collection::vec(0x0628u32..=0x064Au32, 1..8),
            marks in proptest::collection::vec(0x064Bu32..=0x0652u32, 0..8),
        ) {
            let plain: String = letters.iter().filter_map(|&c| char::from_u32(c)).collect();
            let mut voweled = String::new();
            for (i, c) in plain.chars().enumerate() {
                voweled.push(c);
                if let Some(&m) = marks.get(i) { voweled.extend(char::from_u32(m)); }
            }
            prop_assert_eq!(fold(&voweled), fold(&plain));
        }

        #[test]
        fn snippets_are_stretches_of_the_text(s in "\\PC{0,80}", q in "[a-z]{1,3}") {
            let query = SearchQuery::parse(&q).unwrap();
            let joined: String = snippet(&s, &query, 10).iter().map(|f| f.text.clone()).collect();
            let inner = joined.trim_start_matches("… ").trim_end_matches(" …");
            prop_assert!(s.contains(inner));
        }
    }
}
