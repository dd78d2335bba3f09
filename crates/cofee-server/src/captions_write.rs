//! Writing a project's captions on a person's behalf, for every route that does it (an edit, an
//! import): the `If-Match` version it is based on, the captions it changes (none yet at version
//! 0), the change itself off the async runtime, and the write that refuses a stale version.

use axum::http::{HeaderMap, header};
use uuid::Uuid;

use crate::problem::{ApiError, ProblemType};
use crate::state::AppState;

/// The version `If-Match` names (`"v3"`); `"v0"` is "no captions yet".
pub fn expected_version(headers: &HeaderMap) -> Result<i64, ApiError> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        ApiError::new(ProblemType::IfMatchRequired, "send the ETag you loaded the captions with in If-Match, so a concurrent edit is not overwritten")
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix("\"v")?.strip_suffix('"')?.parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                ProblemType::StaleCaptions,
                "If-Match does not name a version of these captions; reload them",
            )
        })
}

/// The word JSON of a project without captions (version 0).
const NO_WORDS: &str = r#"{"words": []}"#;

/// The user's captions of project `id` (word JSON) and their version: none (version 0) for a
/// project of theirs that has none yet.
pub async fn current_captions(
    s: &AppState,
    user: Uuid,
    id: Uuid,
) -> Result<(String, i64), ApiError> {
    match s.media.transcript(user, id).await {
        Ok(t) => Ok((t.words, t.version)),
        Err(cofee_store::StoreError::NotFound) => {
            s.projects.project(user, id).await?;
            Ok((NO_WORDS.to_string(), 0))
        }
        Err(e) => Err(e.into()),
    }
}

/// Replaces the captions with what `change(current word JSON)` makes of them (word JSON, and
/// anything else the caller wants back) if they are still at the version `If-Match` names;
/// returns the new version. `change` runs off the async runtime: parsing, re-timing and checking
/// take up to a few hundred milliseconds on the largest transcripts (all bounded by
/// `cofee_core::limits`). Captions that are not there answer 404 unless `If-Match: "v0"` asks to
/// write the first.
pub async fn replace_captions<T: Send + 'static>(
    s: &AppState,
    user: Uuid,
    id: Uuid,
    headers: &HeaderMap,
    change: impl FnOnce(&str) -> Result<(String, T), ApiError> + Send + 'static,
) -> Result<(i64, String, T), ApiError> {
    let named = expected_version(headers);
    let (current, version) = current_captions(s, user, id).await?;
    if version == 0 && !matches!(named, Ok(0)) {
        return Err(ApiError::not_found()); // only `If-Match: "v0"` writes the first captions
    }
    let expected = named?;
    let (json, extra) = tokio::task::spawn_blocking(move || change(&current))
        .await
        .map_err(|_| ApiError::internal())??;
    match s.media.replace_transcript(user, id, &json, expected).await {
        Ok(version) => Ok((version, json, extra)),
        Err(cofee_store::StoreError::Conflict(m)) => Err(ApiError::new(
            ProblemType::StaleCaptions,
            format!(
                "someone changed the captions since you loaded them ({m}); reload them and apply your edit again"
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `old` words re-timed for the new text `tokens` (aligned, so words left as they were keep their
/// times), within the limits of one edit.
pub fn retime_text(
    old: &[cofee_core::Word],
    tokens: &[String],
) -> Result<Vec<cofee_core::Word>, ApiError> {
    use cofee_core::limits::{MAX_EDIT_WORDS, MAX_WORD_CHARS};
    if tokens.len() > MAX_EDIT_WORDS {
        let detail =
            format!("the edit has {} words; one edit takes at most {MAX_EDIT_WORDS}", tokens.len());
        return Err(ApiError::new(ProblemType::EditTooLarge, detail));
    }
    if let Some((index, chars)) =
        tokens.iter().map(|t| t.chars().count()).enumerate().find(|(_, n)| *n > MAX_WORD_CHARS)
    {
        return Err(ApiError::new(
            ProblemType::InvalidCaptions,
            format!("word {index} has {chars} characters; a word has at most {MAX_WORD_CHARS}"),
        ));
    }
    cofee_core::align::retime(old, tokens)
        .map_err(|e| ApiError::new(ProblemType::EditTooLarge, e.to_string()))
}
