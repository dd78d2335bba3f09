//! [`Webhooks`] on PostgreSQL.

use async_trait::async_trait;
use uuid::Uuid;

use super::PgStore;
use crate::StoreError;
use crate::webhooks::{Webhook, Webhooks};

type Row = (Uuid, Uuid, String, serde_json::Value, String, i64);

fn webhook(r: Row) -> Result<Webhook, StoreError> {
    let events = serde_json::from_value(r.3).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Webhook { id: r.0, owner_id: r.1, url: r.2, events, secret: r.4, created_at: r.5 })
}

#[async_trait]
impl Webhooks for PgStore {
    async fn create_webhook(&self, owner: Uuid, url: &str, events: &[String], secret: &str) -> Result<Webhook, StoreError> {
        let w = Webhook { id: Uuid::now_v7(), owner_id: owner, url: url.into(), events: events.to_vec(), secret: secret.into(), created_at: self.now() };
        sqlx::query("INSERT INTO webhooks (id, owner_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(w.id)
            .bind(owner)
            .bind(url)
            .bind(serde_json::json!(events))
            .bind(secret)
            .bind(w.created_at)
            .execute(&self.pool)
            .await?;
        Ok(w)
    }

    async fn webhooks(&self, owner: Uuid) -> Result<Vec<Webhook>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as("SELECT id, owner_id, url, events, secret, created_at FROM webhooks WHERE owner_id = $1 ORDER BY created_at").bind(owner).fetch_all(&self.pool).await?;
        rows.into_iter().map(webhook).collect()
    }

    async fn delete_webhook(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError> {
        let r = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND owner_id = $2").bind(id).bind(owner).execute(&self.pool).await?;
        if r.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn webhook(&self, id: Uuid) -> Result<Webhook, StoreError> {
        let row: Option<Row> = sqlx::query_as("SELECT id, owner_id, url, events, secret, created_at FROM webhooks WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        webhook(row.ok_or(StoreError::NotFound)?)
    }
}
