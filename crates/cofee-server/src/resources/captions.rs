//! A project's captions: the words as Cofee word JSON (`GET`, and `PUT` with `If-Match`), and
//! exports as SRT, WebVTT, ASS (in the project's style), JSON and plain text.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use cofee_core::AssDocument;
use cofee_core::formats::{self, CaptionFormat};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::captions_write::{replace_captions, retime_text};
use crate::extract::Id;
use crate::problem::{ApiError, Problem, ProblemType};
use crate::project_style::project_style;
use crate::state::AppState;

/// Cofee word JSON, for the API description (the server reads and writes it with
/// `cofee_core::formats::json`; these types only describe it).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CaptionsDocument {
    /// The language the engine reported (`en`, `pt-BR`, …), if known.
    language: Option<String>,
    #[schema(max_items = 50_000)]
    words: Vec<CaptionWord>,
}

/// One word and when it is spoken, in seconds (millisecond precision).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CaptionWord {
    #[schema(min_length = 1, max_length = 100)]
    text: String,
    #[schema(minimum = 0)]
    start: f64,
    /// Not before `start`.
    #[schema(minimum = 0)]
    end: f64,
    /// The recogniser's confidence, 0 to 1 (1 for words a person typed; the default).
    #[schema(minimum = 0, maximum = 1)]
    confidence: Option<f32>,
    /// Set when a person marked the word (emphasised or not); absent leaves it to the style.
    emphasis: Option<bool>,
    /// Set when a person broke the pages here: `true` starts a new caption page at this word,
    /// `false` keeps it on the page of the word before; absent leaves it to the layout.
    page_break: Option<bool>,
    /// A person's colour for the word (`#rrggbb`, or `#rrggbbaa`); absent leaves it to the style.
    color: Option<String>,
    /// Whether a space comes before the word where the script rule would say otherwise (CJK and
    /// Latin text with a space between, from a caption file); absent leaves it to the rule.
    space_before: Option<bool>,
    /// An emoji a person put on the word (one of `GET /api/emoji`), drawn above the page from
    /// the moment the word is spoken.
    emoji: Option<String>,
}

/// A caption edit: the whole word document, or new text re-timed by alignment.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum CaptionsEdit {
    Words(CaptionsDocument),
    Text(TextEditSchema),
}

/// `{"text": "…"}`: the words as text; untouched words keep their times.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TextEditSchema {
    #[schema(max_length = 4_000_000)]
    text: String,
}

/// `GET /api/projects/{id}/captions`: the words, with the version as a strong `ETag`.
#[utoipa::path(get, path = "/api/projects/{id}/captions", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, description = "Cofee word JSON; the ETag header carries its version", body = CaptionsDocument), (status = 404, body = Problem)))]
pub async fn captions(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let t = s.media.transcript(user, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::ETAG, format!("\"v{}\"", t.version)),
        ],
        t.words,
    )
        .into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TextEdit {
    text: String,
}

/// `PUT /api/projects/{id}/captions` with `If-Match`: either full word JSON (the editor re-timed
/// words itself) or `{"text": "…"}`, re-timed by aligning the new words with the stored ones so
/// that untouched words keep their times. A stale `If-Match` changes nothing and answers 412;
/// `If-Match: "v0"` writes the first captions of a project that has none.
#[utoipa::path(put, path = "/api/projects/{id}/captions", tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "the ETag the edit is based on; \"v0\" for a project without captions")), request_body(content = CaptionsEdit, description = "Cofee word JSON, or {\"text\": \"…\"} to re-time by alignment"), responses((status = 200, body = CaptionsDocument), (status = 412, body = Problem), (status = 428, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn put_captions(
    State(s): State<AppState>,
    AuthUser(user): AuthUser,
    Id(id): Id,
    headers: HeaderMap,
    body: Result<String, axum::extract::rejection::StringRejection>,
) -> Result<Response, ApiError> {
    // The body is looked at once the captions are known to be the caller's.
    let (version, json, ()) =
        replace_captions(&s, user, id, &headers, move |current| Ok((edited(current, &body?)?, ())))
            .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::ETAG, format!("\"v{version}\"")),
        ],
        json,
    )
        .into_response())
}

