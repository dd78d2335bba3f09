//! `POST /api/projects/{id}/captions/import`: an SRT or WebVTT file (or Cofee word JSON) from
//! elsewhere becomes the project's captions — in whatever encoding it came, each cue a page of
//! its own, blocks a player would skip skipped and named. Either the file's words and times
//! replace the captions (`mode=replace`, the default), or its text is aligned with the words
//! there are (`mode=retime`): words it shares with them keep their recognised times, and its cue
//! boundaries become the pages. A file that is not Unicode is read in the encoding the caller
//! names, or else in one detected with the captions' language as a hint; `preview=true` reads it
//! and says what it holds without saving, so a user can check the text before importing it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use cofee_core::formats::decode::{self, Encoding, Hint};
use cofee_core::formats::{self, CaptionFormat};
use cofee_core::{Transcript, Word};
use serde::{Deserialize, Deserializer, Serialize};

use crate::auth::AuthUser;
use crate::captions_write::{current_captions, replace_captions, retime_text};
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
    /// The file's encoding, by its WHATWG name (`windows-1252`, `windows-1251`, `gbk`, `big5`,
    /// `shift_jis`, `utf-16le`, …; any case): for files detection misreads. A byte-order mark
    /// wins.
    #[param(schema_with = encoding_names)]
    encoding: Option<EncodingLabel>,
    /// Read the file and report what it holds, saving nothing (no `If-Match` needed).
    #[allow(dead_code, reason = "read apart, as `PreviewFlag`: here it is documented and allowed")]
    preview: Option<bool>,
}

/// `preview` alone, read apart from the rest of the query so that a preview whose other
/// parameters are wrong still saves nothing (and answers for them).
#[derive(Deserialize)]
pub struct PreviewFlag {
    preview: Option<bool>,
}

/// An encoding by its name; anything else is refused with the query.
#[derive(Clone, Copy)]
struct EncodingLabel(&'static Encoding);

impl<'de> Deserialize<'de> for EncodingLabel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        decode::encoding_named(&name).map(Self).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "no encoding is called {name:?}: name one by its WHATWG name (windows-1252, windows-1251, gbk, utf-16le, …)"
            ))
        })
    }
}

/// The names `encoding` takes, lower-case, as the OpenAPI document lists them.
fn encoding_names() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(decode::NAMES.iter().map(|n| n.to_ascii_lowercase())))
        .build()
}

/// What the import made of the file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// The captions' new version (their `ETag` is `"v{version}"`); for a preview, which writes
    /// nothing, the version the import would replace.
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
    /// The text of the first cues (up to three), to check the characters came out right.
    sample: Vec<String>,
}

/// How many cues' text a report shows.
const SAMPLE_CUES: usize = 3;

struct Read {
    transcript: Transcript,
    format: CaptionFormat,
    encoding: &'static str,
    detected: bool,
    skipped: Vec<String>,
}

