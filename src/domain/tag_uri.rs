//! Release ids: `tag:` URIs (RFC 4151), the only form a release's feed id
//! may take. pressfeed mints `tag:{host},{date}:release/{hex}`; an id moved
//! in from another server must have the same shape, so nothing but a tag
//! (no `javascript:`, no `http:` a reader might follow) reaches a feed's
//! `guid`, `id` or JSON `id`.

/// Longest id accepted.
const MAX_LEN: usize = 300;

/// Whether `s` is a `tag:` URI: `tag:` authority `,` date `:` specific,
/// where the authority is a DNS name or an e-mail address, the date is
/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, and the specific part is URI path
/// characters only.
pub fn is_tag_uri(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("tag:") else {
        return false;
    };
    let Some((entity, specific)) = rest.split_once(':') else {
        return false;
    };
    let Some((authority, date)) = entity.rsplit_once(',') else {
        return false;
    };
    s.len() <= MAX_LEN && is_authority(authority) && is_date(date) && is_specific(specific)
}

fn is_authority(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
                && is_dns_name(domain)
        }
        None => is_dns_name(s),
    }
}

fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    }
}

/// `*( pchar / "/" / "?" ) [ "#" fragment ]`, pchar from RFC 3986.
fn is_specific(s: &str) -> bool {
    let (specific, fragment) = s.split_once('#').unwrap_or((s, ""));
    !specific.is_empty() && is_uri_chars(specific) && is_uri_chars(fragment)
}

fn is_uri_chars(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_tag_uri;

    #[test]
    fn minted_and_foreign_tags_are_accepted() {
        for ok in [
            "tag:press.test,2026-01-01:release/00ff00ff00ff00ff",
            "tag:127.0.0.1,2026-12-02:release/1",
            "tag:news.example.org,2024:press/2024/17",
            "tag:press@example.org,2001-03:item?x=1#part",
        ] {
            assert!(is_tag_uri(ok), "{ok}");
        }
    }

    #[test]
    fn anything_but_a_tag_is_refused() {
        for bad in [
            "javascript:alert(1)",
            "http://example.org/1",
            "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
            "tag:",
            "tag:press.test:release/1",
            "tag:press.test,26-01-01:release/1",
            "tag:press.test,2026-1-01:release/1",
            "tag:-press.test,2026:x",
            "tag:press test,2026:x",
            "tag:press.test,2026:",
            "tag:press.test,2026:a b",
            "tag:press.test,2026:<script>",
            "tag:press.test,2026:%zz",
            "TAG:press.test,2026:x",
        ] {
            assert!(!is_tag_uri(bad), "{bad}");
        }
        assert!(!is_tag_uri(&format!("tag:a.b,2026:{}", "x".repeat(300))));
    }
}
