//! Webhook subscriptions.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: Uuid,
    #[serde(skip)]
    pub owner_id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    #[serde(skip)]
    pub secret: String,
    pub created_at: i64,
}

#[async_trait]
pub trait Webhooks: Send + Sync {
    async fn create_webhook(
        &self,
        owner: Uuid,
        url: &str,
        events: &[String],
        secret: &str,
    ) -> Result<Webhook, StoreError>;
    async fn webhooks(&self, owner: Uuid) -> Result<Vec<Webhook>, StoreError>;
    async fn delete_webhook(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError>;
    /// For the delivery worker.
    async fn webhook(&self, id: Uuid) -> Result<Webhook, StoreError>;
}
