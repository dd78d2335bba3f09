//! Configuration shared by the service roles (`serve`, `api`, `worker`, `migrate`): every flag
//! has an environment twin (12-factor), and `COFEE_ENV=production` refuses to start with a
//! missing or weak secret or a default credential, naming each problem.

use std::path::Path;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use cofee_server::JwtKeys;
use cofee_server::http as axum_header;
use cofee_server::rate_limit::{Quota, RateLimiter, RateLimits};
use cofee_store::objects::{Objects, S3Location};
use cofee_store::signals::JobSignals;
use cofee_store::{Database, DatabaseUrl};

use super::CliError;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Environment {
    Development,
    Production,
}

/// Where the shared state lives.
#[derive(Args, Clone, Debug)]
pub struct BackendArgs {
    /// Database: `sqlite:///path/cofee.db` or `postgres://user:password@host:5432/cofee`.
    #[arg(long, env = "COFEE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Connections this process may open (keep the sum over all processes below PostgreSQL's
    /// `max_connections`; see docs/operations.md).
    #[arg(long, env = "COFEE_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
    /// Fair claiming: the share (0 to 1) of a queue's running jobs one user may hold while other
    /// users' jobs wait; 1 takes jobs strictly in order.
    #[arg(long, env = "COFEE_OWNER_SHARE", default_value_t = cofee_store::db::DEFAULT_OWNER_SHARE, value_parser = share)]
    pub owner_share: f64,
    /// Object storage: `file:///path` or `s3://bucket/prefix`.
    #[arg(long, env = "COFEE_STORAGE_URL")]
    pub storage_url: Option<String>,
    /// S3 endpoint the service talks to (`http://minio:9000`); unset for AWS.
    #[arg(long, env = "COFEE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 endpoint browsers are sent to in presigned URLs (`https://media.example.com`);
    /// default: the internal one.
    #[arg(long, env = "COFEE_S3_PUBLIC_ENDPOINT")]
    pub s3_public_endpoint: Option<String>,
    #[arg(long, env = "COFEE_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// `production` refuses missing or weak secrets and default credentials.
    #[arg(long, env = "COFEE_ENV", value_enum, default_value = "development")]
    pub env: Environment,
}

impl BackendArgs {
    pub fn database(&self) -> Result<DatabaseUrl, CliError> {
        let url = self.database_url.as_deref().ok_or_else(|| {
            CliError::bad_input("no database configured").with_hint(
                "set COFEE_DATABASE_URL (or --database-url), e.g. postgres://cofee:…@db:5432/cofee",
            )
        })?;
        url.parse().map_err(|e: String| CliError::bad_input(format!("COFEE_DATABASE_URL: {e}")))
    }

    pub async fn connect(&self) -> Result<Arc<dyn Database>, CliError> {
        let url = self.database()?;
        url.connect_with(self.db_max_connections, self.owner_share)
            .await
            .map_err(|e| CliError::internal(format!("database: {e}")))
    }

    pub fn objects(&self) -> Result<Objects, CliError> {
        let url = self.storage_url.as_deref().ok_or_else(|| {
            CliError::bad_input("no object storage configured").with_hint(
                "set COFEE_STORAGE_URL (or --storage-url), e.g. file:///var/lib/cofee/objects",
            )
        })?;
        if url.starts_with("s3://") {
            for (name, endpoint) in [
                ("COFEE_S3_ENDPOINT", &self.s3_endpoint),
                ("COFEE_S3_PUBLIC_ENDPOINT", &self.s3_public_endpoint),
            ] {
                if let Some(e) = endpoint.as_deref().filter(|e| !valid_endpoint(e)) {
                    return Err(CliError::bad_input(format!(
                        "{name} {e:?} is not an http(s) URL like https://s3.example.com"
                    )));
                }
            }
            let location = S3Location::parse(
                url,
                &self.s3_region,
                self.s3_endpoint.clone(),
                self.s3_public_endpoint.clone(),
            )
            .map_err(|e| CliError::bad_input(format!("COFEE_STORAGE_URL: {e}")))?;
            return Objects::s3(&location)
                .map_err(|e| CliError::bad_input(format!("object storage: {e}")));
        }
        match url.strip_prefix("file://") {
            Some(path) if path.starts_with('/') => Objects::local(Path::new(path))
                .map_err(|e| CliError::internal(format!("object storage: {e}"))),
            _ => Err(CliError::bad_input(format!(
                "COFEE_STORAGE_URL {url:?} is not supported: use file:///absolute/path or s3://bucket/prefix"
            ))),
        }
    }
}

