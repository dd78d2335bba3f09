//! Webhooks: outcomes of a user's jobs become `notify` jobs (one per subscribed webhook), and
//! each is delivered as a signed POST, retried with the queue's backoff until it is accepted.
//!
//! Signature: `Cofee-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! the scheme Stripe popularised: the receiver recomputes it and rejects old timestamps.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cofee_jobs::{JobOrigin, Queue, UNANNOUNCED_KINDS, WEBHOOK_EVENTS, WebhookDelivery};
use cofee_store::StoreError;
use cofee_store::queue::{Job, JobQueue};
use cofee_store::webhooks::Webhooks;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

use super::addresses::{
    AddressPolicy, CheckedResolver, Lookup, NotPublic, SystemLookup, not_public,
};
use crate::{JobContext, JobError, JobObserver, Perform};

/// `v1` signature of `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Enqueues deliveries for the owner's webhooks when one of their jobs ends (but not the jobs
/// nobody asked for by name, [`UNANNOUNCED_KINDS`]).
pub struct WebhookFanout {
    pub webhooks: Arc<dyn Webhooks>,
    pub queue: Arc<dyn JobQueue>,
}

#[async_trait]
impl JobObserver for WebhookFanout {
    async fn finished(&self, job: &Job, state: &str) {
        let event = format!("job.{state}");
        let Some(owner) = job.owner_id else { return };
        if job.queue == Queue::Notify.name()
            || !WEBHOOK_EVENTS.contains(&event.as_str())
            || UNANNOUNCED_KINDS.contains(&job.kind.as_str())
        {
            return;
        }
        let hooks = match self.webhooks.webhooks(owner).await {
            Ok(h) => h,
            Err(e) => {
                return tracing::error!(error = %e, "cannot list webhooks; events are lost for this job");
            }
        };
        let after = self.queue.get(job.id).await.ok();
        for hook in hooks.into_iter().filter(|h| h.events.iter().any(|e| e == &event || e == "*")) {
            let data = json!({
                "job_id": job.id, "queue": job.queue, "kind": job.kind, "state": state,
                "project_id": job.project_id, "render_id": job.payload.get("render_id"),
                "error": after.as_ref().and_then(|j| j.error.clone()),
            });
            let origin = JobOrigin {
                owner: Some(owner),
                project: None,
                request_id: job.trace_context.clone(),
                traceparent: cofee_jobs::trace::current_traceparent(),
            };
            let delivery = cofee_jobs::new_job(
                &WebhookDelivery { webhook_id: hook.id, event: event.clone(), data },
                origin,
            );
            if let Err(e) = self.queue.enqueue(delivery).await {
                tracing::error!(error = %e, webhook = %hook.id, "cannot enqueue a webhook delivery");
            }
        }
    }
}

pub struct NotifyHandler {
    pub webhooks: Arc<dyn Webhooks>,
    /// Connects only to addresses [`CheckedResolver`] checked; never follows redirects.
    client: reqwest::Client,
    policy: AddressPolicy,
}

impl NotifyHandler {
    /// Deliveries to public hosts only, unless `allow_private` (development: it allows SSRF).
    pub fn new(webhooks: Arc<dyn Webhooks>, allow_private: bool) -> Self {
        Self::resolving_with(webhooks, Arc::new(SystemLookup), AddressPolicy::new(allow_private))
    }

    /// Deliveries whose host names `lookup` resolves, to the addresses `policy` allows.
    pub fn resolving_with(
        webhooks: Arc<dyn Webhooks>,
        lookup: Arc<dyn Lookup>,
        policy: AddressPolicy,
    ) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the name itself, past the check.
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver { lookup, policy }))
            .build()
            .expect("a default HTTP client builds");
        Self { webhooks, client, policy }
    }

    /// A URL naming an address itself is never resolved, so its address is checked here.
    fn check_literal(&self, url: &reqwest::Url) -> Result<(), JobError> {
        let addr = match url.host() {
            Some(url::Host::Ipv4(v4)) => v4.into(),
            Some(url::Host::Ipv6(v6)) => v6.into(),
            _ => return Ok(()),
        };
        if self.policy.allows(addr) {
            Ok(())
        } else {
            Err(JobError::permanent(NotPublic {
                host: url.host_str().unwrap_or_default().to_string(),
                addr,
            }))
        }
    }
}

#[async_trait]
impl Perform<WebhookDelivery> for NotifyHandler {
    async fn perform(
        &self,
        p: WebhookDelivery,
        job: &Job,
        _ctx: JobContext,
    ) -> Result<(), JobError> {
        let hook = match self.webhooks.webhook(p.webhook_id).await {
            Ok(h) => h,
            Err(StoreError::NotFound) => {
                return Err(JobError::permanent("the webhook was deleted"));
            }
            Err(e) => return Err(JobError::retryable(e)),
        };
        let url = reqwest::Url::parse(&hook.url).map_err(JobError::permanent)?;
        self.check_literal(&url)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let body =
            json!({"id": job.id, "type": p.event, "created_at": now, "data": p.data}).to_string();
        let signature = format!("t={now},v1={}", sign(&hook.secret, now, &body));
        let resp = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("cofee-event", &p.event)
            .header("cofee-delivery", job.id.to_string())
            .header("cofee-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| match not_public(&e) {
                // The host is not public now; it may be later (and the operator sees why).
                Some(refusal) => JobError::permanent(refusal.to_string()),
                None => JobError::retryable(format!("delivery failed: {e}")),
            })?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(JobError::retryable(format!("the receiver answered {}", resp.status())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // RFC 4231-style check: same inputs, same output; any change, another output.
        let a = sign("whsec_test", 1_700_000_000, "{}");
        assert_eq!(a.len(), 64);
        assert_eq!(a, sign("whsec_test", 1_700_000_000, "{}"));
        assert_ne!(a, sign("whsec_test", 1_700_000_001, "{}"));
        assert_ne!(a, sign("whsec_other", 1_700_000_000, "{}"));
    }
}
