//! Who is asking: the one rule for a client's address, used by every
//! per-client limit (failed sign-ins, polite polling).

use actix_web::HttpRequest;
use std::net::{IpAddr, SocketAddr};

/// The client's address.
///
/// Without `trust_proxy` it is the TCP peer, and `X-Forwarded-For` is
/// ignored: anyone can send it. With `trust_proxy` the peer is our reverse
/// proxy, which appends the address it saw to `X-Forwarded-For`; the client
/// is then the **last** address of the header, every line taken together
/// in order (RFC 9110 §5.3). Every address before it came from the client
/// and can be anything, so taking the first (or the first line's last, when
/// a proxy adds a line of its own) would let one client pose as many and
/// slip past the limits. A last entry that is not an address (with or
/// without a port), or no header at all: the peer.
pub fn client_ip(req: &HttpRequest, trust_proxy: bool) -> IpAddr {
    let forwarded = trust_proxy
        .then(|| {
            req.headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty())
        })
        .flatten()
        .and_then(parse_address);
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// `192.0.2.7`, `2001:db8::1`, or either with a port (`[2001:db8::1]:443`).
fn parse_address(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const PEER: &str = "198.51.100.1:40000";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_peer_unless_a_proxy_is_trusted() {
        let req = TestRequest::default()
            .peer_addr(PEER.parse().unwrap())
            .insert_header(("x-forwarded-for", "192.0.2.7"))
            .to_http_request();
        assert_eq!(client_ip(&req, false), ip("198.51.100.1"));
        assert_eq!(client_ip(&req, true), ip("192.0.2.7"));
    }

    #[test]
    fn behind_a_proxy_the_last_address_counts_over_every_line() {
        // The client wrote the first line; the proxy added the second.
        let req = TestRequest::default()
            .peer_addr(PEER.parse().unwrap())
            .append_header(("x-forwarded-for", "10.0.0.1, 10.0.0.2"))
            .append_header(("x-forwarded-for", "192.0.2.7"))
            .to_http_request();
        assert_eq!(client_ip(&req, true), ip("192.0.2.7"));
        let one_line = TestRequest::default()
            .peer_addr(PEER.parse().unwrap())
            .insert_header(("x-forwarded-for", "10.0.0.1, 192.0.2.8 ,"))
            .to_http_request();
        assert_eq!(client_ip(&one_line, true), ip("192.0.2.8"));
    }

    #[test]
    fn anything_but_an_address_falls_back_to_the_peer() {
        for value in ["unknown", "", "192.0.2.7, not-an-ip", "999.1.1.1"] {
            let req = TestRequest::default()
                .peer_addr(PEER.parse().unwrap())
                .insert_header(("x-forwarded-for", value))
                .to_http_request();
            assert_eq!(client_ip(&req, true), ip("198.51.100.1"), "{value:?}");
        }
        for (value, want) in [
            ("192.0.2.7:5000", "192.0.2.7"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("2001:db8::2", "2001:db8::2"),
        ] {
            let req = TestRequest::default()
                .peer_addr(PEER.parse().unwrap())
                .insert_header(("x-forwarded-for", value))
                .to_http_request();
            assert_eq!(client_ip(&req, true), ip(want), "{value:?}");
        }
    }
}
