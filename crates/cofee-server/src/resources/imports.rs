//! `POST /api/projects/{id}/captions/import`: an SRT or WebVTT file (or Cofee word JSON) from
//! elsewhere becomes the project's captions — in whatever encoding it came, each cue a page of
//! its own, blocks a player would skip skipped and named. Either the file's words and times
//! replace the captions (`mode=replace`, the default), or its text is aligned with the words
//! there are (`mode=retime`): words it shares with them keep their recognised times, and its cue
//! boundaries become the pages.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use cofee_core::Transcript;
use cofee_core::formats::{self, CaptionFormat};
use serde::{Deserialize, Serialize};

use crate::auth::AuthUser;
use crate::captions_write::{replace_captions, retime_text};
use crate::extract::Id;
use crate::problem::{ApiError, Problem, ProblemType};
use crate::state::AppState;

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// The file's words and times replace the captions.
    #[default]
    Replace,
    /// The file's text, aligned with the words there are: shared words keep their times.
    Retime,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `replace` (the default) or `retime`.
    #[param(inline)]
    mode: Option<ImportMode>,
}

/// What the import made of the file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// The captions' new version (their `ETag` is `"v{version}"`).
    version: i64,
    format: String,
    /// The encoding the file was read in (`UTF-8`, `UTF-16LE`, `windows-1251`, …).
    encoding: String,
    /// Whether the encoding was detected (the file named none and was not UTF-8).
    encoding_detected: bool,
    /// Caption pages (one per cue) and words now in the captions.
    cues: usize,
    words: usize,
    /// Blocks skipped as a player skips them, each with its line and what is wrong.
    skipped: Vec<String>,
}

struct Read {
    transcript: Transcript,
    format: CaptionFormat,
    encoding: &'static str,
    detected: bool,
    skipped: Vec<String>,
}

/// The file's words, with what was learnt reading it.
fn read(bytes: &[u8]) -> Result<Read, ApiError> {
    let invalid = |m: String| ApiError::new(ProblemType::InvalidCaptions, m);
    let decoded = formats::decode::decode(bytes);
    let format = formats::sniff(&decoded.text);
    let (transcript, skipped) =
        formats::parse_with_skipped(format, &decoded.text).map_err(|e| invalid(e.to_string()))?;
    let skipped = skipped.iter().map(ToString::to_string).collect();
    if transcript.words.is_empty() {
        return Err(invalid("the file holds no words".into()));
    }
    transcript.validate().map_err(|e| invalid(e.to_string()))?;
    Ok(Read { transcript, format, encoding: decoded.encoding, detected: decoded.guessed, skipped })
}

/// The captions the import makes of `current` (word JSON) and the file.
/// Returns the word JSON and how many words it holds.
fn imported(
    current: &str,
    file: &Transcript,
    mode: ImportMode,
) -> Result<(String, usize), ApiError> {
    let old = formats::json::parse(current).map_err(|_| ApiError::internal())?;
    let words = match mode {
        ImportMode::Replace => file.words.clone(),
        ImportMode::Retime => {
            let tokens: Vec<String> = file.words.iter().map(|w| w.text.clone()).collect();
            let mut words = retime_text(&old.words, &tokens)?;
            // One word per token: the file's cue boundaries carry over by position.
            for (w, from) in words.iter_mut().zip(&file.words) {
                w.page_break = from.page_break;
            }
            words
        }
    };
    // Subtitle files name no language: the one the captions had stays.
    let t = Transcript::new(file.language.clone().or(old.language), words);
    t.validate().map_err(|e| ApiError::new(ProblemType::InvalidCaptions, e.to_string()))?;
    Ok((formats::json::write(&t), t.words.len()))
}

#[utoipa::path(post, path = "/api/projects/{id}/captions/import", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path), ImportQuery, ("If-Match" = String, Header, description = "the ETag of the captions it replaces; \"v0\" for a project without captions")), request_body(content = String, content_type = "application/octet-stream", description = "the file as it is: SRT, WebVTT or Cofee word JSON, in any encoding"), responses((status = 200, body = ImportReport), (status = 400, description = "an unknown mode", body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    // Read (decoded, parsed) with the change, off the async runtime, once the captions it
    // replaces are known to be there (or not yet, at "v0") and the caller's: another user's
    // project answers 404 whatever the request.
    let (version, _, (file, words)) = replace_captions(&s, user, id, &headers, move |current| {
        let mode = query?.0.mode.unwrap_or_default();
        let file = read(&body?)?;
        let (json, words) = imported(current, &file.transcript, mode)?;
        Ok((json, (file, words)))
    })
    .await?;
    let report = ImportReport {
        version,
        format: file.format.name().into(),
        encoding: file.encoding.into(),
        encoding_detected: file.detected,
        cues: file.transcript.words.iter().filter(|w| w.page_break == Some(true)).count(),
        words,
        skipped: file.skipped,
    };
    Ok(([(header::ETAG, format!("\"v{version}\""))], Json(report)).into_response())
}
