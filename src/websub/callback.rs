//! Where the hub may send requests, and how fast.
//!
//! A subscriber names a callback URL; the hub then sends requests there on
//! its own. So that nobody can aim the hub at the server's own network, a
//! callback must be http(s) and every address it resolves to must be
//! public: loopback, private (RFC 1918), shared (CGNAT), link-local,
//! unique-local, multicast and reserved ranges are refused unless
//! `websub_allow_private_callbacks` is on. The rule is applied when the
//! connection is made (the client's resolver drops such addresses), not
//! only when subscribing, so a name that later resolves elsewhere (DNS
//! rebinding) gets nowhere; redirects are never followed.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use tokio::time::Instant;
use url::Url;

/// Longest callback URL accepted.
pub const MAX_CALLBACK_LEN: usize = 2000;

/// Why a callback is refused (each is said to the subscriber as is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("hub.callback is missing")]
    Missing,
    #[error("hub.callback is longer than {MAX_CALLBACK_LEN} characters")]
    TooLong,
    #[error("hub.callback is not a URL: {0}")]
    NotUrl(String),
    #[error("hub.callback must be an http or https URL")]
    Scheme,
    #[error("hub.callback must not carry a user name or password")]
    Credentials,
    #[error(
        "hub.callback points at a private, loopback, link-local or reserved address ({0}); this hub sends only to public addresses"
    )]
    Private(IpAddr),
    #[error("hub.callback's host {0} does not resolve")]
    Unresolved(String),
}

/// A callback URL that passed the static checks (scheme, length, no
/// credentials; an address given literally must be allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback(Url);

impl Callback {
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, CallbackError> {
        if raw.is_empty() {
            return Err(CallbackError::Missing);
        }
        if raw.len() > MAX_CALLBACK_LEN {
            return Err(CallbackError::TooLong);
        }
        let url = Url::parse(raw).map_err(|e| CallbackError::NotUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(CallbackError::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CallbackError::Credentials);
        }
        let cb = Self(url);
        if let Some(ip) = cb.literal_ip()
            && !allow_private
            && !is_public(ip)
        {
            return Err(CallbackError::Private(ip));
        }
        Ok(cb)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The host, for per-host limits and the newsroom's list.
    pub fn host(&self) -> String {
        self.0.host_str().unwrap_or_default().to_owned()
    }

    fn literal_ip(&self) -> Option<IpAddr> {
        match self.0.host()? {
            url::Host::Ipv4(a) => Some(IpAddr::V4(a)),
            url::Host::Ipv6(a) => Some(IpAddr::V6(a)),
            url::Host::Domain(_) => None,
        }
    }

    /// Resolves the host now, so that a subscription to a name with only
    /// refused addresses gets a clear 4xx instead of silence.
    pub async fn check_resolves(&self, allow_private: bool) -> Result<(), CallbackError> {
        if self.literal_ip().is_some() || allow_private {
            return Ok(());
        }
        let host = self.host();
        let port = self.0.port_or_known_default().unwrap_or(80);
        let lookup = tokio::time::timeout(
            super::CONNECT_TIMEOUT,
            tokio::net::lookup_host((host.clone(), port)),
        )
        .await;
        let addrs: Vec<SocketAddr> = match lookup {
            Ok(Ok(a)) => a.collect(),
            _ => return Err(CallbackError::Unresolved(host)),
        };
        match addrs.iter().find(|a| !is_public(a.ip())) {
            Some(bad) => Err(CallbackError::Private(bad.ip())),
            None if addrs.is_empty() => Err(CallbackError::Unresolved(host)),
            None => Ok(()),
        }
    }
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => {
            if let Some(v4) = embedded_v4(a) {
                return is_public_v4(v4);
            }
            let seg = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || seg[0] == 0x0100 && seg[1..4] == [0, 0, 0]) // discard-only
        }
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    !(a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF 192.0.0/24
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240) // reserved
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4
/// IPv6 address: those reach the IPv4 network, so its rules apply.
fn embedded_v4(a: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = a.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = a.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !a.is_loopback() && !a.is_unspecified() {
        return Some(tail());
    }
    if s[0] == 0x64 && s[1] == 0xff9b {
        return Some(tail());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// The client's resolver: the system's, with refused addresses dropped.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(found.into_iter()) as Addrs)
        })
    }
}

/// The one client of the hub: no redirects, no proxy from the
/// environment, a timeout on everything, public addresses only (unless
/// allowed).
pub fn client(
    allow_private: bool,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    install_tls_provider();
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(super::CONNECT_TIMEOUT.min(timeout))
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .user_agent(concat!("pressfeed-websub/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(PublicOnly);
    }
    builder.build()
}

/// Gives rustls its cryptography (ring: it builds with cc alone, where
/// aws-lc needs cmake). reqwest takes the process-wide provider and panics
/// without one, so every program building a reqwest client calls this
/// first (tests too). Installing twice is harmless: the first stays.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Requests a second per callback host: a token bucket each, refilled
/// continuously, holding at most a second's worth.
pub struct HostRates {
    per_second: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl HostRates {
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second: f64::from(per_second.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until `host` may be sent one more request.
    pub async fn wait_turn(&self, host: &str) {
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
                if buckets.len() > 10_000 {
                    // Forget full buckets: they hold no debt.
                    let full = self.per_second;
                    let now = Instant::now();
                    buckets.retain(|_, (t, at)| {
                        *t + now.duration_since(*at).as_secs_f64() * full < full
                    });
                }
                let now = Instant::now();
                let (tokens, at) = buckets
                    .entry(host.to_owned())
                    .or_insert((self.per_second, now));
                *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second)
                    .min(self.per_second);
                *at = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    return;
                }
                (1.0 - *tokens) / self.per_second
            };
            tokio::time::sleep(std::time::Duration::from_secs_f64(wait)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_loopback_link_local_and_unique_local_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:c0a8:0101::1",
        ] {
            assert!(!is_public(ip(a)), "{a} must be refused");
        }
        for a in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(a)), "{a} is public");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_host_gets_at_most_its_rate_and_others_are_not_held_back() {
        let rates = HostRates::new(10);
        let start = Instant::now();
        for _ in 0..30 {
            rates.wait_turn("a.example").await;
        }
        // A second's worth at once, then ten a second.
        let took = start.elapsed();
        assert!(took >= std::time::Duration::from_millis(1900), "{took:?}");
        let other = Instant::now();
        rates.wait_turn("b.example").await;
        assert_eq!(other.elapsed(), std::time::Duration::ZERO);
    }

    #[test]
    fn callbacks_must_be_http_urls_to_allowed_addresses() {
        assert_eq!(
            Callback::parse("ftp://example.org/x", false),
            Err(CallbackError::Scheme)
        );
        assert_eq!(
            Callback::parse("file:///etc/passwd", false),
            Err(CallbackError::Scheme)
        );
        assert_eq!(
            Callback::parse("http://user:pw@example.org/", false),
            Err(CallbackError::Credentials)
        );
        assert_eq!(
            Callback::parse("http://127.0.0.1:9/cb", false),
            Err(CallbackError::Private(ip("127.0.0.1")))
        );
        assert_eq!(
            Callback::parse("http://[::1]/cb", false),
            Err(CallbackError::Private(ip("::1")))
        );
        assert!(Callback::parse("http://127.0.0.1:9/cb", true).is_ok());
        assert!(Callback::parse("https://reader.example.org/cb?x=1", false).is_ok());
        let long = format!("https://example.org/{}", "a".repeat(MAX_CALLBACK_LEN));
        assert_eq!(Callback::parse(&long, false), Err(CallbackError::TooLong));
    }
}
