//! A project's media and transcript records.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaRecord {
    #[serde(skip)]
    pub object_key: String,
    pub file_name: Option<String>,
    pub size_bytes: u64,
    pub duration_secs: f64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: Option<f64>,
    pub has_audio: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredTranscript {
    /// Cofee word JSON.
    pub words: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Render {
    pub id: Uuid,
    #[serde(skip)]
    pub project_id: Uuid,
    pub job_id: Uuid,
    pub preset: String,
    #[serde(skip)]
    pub output_key: Option<String>,
    pub size_bytes: Option<u64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// A JSON document a person keeps on a project beside its captions, stored whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectDocument {
    /// The caption style (Style JSON); absent means the default preset.
    Style,
    /// The replacements later transcriptions of the project apply (`cofee_core::replace`).
    Replacements,
}

impl ProjectDocument {
    /// The table holding it and its column (the same shape for each).
    pub(crate) fn table(self) -> (&'static str, &'static str) {
        match self {
            Self::Style => ("project_styles", "style"),
            Self::Replacements => ("project_replacements", "replacements"),
        }
    }
}

/// A resumable upload in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub id: Uuid,
    pub project_id: Uuid,
    pub length: u64,
    pub offset: u64,
    pub file_name: Option<String>,
}

#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Records the project's media (replacing any earlier one); `NotFound` unless `owner` owns it.
    async fn set_media(
        &self,
        owner: Uuid,
        project: Uuid,
        media: &MediaRecord,
    ) -> Result<(), StoreError>;
    async fn media(&self, owner: Uuid, project: Uuid) -> Result<MediaRecord, StoreError>;
    /// For workers, which act for the job's owner already checked at enqueue time.
    async fn media_of_project(&self, project: Uuid) -> Result<MediaRecord, StoreError>;
    async fn transcript(&self, owner: Uuid, project: Uuid) -> Result<StoredTranscript, StoreError>;
    /// Writes the transcript (a worker's result; re-running replaces it) and bumps its version.
    async fn save_transcript(&self, project: Uuid, words: &str) -> Result<i64, StoreError>;
    /// A person's edit: replaces the transcript only if it is still at `expected_version`
    /// ([`StoreError::Conflict`] otherwise, and nothing changes); version 0 creates the
    /// transcript of a project that has none. Returns the new version.
    async fn replace_transcript(
        &self,
        owner: Uuid,
        project: Uuid,
        words: &str,
        expected_version: i64,
    ) -> Result<i64, StoreError>;
    /// One of the project's documents, if one was set; `NotFound` unless `owner` owns it.
    async fn document(
        &self,
        owner: Uuid,
        project: Uuid,
        kind: ProjectDocument,
    ) -> Result<Option<String>, StoreError>;
    async fn set_document(
        &self,
        owner: Uuid,
        project: Uuid,
        kind: ProjectDocument,
        json: &str,
    ) -> Result<(), StoreError>;
    /// For workers, which act for the job's owner already checked at enqueue time.
    async fn document_of_project(
        &self,
        project: Uuid,
        kind: ProjectDocument,
    ) -> Result<Option<String>, StoreError>;
    /// Creates render `render` and enqueues `job` (which makes it) in one transaction.
    async fn create_render(
        &self,
        owner: Uuid,
        render: Uuid,
        project: Uuid,
        preset: &str,
        job: crate::queue::NewJob,
    ) -> Result<Render, StoreError>;
    async fn render(&self, owner: Uuid, id: Uuid) -> Result<Render, StoreError>;
    async fn renders(&self, owner: Uuid, project: Uuid) -> Result<Vec<Render>, StoreError>;
    /// Records the output (a worker's result; re-running replaces it).
    async fn finish_render(
        &self,
        id: Uuid,
        output_key: &str,
        size_bytes: u64,
    ) -> Result<(), StoreError>;
    /// Splits render `render` into chunks: enqueues `chunks` (one job each, in order) with the
    /// rows that record them, in one transaction, and returns their ids. A render split before
    /// keeps its chunks: their ids are returned and nothing is enqueued, so a render job that
    /// runs again (its worker died) waits for the chunks already under way.
    async fn split_render(
        &self,
        render: Uuid,
        chunks: &[crate::queue::NewJob],
    ) -> Result<Vec<Uuid>, StoreError>;
    /// The jobs of the render's chunks, in order; empty for a render not split.
    async fn render_chunks(&self, render: Uuid) -> Result<Vec<crate::queue::Job>, StoreError>;
    /// Starts an upload into `project` (which `owner` must own).
    async fn create_upload(
        &self,
        owner: Uuid,
        project: Uuid,
        length: u64,
        file_name: Option<&str>,
    ) -> Result<Upload, StoreError>;
    async fn upload(&self, owner: Uuid, id: Uuid) -> Result<Upload, StoreError>;
    /// Moves the offset from `from` to `to`; [`StoreError::Conflict`] when it is no longer `from`.
    async fn advance_upload(&self, id: Uuid, from: u64, to: u64) -> Result<(), StoreError>;
    async fn delete_upload(&self, owner: Uuid, id: Uuid) -> Result<(), StoreError>;
}
