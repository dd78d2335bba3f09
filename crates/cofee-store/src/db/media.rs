//! [`MediaStore`] on both backends: media, transcripts, project documents (style, replacements),
//! renders and uploads.

use async_trait::async_trait;
use uuid::Uuid;

use super::{Dialect as _, Id, JobRow, Store, db_run, enqueue_in, touched};
use crate::media::{MediaRecord, MediaStore, ProjectDocument, Render, StoredTranscript, Upload};
use crate::queue::{Job, NewJob};
use crate::{Conflict, StoreError};

#[derive(sqlx::FromRow)]
struct MediaRow {
    object_key: String,
    file_name: Option<String>,
    size_bytes: i64,
    duration_secs: f64,
    width: Option<i32>,
    height: Option<i32>,
    fps: Option<f64>,
    has_audio: bool,
}

impl From<MediaRow> for MediaRecord {
    fn from(r: MediaRow) -> Self {
        MediaRecord {
            object_key: r.object_key,
            file_name: r.file_name,
            size_bytes: r.size_bytes as u64,
            duration_secs: r.duration_secs,
            width: r.width.map(|w| w as u32),
            height: r.height.map(|h| h as u32),
            fps: r.fps,
            has_audio: r.has_audio,
        }
    }
}

const MEDIA_COLUMNS: &str = "m.object_key, m.file_name, m.size_bytes, m.duration_secs, m.width, m.height, m.fps, m.has_audio";

#[derive(sqlx::FromRow)]
struct RenderRow {
    id: Id,
    project_id: Id,
    job_id: Id,
    preset: String,
    output_key: Option<String>,
    size_bytes: Option<i64>,
    created_at: i64,
    finished_at: Option<i64>,
}