fn share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a share between 0 and 1 (e.g. 0.5)")),
    }
}

/// Who else may call the API from a browser.
#[derive(Args, Clone, Debug)]
pub struct HttpArgs {
    /// Origins (`https://app.example.com`) whose pages may call the API (CORS); comma-separated.
    /// Default: none, the web app is served from the API's own origin.
    #[arg(long, env = "COFEE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Redis (`redis://[:password@]host:6379[/db]`) for what API replicas share: rate-limit
    /// budgets, and the workers' job signals that wake event streams. Default: none, each
    /// process keeps its own budgets and event streams poll the database.
    #[arg(long, env = "COFEE_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Proxies (comma-separated CIDRs, e.g. the ingress controller's pod network) whose
    /// `X-Forwarded-For` names the client for per-address limits. Default: none, the peer is the client.
    #[arg(long, env = "COFEE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Requests a minute per client address on the API, `RATE[/BURST]` or `off` [default: 1200/300].
    #[arg(long, env = "COFEE_RATE_LIMIT_IP")]
    pub rate_limit_ip: Option<Budget>,
    /// Requests a minute per signed-in user or API token, `RATE[/BURST]` or `off` [default: 600/150].
    #[arg(long, env = "COFEE_RATE_LIMIT_USER")]
    pub rate_limit_user: Option<Budget>,
    /// Requests a minute per client address to `/api/auth/*`, `RATE[/BURST]` or `off` [default: 30/10].
    #[arg(long, env = "COFEE_RATE_LIMIT_SIGN_IN")]
    pub rate_limit_sign_in: Option<Budget>,
    /// Seconds an access token is valid (the web app refreshes it before then) [default: 900].
    #[arg(long, env = "COFEE_ACCESS_TOKEN_TTL_SECS", default_value_t = cofee_server::DEFAULT_ACCESS_TTL_SECS, value_parser = clap::value_parser!(u32).range(10..=86_400))]
    pub access_token_ttl_secs: u32,
    /// Projects one user may have, or `off` [default: 500].
    #[arg(long, env = "COFEE_QUOTA_PROJECTS")]
    pub quota_projects: Option<QuotaLimit>,
    /// Bytes one user may store (media, renders, unfinished uploads), or `off` [default: 50 GiB].
    #[arg(long, env = "COFEE_QUOTA_STORED_BYTES")]
    pub quota_stored_bytes: Option<QuotaLimit>,
    /// Unfinished resumable uploads one user may have, or `off` [default: 10].
    #[arg(long, env = "COFEE_QUOTA_OPEN_UPLOADS")]
    pub quota_open_uploads: Option<QuotaLimit>,
    /// Transcriptions and renders one user may have queued or running, or `off` [default: 100].
    #[arg(long, env = "COFEE_QUOTA_ACTIVE_JOBS")]
    pub quota_active_jobs: Option<QuotaLimit>,
    /// Failed sign-ins a minute per account and client address, `RATE[/BURST]` or `off` [default: 5/5].
    #[arg(long, env = "COFEE_RATE_LIMIT_ACCOUNT")]
    pub rate_limit_account: Option<Budget>,
}

/// A quota given on the command line: a number, or `off`.
#[derive(Clone, Copy, Debug)]
pub struct QuotaLimit(Option<u64>);

impl std::str::FromStr for QuotaLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "off" {
            return Ok(Self(None));
        }
        s.parse().map(|n| Self(Some(n))).map_err(|_| format!("{s:?} is not a number or `off`"))
    }
}

/// A rate limit given on the command line: `RATE[/BURST]` a minute, or `off`.
#[derive(Clone, Copy, Debug)]
pub struct Budget(Option<Quota>);

impl std::str::FromStr for Budget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "off" {
            return Ok(Self(None));
        }
        s.parse().map(|q| Self(Some(q)))
    }
}

impl HttpArgs {
    pub fn cors_origins(&self) -> Result<Vec<axum_header::HeaderValue>, CliError> {
        cofee_server::cors_origins(&self.cors_origins)
            .map_err(|e| CliError::bad_input(format!("COFEE_CORS_ORIGINS: {e}")))
    }

