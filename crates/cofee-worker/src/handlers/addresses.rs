//! Where a webhook may be delivered: public addresses only (unless the operator allows private
//! ones), and only the addresses the check saw. Every connection a delivery makes takes its
//! addresses from [`CheckedResolver`], which looks the name up once and refuses the whole answer
//! if any address in it is not public, so a name that answers a public address to a check and a
//! private one to the connection (DNS rebinding) cannot reach inside.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, LazyLock};

use ipnet::IpNet;

/// Every range that is not globally reachable (IANA's IPv4 and IPv6 special-purpose address
/// registries, taken whole where only parts of a block are reachable), plus the IPv6 prefixes
/// that carry an IPv4 address to somewhere else (NAT64, 6to4, Teredo inside 2001::/23).
const NON_PUBLIC: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/96",
    "::1/128",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

static NON_PUBLIC_NETS: LazyLock<Vec<IpNet>> = LazyLock::new(|| {
    NON_PUBLIC.iter().map(|n| n.parse().expect("the ranges above parse")).collect()
});

/// Whether `ip` is globally reachable. An IPv4-mapped IPv6 address is judged as the IPv4
/// address it maps (and is refused anyway, as `::ffff:0:0/96`).
pub fn is_public(ip: IpAddr) -> bool {
    !NON_PUBLIC_NETS.iter().any(|net| net.contains(&ip))
}

/// Looks a host name up (the system's resolver in production; tests give their own).
pub trait Lookup: Send + Sync {
    fn lookup(
        &self,
        host: &str,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send + 'static>>;
}

/// The system's resolver (getaddrinfo, through tokio).
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(
        &self,
        host: &str,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send + 'static>> {
        let host = host.to_string();
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.map(|a| a.ip()).collect())
        })
    }
}

/// Which addresses deliveries may reach.
#[derive(Clone, Copy)]
pub struct AddressPolicy {
    /// Loopback and private addresses too (development; off by default against SSRF).
    pub allow_private: bool,
    /// What counts as public (tests stand in their own ranges; production uses [`is_public`]).
    pub is_public: fn(IpAddr) -> bool,
}

impl AddressPolicy {
    pub fn new(allow_private: bool) -> Self {
        Self { allow_private, is_public }
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow_private || (self.is_public)(ip)
    }
}

/// A webhook host that resolves to an address deliveries may not reach.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves to {addr}, which is not a public address; webhooks only go to public hosts"
)]
pub struct NotPublic {
    pub host: String,
    pub addr: IpAddr,
}

/// reqwest's resolver for deliveries: one lookup per connection, checked, and the connection
/// goes to exactly those addresses.
pub struct CheckedResolver {
    pub lookup: Arc<dyn Lookup>,
    pub policy: AddressPolicy,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (host, policy, answer) =
            (name.as_str().to_string(), self.policy, self.lookup.lookup(name.as_str()));
        Box::pin(async move {
            let addrs = answer.await?;
            if let Some(&addr) = addrs.iter().find(|a| !policy.allows(**a)) {
                return Err(
                    Box::new(NotPublic { host, addr }) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            // Port 0: reqwest puts in the URL's port.
            let addrs: reqwest::dns::Addrs =
                Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The [`NotPublic`] refusal somewhere in `e`'s sources, if that is why it failed.
pub fn not_public<'e>(e: &'e (dyn std::error::Error + 'static)) -> Option<&'e NotPublic> {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(refusal) = c.downcast_ref::<NotPublic>() {
            return Some(refusal);
        }
        cause = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_non_public_range_is_refused_and_public_addresses_pass() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.31.255.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.1.2.3",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.251",
            "239.1.2.3",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.9",
            "192.0.0.8",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::7f00:1",
            "64:ff9b::808:808",
            "2002:7f00:1::1",
            "2001:db8::1",
            "2001:0:4136:e378::1",
            "ff02::1",
            "fec0::1",
            "100::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} is not public");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip} is public");
        }
    }
}
