//! Rate limits over HTTP, on two API replicas (two routers on one database): with Redis
//! (`COFEE_TEST_REDIS_URL`, default the machine's at 127.0.0.1:6379; keys under a prefix of the
//! test's own, deleted afterwards) they share every budget; without, each keeps its own. And
//! when Redis goes away (a server the test starts and stops itself), requests are still served
//! and readiness says what is wrong.

use std::sync::Arc;

use cofee_server::rate_limit::{Quota, RateLimiter, RateLimits};
use cofee_server::{AppState, JwtKeys, router, serve};
use cofee_store::Database;
use cofee_store::Store;
use cofee_store::testing::RedisTestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn redis_url() -> String {
    std::env::var("COFEE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key prefix of this test's own, and the cleanup of everything under it.
struct RedisPrefix(String);

impl RedisPrefix {
    fn new() -> Self {
        Self(format!("cofee-test-{}:", uuid::Uuid::now_v7()))
    }
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        if let Ok(mut c) = redis::Client::open(redis_url()).and_then(|c| c.get_connection()) {
            let keys: Vec<String> =
                redis::cmd("KEYS").arg(format!("{}*", self.0)).query(&mut c).unwrap_or_default();
            if !keys.is_empty() {
                let _: Result<(), _> = redis::cmd("DEL").arg(keys).query(&mut c);
            }
        }
    }
}

struct Replicas {
    bases: Vec<String>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// `n` API replicas on one SQLite database, each with the limiter `limiter()` makes.
async fn replicas(
    n: usize,
    limits: RateLimits,
    mut limiter: impl AsyncFnMut() -> RateLimiter,
) -> Replicas {
    let dir = tempfile::tempdir().unwrap();
    let db: Arc<dyn Database> =
        Arc::new(Store::open_sqlite(&dir.path().join("cofee.db")).await.unwrap());
    let mut bases = Vec::new();
    for i in 0..n {
        let objects = cofee_store::objects::Objects::local(&dir.path().join("objects")).unwrap();
        let mut state = AppState::new(
            db.clone(),
            objects,
            JwtKeys::from_secret(&[42u8; 32]).unwrap(),
            Default::default(),
            dir.path().join(format!("tmp{i}")),
        );
        state.rate_limits = limits.clone();
        state.rate_limiter = limiter().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        bases.push(format!("http://{}", listener.local_addr().unwrap()));
        tokio::spawn(serve(listener, router(state), std::future::pending()));
    }
    Replicas { bases, http: reqwest::Client::new(), _dir: dir }
}

/// Only the budget under test; the client address comes from `X-Forwarded-For` (the test is the
/// trusted proxy), so one test can be several clients.
fn only(set: impl FnOnce(&mut RateLimits)) -> RateLimits {
    let mut limits = RateLimits {
        per_ip: None,
        per_user: None,
        sign_in_per_ip: None,
        per_account: None,
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
    };
    set(&mut limits);
    limits
}

impl Replicas {
    async fn register(&self, replica: usize, client: &str, email: &str) -> reqwest::Response {
        let creds = json!({"email": email, "password": "correct horse battery"});
        self.http
            .post(format!("{}/api/auth/register", self.bases[replica]))
            .header("x-forwarded-for", client)
            .json(&creds)
            .send()
            .await
            .unwrap()
    }

    async fn login(
        &self,
        replica: usize,
        client: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let creds = json!({"email": email, "password": password});
        self.http
            .post(format!("{}/api/auth/login", self.bases[replica]))
            .header("x-forwarded-for", client)
            .json(&creds)
            .send()
            .await
            .unwrap()
    }

    async fn token(&self, email: &str) -> String {
        let r = self.login(0, "192.0.2.1", email, "correct horse battery").await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
    }

    async fn projects(&self, replica: usize, token: &str) -> StatusCode {
        self.http
            .get(format!("{}/api/projects", self.bases[replica]))
            .bearer_auth(token)
            .header("x-forwarded-for", "192.0.2.50")
            .send()
            .await
            .unwrap()
            .status()
    }
}

/// A refusal: 429, a `Retry-After` of at least a second, and a problem document saying why.
async fn assert_refused(r: reqwest::Response, why: &str) {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains(why), "{p}");
}

#[tokio::test]
async fn with_redis_the_sign_in_budget_of_an_address_is_shared_by_the_replicas() {
    let prefix = RedisPrefix::new();
    let limits = only(|l| l.sign_in_per_ip = Some(Quota::new(60, 3)));
    let api =
        replicas(2, limits, async || RateLimiter::redis(&redis_url(), &prefix.0).await.unwrap())
            .await;
    for (i, replica) in [0, 1, 0].into_iter().enumerate() {
        assert_eq!(
            api.register(replica, "198.51.100.7", &format!("u{i}@example.com")).await.status(),
            StatusCode::CREATED
        );
    }
    assert_refused(api.register(1, "198.51.100.7", "u3@example.com").await, "from this address")
        .await;
    assert_refused(api.register(0, "198.51.100.7", "u3@example.com").await, "from this address")
        .await;
    assert_eq!(
        api.register(1, "198.51.100.8", "u3@example.com").await.status(),
        StatusCode::CREATED,
        "another address has its own budget"
    );
    let ready: Value = api
        .http
        .get(format!("{}/health/ready", api.bases[0]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["redis"], "ok", "{ready}");
}

#[tokio::test]
async fn without_redis_each_replica_keeps_its_own_budget() {
    let limits = only(|l| l.sign_in_per_ip = Some(Quota::new(60, 2)));
    let api = replicas(2, limits, async || RateLimiter::local()).await;
    let mut created = 0;
    for i in 0..6 {
        if api.register(i % 2, "198.51.100.7", &format!("u{i}@example.com")).await.status()
            == StatusCode::CREATED
        {
            created += 1;
        }
    }
    assert_eq!(created, 4, "two per replica");
    let ready: Value = api
        .http
        .get(format!("{}/health/ready", api.bases[0]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ready.get("redis").is_none(), "Redis is not reported where it is not used: {ready}");
}

#[tokio::test]
async fn a_user_has_one_budget_across_replicas_and_other_users_are_unaffected() {
    let prefix = RedisPrefix::new();
    let api = replicas(2, only(|l| l.per_user = Some(Quota::new(60, 2))), async || {
        RateLimiter::redis(&redis_url(), &prefix.0).await.unwrap()
    })
    .await;
    for who in ["ann@example.com", "bob@example.com"] {
        assert_eq!(api.register(0, "192.0.2.1", who).await.status(), StatusCode::CREATED);
    }
    let (ann, bob) = (api.token("ann@example.com").await, api.token("bob@example.com").await);
    assert_eq!(
        (api.projects(0, &ann).await, api.projects(1, &ann).await),
        (StatusCode::OK, StatusCode::OK)
    );
    let r = api
        .http
        .get(format!("{}/api/projects", api.bases[0]))
        .bearer_auth(&ann)
        .send()
        .await
        .unwrap();
    assert_refused(r, "for this account").await;
    assert_ne!(
        api.projects(1, &bob).await,
        StatusCode::TOO_MANY_REQUESTS,
        "Bob has his own budget"
    );
    assert_ne!(
        api.projects(0, "forged.token.value").await,
        StatusCode::TOO_MANY_REQUESTS,
        "an invalid token spends no user's budget"
    );
}

/// L2: failed sign-ins are counted per account *and* address, across replicas. Someone failing
/// on purpose from their own address cannot keep the owner (elsewhere) from signing in, and
/// right passwords spend nothing.
#[tokio::test]
async fn failed_sign_ins_are_counted_per_account_and_address() {
    let prefix = RedisPrefix::new();
    let api = replicas(2, only(|l| l.per_account = Some(Quota::new(60, 3))), async || {
        RateLimiter::redis(&redis_url(), &prefix.0).await.unwrap()
    })
    .await;
    assert_eq!(api.register(0, "192.0.2.1", "ann@example.com").await.status(), StatusCode::CREATED);
    let attacker = "203.0.113.1";
    for i in 0..3 {
        assert_eq!(
            api.login(i % 2, attacker, "Ann@example.com", "wrong password!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_refused(
        api.login(1, attacker, "ann@example.com", "wrong password!").await,
        "for this account from this address",
    )
    .await;
    assert_eq!(
        api.login(0, "198.51.100.20", "ann@example.com", "correct horse battery").await.status(),
        StatusCode::OK,
        "the owner, from another address, is not locked out"
    );
    for i in 0..5 {
        assert_eq!(
            api.login(i % 2, "198.51.100.21", "ann@example.com", "correct horse battery")
                .await
                .status(),
            StatusCode::OK,
            "sign-in {i} with the right password: those are not counted"
        );
    }
    assert_eq!(
        api.login(0, attacker, "bob@example.com", "whatever it is").await.status(),
        StatusCode::UNAUTHORIZED,
        "other accounts are not held up"
    );
}

#[tokio::test]
async fn when_redis_goes_away_requests_are_served_and_readiness_says_so() {
    let redis = RedisTestServer::start();
    let limits = only(|l| l.sign_in_per_ip = Some(Quota::new(60, 1)));
    let url = redis.url();
    let api = replicas(1, limits, async || RateLimiter::redis(&url, "cofee:").await.unwrap()).await;
    assert_eq!(
        api.register(0, "198.51.100.7", "u0@example.com").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        api.register(0, "198.51.100.7", "u1@example.com").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    redis.stop();
    let r = api.http.get(format!("{}/health/ready", api.bases[0])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let ready: Value = r.json().await.unwrap();
    assert_eq!(
        (ready["redis"].as_str(), ready["database"].as_str()),
        (Some("down"), Some("ok")),
        "{ready}"
    );
    assert_eq!(
        api.register(0, "198.51.100.7", "u2@example.com").await.status(),
        StatusCode::CREATED,
        "limits fail open: the service stays up"
    );
}