/// The file's words, with what was learnt reading it.
fn read(bytes: &[u8], hint: Hint<'_>) -> Result<Read, ApiError> {
    let invalid = |m: String| ApiError::new(ProblemType::InvalidCaptions, m);
    let decoded = decode::decode_with(bytes, hint);
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

/// The file read with what the query names, as `current` (word JSON) stands: the captions the
/// import makes of both (word JSON, and how many words it holds) and what the file held.
fn import_into(
    current: &str,
    query: &ImportQuery,
    body: &[u8],
) -> Result<(String, usize, Read), ApiError> {
    let old = formats::json::parse(current).map_err(|_| ApiError::internal())?;
    // The captions' language (recognised, or chosen) is the file's likeliest.
    let hint = Hint { encoding: query.encoding.map(|e| e.0), language: old.language.as_deref() };
    let file = read(body, hint)?;
    let (json, words) = imported(old, &file.transcript, query.mode.unwrap_or_default())?;
    Ok((json, words, file))
}

/// The captions the import makes of `old` and the file.
/// Returns the word JSON and how many words it holds.
fn imported(
    old: Transcript,
    file: &Transcript,
    mode: ImportMode,
) -> Result<(String, usize), ApiError> {
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

#[utoipa::path(post, path = "/api/projects/{id}/captions/import", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path), ImportQuery, ("If-Match" = Option<String>, Header, description = "the ETag of the captions it replaces; \"v0\" for a project without captions; not needed with `preview=true`")), request_body(content = String, content_type = "application/octet-stream", description = "the file as it is: SRT, WebVTT or Cofee word JSON, in any encoding"), responses((status = 200, body = ImportReport), (status = 400, description = "an unknown mode or encoding", body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    flag: Result<Query<PreviewFlag>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    if matches!(flag, Ok(Query(PreviewFlag { preview: Some(true) }))) {
        return preview(&s, user, id, query, body).await;
    }
    // Read (decoded, parsed) with the change, off the async runtime, once the captions it
    // replaces are known to be there (or not yet, at "v0") and the caller's: another user's
    // project answers 404 whatever the request.
    let (version, _, (words, file)) = replace_captions(&s, user, id, &headers, move |current| {
        let (json, words, file) = import_into(current, &query?.0, &body?)?;
        Ok((json, (words, file)))
    })
    .await?;
    Ok(([(header::ETAG, format!("\"v{version}\""))], Json(report(version, words, file)))
        .into_response())
}

/// `preview=true`: what the import would make of the file, as the captions stand; nothing saved.
async fn preview(
    s: &AppState,
    user: uuid::Uuid,
    id: uuid::Uuid,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let (current, version) = current_captions(s, user, id).await?;
    let (words, file) = tokio::task::spawn_blocking(move || {
        let (_, words, file) = import_into(&current, &query?.0, &body?)?;
        Ok::<_, ApiError>((words, file))
    })
    .await
    .map_err(|_| ApiError::internal())??;
    Ok(Json(report(version, words, file)).into_response())
}

fn report(version: i64, words: usize, file: Read) -> ImportReport {
    ImportReport {
        version,
        format: file.format.name().into(),
        encoding: file.encoding.into(),
        encoding_detected: file.detected,
        cues: file.transcript.words.iter().filter(|w| w.page_break == Some(true)).count(),
        words,
        skipped: file.skipped,
        sample: first_cues(&file.transcript.words, SAMPLE_CUES),
    }
}

/// The text of the first `n` cues: each cue's first word begins a page (`formats::keep_as_page`).
/// The first word starts the first cue whether or not it is marked.
fn first_cues(words: &[Word], n: usize) -> Vec<String> {
    if words.is_empty() {
        return Vec::new();
    }
    let marked = words.iter().enumerate().skip(1).filter(|(_, w)| w.page_break == Some(true));
    let mut starts: Vec<usize> =
        std::iter::once(0).chain(marked.map(|(i, _)| i)).take(n + 1).collect();
    if starts.len() <= n {
        starts.push(words.len());
    }
    starts.windows(2).map(|c| Word::join(&words[c[0]..c[1]])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cues_are_the_pages_the_words_start() {
        let word = |text: &str, at: u64, page: bool| Word {
            page_break: page.then_some(true),
            ..Word::new(text, at, at + 100)
        };
        let words = [
            word("one", 0, true),
            word("two", 100, false),
            word("three", 200, true),
            word("four", 300, true),
            word("five", 400, true),
        ];
        assert_eq!(first_cues(&words, 3), ["one two", "three", "four"]);
        assert_eq!(first_cues(&words[..3], 3), ["one two", "three"]);
        let unmarked = [word("one", 0, false), word("two", 100, false), word("three", 200, true)];
        assert_eq!(first_cues(&unmarked, 3), ["one two", "three"], "the first word starts a cue");
        assert_eq!(first_cues(&[], 3), Vec::<String>::new());
    }
}
