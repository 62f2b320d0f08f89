//! Following a report's file link: Doppler's answer names where the CSV is (`file_path`), on
//! any HTTPS host (docs/doppler.md). A hostile or broken answer must not make this server
//! fetch from itself or its private network, so a link is followed only when every address
//! its host resolves to is public, the connection goes to exactly those addresses (no second
//! lookup an attacker could answer differently), without credentials, and each redirect is
//! checked the same way. `DOPPLER_REPORT_FILE_HOSTS`, when set, restricts the hosts further;
//! in DEBUG the simulator (loopback, on the base URL's own port) is allowed too.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use url::Url;

use super::error::RelayError;

/// Redirects followed at most, each checked like the first link.
const MAX_REDIRECTS: usize = 5;

/// Why an address is not public, or `None` when it is.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => not_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return not_public_v4(v4);
            }
            let s = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some("unique-local")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if s[0] & 0xff00 == 0xff00 {
                Some("multicast")
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                Some("documentation")
            } else if s[0] == 0x0064 && s[1] == 0xff9b {
                // NAT64: the IPv4 address it stands for decides.
                not_public_v4(Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                ))
            } else if s[0] == 0x0100 && s[1..4] == [0, 0, 0] {
                Some("discard")
            } else {
                None
            }
        }
    }
}

fn not_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        // 169.254.169.254 is the cloud metadata service.
        Some("link-local (metadata)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT")
    } else if a == 0 || ip.is_broadcast() || a >= 240 {
        Some("reserved")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113)
    {
        Some("documentation")
    } else if a == 198 && (b == 18 || b == 19) {
        Some("benchmarking")
    } else if (a, b, c) == (192, 0, 0) {
        Some("protocol assignments")
    } else {
        None
    }
}

/// How a checked link is reached.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// The simulator in DEBUG: the usual client.
    Simulator,
    /// These addresses, which are the host's and all public.
    Pinned(String, Vec<SocketAddr>),
}

/// The policy of one deployment.
pub struct Policy<'a> {
    pub base: &'a Url,
    pub debug: bool,
    /// `DOPPLER_REPORT_FILE_HOSTS`: empty for any public host.
    pub hosts: &'a [String],
}

fn refused(host: &str, why: impl std::fmt::Display) -> RelayError {
    RelayError::Unexpected(format!(
        "the report file link points at '{host}' ({why}); it was not followed"
    ))
}

impl Policy<'_> {
    /// Whether `url` may be fetched, and where to: refused with its host named otherwise.
    pub async fn check(&self, url: &Url) -> Result<Route, RelayError> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let simulator = self.debug
            && matches!(url.scheme(), "http" | "https")
            && crate::config::is_loopback_host(url)
            && crate::config::is_loopback_host(self.base)
            && url.port_or_known_default() == self.base.port_or_known_default();
        if simulator {
            return Ok(Route::Simulator);
        }
        if url.scheme() != "https" {
            return Err(refused(&host, "only https links are followed"));
        }
        if !self.hosts.is_empty() && !self.hosts.contains(&host) {
            return Err(refused(&host, "not in DOPPLER_REPORT_FILE_HOSTS"));
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let target = url
            .host_str()
            .unwrap_or("")
            .trim_matches(['[', ']'])
            .to_string();
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((target.as_str(), port))
            .await
            .map_err(|e| refused(&host, format!("it does not resolve: {e}")))?
            .collect();
        if addresses.is_empty() {
            return Err(refused(&host, "it does not resolve"));
        }
        if let Some((ip, why)) = addresses
            .iter()
            .find_map(|a| not_public(a.ip()).map(|why| (a.ip(), why)))
        {
            return Err(refused(&host, format!("{ip} is a {why} address")));
        }
        Ok(Route::Pinned(target, addresses))
    }

    /// Fetches `url` without credentials, following at most [`MAX_REDIRECTS`] redirects,
    /// each checked as the first link was.
    pub async fn fetch(
        &self,
        usual: &reqwest::Client,
        mut url: Url,
        timeout: Duration,
    ) -> Result<reqwest::Response, RelayError> {
        for _ in 0..=MAX_REDIRECTS {
            let client = match self.check(&url).await? {
                Route::Simulator => usual.clone(),
                Route::Pinned(host, addresses) => reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .resolve_to_addrs(&host, &addresses)
                    .build()
                    .map_err(|e| RelayError::Unexpected(format!("no HTTP client: {e}")))?,
            };
            let response = client
                .get(url.clone())
                .timeout(timeout)
                .send()
                .await
                .map_err(super::client::transport_error)?;
            if !response.status().is_redirection() {
                return Ok(response);
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| RelayError::Unexpected("a redirect without a Location".into()))?;
            url = url
                .join(location)
                .map_err(|e| RelayError::Unexpected(format!("bad redirect '{location}': {e}")))?;
        }
        Err(RelayError::Unexpected(format!(
            "the report file link redirected more than {MAX_REDIRECTS} times"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(not_public(ip).is_some(), "{private}");
        }
        for public in [
            "8.8.8.8",
            "34.117.59.81",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(not_public(ip), None, "{public}");
        }
    }

    #[tokio::test]
    async fn links_to_this_machine_or_plain_http_are_refused_by_name() {
        let base = Url::parse("https://api.dopplerrelay.com/").unwrap();
        let policy = Policy {
            base: &base,
            debug: false,
            hosts: &[],
        };
        for (link, named) in [
            ("https://localhost/report.csv", "localhost"),
            ("https://127.0.0.1:8443/r.csv", "127.0.0.1"),
            ("https://[::1]/r.csv", "[::1]"),
            (
                "http://files.dopplerrelay.com/r.csv",
                "files.dopplerrelay.com",
            ),
            (
                "https://169.254.169.254/latest/meta-data/",
                "169.254.169.254",
            ),
        ] {
            let err = policy.check(&Url::parse(link).unwrap()).await.unwrap_err();
            assert!(format!("{err:?}").contains(named), "{link}: {err:?}");
        }
        let only = vec!["files.dopplerrelay.com".to_string()];
        let restricted = Policy {
            base: &base,
            debug: false,
            hosts: &only,
        };
        let err = restricted
            .check(&Url::parse("https://elsewhere.example/r.csv").unwrap())
            .await
            .unwrap_err();
        assert!(
            format!("{err:?}").contains("DOPPLER_REPORT_FILE_HOSTS"),
            "{err:?}"
        );
    }
}
