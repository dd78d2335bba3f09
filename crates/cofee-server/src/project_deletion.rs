//! Deleting a project: its rows, with the job that deletes its stored objects committed in the
//! same transaction (durable, run again until every object is gone), and a signal so its open
//! event streams end now rather than at their next safety-net read. `resources::projects`
//! deletes one project this way, `resources::account` every project of an account.

use cofee_jobs::DeleteObjects;
use uuid::Uuid;

use crate::origin::housekeeping_origin;
use crate::problem::ApiError;
use crate::state::AppState;

pub async fn delete_project(
    s: &AppState,
    user: Uuid,
    id: Uuid,
    headers: &axum::http::HeaderMap,
) -> Result<(), ApiError> {
    let cleanup = |uploads: &[Uuid]| {
        cofee_jobs::new_job(&DeleteObjects::project(id, uploads), housekeeping_origin(headers))
    };
    s.projects.delete_project(user, id, &cleanup).await?;
    s.signals.notify(&id.to_string());
    Ok(())
}
