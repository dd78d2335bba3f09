//! `GET /api/projects/{id}/events`: Server-Sent Events with the project's job progress and
//! state changes. The stream reads the job rows, so any API replica can serve it and it shows
//! work done by any worker; nothing lives in the API process. It reads them when a job signal
//! says the project changed (`cofee_store::signals`: in-process for `cofee serve`, through Redis
//! across processes) and, as a safety net, every few seconds; where no signals reach this
//! process (separate API and workers without Redis, or Redis down) it reads every half second.
//! A stream ends, with an `end` event, when its credential expires or its project is deleted.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::json;
use uuid::Uuid;

use crate::auth::Caller;
use crate::extract::Id;
use crate::problem::ApiError;
use crate::state::AppState;

/// How often the rows are read when no signal would say they changed.
const POLL: Duration = Duration::from_millis(500);
/// How often they are read anyway when signals do reach this process (one could be lost).
const SAFETY_NET: Duration = Duration::from_secs(5);
/// Reads of one stream are at least this far apart: a burst of signals is one read.
const COALESCE: Duration = Duration::from_millis(200);

/// Why a stream ended (its last event, `end`).
#[derive(Clone, Copy)]
enum Ending {
    /// The credential it was opened with expired: open it again with a fresh one.
    CredentialExpired,
    /// The project was deleted.
    ProjectDeleted,
}

impl Ending {
    fn event(self) -> Event {
        let reason = match self {
            Self::CredentialExpired => "credential-expired",
            Self::ProjectDeleted => "project-deleted",
        };
        Event::default().event("end").data(json!({ "reason": reason }).to_string())
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[utoipa::path(get, path = "/api/projects/{id}/events", tag = "jobs", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, content_type = "text/event-stream", description = "`job` events: state and progress of the project's jobs; a last `end` event (`reason`: `credential-expired` or `project-deleted`) when the stream ends because its access or API token expired or the project was deleted")))]
pub async fn stream(
    State(s): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let user = caller.user;
    s.projects.project(user, id).await?;
    // The stream must not outlive what let it be opened.
    let expires = caller.expires_at.map(|ms| {
        tokio::time::Instant::now() + Duration::from_millis((ms - now_ms()).max(0) as u64)
    });
    let until_expired = async move {
        match expires {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    // What each job looked like when last sent, so only changes go out.
    let seen: HashMap<Uuid, (String, i64)> = HashMap::new();
    let changes = s.signals.watch(&id.to_string());
    let s_stopping = s.stopping.clone();
    let events = futures_util::stream::unfold(
        (s, seen, changes, Box::pin(until_expired), Some(true)),
        move |(s, mut seen, mut changes, mut expired, step)| async move {
            let first = step?;
            if !first {
                let wait = if s.signals.live() { SAFETY_NET } else { POLL };
                let ended = tokio::select! {
                    () = &mut expired => true,
                    () = async {
                        tokio::time::sleep(COALESCE).await;
                        tokio::select! {
                            () = changes.changed() => {}
                            () = tokio::time::sleep(wait.saturating_sub(COALESCE)) => {}
                        }
                    } => false,
                };
                if ended {
                    let last = vec![Ok(Ending::CredentialExpired.event())];
                    return Some((
                        futures_util::stream::iter(last),
                        (s, seen, changes, expired, None),
                    ));
                }
            }
            if let Err(cofee_store::StoreError::NotFound) = s.projects.project(user, id).await {
                let last = vec![Ok(Ending::ProjectDeleted.event())];
                return Some((futures_util::stream::iter(last), (s, seen, changes, expired, None)));
            }
            let jobs = s.queue.jobs_for_project(user, id, 50).await.unwrap_or_default();
            let mut out = Vec::new();
            // A split render's chunks show as its own job's progress.
            for j in jobs.into_iter().rev().filter(|j| {
                j.kind != <cofee_jobs::RenderChunkJob as cofee_jobs::BackgroundJob>::KIND
            }) {
                let now = (j.state.as_str().to_string(), (j.progress * 1000.0) as i64);
                if seen.get(&j.id) != Some(&now) {
                    let data = json!({"job_id": j.id, "kind": j.kind, "state": j.state.as_str(), "progress": j.progress, "attempts": j.attempts, "error": j.error});
                    out.push(Ok(Event::default().event("job").data(data.to_string())));
                    seen.insert(j.id, now);
                }
            }
            Some((futures_util::stream::iter(out), (s, seen, changes, expired, Some(false))))
        },
    );
    use futures_util::StreamExt;
    // A stream ends when the server begins to shut down (it would hold the shutdown up for
    // ever); EventSource reconnects by itself, to a replica that is not stopping.
    let until_stopping = s_stopping.cancelled_owned();
    Ok(Sse::new(events.flatten().take_until(until_stopping))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