impl From<RenderRow> for Render {
    fn from(r: RenderRow) -> Self {
        Render {
            id: r.id.0,
            project_id: r.project_id.0,
            job_id: r.job_id.0,
            preset: r.preset,
            output_key: r.output_key,
            size_bytes: r.size_bytes.map(|b| b as u64),
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

const RENDER_COLUMNS: &str = "r.id, r.project_id, r.job_id, r.preset, r.output_key, r.size_bytes, r.created_at, r.finished_at";

#[async_trait]
impl MediaStore for Store {
    async fn set_media(
        &self,
        owner: Uuid,
        project: Uuid,
        m: &MediaRecord,
    ) -> Result<(), StoreError> {
        touched(db_run!(&self.pool, |pool| {
            sqlx::query(
            "INSERT INTO media (project_id, object_key, file_name, size_bytes, duration_secs, width, height, fps, has_audio, created_at)
             SELECT id, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM projects WHERE id = $1 AND owner_id = $2
             ON CONFLICT (project_id) DO UPDATE SET object_key = excluded.object_key, file_name = excluded.file_name,
                 size_bytes = excluded.size_bytes, duration_secs = excluded.duration_secs, width = excluded.width,
                 height = excluded.height, fps = excluded.fps, has_audio = excluded.has_audio, created_at = excluded.created_at",
        )
        .bind(Id(project))
        .bind(Id(owner))
        .bind(&m.object_key)
        .bind(&m.file_name)
        .bind(m.size_bytes as i64)
        .bind(m.duration_secs)
        .bind(m.width.map(|w| w as i32))
        .bind(m.height.map(|h| h as i32))
        .bind(m.fps)
        .bind(m.has_audio)
        .bind(self.now())
        .execute(pool)
        .await?
        .rows_affected()
        }))
    }

    async fn media(&self, owner: Uuid, project: Uuid) -> Result<MediaRecord, StoreError> {
        let sql = format!(
            "SELECT {MEDIA_COLUMNS} FROM media m JOIN projects p ON p.id = m.project_id WHERE m.project_id = $1 AND p.owner_id = $2"
        );
        let row: Option<MediaRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(project))
                .bind(Id(owner))
                .fetch_optional(pool)
                .await?);
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }

    async fn media_of_project(&self, project: Uuid) -> Result<MediaRecord, StoreError> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media m WHERE m.project_id = $1");
        let row: Option<MediaRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(project))
                .fetch_optional(pool)
                .await?);
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }

    async fn transcript(&self, owner: Uuid, project: Uuid) -> Result<StoredTranscript, StoreError> {
        let row: Option<(String, i64)> = db_run!(&self.pool, |pool| {
            sqlx::query_as(
            "SELECT t.words, t.version FROM transcripts t JOIN projects p ON p.id = t.project_id WHERE t.project_id = $1 AND p.owner_id = $2",
        )
        .bind(Id(project))
        .bind(Id(owner))
        .fetch_optional(pool)
        .await?
        });
        let (words, version) = row.ok_or(StoreError::NotFound)?;
        Ok(StoredTranscript { words, version })
    }

    async fn save_transcript(&self, project: Uuid, words: &str) -> Result<i64, StoreError> {
        Ok(db_run!(&self.pool, |pool| {
            sqlx::query_scalar(
            "INSERT INTO transcripts (project_id, words, version, updated_at) VALUES ($1, $2, 1, $3)
             ON CONFLICT (project_id) DO UPDATE SET words = excluded.words, version = transcripts.version + 1, updated_at = excluded.updated_at
             RETURNING version",
        )
        .bind(Id(project))
        .bind(words)
        .bind(self.now())
        .fetch_one(pool)
        .await?
        }))
    }

    async fn replace_transcript(
        &self,
        owner: Uuid,
        project: Uuid,
        words: &str,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        // Version 0 is "no captions yet": the edit creates them, unless someone else did first.
        let sql = if expected_version == 0 {
            "INSERT INTO transcripts (project_id, words, version, updated_at)
             SELECT id, $1, 1, $2 FROM projects WHERE id = $3 AND $4 = 0 AND owner_id = $5
             ON CONFLICT (project_id) DO NOTHING
             RETURNING version"
        } else {
            "UPDATE transcripts SET words = $1, version = version + 1, updated_at = $2
             WHERE project_id = $3 AND version = $4 AND project_id IN (SELECT id FROM projects WHERE owner_id = $5)
             RETURNING version"
        };
        let version: Option<i64> = db_run!(&self.pool, |pool| {
            sqlx::query_scalar(sql)
                .bind(words)
                .bind(self.now())
                .bind(Id(project))
                .bind(expected_version)
                .bind(Id(owner))
                .fetch_optional(pool)
                .await?
        });
        match version {
            Some(v) => Ok(v),
            None => {
                let current = self.transcript(owner, project).await?; // NotFound when not theirs / none
                Err(Conflict::StaleVersion { current: current.version, expected: expected_version }
                    .into())
            }
        }
    }

    async fn document(
        &self,
        owner: Uuid,
        project: Uuid,
        kind: ProjectDocument,
    ) -> Result<Option<String>, StoreError> {
        let (table, column) = kind.table();
        let sql = format!(
            "SELECT d.{column} FROM projects p LEFT JOIN {table} d ON d.project_id = p.id WHERE p.id = $1 AND p.owner_id = $2"
        );
        let row: Option<(Option<String>,)> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(project))
                .bind(Id(owner))
                .fetch_optional(pool)
                .await?);
        Ok(row.ok_or(StoreError::NotFound)?.0)
    }

    async fn set_document(
        &self,
        owner: Uuid,
        project: Uuid,
        kind: ProjectDocument,
        json: &str,
    ) -> Result<(), StoreError> {
        let (table, column) = kind.table();
        let sql = format!(
            "INSERT INTO {table} (project_id, {column}, updated_at) SELECT id, $3, $4 FROM projects WHERE id = $1 AND owner_id = $2
             ON CONFLICT (project_id) DO UPDATE SET {column} = excluded.{column}, updated_at = excluded.updated_at"
        );
        touched(db_run!(&self.pool, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(Id(project))
                .bind(Id(owner))
                .bind(json)
                .bind(self.now())
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    async fn document_of_project(
        &self,
        project: Uuid,
        kind: ProjectDocument,
    ) -> Result<Option<String>, StoreError> {
        let (table, column) = kind.table();
        let sql = format!("SELECT {column} FROM {table} WHERE project_id = $1");
        Ok(db_run!(&self.pool, |pool| sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(Id(project))
            .fetch_optional(pool)
            .await?))
    }

    async fn create_render(
        &self,
        owner: Uuid,
        render: Uuid,
        project: Uuid,
        preset: &str,
        job: NewJob,
    ) -> Result<Render, StoreError> {
        let now = self.now();
        let mut tx = self.write_transaction().await?;
        let owned: Option<Id> = db_run!(&mut tx, |tx, dialect| {
            let sql = format!(
                "SELECT id FROM projects WHERE id = $1 AND owner_id = $2 {}",
                dialect.read_lock()
            );
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(Id(project))
                .bind(Id(owner))
                .fetch_optional(&mut **tx)
                .await?
        });
        owned.ok_or(StoreError::NotFound)?;
        let job_id = enqueue_in(&mut tx, &job, now).await?;
        db_run!(&mut tx, |tx| {
            sqlx::query("INSERT INTO renders (id, project_id, job_id, preset, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(Id(render))
            .bind(Id(project))
            .bind(Id(job_id))
            .bind(preset)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        });
        tx.commit().await?;
        Ok(Render {
            id: render,
            project_id: project,
            job_id,
            preset: preset.to_string(),
            output_key: None,
            size_bytes: None,
            created_at: now,
            finished_at: None,
        })
    }

    async fn render(&self, owner: Uuid, id: Uuid) -> Result<Render, StoreError> {
        let sql = format!(
            "SELECT {RENDER_COLUMNS} FROM renders r JOIN projects p ON p.id = r.project_id WHERE r.id = $1 AND p.owner_id = $2"
        );
        let row: Option<RenderRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(id))
                .bind(Id(owner))
                .fetch_optional(pool)
                .await?);
        Ok(row.ok_or(StoreError::NotFound)?.into())
    }

    async fn renders(&self, owner: Uuid, project: Uuid) -> Result<Vec<Render>, StoreError> {
        let sql = format!(
            "SELECT {RENDER_COLUMNS} FROM renders r JOIN projects p ON p.id = r.project_id
             WHERE r.project_id = $1 AND p.owner_id = $2 ORDER BY r.created_at DESC, r.id DESC"
        );
        let rows: Vec<RenderRow> =
            db_run!(&self.pool, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(Id(project))
                .bind(Id(owner))
                .fetch_all(pool)
                .await?);
        Ok(rows.into_iter().map(Render::from).collect())
    }

    async fn finish_render(
        &self,
        id: Uuid,
        output_key: &str,
        size_bytes: u64,
    ) -> Result<(), StoreError> {
        db_run!(&self.pool, |pool| {
            sqlx::query("UPDATE renders SET output_key = $1, size_bytes = $2, finished_at = $3 WHERE id = $4")
            .bind(output_key)
            .bind(size_bytes as i64)
            .bind(self.now())
            .bind(Id(id))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    async fn split_render(&self, render: Uuid, chunks: &[NewJob]) -> Result<Vec<Uuid>, StoreError> {
        let now = self.now();
        let mut tx = self.write_transaction().await?;
        // The render's row, locked: two attempts of its job never split it twice.
        let exists: Option<Id> = db_run!(&mut tx, |tx, dialect| {
            let sql = format!("SELECT id FROM renders WHERE id = $1 {}", dialect.read_lock());
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(Id(render))
                .fetch_optional(&mut **tx)
                .await?
        });
        exists.ok_or(StoreError::NotFound)?;
        let split: Vec<Id> = db_run!(&mut tx, |tx| {
            sqlx::query_scalar("SELECT job_id FROM render_chunks WHERE render_id = $1 ORDER BY idx")
                .bind(Id(render))
                .fetch_all(&mut **tx)
                .await?
        });
        if !split.is_empty() {
            return Ok(split.into_iter().map(|id| id.0).collect());
        }
        let mut ids = Vec::with_capacity(chunks.len());
        for (index, job) in chunks.iter().enumerate() {
            let job_id = enqueue_in(&mut tx, job, now).await?;
            db_run!(&mut tx, |tx| {
                sqlx::query(
                    "INSERT INTO render_chunks (render_id, idx, job_id) VALUES ($1, $2, $3)",
                )
                .bind(Id(render))
                .bind(index as i32)
                .bind(Id(job_id))
                .execute(&mut **tx)
                .await?;
            });
            ids.push(job_id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn render_chunks(&self, render: Uuid) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobRow> = db_run!(&self.pool, |pool| {
            sqlx::query_as(
                "SELECT j.* FROM render_chunks c JOIN jobs j ON j.id = c.job_id
                 WHERE c.render_id = $1 ORDER BY c.idx",
            )
            .bind(Id(render))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Job::try_from).collect()
    }

    async fn create_upload(
        &self,
        owner: Uuid,
        project: Uuid,
        length: u64,
        file_name: Option<&str>,
    ) -> Result<Upload, StoreError> {
        let id = Uuid::now_v7();
        touched(db_run!(&self.pool, |pool| {
            sqlx::query(
            "INSERT INTO uploads (id, owner_id, project_id, length, file_name, created_at, updated_at)
             SELECT $1, $2, id, $4, $5, $6, $6 FROM projects WHERE id = $3 AND owner_id = $2",
        )
        .bind(Id(id))
        .bind(Id(owner))
        .bind(Id(project))
        .bind(length as i64)
        .bind(file_name)
        .bind(self.now())
        .execute(pool)
        .await?
        .rows_affected()
        }))?;
        Ok(Upload {
            id,
            project_id: project,
            length,
            offset: 0,
            file_name: file_name.map(str::to_string),
        })
    }

    async fn upload(&self, owner: Uuid, id: Uuid) -> Result<Upload, StoreError> {
        let row: Option<(Id, i64, i64, Option<String>)> = db_run!(&self.pool, |pool| {
            sqlx::query_as(
            r#"SELECT project_id, length, "offset", file_name FROM uploads WHERE id = $1 AND owner_id = $2"#,
        )
        .bind(Id(id))
        .bind(Id(owner))
        .fetch_optional(pool)
        .await?
        });
        let (project, length, offset, file_name) = row.ok_or(StoreError::NotFound)?;
        Ok(Upload {
            id,
            project_id: project.0,
            length: length as u64,
            offset: offset as u64,
            file_name,
        })
    }

    async fn advance_upload(&self, id: Uuid, from: u64, to: u64) -> Result<(), StoreError> {
        let moved = db_run!(&self.pool, |pool| {
            sqlx::query(
            r#"UPDATE uploads SET "offset" = $1, updated_at = $2 WHERE id = $3 AND "offset" = $4"#
        )
        .bind(to as i64)
        .bind(self.now())
        .bind(Id(id))
        .bind(from as i64)
        .execute(pool)
        .await?
        .rows_affected()
        });
        if moved == 0 { Err(Conflict::UploadMoved.into()) } else { Ok(()) }
    }

    async fn delete_upload(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError> {
        self.delete_owned("DELETE FROM uploads WHERE id = $1 AND owner_id = $2", id, owner).await
    }
}
