//! Request budgets and where they are kept; `middleware::rate_limit` spends them on each request.
//!
//! Budgets are GCRA (the generic cell rate algorithm): one "theoretical arrival time" per key,
//! which a request moves one interval (a minute / rate) into the future; a request that would
//! move it more than the burst ahead of now is refused. With `COFEE_REDIS_URL` the state lives
//! in Redis (one Lua script, Redis's own clock), so every API replica draws on the same budget;
//! without, each process keeps its own. Written here rather than with `governor`: its keyed
//! limiters keep state in the process and one quota per limiter, and the two backends must
//! count the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::problem::ApiError;

/// `per_minute` requests a minute sustained, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: u32,
    pub burst: u32,
}

impl Quota {
    pub const fn new(per_minute: u32, burst: u32) -> Self {
        Self { per_minute, burst }
    }

    /// Microseconds one request moves the arrival time.
    fn interval_us(self) -> u64 {
        60_000_000 / u64::from(self.per_minute.max(1))
    }

    /// How far ahead of now the arrival time may run.
    fn tolerance_us(self) -> u64 {
        self.interval_us() * u64::from(self.burst.max(1))
    }
}

/// `RATE[/BURST]`: requests a minute, and how many at once (default: a quarter of a minute's).
impl std::str::FromStr for Quota {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not RATE[/BURST] (requests a minute, e.g. 600/150) or off");
        let (rate, burst) = s.split_once('/').map_or((s, None), |(r, b)| (r, Some(b)));
        let rate: u32 = rate.trim().parse().map_err(|_| bad())?;
        let burst: u32 = match burst {
            Some(b) => b.trim().parse().map_err(|_| bad())?,
            None => rate.div_ceil(4),
        };
        if rate == 0 || burst == 0 {
            return Err(format!(
                "{s:?}: rate and burst must be at least 1 (or turn the limit off)"
            ));
        }
        Ok(Self::new(rate, burst))
    }
}

/// One GCRA step: from the key's stored arrival time (if any) at `now`, the new arrival time to
/// store, or how long to wait. Times in microseconds.
pub fn gcra(stored: Option<u64>, now: u64, quota: Quota) -> Result<u64, Duration> {
    let next = stored.unwrap_or(now).max(now) + quota.interval_us();
    match (next - now).checked_sub(quota.tolerance_us()) {
        Some(excess) if excess > 0 => Err(Duration::from_micros(excess)),
        _ => Ok(next),
    }
}

/// The GCRA step in Redis, atomically, on Redis's clock (replicas' clocks may differ). Returns
/// 0 when allowed, else the wait in microseconds.
const GCRA_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next = tat + interval
local excess = next - now - tolerance
if excess > 0 then return excess end
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.max(1, math.ceil((next - now) / 1000)))
return 0
";

/// Gives one request back: moves the key's arrival time one interval towards now (dropping the
/// key when that reaches now), on Redis's clock.
const REFUND_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
local back = tat - tonumber(ARGV[1])
if back <= now then redis.call('DEL', KEYS[1]); return 0 end
redis.call('SET', KEYS[1], string.format('%.0f', back), 'PX', math.max(1, math.ceil((back - now) / 1000)))
return 0
";

/// One GCRA step backwards: the arrival time after giving one request back, `None` when the
/// key would start afresh anyway.
pub fn gcra_refund(stored: Option<u64>, now: u64, quota: Quota) -> Option<u64> {
    stored.map(|tat| tat.saturating_sub(quota.interval_us())).filter(|&tat| tat > now)
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("rate limit store: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("rate limit store: Redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("rate limit store: Redis failed moments ago; not asking it for a few seconds")]
    Resting,
}

/// Where budgets are kept.
#[derive(Clone)]
pub enum RateLimiter {
    /// In this process only (one API process, or limits per replica).
    Local(Arc<Mutex<LocalBudgets>>),
    /// In Redis, shared by every replica.
    Redis {
        connection: redis::aio::ConnectionManager,
        script: Arc<redis::Script>,
        refund: Arc<redis::Script>,
        prefix: String,
        outage: Arc<Outage>,
    },
}

/// How long one budget check may wait for Redis before the request goes ahead without it.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// After Redis failed, how long requests go ahead without asking it (so an outage costs each
/// request nothing, not a timeout); readiness keeps asking.
const REDIS_BACKOFF: Duration = Duration::from_secs(5);

/// Until when (unix ms) Redis is not asked, after it failed.
#[derive(Default)]
pub struct Outage(std::sync::atomic::AtomicU64);

/// Microseconds since the Unix epoch (the time budgets are kept in).
fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

