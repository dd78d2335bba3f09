//! A style as the API takes it (`PUT …/style`, the style frames, saved styles): its schema
//! (`StyleInput`) and the reading that names each field that is wrong.

use cofee_core::Style;

use crate::problem::{ApiError, FieldError, ProblemType};

/// The style's numbers with a fractional part, and their ranges (`Style::validate`).
const NUMBER_RANGES: &[(&str, f64, f64)] = &[
    ("font_size", 1.0, 25.0),
    ("outline", 0.0, 40.0),
    ("shadow", 0.0, 40.0),
    ("margin_v", 0.0, 45.0),
    ("margin_h", 0.0, 45.0),
];

/// Whole numbers and their ranges (`Style::validate`).
const INTEGER_RANGES: &[(&str, u32, u32)] =
    &[("max_chars_per_line", 4, 80), ("lines_per_page", 1, 4), ("active_scale", 50, 300)];

/// The numbers of a style as sent, before they are read as `f32` (whose rounding would let
/// 25.000000001 pass for 25): within their ranges, as the schema says.
fn check_numbers(body: &str) -> Result<(), ApiError> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(body) else {
        return Ok(()); // `Style::from_json` says what is wrong
    };
    let errors: Vec<FieldError> = NUMBER_RANGES
        .iter()
        .filter(|(name, lo, hi)| {
            fields.get(*name).and_then(|v| v.as_f64()).is_some_and(|v| !(*lo..=*hi).contains(&v))
        })
        .map(|(name, lo, hi)| FieldError {
            field: (*name).into(),
            message: format!("must be between {lo} and {hi}"),
        })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(errors)) }
}

/// What `PUT /api/projects/{id}/style` takes: a whole style, or a preset to start from
/// (`base`) and the fields that differ from it. Every field is optional (the preset's value
/// stays); the ranges and patterns are those `Style::validate` checks.
pub struct StyleInput;

impl utoipa::PartialSchema for StyleInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::fields::{color_pattern, font_family_pattern, not_blank_pattern};
        use cofee_core::limits::{MAX_EMPHASIS_KEYWORDS, MAX_WORD_CHARS};
        use serde_json::json;
        let color = json!({"type": "string", "pattern": color_pattern()});
        let one_of = |names: &[&str]| json!({"type": "string", "enum": names});
        let mut properties = json!({
            "base": {"type": "string", "enum": cofee_core::style::PRESET_NAMES, "description": "the preset to start from (default `clean`)"},
            "name": {"type": "string", "pattern": not_blank_pattern()},
            "description": {"type": "string"},
            "font_family": {"type": "string", "pattern": font_family_pattern()},
            "font_file": {"type": "null", "description": "cannot be set through the API"},
            "bold": {"type": "boolean"},
            "uppercase": {"type": "boolean"},
            "text_color": color,
            "active_color": color,
            "outline_color": color,
            "shadow_color": color,
            "box_color": {"type": ["string", "null"], "pattern": color_pattern()},
            "position": one_of(&["top", "middle", "bottom"]),
            "align": one_of(&["left", "center", "right"]),
            "highlight": one_of(&["none", "word", "karaoke"]),
            "animation": one_of(&["none", "pop", "fade"]),
            "words_per_line": {"type": ["integer", "null"], "minimum": 1, "maximum": 20},
            "emphasis": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "color": color,
                    "scale": {"type": "integer", "minimum": 50, "maximum": 300},
                    "numbers": {"type": "boolean"},
                    "keywords": {
                        "type": "array",
                        "maxItems": MAX_EMPHASIS_KEYWORDS,
                        "items": {"type": "string", "maxLength": MAX_WORD_CHARS, "pattern": not_blank_pattern()},
                    },
                },
            },
        });
        for (name, lo, hi) in NUMBER_RANGES {
            properties[*name] = json!({"type": "number", "minimum": lo, "maximum": hi});
        }
        for (name, lo, hi) in INTEGER_RANGES {
            properties[*name] = json!({"type": "integer", "minimum": lo, "maximum": hi});
        }
        let schema =
            json!({"type": "object", "additionalProperties": false, "properties": properties});
        serde_json::from_value(schema).expect("a schema")
    }
}

impl utoipa::ToSchema for StyleInput {}

/// A style as the API takes it (`StyleInput`): checked field by field, with the problems named.
pub fn read_style(body: &str) -> Result<Style, ApiError> {
    check_numbers(body)?;
    let mut body = body.to_string();
    if let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&body) {
        crate::fields::whole_numbers(&mut value); // `"lines_per_page": 2.0` is 2
        body = value.to_string();
    }
    let style = Style::from_json(&body).map_err(|e| match e {
        cofee_core::StyleError::Invalid(errs) => ApiError::invalid(
            errs.into_iter()
                .map(|e| FieldError { field: e.field.into(), message: e.message })
                .collect(),
        ),
        other => ApiError::new(ProblemType::InvalidStyle, other.to_string()),
    })?;
    if style.font_file.is_some() {
        // A path on the server is not something a browser may choose.
        return Err(ApiError::invalid(vec![FieldError {
            field: "font_file".into(),
            message: "cannot be set through the API".into(),
        }]));
    }
    Ok(style)
}
