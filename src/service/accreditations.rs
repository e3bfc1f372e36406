//! Accrediting journalists for embargoed early access (the command line's
//! `accredit` / `revoke-accreditation`, and the newsroom's page).

use super::WriteError;
use crate::authentication as cred;
use crate::domain::ValidationError;
use crate::store::{Conflict, Store, StoreError};
use chrono::{DateTime, Utc};

/// Longest name or outlet accepted.
const MAX_FIELD_CHARS: usize = 200;

/// A new accreditation, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccreditation {
    pub name: String,
    pub outlet: String,
    pub email: Option<String>,
}

impl NewAccreditation {
    /// Every problem at once, so a form can show them all.
    pub fn parse(name: &str, outlet: &str, email: Option<&str>) -> Result<Self, WriteError> {
        let mut problems = Vec::new();
        let mut text = |field: &'static str, value: &str| {
            let value = value.trim();
            if value.is_empty()
                || value.chars().count() > MAX_FIELD_CHARS
                || value.chars().any(char::is_control)
            {
                problems.push(ValidationError::new(
                    field,
                    format!("give the {field} in 1 to {MAX_FIELD_CHARS} printable characters"),
                ));
            }
            value.to_owned()
        };
        let name = text("name", name);
        let outlet = text("outlet", outlet);
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        if let Some(e) = email
            && !plausible_email(e)
        {
            problems.push(ValidationError::new(
                "email",
                format!("{e:?} is not an email address (name@example.org)"),
            ));
        }
        if problems.is_empty() {
            Ok(Self {
                name,
                outlet,
                email: email.map(str::to_owned),
            })
        } else {
            Err(WriteError::Invalid(problems))
        }
    }
}

/// One `@` between a local part and a dotted domain, no spaces or control
/// characters: enough to catch a slip of the keyboard; whether the mailbox
/// exists is for the mail system to say.
pub(crate) fn plausible_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Issues an accreditation; returns its token, shown once and stored only
/// as a hash (256 random bits, so a plain SHA-256 is enough: nobody can
/// guess their way to a hash of one).
pub fn accredit(
    store: &Store,
    new: &NewAccreditation,
    now: DateTime<Utc>,
) -> Result<String, WriteError> {
    let token = cred::random_hex(32);
    match store.create_accreditation(
        &new.name,
        &new.outlet,
        new.email.as_deref(),
        &cred::token_digest(&token),
        now,
    ) {
        Ok(_) => Ok(token),
        Err(StoreError::Conflict(Conflict::AccreditationTaken(_))) => Err(WriteError::Exists(
            format!("an active accreditation for {:?}", new.name),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Revokes the active accreditation of `name`: its private URLs answer 404
/// from the next request on.
pub fn revoke_accreditation(
    store: &Store,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), WriteError> {
    if store.revoke_accreditation(name.trim(), now)? {
        Ok(())
    } else {
        Err(WriteError::NotFound)
    }
}

/// The private base URL of a token.
pub fn private_base_url(base_url: &str, token: &str) -> String {
    format!("{}/private/{token}/", base_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_a_newsroom_would_not_want_stored() {
        assert!(NewAccreditation::parse("Ana Ruiz", "El Diario", Some("ana@eldiario.es")).is_ok());
        assert!(NewAccreditation::parse("Ana Ruiz", "El Diario", Some("  ")).is_ok());
        let Err(WriteError::Invalid(p)) = NewAccreditation::parse(" ", "x\u{7}", Some("ana@"))
        else {
            panic!("accepted");
        };
        let fields: Vec<_> = p.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "outlet", "email"]);
        for bad in ["a@b", "a b@c.de", "@c.de", "a@.de", "a@c.de.", "a@@c.de"] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }
}
