//! [`Accounts`] and [`Projects`] on both backends.

use async_trait::async_trait;
use uuid::Uuid;

use super::{Dialect as _, Id, Store, db_run, unique_violation};
use crate::accounts::{Accounts, ApiToken, Project, ProjectSummary, Projects, RefreshUse, User};
use crate::{Conflict, StoreError};

const PROJECT_COLUMNS: &str = "id, owner_id, name, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: Id,
    owner_id: Id,
    name: String,
    created_at: i64,
    updated_at: i64,
}

impl From<ProjectRow> for Project {
    fn from(r: ProjectRow) -> Self {
        Project {
            id: r.id.0,
            owner_id: r.owner_id.0,
            name: r.name,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[async_trait]
impl Accounts for Store {
    async fn create_user(&self, email: &str, password_hash: &str) -> Result<User, StoreError> {
        let user = User {
            id: Uuid::now_v7(),
            email: email.to_string(),
            password_hash: password_hash.to_string(),
            created_at: self.now(),
        };
        let inserted = db_run!(&self.pool, |pool| sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(Id(user.id))
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.created_at)
        .execute(pool)
        .await
        .map(|_| ()));
        match inserted {
            Ok(()) => Ok(user),
            Err(e) if unique_violation(&e) => Err(Conflict::EmailTaken.into()),
            Err(e) => Err(e.into()),
        }
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(Id, String, String, i64)> = db_run!(&self.pool, |pool| sqlx::query_as(
            "SELECT id, email, password_hash, created_at FROM users WHERE email = $1"
        )
        .bind(email)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|(id, email, password_hash, created_at)| User {
            id: id.0,
            email,
            password_hash,
            created_at,
        }))
    }

    async fn add_refresh_token(
        &self,
        user_id: Uuid,
        family_id: Uuid,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        db_run!(&self.pool, |pool| {
            sqlx::query("INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Id(Uuid::now_v7()))
            .bind(Id(user_id))
            .bind(Id(family_id))
            .bind(token_hash)
            .bind(expires_at)
            .bind(self.now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    async fn use_refresh_token(&self, token_hash: &str) -> Result<RefreshUse, StoreError> {
        let now = self.now();
        db_run!(&self.pool, |pool, dialect| {
            let mut tx = dialect.begin_write(pool).await?;
            let row: Option<(Id, Id, i64, Option<i64>, Option<i64>)> =
                sqlx::query_as("SELECT user_id, family_id, expires_at, spent_at, revoked_at FROM refresh_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((user_id, family_id, expires_at, spent_at, revoked_at)) = row else {
                return Ok(RefreshUse::Invalid);
            };
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
            Ok(RefreshUse::Rotated { user_id: user_id.0, family_id: family_id.0 })
        })
    }

    async fn revoke_family_of(&self, token_hash: &str) -> Result<bool, StoreError> {
        let revoked = db_run!(&self.pool, |pool| {
            sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $2)",
        )
        .bind(self.now())
        .bind(token_hash)
        .execute(pool)
        .await?
        .rows_affected()
        });
        Ok(revoked > 0)
    }

    async fn create_api_token(
        &self,
        user: Uuid,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiToken, StoreError> {
        let t = ApiToken {
            id: Uuid::now_v7(),
            name: name.to_string(),
            created_at: self.now(),
            last_used_at: None,
        };
        db_run!(&self.pool, |pool| {
            sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(Id(t.id))
            .bind(Id(user))
            .bind(name)
            .bind(token_hash)
            .bind(t.created_at)
            .execute(pool)
            .await?;
        });
        Ok(t)
    }

    async fn api_tokens(&self, user: Uuid) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<(Id, String, i64, Option<i64>)> = db_run!(&self.pool, |pool| {
            sqlx::query_as(
            "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
        )
        .bind(Id(user))
        .fetch_all(pool)
        .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at, last_used_at)| ApiToken {
                id: id.0,
                name,
                created_at,
                last_used_at,
            })
            .collect())
    }

    async fn delete_api_token(&self, user: Uuid, id: Uuid) -> Result<(), StoreError> {
        self.delete_owned("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2", id, user).await
    }

    async fn user_for_api_token(&self, token_hash: &str) -> Result<Option<Uuid>, StoreError> {
        let user: Option<Id> = db_run!(&self.pool, |pool| sqlx::query_scalar(
            "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 RETURNING user_id"
        )
        .bind(self.now())
        .bind(token_hash)
        .fetch_optional(pool)
        .await?);
        Ok(user.map(Uuid::from))
    }
}

#[async_trait]
impl Projects for Store {
    async fn project_summaries(&self, owner: Uuid) -> Result<Vec<ProjectSummary>, StoreError> {
        let rows: Vec<(Id, Id, String, i64, i64, bool, bool, i64)> = db_run!(&self.pool, |pool| {
            sqlx::query_as(
            "SELECT p.id, p.owner_id, p.name, p.created_at, p.updated_at,
                    EXISTS (SELECT 1 FROM media m WHERE m.project_id = p.id),
                    EXISTS (SELECT 1 FROM transcripts t WHERE t.project_id = p.id),
                    (SELECT COUNT(*) FROM renders r WHERE r.project_id = p.id AND r.output_key IS NOT NULL)
             FROM projects p WHERE p.owner_id = $1 ORDER BY p.created_at DESC, p.id DESC",
        )
        .bind(Id(owner))
        .fetch_all(pool)
        .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| {
                let project = ProjectRow {
                    id: r.0,
                    owner_id: r.1,
                    name: r.2,
                    created_at: r.3,
                    updated_at: r.4,
                }
                .into();
                ProjectSummary {
                    project,
                    has_media: r.5,
                    has_captions: r.6,
                    renders_done: r.7 as u64,
                }
            })
            .collect())
    }

    async fn create_project(&self, owner: Uuid, name: &str) -> Result<Project, StoreError> {
        let now = self.now();
        let p = Project {
            id: Uuid::now_v7(),
            owner_id: owner,
            name: name.to_string(),
            created_at: now,
            updated_at: now,
        };
        db_run!(&self.pool, |pool| {
            sqlx::query("INSERT INTO projects (id, owner_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(Id(p.id))
            .bind(Id(owner))
            .bind(name)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(p)
    }

    async fn list_projects(&self, owner: Uuid) -> Result<Vec<Project>, StoreError> {
        let sql = format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE owner_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<ProjectRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(owner))
                .fetch_all(pool)
                .await?);
        Ok(rows.into_iter().map(Project::from).collect())
    }

    async fn project(&self, owner: Uuid, id: Uuid) -> Result<Project, StoreError> {
        let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1 AND owner_id = $2");
        let row: Option<ProjectRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(id))
                .bind(Id(owner))
                .fetch_optional(pool)
                .await?);
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }

    async fn rename_project(
        &self,
        owner: Uuid,
        id: Uuid,
        name: &str,
    ) -> Result<Project, StoreError> {
        let sql = format!(
            "UPDATE projects SET name = $1, updated_at = $2 WHERE id = $3 AND owner_id = $4 RETURNING {PROJECT_COLUMNS}"
        );
        let row: Option<ProjectRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(name)
                .bind(self.now())
                .bind(Id(id))
                .bind(Id(owner))
                .fetch_optional(pool)
                .await?);
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }

    async fn delete_project(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError> {
        self.delete_owned("DELETE FROM projects WHERE id = $1 AND owner_id = $2", id, owner).await
    }
}
