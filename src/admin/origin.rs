//! Where a state-changing newsroom request comes from. Browsers say it in
//! `Sec-Fetch-Site` and `Origin`; a page of another site must not be able
//! to post to the newsroom, even one that could guess every field (the
//! sign-in form, a draft planted in the sign-in page). Requests with
//! neither header (scripts, old clients) are left to the CSRF token.

use actix_web::http::header::{self, HeaderMap};

/// Why a request counts as cross-site, or `None` when it does not.
/// `base_url` is the configured public URL; an `Origin` naming the host the
/// browser addressed (`Host`) is the same site seen through another name
/// (`localhost` for `127.0.0.1`, a reverse proxy's address).
pub fn cross_site(headers: &HeaderMap, base_url: &str) -> Option<&'static str> {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return Some("it was sent by a page of another site (Sec-Fetch-Site)");
        }
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("null").trim();
    let ours = url::Url::parse(base_url)
        .map(|u| u.origin().ascii_serialization())
        .is_ok_and(|o| o.eq_ignore_ascii_case(origin));
    let addressed = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .zip(
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://")),
        )
        .is_some_and(|(host, authority)| !host.is_empty() && host.eq_ignore_ascii_case(authority));
    if ours || addressed {
        None
    } else {
        Some("it was sent by a page of another site (Origin)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_and_headerless_requests_pass_cross_site_ones_do_not() {
        let base = "https://press.example";
        let pass: &[&[(&str, &str)]] = &[
            &[],
            &[("sec-fetch-site", "same-origin")],
            &[("sec-fetch-site", "none")],
            &[("origin", "https://press.example")],
            &[
                ("origin", "http://localhost:8080"),
                ("host", "localhost:8080"),
            ],
        ];
        for p in pass {
            assert_eq!(cross_site(&headers(p), base), None, "{p:?}");
        }
        let refuse: &[&[(&str, &str)]] = &[
            &[("sec-fetch-site", "cross-site")],
            &[("sec-fetch-site", "same-site")],
            &[("origin", "https://evil.example")],
            &[("origin", "null")],
            &[("origin", "http://press.example")],
            &[
                ("origin", "https://evil.example"),
                ("host", "press.example"),
            ],
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://press.example"),
            ],
        ];
        for r in refuse {
            assert!(cross_site(&headers(r), base).is_some(), "{r:?}");
        }
    }
}
