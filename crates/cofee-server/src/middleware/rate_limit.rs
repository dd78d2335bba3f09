//! Request budgets: per client IP on every API route, stricter per IP on the sign-in routes,
//! per user on authenticated requests, and per account on sign-in (password guessing, spent by
//! the sign-in handler). Over budget, a request gets `429` with `Retry-After` before any handler
//! runs. The budgets themselves, and where they are kept, are re-exported from `budgets`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use crate::budgets::{
    LocalBudgets, Outage, Quota, RateLimitError, RateLimiter, RateLimits, gcra, spend,
};
use crate::state::AppState;

/// The client's address: the peer, or — when the peer is a trusted proxy — the nearest address
/// in `X-Forwarded-For` that is not one (proxies append, so earlier entries can be forged).
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut hops = forwarded_for
        .into_iter()
        .flat_map(|h| h.split(','))
        .map(|s| s.trim().parse::<IpAddr>())
        .collect::<Vec<_>>();
    hops.reverse();
    for hop in hops {
        match hop {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return Some(ip),
            Err(_) => break, // garbage in the chain: trust nothing further back
        }
    }
    Some(peer)
}

/// An address as a budget key: IPv4 as it is, IPv6 by its /64 (one subscriber's network, which
/// hands out more addresses than any budget could count one by one).
fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The client's address as a budget key (an IPv6 client by its /64), for handlers that keep
/// budgets of their own (failed sign-ins).
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

/// Routes outside every budget: probes and scrapes come from the platform, every few seconds.
const EXEMPT: &[&str] = &["/health/live", "/health/ready", "/metrics"];

/// Middleware: spends the request's budgets, most specific first, and refuses it when one is
/// spent. A budget store that does not answer lets requests through (and says so in the logs and
/// metrics): rate limits protect the service, they must not take it down.
pub async fn enforce(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if EXEMPT.contains(&path) || !(path.starts_with("/api/") || path.starts_with("/files/")) {
        return next.run(request).await;
    }
    let sign_in = path.starts_with("/api/auth/");
    let limits = &state.rate_limits;
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = client_ip(peer, forwarded, &limits.trusted_proxies).map(address_key);
    if let Some(ip) = &ip {
        request.extensions_mut().insert(ClientAddress(ip.clone()));
    }
    let user = limits.per_user.and_then(|_| crate::auth::rate_limit_subject(&state, &mut request));
    let mut budgets: Vec<(&'static str, String, Quota)> = Vec::new();
    if let (Some(q), Some(user)) = (limits.per_user, user) {
        budgets.push(("user", format!("user:{user}"), q));
    }
    if let (Some(q), Some(ip), true) = (limits.sign_in_per_ip, &ip, sign_in) {
        budgets.push(("sign_in", format!("signin:{ip}"), q));
    }
    if let (Some(q), Some(ip)) = (limits.per_ip, &ip) {
        budgets.push(("ip", format!("ip:{ip}"), q));
    }
    for (scope, key, quota) in budgets {
        if let Some(refused) = spend(&state.rate_limiter, scope, &key, quota).await {
            return refused.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_network_shares_one_budget() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:198.51.100.7"), key("198.51.100.7"));
        assert_ne!(key("198.51.100.7"), key("198.51.100.8"));
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("198.51.100.1"), &trusted),
            ip("203.0.113.9"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("198.51.100.1, 203.0.113.7, 10.0.0.5"), &trusted),
            ip("203.0.113.7"),
            "the nearest untrusted hop"
        );
        assert_eq!(client_ip(ip("10.1.2.3"), None, &trusted), ip("10.1.2.3"));
        assert_eq!(
            client_ip(ip("10.1.2.3"), Some("bogus, 10.0.0.5"), &trusted),
            ip("10.1.2.3"),
            "garbage stops the walk"
        );
    }
}
