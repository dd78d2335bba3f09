//! Webhooks: outcomes of a user's jobs become `notify` jobs (one per subscribed webhook), and
//! each is delivered as a signed POST, retried with the queue's backoff until it is accepted.
//!
//! Signature: `Cofee-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! the scheme Stripe popularised: the receiver recomputes it and rejects old timestamps.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cofee_jobs::{JobOrigin, Queue, WEBHOOK_EVENTS, WebhookDelivery};
use cofee_store::StoreError;
use cofee_store::queue::{Job, JobQueue};
use cofee_store::webhooks::Webhooks;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::{JobContext, JobError, JobObserver, Perform};

/// `v1` signature of `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Enqueues deliveries for the owner's webhooks when one of their jobs ends.
pub struct WebhookFanout {
    pub webhooks: Arc<dyn Webhooks>,
    pub queue: Arc<dyn JobQueue>,
}

#[async_trait]
impl JobObserver for WebhookFanout {
    async fn finished(&self, job: &Job, state: &str) {
        let event = format!("job.{state}");
        let Some(owner) = job.owner_id else { return };
        if job.queue == Queue::Notify.name() || !WEBHOOK_EVENTS.contains(&event.as_str()) {
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
    pub client: reqwest::Client,
    /// Deliver to loopback and private addresses (development; off by default against SSRF).
    pub allow_private: bool,
}

impl NotifyHandler {
    pub fn new(webhooks: Arc<dyn Webhooks>, allow_private: bool) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a default HTTP client builds");
        Self { webhooks, client, allow_private }
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
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
        if !self.allow_private {
            let host = url.host_str().unwrap_or_default().to_string();
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| JobError::retryable(format!("cannot resolve {host}: {e}")))?;
            if addrs.into_iter().any(|a| is_private(a.ip())) {
                return Err(JobError::permanent(format!(
                    "{host} resolves to a private address; webhooks only go to public hosts"
                )));
            }
        }
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
            .map_err(|e| JobError::retryable(format!("delivery failed: {e}")))?;
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
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

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
