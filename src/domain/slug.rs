use super::ValidationError;

/// A URL path segment: lowercase ASCII letters, digits and single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 200;

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::parse_field("slug", s)
    }

    /// Like [`Slug::parse`], reporting errors against `field`.
    pub fn parse_field(field: &'static str, s: &str) -> Result<Self, ValidationError> {
        if s.is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(ValidationError::new(
                field,
                format!(
                    "is {} characters long; at most {} are allowed",
                    s.len(),
                    Self::MAX_LEN
                ),
            ));
        }
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(ValidationError::new(
                field,
                format!(
                    "{s:?} is not a slug: use lowercase letters a-z, digits and single hyphens"
                ),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// Makes a slug from free text ("Ministry: 3rd report!" → "ministry-3rd-report").
    /// Letters of other scripts are transliterated (any_ascii), so an
    /// Arabic, Russian or Chinese title gets a readable address; symbols and
    /// emoji separate words. `None` when nothing usable is left.
    pub fn from_text(text: &str) -> Option<Self> {
        let mut out = String::new();
        let separate = |out: &mut String| {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        };
        let push = |out: &mut String, c: char| match c.to_ascii_lowercase() {
            c if c.is_ascii_alphanumeric() => out.push(c),
            // Transliteration writes some letters (Arabic ʿayn) as quotes.
            '\'' | '`' => {}
            _ => separate(out),
        };
        for c in text.chars() {
            if c.is_ascii() {
                push(&mut out, c);
            } else if c.is_alphanumeric() {
                let ascii = any_ascii::any_ascii_char(c);
                // Chinese and Japanese characters come out as capitalised
                // syllables ("Bei", "Jing"): keep them apart.
                let syllable = !c.is_uppercase()
                    && !c.is_lowercase()
                    && ascii.starts_with(|a: char| a.is_ascii_uppercase());
                if syllable {
                    separate(&mut out);
                }
                ascii.chars().for_each(|a| push(&mut out, a));
                if syllable {
                    separate(&mut out);
                }
            } else {
                separate(&mut out);
            }
            if out.len() >= 80 {
                break;
            }
        }
        let trimmed = out.get(..80).unwrap_or(&out).trim_end_matches('-');
        Self::parse(trimmed).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_url_safe_slugs_only() {
        assert!(Slug::parse("2024-06-03-ministry-00001").is_ok());
        for bad in ["", "A", "a b", "-a", "a-", "a--b", "é", "a/b", "a.b"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn makes_slugs_from_titles() {
        assert_eq!(
            Slug::from_text("Ministry: 3rd report!  On <Things>")
                .unwrap()
                .as_str(),
            "ministry-3rd-report-on-things"
        );
        assert!(Slug::from_text("🎉 ✨").is_none());
    }

    /// Titles in other scripts used to give `release-20261202-093313`.
    #[test]
    fn transliterates_other_scripts() {
        for (title, slug) in [
            ("ساعات عمل جديدة لمراكز الخدمة", "st-ml-jdydh-lmrkz-lkhdmh"),
            ("Пресс-релиз: новый порт", "press-reliz-novyy-port"),
            ("Ελληνικά νέα", "ellinika-nea"),
            ("Città di Łódź", "citta-di-lodz"),
            ("北京新闻发布会", "bei-jing-xin-wen-fa-bu-hui"),
            ("Жук 🎉 news", "zhuk-news"),
        ] {
            assert_eq!(Slug::from_text(title).unwrap().as_str(), slug, "{title}");
        }
    }
}
