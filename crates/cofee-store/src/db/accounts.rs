//! [`Accounts`] and [`Projects`] on both backends.

use async_trait::async_trait;
use uuid::Uuid;

use super::{Dialect as _, Id, Store, TextId, db_run, enqueue_in, unique_violation};
use crate::accounts::{
    Accounts, ApiToken, ApiTokenGrant, Project, ProjectSummary, Projects, RefreshUse, TokenScope,
    Usage, User,
};
use crate::housekeeping::CleanupJob;
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

fn user_of((id, email, password_hash, created_at): (Id, String, String, i64)) -> User {
    User { id: id.0, email, password_hash, created_at }
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
        Ok(row.map(user_of))
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        let row: Option<(Id, String, String, i64)> = db_run!(&self.pool, |pool| sqlx::query_as(
            "SELECT id, email, password_hash, created_at FROM users WHERE id = $1"
        )
        .bind(Id(id))
        .fetch_optional(pool)
        .await?);
        Ok(row.map(user_of))
    }

    async fn set_password(&self, user: Uuid, password_hash: &str) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.write_transaction().await?;
        let changed = db_run!(&mut tx, |tx| {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(Id(user))
                .execute(&mut **tx)
                .await?
                .rows_affected()
        });
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        db_run!(&mut tx, |tx| {
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(Id(user))
                .execute(&mut **tx)
                .await?;
        });
        tx.commit().await?;
        Ok(())
    }

    async fn delete_user(&self, user: Uuid) -> Result<(), StoreError> {
        let deleted = db_run!(&self.pool, |pool| {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(Id(user))
                .execute(pool)
                .await?
                .rows_affected()
        });
        if deleted == 0 { Err(StoreError::NotFound) } else { Ok(()) }
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

    async fn usage(&self, user: Uuid) -> Result<Usage, StoreError> {
        let (projects, stored_bytes, open_uploads, active_jobs): (i64, i64, i64, i64) = db_run!(
            &self.pool,
            |pool| {
                sqlx::query_as(
            "SELECT
                 (SELECT COUNT(*) FROM projects WHERE owner_id = $1),
                 CAST((SELECT COALESCE(SUM(m.size_bytes), 0) FROM media m JOIN projects p ON p.id = m.project_id WHERE p.owner_id = $1)
                    + (SELECT COALESCE(SUM(r.size_bytes), 0) FROM renders r JOIN projects p ON p.id = r.project_id WHERE p.owner_id = $1)
                    + (SELECT COALESCE(SUM(u.length), 0) FROM uploads u WHERE u.owner_id = $1) AS BIGINT),
                 (SELECT COUNT(*) FROM uploads WHERE owner_id = $1),
                 (SELECT COUNT(*) FROM jobs WHERE owner_id = $2 AND state IN ('queued', 'running')
                    AND id NOT IN (SELECT job_id FROM render_chunks))",
        )
        .bind(Id(user))
        .bind(TextId(user))
        .fetch_one(pool)
        .await?
            }
        );
        let count = |n: i64| n.max(0) as u64;
        Ok(Usage {
            projects: count(projects),
            stored_bytes: count(stored_bytes),
            open_uploads: count(open_uploads),
            active_jobs: count(active_jobs),
        })
    }

    async fn create_api_token(
        &self,
        user: Uuid,
        name: &str,
        token_hash: &str,
        scopes: &[TokenScope],
        expires_at: Option<i64>,
    ) -> Result<ApiToken, StoreError> {
        let t = ApiToken {
            id: Uuid::now_v7(),
            name: name.to_string(),
            scopes: TokenScope::parse_list(&TokenScope::join(scopes)),
            created_at: self.now(),
            last_used_at: None,
            expires_at,
        };
        db_run!(&self.pool, |pool| {
            sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(Id(t.id))
            .bind(Id(user))
            .bind(name)
            .bind(token_hash)
            .bind(t.created_at)
            .bind(TokenScope::join(&t.scopes))
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(t)
    }

    async fn api_tokens(&self, user: Uuid) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<(Id, String, String, i64, Option<i64>, Option<i64>)> = db_run!(
            &self.pool,
            |pool| {
                sqlx::query_as(
            "SELECT id, name, scopes, created_at, last_used_at, expires_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
        )
        .bind(Id(user))
        .fetch_all(pool)
        .await?
            }
        );
        Ok(rows
            .into_iter()
            .map(|(id, name, scopes, created_at, last_used_at, expires_at)| ApiToken {
                id: id.0,
                name,
                scopes: TokenScope::parse_list(&scopes),
                created_at,
                last_used_at,
                expires_at,
            })
            .collect())
    }

    async fn delete_api_token(&self, user: Uuid, id: Uuid) -> Result<(), StoreError> {
        self.delete_owned("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2", id, user).await
    }

    async fn api_token_grant(&self, token_hash: &str) -> Result<Option<ApiTokenGrant>, StoreError> {
        let now = self.now();
        let row: Option<(Id, String, Option<i64>)> = db_run!(&self.pool, |pool| sqlx::query_as(
            "UPDATE api_tokens SET last_used_at = $1
             WHERE token_hash = $2 AND (expires_at IS NULL OR expires_at > $1)
             RETURNING user_id, scopes, expires_at"
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|(user, scopes, expires_at)| ApiTokenGrant {
            user: user.0,
            scopes: TokenScope::parse_list(&scopes),
            expires_at,
        }))
    }
}

#[async_trait]
impl Projects for Store {
    async fn project_summaries(&self, owner: Uuid) -> Result<Vec<ProjectSummary>, StoreError> {
        let rows: Vec<(Id, Id, String, i64, i64, Option<f64>, bool, i64)> = db_run!(
            &self.pool,
            |pool| {
                sqlx::query_as(
            "SELECT p.id, p.owner_id, p.name, p.created_at, p.updated_at,
                    (SELECT m.duration_secs FROM media m WHERE m.project_id = p.id),
                    EXISTS (SELECT 1 FROM transcripts t WHERE t.project_id = p.id),
                    (SELECT COUNT(*) FROM renders r WHERE r.project_id = p.id AND r.output_key IS NOT NULL)
             FROM projects p WHERE p.owner_id = $1 ORDER BY p.created_at DESC, p.id DESC",
        )
        .bind(Id(owner))
        .fetch_all(pool)
        .await?
            }
        );
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
                    has_media: r.5.is_some(),
                    duration_secs: r.5,
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

    async fn delete_project(
        &self,
        owner: Uuid,
        id: Uuid,
        cleanup: CleanupJob<'_>,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let mut tx = self.write_transaction().await?;
        // Locked first, so no upload can be added to the project between listing its uploads
        // and deleting it (its pieces would be nobody's).
        let owned: Option<Id> = db_run!(&mut tx, |tx, dialect| {
            let sql = format!(
                "SELECT id FROM projects WHERE id = $1 AND owner_id = $2 {}",
                dialect.delete_lock()
            );
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(Id(id))
                .bind(Id(owner))
                .fetch_optional(&mut **tx)
                .await?
        });
        owned.ok_or(StoreError::NotFound)?;
        let uploads: Vec<Id> = db_run!(&mut tx, |tx| {
            sqlx::query_scalar("SELECT id FROM uploads WHERE project_id = $1")
                .bind(Id(id))
                .fetch_all(&mut **tx)
                .await?
        });
        db_run!(&mut tx, |tx| {
            sqlx::query("DELETE FROM projects WHERE id = $1")
                .bind(Id(id))
                .execute(&mut **tx)
                .await?;
        });
        let uploads: Vec<Uuid> = uploads.into_iter().map(Uuid::from).collect();
        enqueue_in(&mut tx, &cleanup(&uploads), now).await?;
        tx.commit().await?;
        Ok(())
    }
}
