//! [`Accounts`] and [`Projects`] on PostgreSQL.

use async_trait::async_trait;
use uuid::Uuid;

use super::PgStore;
use crate::StoreError;
use crate::accounts::{Accounts, ApiToken, Project, ProjectSummary, Projects, RefreshUse, User};

type ProjectRow = (Uuid, Uuid, String, i64, i64);

fn project(r: ProjectRow) -> Result<Project, StoreError> {
    Ok(Project { id: r.0, owner_id: r.1, name: r.2, created_at: r.3, updated_at: r.4 })
}

#[async_trait]
impl Accounts for PgStore {
    async fn create_user(&self, email: &str, password_hash: &str) -> Result<User, StoreError> {
        let user = User { id: Uuid::now_v7(), email: email.to_string(), password_hash: password_hash.to_string(), created_at: self.now() };
        let r = sqlx::query("INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(user.id)
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(user.created_at)
            .execute(&self.pool)
            .await;
        match r {
            Ok(_) => Ok(user),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict("an account with this email already exists".into())),
            Err(e) => Err(e.into()),
        }
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(Uuid, String, String, i64)> =
            sqlx::query_as("SELECT id, email, password_hash, created_at FROM users WHERE email = $1").bind(email).fetch_optional(&self.pool).await?;
        row.map(|(id, email, password_hash, created_at)| Ok(User { id, email, password_hash, created_at })).transpose()
    }

    async fn add_refresh_token(&self, user_id: Uuid, family_id: Uuid, token_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Uuid::now_v7())
            .bind(user_id)
            .bind(family_id)
            .bind(token_hash)
            .bind(expires_at)
            .bind(self.now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn use_refresh_token(&self, token_hash: &str) -> Result<RefreshUse, StoreError> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let row: Option<(Uuid, Uuid, i64, Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT user_id, family_id, expires_at, spent_at, revoked_at FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((user_id, family_id, expires_at, spent_at, revoked_at)) = row else { return Ok(RefreshUse::Invalid) };
        if revoked_at.is_some() || expires_at <= now {
            return Ok(RefreshUse::Invalid);
        }
        if spent_at.is_some() {
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL").bind(now).bind(family_id).execute(&mut *tx).await?;
            tx.commit().await?;
            return Ok(RefreshUse::Reused);
        }
        // Spend it only if nobody spent it in the meantime (two refreshes racing).
        let spent = sqlx::query("UPDATE refresh_tokens SET spent_at = $1 WHERE token_hash = $2 AND spent_at IS NULL").bind(now).bind(token_hash).execute(&mut *tx).await?;
        tx.commit().await?;
        if spent.rows_affected() == 0 {
            return Ok(RefreshUse::Invalid);
        }
        Ok(RefreshUse::Rotated { user_id, family_id })
    }

    async fn revoke_family_of(&self, token_hash: &str) -> Result<bool, StoreError> {
        let now = self.now();
        let r = sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $2)")
            .bind(now)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn create_api_token(&self, user: Uuid, name: &str, token_hash: &str) -> Result<ApiToken, StoreError> {
        let t = ApiToken { id: Uuid::now_v7(), name: name.to_string(), created_at: self.now(), last_used_at: None };
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(t.id)
            .bind(user)
            .bind(name)
            .bind(token_hash)
            .bind(t.created_at)
            .execute(&self.pool)
            .await?;
        Ok(t)
    }

    async fn api_tokens(&self, user: Uuid) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<(Uuid, String, i64, Option<i64>)> = sqlx::query_as("SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC")
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(|(id, name, created_at, last_used_at)| Ok(ApiToken { id, name, created_at, last_used_at })).collect()
    }

    async fn delete_api_token(&self, user: Uuid, id: Uuid) -> Result<(), StoreError> {
        let r = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2").bind(id).bind(user).execute(&self.pool).await?;
        if r.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn user_for_api_token(&self, token_hash: &str) -> Result<Option<Uuid>, StoreError> {
        let user: Option<Uuid> = sqlx::query_scalar("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 RETURNING user_id").bind(self.now()).bind(token_hash).fetch_optional(&self.pool).await?;
        Ok(user)
    }
}

#[async_trait]
impl Projects for PgStore {
    async fn project_summaries(&self, owner: Uuid) -> Result<Vec<ProjectSummary>, StoreError> {
        let rows: Vec<(Uuid, Uuid, String, i64, i64, bool, bool, i64)> = sqlx::query_as(
            "SELECT p.id, p.owner_id, p.name, p.created_at, p.updated_at,
                    EXISTS (SELECT 1 FROM media m WHERE m.project_id = p.id),
                    EXISTS (SELECT 1 FROM transcripts t WHERE t.project_id = p.id),
                    (SELECT COUNT(*) FROM renders r WHERE r.project_id = p.id AND r.output_key IS NOT NULL)
             FROM projects p WHERE p.owner_id = $1 ORDER BY p.created_at DESC, p.id DESC",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| Ok(ProjectSummary { project: project((r.0, r.1, r.2, r.3, r.4))?, has_media: r.5, has_captions: r.6, renders_done: r.7 as u64 }))
            .collect()
    }

    async fn create_project(&self, owner: Uuid, name: &str) -> Result<Project, StoreError> {
        let now = self.now();
        let p = Project { id: Uuid::now_v7(), owner_id: owner, name: name.to_string(), created_at: now, updated_at: now };
        sqlx::query("INSERT INTO projects (id, owner_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(p.id)
            .bind(owner)
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(p)
    }

    async fn list_projects(&self, owner: Uuid) -> Result<Vec<Project>, StoreError> {
        let rows: Vec<ProjectRow> = sqlx::query_as("SELECT id, owner_id, name, created_at, updated_at FROM projects WHERE owner_id = $1 ORDER BY created_at DESC, id DESC")
            .bind(owner)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(project).collect()
    }

    async fn project(&self, owner: Uuid, id: Uuid) -> Result<Project, StoreError> {
        let row: Option<ProjectRow> = sqlx::query_as("SELECT id, owner_id, name, created_at, updated_at FROM projects WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await?;
        project(row.ok_or(StoreError::NotFound)?)
    }

    async fn rename_project(&self, owner: Uuid, id: Uuid, name: &str) -> Result<Project, StoreError> {
        let row: Option<ProjectRow> = sqlx::query_as("UPDATE projects SET name = $1, updated_at = $2 WHERE id = $3 AND owner_id = $4 RETURNING id, owner_id, name, created_at, updated_at")
            .bind(name)
            .bind(self.now())
            .bind(id)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await?;
        project(row.ok_or(StoreError::NotFound)?)
    }

    async fn delete_project(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError> {
        let r = sqlx::query("DELETE FROM projects WHERE id = $1 AND owner_id = $2").bind(id).bind(owner).execute(&self.pool).await?;
        if r.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
