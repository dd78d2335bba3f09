//! `GET /api/me/usage`: what the signed-in user holds against each quota (checked by
//! `crate::quotas` before a request adds to one).

use axum::Json;
use axum::extract::State;
use cofee_store::accounts::Usage;
use serde::Serialize;

use crate::auth::AuthUser;
use crate::limits::Quotas;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// One quota: how much is used and the limit (`null`: none).
#[derive(Serialize, utoipa::ToSchema)]
pub struct Measure {
    pub used: u64,
    pub limit: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    pub projects: Measure,
    /// Bytes of media, renders and unfinished uploads.
    pub stored_bytes: Measure,
    pub open_uploads: Measure,
    /// Transcriptions and renders queued or running.
    pub active_jobs: Measure,
}

fn report(used: Usage, quotas: Quotas) -> UsageReport {
    let m = |used, limit| Measure { used, limit };
    UsageReport {
        projects: m(used.projects, quotas.projects),
        stored_bytes: m(used.stored_bytes, quotas.stored_bytes),
        open_uploads: m(used.open_uploads, quotas.open_uploads),
        active_jobs: m(used.active_jobs, quotas.active_jobs),
    }
}

#[utoipa::path(get, path = "/api/me/usage", tag = "auth", security(("bearer" = [])), responses((status = 200, body = UsageReport), (status = 401, body = Problem)))]
pub async fn usage(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<UsageReport>, ApiError> {
    Ok(Json(report(s.accounts.usage(user).await?, s.quotas)))
}
