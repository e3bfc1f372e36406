use super::ValidationError;

/// A BCP 47 language tag in its usual case (`en`, `ar`, `pt-BR`, `zh-Hant`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lang(String);

/// Primary languages written right to left.
const RTL: &[&str] = &["ar", "he", "fa", "ur", "ps", "sd", "yi", "dv", "ckb", "ug"];

impl Lang {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim().replace('_', "-");
        let mut parts = s.split('-');
        let primary = parts.next().unwrap_or_default();
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
        let mut out = primary.to_ascii_lowercase();
        let mut rest_ok = true;
        for sub in parts {
            if sub.is_empty() || sub.len() > 8 || !sub.bytes().all(|b| b.is_ascii_alphanumeric()) {
                rest_ok = false;
                break;
            }
            out.push('-');
            // Conventional case: regions upper, scripts title, others lower.
            match sub.len() {
                2 => out.push_str(&sub.to_ascii_uppercase()),
                4 if sub.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    out.push_str(&sub[..1].to_ascii_uppercase());
                    out.push_str(&sub[1..].to_ascii_lowercase());
                }
                _ => out.push_str(&sub.to_ascii_lowercase()),
            }
        }
        if !primary_ok || !rest_ok || s.len() > 35 {
            return Err(ValidationError::new(
                "lang",
                format!("{s:?} is not a language tag (for example en, ar, fr, pt-BR)"),
            ));
        }
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_rtl(&self) -> bool {
        let primary = self.0.split('-').next().unwrap_or_default();
        RTL.contains(&primary) || self.0.ends_with("-Arab") || self.0.contains("-Arab-")
    }

    /// `rtl` or `ltr`, for the HTML `dir` attribute.
    pub fn dir(&self) -> &'static str {
        if self.is_rtl() { "rtl" } else { "ltr" }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_knows_direction() {
        assert_eq!(Lang::parse("pt_br").unwrap().as_str(), "pt-BR");
        assert_eq!(Lang::parse("ZH-hant").unwrap().as_str(), "zh-Hant");
        assert!(Lang::parse("ar").unwrap().is_rtl());
        assert!(!Lang::parse("en").unwrap().is_rtl());
        for bad in ["", "e", "english", "en-", "en--us", "12", "en us"] {
            assert!(Lang::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
