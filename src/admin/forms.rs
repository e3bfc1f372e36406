//! Form bodies as name/value pairs: repeated names (several topics) work,
//! and the guard reads a body once and hands the fields on to the handler.

use super::error::AdminError;
use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use futures_util::StreamExt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The fields whose names start with `prefix`, with it removed.
    pub fn with_prefix(&self, prefix: &str) -> FormFields {
        FormFields(
            self.0
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.clone())))
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads the whole body (up to `limit` bytes) and parses it when it is a
/// URL-encoded form (or the text fields of a multipart one).
pub async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<FormFields, AdminError> {
    if super::uploads::is_multipart(req) {
        // The release form with a file input: its text, its files dropped
        // (only an open session's release form takes files).
        let (fields, _) = super::uploads::read_multipart(req, limit, None).await?;
        return Ok(fields);
    }
    let mut payload = req.take_payload();
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AdminError::BadRequest)?;
        if body.len() + chunk.len() > limit {
            return Err(AdminError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let is_form = req
        .content_type()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded");
    // Only the parsed fields are kept (handlers read those): the raw bytes
    // go now rather than doubling what a request holds.
    Ok(if is_form {
        FormFields::parse(&body)
    } else {
        FormFields::default()
    })
}

impl actix_web::FromRequest for FormFields {
    type Error = AdminError;
    type Future = std::future::Ready<Result<Self, AdminError>>;

    /// The guard has read every state-changing request's form already; the
    /// handler takes it over (a copy of a 2 MiB form would be waste).
    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.extensions_mut()
                .remove::<FormFields>()
                .ok_or(AdminError::BadRequest),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_and_prefixes() {
        let f = FormFields::parse(b"topics=a&topics=b&draft.title=T%C3%A9&x=1+2");
        assert_eq!(f.all("topics"), ["a", "b"]);
        assert_eq!(f.get("x"), "1 2");
        assert_eq!(f.get("missing"), "");
        assert_eq!(f.with_prefix("draft.").get("title"), "Té");
    }
}
