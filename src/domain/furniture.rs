//! Press-release furniture: what follows the `# # #` end mark (README
//! "Press-release furniture"). Media contacts validate on construction;
//! notes to editors are Markdown, bounded here and sanitised when rendered.

use super::{ValidationError, clean_name};
use serde::{Deserialize, Serialize};

/// Most media contacts on one release: a block readers scan, not a list.
pub const MAX_CONTACTS: usize = 20;

/// Longest notes to editors, in bytes of Markdown.
pub const MAX_NOTES_BYTES: usize = 64 * 1024;

/// Longest name, role, email or phone of a contact, in characters.
const MAX_FIELD_CHARS: usize = 200;

/// A media contact as the API and the import format carry it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MediaContactInput {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl MediaContactInput {
    /// Whether every field is blank (an unused row of the form).
    pub fn is_blank(&self) -> bool {
        [
            Some(self.name.as_str()),
            self.role.as_deref(),
            self.email.as_deref(),
            self.phone.as_deref(),
        ]
        .iter()
        .all(|f| f.is_none_or(|s| s.trim().is_empty()))
    }
}

/// A valid media contact: a name, and an email or a phone (or both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaContact {
    name: String,
    role: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

impl MediaContact {
    /// Checks one contact; `at` is its place in the list (for messages).
    pub fn parse(at: usize, c: &MediaContactInput) -> Result<Self, ValidationError> {
        let bad = |m: String| ValidationError::new("media_contacts", format!("[{at}] {m}"));
        let field = |what: &str, s: Option<&str>| -> Result<Option<String>, ValidationError> {
            let s = s.map(clean_name).filter(|s| !s.is_empty());
            match s {
                Some(s) if s.chars().count() > MAX_FIELD_CHARS => Err(bad(format!(
                    "{what} is {} characters; at most {MAX_FIELD_CHARS}",
                    s.chars().count()
                ))),
                s => Ok(s),
            }
        };
        let name = field("name", Some(&c.name))?.ok_or_else(|| bad("has no name".into()))?;
        let role = field("role", c.role.as_deref())?;
        let email = field("email", c.email.as_deref())?;
        let phone = field("phone", c.phone.as_deref())?;
        if email.is_none() && phone.is_none() {
            return Err(bad(format!(
                "{name:?} has neither an email nor a phone; give at least one"
            )));
        }
        if let Some(e) = &email
            && !is_email(e)
        {
            return Err(bad(format!(
                "email {e:?} is not an address like press@example.org"
            )));
        }
        if let Some(p) = &phone
            && tel_digits(p).is_none()
        {
            return Err(bad(format!(
                "phone {p:?} is not a phone number like +44 20 7946 0000 \
                 (digits, spaces, dots, dashes, brackets, a leading +)"
            )));
        }
        Ok(Self {
            name,
            role,
            email,
            phone,
        })
    }

