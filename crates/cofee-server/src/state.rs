//! What every handler shares ([`AppState`]), and the part of it the health and metrics endpoints
//! need ([`Probes`]).

use std::path::PathBuf;
use std::sync::Arc;

use cofee_media::MediaLimits;
use cofee_store::Database;
use cofee_store::accounts::{Accounts, Projects};
use cofee_store::media::MediaStore;
use cofee_store::objects::Objects;
use cofee_store::queue::JobQueue;
use cofee_store::saved_styles::SavedStyles;
use cofee_store::signals::{JobSignals, SignallingQueue};
use cofee_store::webhooks::Webhooks;
use uuid::Uuid;

use crate::budgets::{RateLimiter, RateLimits};
use crate::keys::JwtKeys;

/// What every handler shares, behind one reference-counted pointer: axum clones the state for
/// every extractor and middleware of every request, and cloning the fields (a score of
/// pointers, a path and the list of origins, with their allocations) was 6 % of the API's CPU
/// under load; this is one atomic increment. Reads go through [`Deref`]; configuring a field
/// before serving (`state.quotas = …`) goes through [`DerefMut`], copy-on-write.
#[derive(Clone)]
pub struct AppState(Arc<AppStateFields>);

impl std::ops::Deref for AppState {
    type Target = AppStateFields;

    fn deref(&self) -> &AppStateFields {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut AppStateFields {
        Arc::make_mut(&mut self.0)
    }
}

#[derive(Clone)]
pub struct AppStateFields {
    pub accounts: Arc<dyn Accounts>,
    pub projects: Arc<dyn Projects>,
    pub media: Arc<dyn MediaStore>,
    pub queue: Arc<dyn JobQueue>,
    pub webhooks: Arc<dyn Webhooks>,
    pub saved_styles: Arc<dyn SavedStyles>,
    /// The same database as the stores above, for readiness.
    pub db: Arc<dyn Database>,
    pub objects: Objects,
    pub keys: Arc<JwtKeys>,
    pub limits: MediaLimits,
    /// Where uploads are staged while they are checked.
    pub scratch: PathBuf,
    /// Key for signed file URLs (derived from the JWT secret).
    pub file_secret: Arc<[u8]>,
    /// Renders `/metrics` when the process installed a recorder.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// tus uploads with a `PATCH` running (uploads live on this instance's disk).
    pub uploads_in_progress: Arc<std::sync::Mutex<std::collections::HashSet<Uuid>>>,
    /// Request budgets (see `rate_limit`) and where they are kept: this process, or Redis.
    pub rate_limits: RateLimits,
    /// What one user may hold (projects, bytes, uploads, jobs).
    pub quotas: crate::limits::Quotas,
    pub rate_limiter: RateLimiter,
    /// Other origins whose pages may call the API (CORS); empty: same origin only.
    pub cors_origins: Vec<axum::http::HeaderValue>,
    /// What wakes event streams when a project's jobs change (see [`AppState::with_signals`]).
    pub signals: JobSignals,
    /// Cancelled when the process begins to shut down: endless responses (event streams) end,
    /// so that the requests still running can finish and the server can stop.
    pub stopping: tokio_util::sync::CancellationToken,
    /// Turns to draw a style frame (`crate::limits::MAX_CONCURRENT_STILLS`).
    pub stills: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Everything on one database (SQLite or PostgreSQL) and one object store.
    pub fn new(
        db: Arc<dyn Database>,
        objects: Objects,
        keys: JwtKeys,
        limits: MediaLimits,
        scratch: PathBuf,
    ) -> Self {
        let file_secret: Arc<[u8]> = keys.derive(b"cofee file urls").into();
        Self(Arc::new(AppStateFields {
            accounts: db.clone(),
            projects: db.clone(),
            media: db.clone(),
            queue: db.clone(),
            webhooks: db.clone(),
            saved_styles: db.clone(),
            db,
            objects,
            keys: Arc::new(keys),
            limits,
            scratch,
            file_secret,
            metrics: None,
            uploads_in_progress: Arc::default(),
            rate_limits: RateLimits::default(),
            quotas: crate::limits::Quotas::default(),
            rate_limiter: RateLimiter::local(),
            cors_origins: Vec::new(),
            signals: JobSignals::none(),
            stopping: tokio_util::sync::CancellationToken::new(),
            stills: Arc::new(tokio::sync::Semaphore::new(crate::limits::MAX_CONCURRENT_STILLS)),
        }))
    }

    /// What the health and metrics endpoints of this API need (for serving them apart).
    pub fn probes(&self) -> Probes {
        <Probes as axum::extract::FromRef<AppState>>::from_ref(self)
    }

    /// Job changes made through this API (enqueue, cancel, retry) are signalled with `signals`,
    /// and the event streams listen to them (and to the workers', when the signals reach them).
    pub fn with_signals(mut self, signals: JobSignals) -> Self {
        self.queue = Arc::new(SignallingQueue::new(self.queue.clone(), signals.clone()));
        self.signals = signals;
        self
    }
}

/// What health and metrics endpoints need; the worker serves them without the API.
#[derive(Clone)]
pub struct Probes {
    pub db: Arc<dyn Database>,
    pub objects: Objects,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Redis, when the process uses it (shared rate limits): readiness reports it.
    pub redis: Option<RateLimiter>,
}

impl axum::extract::FromRef<AppState> for Probes {
    fn from_ref(s: &AppState) -> Self {
        let redis =
            matches!(s.rate_limiter, RateLimiter::Redis { .. }).then(|| s.rate_limiter.clone());
        Self { db: s.db.clone(), objects: s.objects.clone(), metrics: s.metrics.clone(), redis }
    }
}
