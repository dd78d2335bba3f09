//! [`SavedStyles`] on both backends.

use async_trait::async_trait;
use uuid::Uuid;

use super::{Id, Store, db_run};
use crate::StoreError;
use crate::saved_styles::{SavedStyle, SavedStyles};

const COLUMNS: &str = "id, owner_id, name, style, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct SavedStyleRow {
    id: Id,
    owner_id: Id,
    name: String,
    style: String,
    created_at: i64,
    updated_at: i64,
}

impl From<SavedStyleRow> for SavedStyle {
    fn from(r: SavedStyleRow) -> Self {
        SavedStyle {
            id: r.id.0,
            owner_id: r.owner_id.0,
            name: r.name,
            style: r.style,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[async_trait]
impl SavedStyles for Store {
    async fn save_style(
        &self,
        owner: Uuid,
        name: &str,
        style: &str,
    ) -> Result<SavedStyle, StoreError> {
        let now = self.now();
        // One statement, so two saves of one name at once leave one row.
        let sql = format!(
            "INSERT INTO saved_styles ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (owner_id, name) DO UPDATE SET style = excluded.style, updated_at = excluded.updated_at \
             RETURNING {COLUMNS}"
        );
        let row: SavedStyleRow =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(Uuid::now_v7()))
                .bind(Id(owner))
                .bind(name)
                .bind(style)
                .bind(now)
                .fetch_one(pool)
                .await?);
        Ok(row.into())
    }

    async fn saved_styles(&self, owner: Uuid) -> Result<Vec<SavedStyle>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM saved_styles WHERE owner_id = $1 ORDER BY name");
        let rows: Vec<SavedStyleRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(owner))
                .fetch_all(pool)
                .await?);
        Ok(rows.into_iter().map(SavedStyle::from).collect())
    }

    async fn delete_saved_style(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError> {
        self.delete_owned("DELETE FROM saved_styles WHERE id = $1 AND owner_id = $2", id, owner)
            .await
    }
}