    /// A contact as stored; the store only holds contacts that were valid.
    pub fn from_stored(
        name: String,
        role: Option<String>,
        email: Option<String>,
        phone: Option<String>,
    ) -> Self {
        Self {
            name,
            role,
            email,
            phone,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn role(&self) -> Option<&str> {
        self.role.as_deref()
    }
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
    /// The phone as typed (what readers see).
    pub fn phone(&self) -> Option<&str> {
        self.phone.as_deref()
    }

    /// The phone as a `tel:` URI (RFC 3966): digits and a leading `+` only.
    pub fn tel_uri(&self) -> Option<String> {
        self.phone
            .as_deref()
            .and_then(tel_digits)
            .map(|d| format!("tel:{d}"))
    }

    pub fn mailto_uri(&self) -> Option<String> {
        self.email.as_deref().map(|e| format!("mailto:{e}"))
    }

    pub fn to_input(&self) -> MediaContactInput {
        MediaContactInput {
            name: self.name.clone(),
            role: self.role.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
        }
    }
}

/// Checks a release's contacts, skipping blank rows (the form sends a few
/// empty ones). Names the first bad contact by position.
pub fn validate_contacts(
    inputs: &[MediaContactInput],
) -> Result<Vec<MediaContact>, ValidationError> {
    let used: Vec<&MediaContactInput> = inputs.iter().filter(|c| !c.is_blank()).collect();
    if used.len() > MAX_CONTACTS {
        return Err(ValidationError::new(
            "media_contacts",
            format!(
                "{} contacts; a release has at most {MAX_CONTACTS}",
                used.len()
            ),
        ));
    }
    used.into_iter()
        .enumerate()
        .map(|(i, c)| MediaContact::parse(i, c))
        .collect()
}

/// Checks notes to editors: bounded Markdown; blank is none.
pub fn validate_notes(notes: Option<&str>) -> Result<Option<String>, ValidationError> {
    let Some(notes) = notes else { return Ok(None) };
    if notes.len() > MAX_NOTES_BYTES {
        return Err(ValidationError::new(
            "notes_to_editors",
            format!(
                "is {} bytes; at most {MAX_NOTES_BYTES} (64 KiB)",
                notes.len()
            ),
        ));
    }
    let notes = super::clean_text(notes);
    let notes = notes.trim();
    Ok((!notes.is_empty()).then(|| notes.to_owned()))
}

/// Longest "About" boilerplate of an organisation, in bytes of Markdown.
pub const MAX_ABOUT_BYTES: usize = 16 * 1024;

/// Checks an organisation's "About" boilerplate: the organisation's name as
/// releases carry it (cleaned as a release's is, so the names match), and
/// bounded Markdown;
/// blank is none (the setting removed).
pub fn validate_about(
    organization: &str,
    about: &str,
) -> Result<(String, Option<String>), Vec<ValidationError>> {
    let mut errors = Vec::new();
    let name = super::clean_optional(Some(organization)).unwrap_or_default();
    if name.is_empty() {
        errors.push(ValidationError::new("organization", "is required"));
    }
    if about.len() > MAX_ABOUT_BYTES {
        errors.push(ValidationError::new(
            "about",
            format!(
                "is {} bytes; at most {MAX_ABOUT_BYTES} (16 KiB)",
                about.len()
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let about = super::clean_text(about);
    let about = about.trim();
    Ok((name, (!about.is_empty()).then(|| about.to_owned())))
}

/// An address shape browsers' `type=email` accept: one `@`, a local part
/// and a dotted domain, no spaces, nothing a `mailto:` would misread.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=^_`{|}~.".contains(c));
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    local_ok && domain_ok
}

/// The phone reduced to a leading `+` and digits, when it is made only of
/// what people type in numbers and has 3 to 20 digits.
fn tel_digits(s: &str) -> Option<String> {
    let s = s.trim();
    let (plus, rest) = match s.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", s),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || " .-()/".contains(c) || c == '\u{a0}')
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (3..=20)
        .contains(&digits.len())
        .then(|| format!("{plus}{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: &str, email: Option<&str>, phone: Option<&str>) -> MediaContactInput {
        MediaContactInput {
            name: name.into(),
            role: Some("Press officer".into()),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
        }
    }

    #[test]
    fn a_contact_needs_a_name_and_a_way_to_reach_them() {
        let c =
            MediaContact::parse(0, &contact(" Ada  ", None, Some("+44 (0)20 7946-0000"))).unwrap();
        assert_eq!(c.name(), "Ada");
        assert_eq!(c.phone(), Some("+44 (0)20 7946-0000"));
        assert_eq!(c.tel_uri().as_deref(), Some("tel:+4402079460000"));
        let e = MediaContact::parse(2, &contact(" ", Some("a@b.org"), None)).unwrap_err();
        assert_eq!(e.field, "media_contacts");
        assert!(e.message.contains("[2] has no name"), "{}", e.message);
        let e = MediaContact::parse(0, &contact("Ada", None, None)).unwrap_err();
        assert!(
            e.message.contains("neither an email nor a phone"),
            "{}",
            e.message
        );
    }

    #[test]
    fn emails_and_phones_are_checked() {
        for bad in [
            "ada",
            "ada@",
            "@b.org",
            "a b@c.org",
            "a@b",
            "a@b..org",
            "a@b.org?x=1",
        ] {
            assert!(
                MediaContact::parse(0, &contact("Ada", Some(bad), None)).is_err(),
                "{bad}"
            );
        }
        let ok = MediaContact::parse(0, &contact("Ada", Some("press.office+x@gov.example"), None))
            .unwrap();
        assert_eq!(
            ok.mailto_uri().as_deref(),
            Some("mailto:press.office+x@gov.example")
        );
        for bad in ["call me", "12", "+1 555 0100 ext 5", "javascript:alert(1)"] {
            assert!(
                MediaContact::parse(0, &contact("Ada", None, Some(bad))).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn boilerplate_is_bounded_and_blank_removes_it() {
        let (name, about) = validate_about(" Ministry of Works\n", " We build.\n").unwrap();
        assert_eq!(name, "Ministry of Works");
        assert_eq!(about.as_deref(), Some("We build."));
        assert_eq!(validate_about("M", "  ").unwrap().1, None);
        let e = validate_about("", &"x".repeat(MAX_ABOUT_BYTES + 1)).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["organization", "about"]);
    }

    #[test]
    fn blank_rows_are_skipped_and_the_list_is_bounded() {
        let list = vec![
            MediaContactInput::default(),
            contact("Ada", Some("a@b.org"), None),
            MediaContactInput::default(),
        ];
        assert_eq!(validate_contacts(&list).unwrap().len(), 1);
        let many = vec![contact("Ada", Some("a@b.org"), None); 300];
        let e = validate_contacts(&many).unwrap_err();
        assert!(e.message.contains("300 contacts"), "{}", e.message);
    }

    #[test]
    fn notes_are_bounded_and_blank_is_none() {
        assert_eq!(validate_notes(Some("  \n")).unwrap(), None);
        assert_eq!(
            validate_notes(Some(" *Embargo* \r\n")).unwrap().as_deref(),
            Some("*Embargo*")
        );
        let e = validate_notes(Some(&"x".repeat(1 << 20))).unwrap_err();
        assert_eq!(e.field, "notes_to_editors");
    }
}
