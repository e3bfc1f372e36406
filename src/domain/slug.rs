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
    /// Letters outside ASCII are dropped; `None` when nothing usable is left.
    pub fn from_text(text: &str) -> Option<Self> {
        let mut out = String::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 80 {
                break;
            }
        }
        let trimmed = out.trim_end_matches('-');
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
        assert!(Slug::from_text("مرحبا").is_none());
    }
}
