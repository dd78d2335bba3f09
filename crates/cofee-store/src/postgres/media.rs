//! [`MediaStore`] on PostgreSQL.

use async_trait::async_trait;
use uuid::Uuid;

use super::PgStore;
use crate::StoreError;
use crate::media::{MediaRecord, MediaStore, Render, StoredTranscript, Upload};
use crate::queue::NewJob;

type MediaRow = (String, Option<String>, i64, f64, Option<i32>, Option<i32>, Option<f64>, bool);

fn record(r: MediaRow) -> MediaRecord {
    MediaRecord {
        object_key: r.0,
        file_name: r.1,
        size_bytes: r.2 as u64,
        duration_secs: r.3,
        width: r.4.map(|w| w as u32),
        height: r.5.map(|h| h as u32),
        fps: r.6,
        has_audio: r.7,
    }
}

type RenderRow = (Uuid, Uuid, Uuid, String, Option<String>, Option<i64>, i64, Option<i64>);

fn render(r: RenderRow) -> Result<Render, StoreError> {
    Ok(Render { id: r.0, project_id: r.1, job_id: r.2, preset: r.3, output_key: r.4, size_bytes: r.5.map(|b| b as u64), created_at: r.6, finished_at: r.7 })
}

const RENDER_COLUMNS: &str = "r.id, r.project_id, r.job_id, r.preset, r.output_key, r.size_bytes, r.created_at, r.finished_at";

const MEDIA_COLUMNS: &str = "m.object_key, m.file_name, m.size_bytes, m.duration_secs, m.width, m.height, m.fps, m.has_audio";

#[async_trait]
impl MediaStore for PgStore {
    async fn set_media(&self, owner: Uuid, project: Uuid, m: &MediaRecord) -> Result<(), StoreError> {
        let r = sqlx::query(
            "INSERT INTO media (project_id, object_key, file_name, size_bytes, duration_secs, width, height, fps, has_audio, created_at)
             SELECT id, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM projects WHERE id = $1 AND owner_id = $2
             ON CONFLICT (project_id) DO UPDATE SET object_key = excluded.object_key, file_name = excluded.file_name,
                 size_bytes = excluded.size_bytes, duration_secs = excluded.duration_secs, width = excluded.width,
                 height = excluded.height, fps = excluded.fps, has_audio = excluded.has_audio, created_at = excluded.created_at",
        )
        .bind(project)
        .bind(owner)
        .bind(&m.object_key)
        .bind(&m.file_name)
        .bind(m.size_bytes as i64)
        .bind(m.duration_secs)
        .bind(m.width.map(|w| w as i32))
        .bind(m.height.map(|h| h as i32))
        .bind(m.fps)
        .bind(m.has_audio)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn media(&self, owner: Uuid, project: Uuid) -> Result<MediaRecord, StoreError> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media m JOIN projects p ON p.id = m.project_id WHERE m.project_id = $1 AND p.owner_id = $2");
        let row: Option<MediaRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(project).bind(owner).fetch_optional(&self.pool).await?;
        Ok(record(row.ok_or(StoreError::NotFound)?))
    }