    pub fn quotas(&self) -> cofee_server::Quotas {
        let d = cofee_server::Quotas::default();
        let pick = |arg: Option<QuotaLimit>, default: Option<u64>| arg.map_or(default, |q| q.0);
        cofee_server::Quotas {
            projects: pick(self.quota_projects, d.projects),
            stored_bytes: pick(self.quota_stored_bytes, d.stored_bytes),
            open_uploads: pick(self.quota_open_uploads, d.open_uploads),
            active_jobs: pick(self.quota_active_jobs, d.active_jobs),
        }
    }

    pub fn rate_limits(&self) -> RateLimits {
        let d = RateLimits::default();
        let pick = |arg: Option<Budget>, default: Option<Quota>| arg.map_or(default, |b| b.0);
        RateLimits {
            per_ip: pick(self.rate_limit_ip, d.per_ip),
            per_user: pick(self.rate_limit_user, d.per_user),
            sign_in_per_ip: pick(self.rate_limit_sign_in, d.sign_in_per_ip),
            per_account: pick(self.rate_limit_account, d.per_account),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }

    /// Where budgets are kept: Redis when configured (it must answer at start), else here.
    /// Job signals through Redis when it is configured (this process's event streams hear
    /// them), else `otherwise`.
    pub fn job_signals(&self, otherwise: JobSignals) -> Result<JobSignals, CliError> {
        job_signals(self.redis_url.as_deref(), true, otherwise)
    }

    pub async fn rate_limiter(&self) -> Result<RateLimiter, CliError> {
        match &self.redis_url {
            Some(url) => RateLimiter::redis(url, "cofee:").await.map_err(|e| {
                CliError::internal(format!("cannot use Redis at COFEE_REDIS_URL: {e}"))
            }),
            None => Ok(RateLimiter::local()),
        }
    }
}

/// `http(s)://host[:port][/path]`, nothing a header could choke on.
fn valid_endpoint(e: &str) -> bool {
    (e.starts_with("http://") || e.starts_with("https://"))
        && e.len() > 8
        && e.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | ';' | ','))
}

/// The JWT signing secret: `COFEE_JWT_SECRET`, or in development a random one for this process
/// (sessions then end with it and are not shared between replicas).
#[derive(Args, Clone, Debug)]
pub struct SecretArgs {
    /// Secret that signs access tokens and file links (at least 32 bytes; random).
    #[arg(long, env = "COFEE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
}

impl SecretArgs {
    pub fn keys(&self, env: Environment) -> Result<JwtKeys, CliError> {
        let secret = match &self.jwt_secret {
            Some(s) => s.clone().into_bytes(),
            None if env == Environment::Production => {
                return Err(CliError::bad_input(
                    "COFEE_JWT_SECRET is required with COFEE_ENV=production",
                ));
            }
            None => {
                tracing::warn!(
                    "COFEE_JWT_SECRET is not set: using a random secret for this process (sessions end when it stops)"
                );
                let mut secret = [0u8; 32];
                getrandom::fill(&mut secret)
                    .map_err(|e| CliError::internal(format!("no random source: {e}")))?;
                secret.to_vec()
            }
        };
        JwtKeys::from_secret(&secret)
            .map_err(|e| CliError::bad_input(format!("COFEE_JWT_SECRET: {e}")))
    }
}

/// Secrets anyone could guess, as shipped in examples and compose files.
const WEAK_SECRETS: &[&str] = &[
    "secret",
    "changeme",
    "change-me",
    "password",
    "cofee",
    "minioadmin",
    "development",
    "jwt-secret",
];
const DEFAULT_DB_PASSWORDS: &[&str] = &["postgres", "password", "cofee", "changeme", "secret"];

/// What is wrong with the JWT secret for production; empty when nothing.
fn jwt_problems(jwt_secret: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    match jwt_secret {
        None => problems.push("COFEE_JWT_SECRET is not set (use at least 32 random bytes, e.g. `openssl rand -hex 32`)".to_string()),
        Some(s) if s.len() < 32 => problems.push(format!("COFEE_JWT_SECRET is {} bytes; it needs at least 32", s.len())),
        Some(s) if WEAK_SECRETS.iter().any(|w| s.to_lowercase().contains(w)) || distinct_bytes(s) < 10 => {
            problems.push("COFEE_JWT_SECRET looks guessable (a word or few distinct characters); use random bytes".to_string())
        }
        Some(_) => {}
    }
    problems
}

