//! Quotas checked before a request adds to what a user holds (limits in `crate::limits`).

use uuid::Uuid;

use crate::problem::{ApiError, ProblemType};
use crate::state::AppState;

/// What a request is about to add to the user's holdings.
#[derive(Clone, Copy, Debug, Default)]
pub struct Adding {
    pub projects: u64,
    pub bytes: u64,
    pub uploads: u64,
    pub jobs: u64,
}

/// `403 quota-exceeded` naming the first quota `adding` would take past its limit.
pub async fn check(s: &AppState, user: Uuid, adding: Adding) -> Result<(), ApiError> {
    let used = s.accounts.usage(user).await?;
    let q = s.quotas;
    let over = [
        ("projects", "COFEE_QUOTA_PROJECTS", used.projects, adding.projects, q.projects, ""),
        (
            "stored bytes",
            "COFEE_QUOTA_STORED_BYTES",
            used.stored_bytes,
            adding.bytes,
            q.stored_bytes,
            " bytes",
        ),
        (
            "open uploads",
            "COFEE_QUOTA_OPEN_UPLOADS",
            used.open_uploads,
            adding.uploads,
            q.open_uploads,
            "",
        ),
        (
            "queued and running jobs",
            "COFEE_QUOTA_ACTIVE_JOBS",
            used.active_jobs,
            adding.jobs,
            q.active_jobs,
            "",
        ),
    ]
    .into_iter()
    .find(|&(_, _, used, add, limit, _)| {
        add > 0 && limit.is_some_and(|l| used.saturating_add(add) > l)
    });
    match over {
        None => Ok(()),
        Some((what, setting, used, add, limit, unit)) => Err(ApiError::new(
            ProblemType::QuotaExceeded,
            format!(
                "quota exceeded: {what} — {used}{unit} used of {}{unit}, and this would add {add}{unit}; free some up (delete projects or uploads, wait for jobs) or ask the operator to raise {setting}",
                limit.unwrap_or_default()
            ),
        )),
    }
}
