//! `POST/GET/DELETE /api/webhooks`: subscriptions to job outcomes, delivered signed (see
//! `cofee_worker::handlers::NotifyHandler`). The signing secret is returned once, at creation.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use cofee_jobs::WEBHOOK_EVENTS as EVENTS;
use cofee_store::webhooks::Webhook;
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::extract::Id;
use crate::limits::MAX_WEBHOOKS_PER_USER;
use crate::problem::{ApiError, FieldError, Problem, ProblemType};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    url: String,
    events: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    webhook: Webhook,
    /// HMAC-SHA256 key for `Cofee-Signature`; shown once.
    secret: String,
}

fn validate(w: &NewWebhook) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if !crate::fields::is_http_url(&w.url) {
        errors.push(FieldError {
            field: "url".into(),
            message: "must be an absolute http(s) URL".into(),
        });
    }
    let repeated = w.events.iter().enumerate().any(|(i, e)| w.events[..i].contains(e));
    if w.events.is_empty()
        || repeated
        || w.events.iter().any(|e| e != "*" && !EVENTS.contains(&e.as_str()))
    {
        errors.push(FieldError {
            field: "events".into(),
            message: format!("must list one or more of {}, or \"*\", each once", EVENTS.join(", ")),
        });
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(errors)) }
}

#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = NewWebhook, responses((status = 201, body = CreatedWebhook), (status = 422, body = Problem)))]
pub async fn create(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    body: Result<Json<NewWebhook>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let Json(w) = body?;
    validate(&w)?;
    // Each job's end is delivered to each of its owner's webhooks: their number bounds that.
    if s.webhooks.webhooks(user).await?.len() >= MAX_WEBHOOKS_PER_USER {
        return Err(ApiError::new(
            ProblemType::QuotaExceeded,
            format!(
                "quota exceeded: webhooks — an account has at most {MAX_WEBHOOKS_PER_USER}; delete one first"
            ),
        ));
    }
    let mut raw = [0u8; 24];
    getrandom::fill(&mut raw).expect("the OS has a random source");
    let secret = format!("whsec_{}", hex::encode(raw));
    let webhook = s.webhooks.create_webhook(user, &w.url, &w.events, &secret).await?;
    Ok((StatusCode::CREATED, Json(CreatedWebhook { webhook, secret })))
}

#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks", security(("bearer" = [])), responses((status = 200, body = Vec<Webhook>)))]
pub async fn list(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<Webhook>>, ApiError> {
    Ok(Json(s.webhooks.webhooks(user).await?))
}

/// A job, accepted: `GET /api/jobs/{job_id}` says how it ends.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TestDelivery {
    job_id: uuid::Uuid,
}

/// Sends the webhook a signed `webhook.test` event now (once, not retried): the job's end says
/// whether the receiver accepted it, and if not, what it answered.
#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 202, body = TestDelivery), (status = 404, body = Problem)))]
pub async fn test_webhook(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: axum::http::HeaderMap,
) -> Result<(StatusCode, Json<TestDelivery>), ApiError> {
    if !s.webhooks.webhooks(user).await?.iter().any(|w| w.id == id) {
        return Err(cofee_store::StoreError::NotFound.into());
    }
    crate::quotas::check(&s, user, crate::quotas::Adding { jobs: 1, ..Default::default() }).await?;
    let job = cofee_jobs::WebhookDelivery::test(id, crate::origin::account_origin(&headers, user));
    let job_id = s.queue.enqueue(job).await?;
    Ok((StatusCode::ACCEPTED, Json(TestDelivery { job_id })))
}

#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    s.webhooks.delete_webhook(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