/// Default or weak credentials for the database and object storage.
fn credential_problems(database_url: Option<&str>, aws_secret: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    if database_url
        .and_then(url_password)
        .is_some_and(|p| DEFAULT_DB_PASSWORDS.contains(&p.as_str()))
    {
        problems.push("COFEE_DATABASE_URL uses a default password".to_string());
    }
    if aws_secret.is_some_and(|key| WEAK_SECRETS.contains(&key) || key.len() < 16) {
        problems.push("AWS_SECRET_ACCESS_KEY is a default or too short".to_string());
    }
    problems
}

fn distinct_bytes(s: &str) -> usize {
    s.bytes().collect::<std::collections::BTreeSet<_>>().len()
}

/// The password part of `scheme://user:password@host/…`, if any.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    Some(userinfo.split_once(':')?.1.to_string())
}

/// Refuses to go on in production when something is weak or missing.
pub fn check_environment(
    env: Environment,
    backend: &BackendArgs,
    secrets: Option<&SecretArgs>,
) -> Result<(), CliError> {
    if env != Environment::Production {
        return Ok(());
    }
    let aws = std::env::var("AWS_SECRET_ACCESS_KEY").ok();
    // Only the roles that sign tokens (api, serve) need the JWT secret.
    let mut problems = secrets.map(|s| jwt_problems(s.jwt_secret.as_deref())).unwrap_or_default();
    problems.extend(credential_problems(backend.database_url.as_deref(), aws.as_deref()));
    if backend.database_url.is_none() {
        problems.push("COFEE_DATABASE_URL is not set".into());
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(CliError::bad_input(format!(
        "refusing to start with COFEE_ENV=production:\n  - {}",
        problems.join("\n  - ")
    )))
}

/// Job signals through the Redis at `url` — heard by this process too when it is `watching`
/// (it serves event streams) — or `otherwise` without one.
pub fn job_signals(
    url: Option<&str>,
    watching: bool,
    otherwise: JobSignals,
) -> Result<JobSignals, CliError> {
    let Some(url) = url else { return Ok(otherwise) };
    let signals = if watching {
        JobSignals::redis(url, "cofee:")
    } else {
        JobSignals::redis_publisher(url, "cofee:")
    };
    signals.map_err(|e| CliError::bad_input(format!("COFEE_REDIS_URL: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "9f3c1e0b7a64d2c85b1e4f70a3d96c2e8b05f4a1c7e3d9b6";

    fn production_problems(
        jwt: Option<&str>,
        database_url: Option<&str>,
        aws_secret: Option<&str>,
    ) -> Vec<String> {
        let mut p = jwt_problems(jwt);
        p.extend(credential_problems(database_url, aws_secret));
        p
    }

    #[test]
    fn production_needs_a_strong_secret_and_says_why() {
        assert!(
            production_problems(Some(GOOD), Some("postgres://cofee:Zq8vN3xR@db/cofee"), None)
                .is_empty()
        );
        assert!(production_problems(None, None, None)[0].contains("not set"));
        assert!(production_problems(Some("short"), None, None)[0].contains("at least 32"));
        assert!(
            production_problems(Some("changeme-changeme-changeme-changeme"), None, None)[0]
                .contains("guessable")
        );
        assert!(production_problems(Some(&"ab".repeat(20)), None, None)[0].contains("guessable"));
    }

    #[test]
    fn default_credentials_are_named() {
        let p = production_problems(
            Some(GOOD),
            Some("postgres://postgres:postgres@db/cofee"),
            Some("minioadmin"),
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("COFEE_DATABASE_URL") && p[1].contains("AWS_SECRET_ACCESS_KEY"));
        assert!(
            production_problems(Some(GOOD), Some("postgres://db/cofee"), None).is_empty(),
            "no password in the URL (e.g. a .pgpass or IAM) is fine"
        );
    }

    #[test]
    fn database_urls_parse() {
        assert_eq!(
            "sqlite:///var/lib/cofee/cofee.db".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Sqlite("/var/lib/cofee/cofee.db".into()))
        );
        assert!(matches!(
            "postgres://u:p@h/db".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(
            "mysql://x".parse::<DatabaseUrl>().unwrap_err().contains("sqlite:// or postgres://")
        );
    }
}