    async fn media_of_project(&self, project: Uuid) -> Result<MediaRecord, StoreError> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media m WHERE m.project_id = $1");
        let row: Option<MediaRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(project).fetch_optional(&self.pool).await?;
        Ok(record(row.ok_or(StoreError::NotFound)?))
    }

    async fn transcript(&self, owner: Uuid, project: Uuid) -> Result<StoredTranscript, StoreError> {
        let row: Option<(String, i64)> = sqlx::query_as("SELECT t.words, t.version FROM transcripts t JOIN projects p ON p.id = t.project_id WHERE t.project_id = $1 AND p.owner_id = $2")
            .bind(project)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await?;
        let (words, version) = row.ok_or(StoreError::NotFound)?;
        Ok(StoredTranscript { words, version })
    }

    async fn save_transcript(&self, project: Uuid, words: &str) -> Result<i64, StoreError> {
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO transcripts (project_id, words, version, updated_at) VALUES ($1, $2, 1, $3)
             ON CONFLICT (project_id) DO UPDATE SET words = excluded.words, version = transcripts.version + 1, updated_at = excluded.updated_at
             RETURNING version",
        )
        .bind(project)
        .bind(words)
        .bind(self.now())
        .fetch_one(&self.pool)
        .await?;
        Ok(version)
    }

    async fn replace_transcript(&self, owner: Uuid, project: Uuid, words: &str, expected_version: i64) -> Result<i64, StoreError> {
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE transcripts SET words = $1, version = version + 1, updated_at = $2
             WHERE project_id = $3 AND version = $4 AND project_id IN (SELECT id FROM projects WHERE owner_id = $5)
             RETURNING version",
        )
        .bind(words)
        .bind(self.now())
        .bind(project)
        .bind(expected_version)
        .bind(owner)
        .fetch_optional(&self.pool)
        .await?;
        match version {
            Some(v) => Ok(v),
            None => {
                let current = self.transcript(owner, project).await?; // NotFound when not theirs / none
                Err(StoreError::Conflict(format!("the captions are at version {}, not {expected_version}", current.version)))
            }
        }
    }

    async fn style(&self, owner: Uuid, project: Uuid) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as("SELECT s.style FROM projects p LEFT JOIN project_styles s ON s.project_id = p.id WHERE p.id = $1 AND p.owner_id = $2")
            .bind(project)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.ok_or(StoreError::NotFound)?.0)
    }

    async fn set_style(&self, owner: Uuid, project: Uuid, style: &str) -> Result<(), StoreError> {
        let r = sqlx::query(
            "INSERT INTO project_styles (project_id, style, updated_at) SELECT id, $3, $4 FROM projects WHERE id = $1 AND owner_id = $2
             ON CONFLICT (project_id) DO UPDATE SET style = excluded.style, updated_at = excluded.updated_at",
        )
        .bind(project)
        .bind(owner)
        .bind(style)
        .bind(self.now())
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn style_of_project(&self, project: Uuid) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT style FROM project_styles WHERE project_id = $1").bind(project).fetch_optional(&self.pool).await?)
    }

    async fn create_render(&self, owner: Uuid, project: Uuid, preset: &str, mut job: NewJob) -> Result<Render, StoreError> {
        let now = self.now();
        let id = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        let owned: Option<Uuid> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND owner_id = $2 FOR SHARE").bind(project).bind(owner).fetch_optional(&mut *tx).await?;
        owned.ok_or(StoreError::NotFound)?;
        if let serde_json::Value::Object(m) = &mut job.payload {
            m.insert("render_id".into(), serde_json::Value::String(id.to_string()));
        }
        let job_id = crate::postgres::enqueue_in(&mut tx, &job, now).await?;
        sqlx::query("INSERT INTO renders (id, project_id, job_id, preset, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(project)
            .bind(job_id)
            .bind(preset)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Render { id, project_id: project, job_id, preset: preset.to_string(), output_key: None, size_bytes: None, created_at: now, finished_at: None })
    }

    async fn render(&self, owner: Uuid, id: Uuid) -> Result<Render, StoreError> {
        let sql = format!("SELECT {RENDER_COLUMNS} FROM renders r JOIN projects p ON p.id = r.project_id WHERE r.id = $1 AND p.owner_id = $2");
        let row: Option<RenderRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(owner).fetch_optional(&self.pool).await?;
        render(row.ok_or(StoreError::NotFound)?)
    }

    async fn renders(&self, owner: Uuid, project: Uuid) -> Result<Vec<Render>, StoreError> {
        let sql = format!("SELECT {RENDER_COLUMNS} FROM renders r JOIN projects p ON p.id = r.project_id WHERE r.project_id = $1 AND p.owner_id = $2 ORDER BY r.created_at DESC, r.id DESC");
        let rows: Vec<RenderRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(project).bind(owner).fetch_all(&self.pool).await?;
        rows.into_iter().map(render).collect()
    }

    async fn finish_render(&self, id: Uuid, output_key: &str, size_bytes: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE renders SET output_key = $1, size_bytes = $2, finished_at = $3 WHERE id = $4")
            .bind(output_key)
            .bind(size_bytes as i64)
            .bind(self.now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_upload(&self, owner: Uuid, project: Uuid, length: u64, file_name: Option<&str>) -> Result<Upload, StoreError> {
        let id = Uuid::now_v7();
        let now = self.now();
        let r = sqlx::query("INSERT INTO uploads (id, owner_id, project_id, length, file_name, created_at, updated_at) SELECT $1, $2, id, $4, $5, $6, $6 FROM projects WHERE id = $3 AND owner_id = $2")
            .bind(id)
            .bind(owner)
            .bind(project)
            .bind(length as i64)
            .bind(file_name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(Upload { id, project_id: project, length, offset: 0, file_name: file_name.map(str::to_string) })
    }

    async fn upload(&self, owner: Uuid, id: Uuid) -> Result<Upload, StoreError> {
        let row: Option<(Uuid, i64, i64, Option<String>)> = sqlx::query_as("SELECT project_id, length, \"offset\", file_name FROM uploads WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner)
            .fetch_optional(&self.pool)
            .await?;
        let (project_id, length, offset, file_name) = row.ok_or(StoreError::NotFound)?;
        Ok(Upload { id, project_id, length: length as u64, offset: offset as u64, file_name })
    }

    async fn advance_upload(&self, id: Uuid, from: u64, to: u64) -> Result<(), StoreError> {
        let r = sqlx::query("UPDATE uploads SET \"offset\" = $1, updated_at = $2 WHERE id = $3 AND \"offset\" = $4")
            .bind(to as i64)
            .bind(self.now())
            .bind(id)
            .bind(from as i64)
            .execute(&self.pool)
            .await?;
        if r.rows_affected() == 0 { Err(StoreError::Conflict("the upload moved on meanwhile".into())) } else { Ok(()) }
    }

    async fn delete_upload(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError> {
        let r = sqlx::query("DELETE FROM uploads WHERE id = $1 AND owner_id = $2").bind(id).bind(owner).execute(&self.pool).await?;
        if r.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
