//! [`Webhooks`] on both backends (events: `JSONB` on PostgreSQL, JSON text on SQLite).

use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

use super::{Id, Store, db_run};
use crate::StoreError;
use crate::webhooks::{Webhook, Webhooks};

const COLUMNS: &str = "id, owner_id, url, events, secret, created_at";

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Id,
    owner_id: Id,
    url: String,
    events: Json<Vec<String>>,
    secret: String,
    created_at: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id.0,
            owner_id: r.owner_id.0,
            url: r.url,
            events: r.events.0,
            secret: r.secret,
            created_at: r.created_at,
        }
    }
}

#[async_trait]
impl Webhooks for Store {
    async fn create_webhook(
        &self,
        owner: Uuid,
        url: &str,
        events: &[String],
        secret: &str,
    ) -> Result<Webhook, StoreError> {
        let w = Webhook {
            id: Uuid::now_v7(),
            owner_id: owner,
            url: url.into(),
            events: events.to_vec(),
            secret: secret.into(),
            created_at: self.now(),
        };
        db_run!(&self.pool, |pool| {
            sqlx::query("INSERT INTO webhooks (id, owner_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Id(w.id))
            .bind(Id(owner))
            .bind(url)
            .bind(Json(events))
            .bind(secret)
            .bind(w.created_at)
            .execute(pool)
            .await?;
        });
        Ok(w)
    }

    async fn webhooks(&self, owner: Uuid) -> Result<Vec<Webhook>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE owner_id = $1 ORDER BY created_at");
        let rows: Vec<WebhookRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(owner))
                .fetch_all(pool)
                .await?);
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    async fn delete_webhook(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError> {
        self.delete_owned("DELETE FROM webhooks WHERE id = $1 AND owner_id = $2", id, owner).await
    }

    async fn webhook(&self, id: Uuid) -> Result<Webhook, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1");
        let row: Option<WebhookRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(id))
                .fetch_optional(pool)
                .await?);
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }
}