/// The captions after the edit `body` (word JSON, or `{"text": …}` re-timed against `stored`),
/// as word JSON.
fn edited(stored: &str, body: &str) -> Result<String, ApiError> {
    let invalid = |m: String| ApiError::new(ProblemType::InvalidCaptions, m);
    let edited = if let Ok(TextEdit { text }) = serde_json::from_str::<TextEdit>(body) {
        let old = cofee_core::formats::json::parse(stored).map_err(|_| ApiError::internal())?;
        let tokens = cofee_core::text::tokenize(&text);
        let words = retime_text(&old.words, &tokens)?;
        cofee_core::Transcript::new(old.language, words)
    } else {
        // From the editor: taken exactly as sent, so it must already be valid.
        serde_json::from_str(body).map_err(|e| invalid(e.to_string()))?
    };
    edited.validate().map_err(|e| invalid(e.to_string()))?;
    Ok(cofee_core::formats::json::write(&edited))
}

/// `GET /api/projects/{id}/captions.{srt,vtt,ass,json}`.
pub async fn export(
    s: AppState,
    user: Uuid,
    id: Uuid,
    format: CaptionFormat,
) -> Result<Response, ApiError> {
    let stored = s.media.transcript(user, id).await?;
    // The ASS export needs the style and the frame size (read first); the writing itself runs
    // off the async runtime, as parsing and laying out the largest transcripts take a while.
    let ass_input = match format {
        CaptionFormat::Ass => {
            let style = project_style(&s, user, id).await?;
            let m = s.media.media(user, id).await?;
            Some((style, crate::project_style::frame_size(Some(&m))))
        }
        _ => None,
    };
    let written = tokio::task::spawn_blocking(move || {
        let t = formats::json::parse(&stored.words).map_err(|_| ApiError::internal())?;
        Ok::<_, ApiError>(match (format, ass_input) {
            (CaptionFormat::Srt, _) => {
                (formats::srt::write(&formats::cues(&t)), "application/x-subrip; charset=utf-8")
            }
            (CaptionFormat::Vtt, _) => {
                (formats::vtt::write_transcript(&t), "text/vtt; charset=utf-8")
            }
            (CaptionFormat::Json, _) => (formats::json::write(&t), "application/json"),
            (CaptionFormat::Txt, _) => (formats::txt::write(&t), "text/plain; charset=utf-8"),
            (CaptionFormat::Ass, Some((style, size))) => {
                (AssDocument::build(&t, &style, size).to_ass(), "text/x-ssa; charset=utf-8")
            }
            (CaptionFormat::Ass, None) => unreachable!("the style is read for ASS"),
        })
    });
    let (body, mime) = written.await.map_err(|_| ApiError::internal())??;
    let disposition = format!("attachment; filename=\"captions.{}\"", format.name());
    Ok((
        [(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

macro_rules! export_route {
    ($name:ident, $format:expr, $path:literal, $mime:literal) => {
        #[utoipa::path(get, path = $path, tag = "captions", security(("bearer" = [])), params(("id" = Uuid, Path)), responses((status = 200, content_type = $mime, body = String), (status = 404, body = Problem)))]
        pub async fn $name(State(s): State<AppState>, AuthUser(user): AuthUser, Id(id): Id) -> Result<Response, ApiError> {
            export(s, user, id, $format).await
        }
    };
}

export_route!(
    export_srt,
    CaptionFormat::Srt,
    "/api/projects/{id}/captions.srt",
    "application/x-subrip"
);
export_route!(export_vtt, CaptionFormat::Vtt, "/api/projects/{id}/captions.vtt", "text/vtt");
export_route!(export_ass, CaptionFormat::Ass, "/api/projects/{id}/captions.ass", "text/x-ssa");
export_route!(
    export_json,
    CaptionFormat::Json,
    "/api/projects/{id}/captions.json",
    "application/json"
);
export_route!(export_txt, CaptionFormat::Txt, "/api/projects/{id}/captions.txt", "text/plain");