impl Outage {
    fn now_ms() -> u64 {
        unix_micros() / 1000
    }

    fn ongoing(&self) -> bool {
        Self::now_ms() < self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn begin(&self) {
        self.0.store(
            Self::now_ms() + REDIS_BACKOFF.as_millis() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn end(&self) {
        self.0.store(0, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Keys kept in process before spent ones are dropped (a spent key is one whose arrival time
/// has passed: it would start afresh anyway), so random keys cannot grow memory; at most once a
/// second, so a flood of live keys cannot make every request walk the map.
const LOCAL_KEYS: usize = 100_000;
const LOCAL_PRUNE_EVERY_US: u64 = 1_000_000;

/// Each key's arrival time (µs), and when spent keys may next be dropped.
#[derive(Default)]
pub struct LocalBudgets {
    arrivals: HashMap<String, u64>,
    next_prune: u64,
}

impl RateLimiter {
    pub fn local() -> Self {
        Self::Local(Arc::default())
    }

    /// Budgets in the Redis at `url` under `prefix` (e.g. `cofee:`); reconnects on its own.
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, RateLimitError> {
        let client = redis::Client::open(url)?;
        let connection =
            redis::aio::ConnectionManager::new(client).await.map_err(RateLimitError::from)?;
        Ok(Self::Redis {
            connection,
            script: Arc::new(redis::Script::new(GCRA_SCRIPT)),
            refund: Arc::new(redis::Script::new(REFUND_SCRIPT)),
            prefix: format!("{prefix}rate:"),
            outage: Arc::default(),
        })
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Local(_) => "local",
            Self::Redis { .. } => "redis",
        }
    }

    /// Spends one request of `key`'s budget: `Ok(None)` if allowed, `Ok(Some(wait))` if not.
    pub async fn check(&self, key: &str, quota: Quota) -> Result<Option<Duration>, RateLimitError> {
        match self {
            Self::Local(state) => {
                let now = unix_micros();
                let mut state = state.lock().expect("the rate limit map is never poisoned");
                if state.arrivals.len() >= LOCAL_KEYS && now >= state.next_prune {
                    state.arrivals.retain(|_, tat| *tat > now);
                    state.next_prune = now + LOCAL_PRUNE_EVERY_US;
                }
                match gcra(state.arrivals.get(key).copied(), now, quota) {
                    Ok(next) => {
                        state.arrivals.insert(key.to_string(), next);
                        Ok(None)
                    }
                    Err(wait) => Ok(Some(wait)),
                }
            }
            Self::Redis { connection, script, prefix, outage, .. } => {
                if outage.ongoing() {
                    return Err(RateLimitError::Resting);
                }
                let mut connection = connection.clone();
                let mut invocation = script.key(format!("{prefix}{key}"));
                invocation.arg(quota.interval_us()).arg(quota.tolerance_us());
                let answer = tokio::time::timeout(
                    REDIS_TIMEOUT,
                    invocation.invoke_async::<u64>(&mut connection),
                )
                .await;
                match answer {
                    Ok(Ok(wait)) => Ok((wait > 0).then(|| Duration::from_micros(wait))),
                    Ok(Err(e)) => {
                        outage.begin();
                        Err(e.into())
                    }
                    Err(_) => {
                        outage.begin();
                        Err(RateLimitError::Timeout(REDIS_TIMEOUT))
                    }
                }
            }
        }
    }

    /// Gives back one request of `key`'s budget (one spent on something that turned out not to
    /// count, such as a sign-in with the right password).
    pub async fn refund(&self, key: &str, quota: Quota) -> Result<(), RateLimitError> {
        match self {
            Self::Local(state) => {
                let now = unix_micros();
                let mut state = state.lock().expect("the rate limit map is never poisoned");
                match gcra_refund(state.arrivals.get(key).copied(), now, quota) {
                    Some(tat) => state.arrivals.insert(key.to_string(), tat),
                    None => state.arrivals.remove(key),
                };
                Ok(())
            }
            Self::Redis { connection, refund, prefix, outage, .. } => {
                if outage.ongoing() {
                    return Err(RateLimitError::Resting);
                }
                let mut connection = connection.clone();
                let mut invocation = refund.key(format!("{prefix}{key}"));
                invocation.arg(quota.interval_us());
                match tokio::time::timeout(
                    REDIS_TIMEOUT,
                    invocation.invoke_async::<u64>(&mut connection),
                )
                .await
                {
                    Ok(answer) => answer.map(drop).map_err(RateLimitError::from),
                    Err(_) => Err(RateLimitError::Timeout(REDIS_TIMEOUT)),
                }
            }
        }
    }

    /// Whether the store answers (readiness); always for the local one.
    pub async fn ping(&self) -> Result<(), RateLimitError> {
        match self {
            Self::Local(_) => Ok(()),
            Self::Redis { connection, outage, .. } => {
                let mut connection = connection.clone();
                let pong = redis::cmd("PING")
                    .query_async::<String>(&mut connection)
                    .await
                    .map(drop)
                    .map_err(RateLimitError::from);
                if pong.is_ok() {
                    outage.end();
                }
                pong
            }
        }
    }
}

/// The budgets the API enforces; `None` turns one off.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Every API request, per client IP.
    pub per_ip: Option<Quota>,
    /// Authenticated requests, per user (or API token).
    pub per_user: Option<Quota>,
    /// `/api/auth/*` (register, sign in, refresh), per client IP.
    pub sign_in_per_ip: Option<Quota>,
    /// Failed sign-ins per account and client address (online password guessing). Keyed by
    /// both, so nobody can keep another person from signing in by failing on purpose: their
    /// failures spend only their own address's budget for that account. Guessing spread over
    /// many addresses is bounded by `sign_in_per_ip` on each.
    pub per_account: Option<Quota>,
    /// Proxies whose `X-Forwarded-For` is believed (the ingress); others' is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for RateLimits {
    /// For people in the web app and well-behaved scripts: polling a job twice a second is far
    /// inside them; a script hammering the API meets them within seconds.
    fn default() -> Self {
        Self {
            per_ip: Some(Quota::new(1200, 300)),
            per_user: Some(Quota::new(600, 150)),
            sign_in_per_ip: Some(Quota::new(30, 10)),
            per_account: Some(Quota::new(5, 5)),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Spends one request of a budget; the `429` to answer with if it is spent.
pub async fn spend(
    limiter: &RateLimiter,
    scope: &'static str,
    key: &str,
    quota: Quota,
) -> Option<ApiError> {
    match limiter.check(key, quota).await {
        Ok(None) => None,
        Ok(Some(wait)) => {
            metrics::counter!("rate_limited_requests_total", "scope" => scope).increment(1);
            // The request line (INFO, status 429) already says it; a flood must not double the logs.
            tracing::debug!(scope, "request refused: over its rate limit");
            let detail = match scope {
                "account" => {
                    "too many failed sign-ins for this account from this address; wait and try again"
                }
                "sign_in" => "too many sign-in requests from this address; wait and try again",
                "user" => {
                    "too many requests for this account; slow down and retry after the given time"
                }
                _ => {
                    "too many requests from this address; slow down and retry after the given time"
                }
            };
            Some(ApiError::too_many(detail, wait.as_secs_f64().ceil() as u64))
        }
        Err(e) => {
            metrics::counter!("rate_limit_errors_total", "backend" => limiter.backend())
                .increment(1);
            tracing::warn!(error = %e, "rate limit store unavailable; letting the request through");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECOND: u64 = 1_000_000;

    #[test]
    fn a_burst_passes_then_one_interval_is_waited_for() {
        let q = Quota::new(60, 3); // one a second, three at once
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(gcra(tat, 10 * SECOND, q).expect("within the burst"));
        }
        assert_eq!(gcra(tat, 10 * SECOND, q), Err(Duration::from_secs(1)));
        assert_eq!(gcra(tat, 10 * SECOND + SECOND / 2, q), Err(Duration::from_millis(500)));
        assert!(gcra(tat, 11 * SECOND, q).is_ok(), "after the wait it passes");
    }

    proptest! {
        /// Over any stretch of time, no more than the burst plus the time's worth of requests
        /// pass, and a client that keeps to the rate is never refused.
        #[test]
        fn never_more_than_burst_plus_rate(per_minute in 1u32..600, burst in 1u32..50, gaps in prop::collection::vec(0u64..5 * SECOND, 1..200)) {
            let q = Quota::new(per_minute, burst);
            let (mut tat, mut now, mut passed) = (None, 0u64, 0u64);
            for gap in &gaps {
                now += gap;
                if let Ok(next) = gcra(tat, now, q) {
                    tat = Some(next);
                    passed += 1;
                }
            }
            prop_assert!(passed <= u64::from(burst) + now / q.interval_us() + 1, "{passed} passed in {now} µs");
            let (mut tat, mut now) = (None, 0u64);
            for _ in 0..50 {
                now += q.interval_us();
                let next = gcra(tat, now, q);
                prop_assert!(next.is_ok());
                tat = next.ok();
            }
        }
    }
}
