//! The emoji a word can carry (`GET /api/emoji`): each with its name, the words it suits and the
//! drawing the captions show, so a picker shows exactly what the render draws.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// An emoji Cofee draws.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct EmojiEntry {
    /// The emoji as a word's `emoji` takes it.
    emoji: &'static str,
    name: &'static str,
    /// Spoken words it suits, lowercase.
    keywords: &'static [&'static str],
    /// Filled shapes, bottom first, in a 360-unit box.
    layers: Vec<EmojiLayer>,
}

/// One filled shape of an emoji's drawing.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct EmojiLayer {
    /// `#RRGGBB`, or `#RRGGBBAA` when not opaque.
    color: String,
    /// ASS drawing commands: `m x y` moves, `l x y …` lines, `b x1 y1 x2 y2 x3 y3 …` cubic Béziers.
    drawing: &'static str,
}

#[utoipa::path(get, path = "/api/emoji", tag = "captions", responses((status = 200, description = "the emoji a word can carry, in the order a picker shows them; cacheable for a day", body = Vec<EmojiEntry>)))]
pub async fn list() -> Response {
    let entries: Vec<EmojiEntry> = cofee_core::emoji::all()
        .iter()
        .map(|e| EmojiEntry {
            emoji: e.emoji,
            name: e.name,
            keywords: &e.keywords,
            layers: e
                .layers
                .iter()
                .map(|l| EmojiLayer { color: l.color.to_string(), drawing: l.drawing })
                .collect(),
        })
        .collect();
    // The same for every caller until the binary changes.
    ([(header::CACHE_CONTROL, "public, max-age=86400")], axum::Json(entries)).into_response()
}
