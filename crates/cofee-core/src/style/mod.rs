//! Caption styles: how captions look, independent of the video they go on.
//!
//! Sizes are relative (font size in % of video height, outline/shadow in % of font size,
//! margins in % of the frame) so that one style looks right on 9:16 and 16:9 alike. Styles are
//! JSON; a style file may name a `base` preset and override only some fields.

mod color;
mod presets;

pub use color::{Color, ColorError};
pub use presets::{DEFAULT_PRESET, PRESET_NAMES, preset, presets};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    Top,
    Middle,
    Bottom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Align {
    Left,
    Center,
    Right,
}

/// How the word being spoken is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Highlight {
    /// Whole page in the text colour.
    None,
    /// The active word in `active_color`, scaled to `active_scale` (one ASS event per word).
    Word,
    /// Progressive fill from `text_color` to `active_color` as each word is spoken.
    Karaoke,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Animation {
    None,
    /// The active word grows briefly into place.
    Pop,
    /// Pages fade in and out.
    Fade,
}

/// Words that stand out: marked by hand in the transcript, or found automatically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emphasis {
    pub color: Color,
    /// Scale in percent (100 = same size).
    pub scale: u32,
    /// Emphasise any word with a digit in it.
    pub numbers: bool,
    /// Emphasise these words (case-insensitive, punctuation ignored).
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Style {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Font family name as the font declares it (e.g. "Inter", "Inter Black", "Noto Sans CJK SC").
    pub font_family: String,
    /// A font file to make available to the renderer; `font_family` must name its family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font_file: Option<String>,
    /// Font size in percent of the video height.
    pub font_size: f32,
    pub bold: bool,
    pub uppercase: bool,
    pub text_color: Color,
    /// Colour of the active word (highlight `word`) or of the filled part (highlight `karaoke`).
    pub active_color: Color,
    pub outline_color: Color,
    /// Outline width in percent of the font size.
    pub outline: f32,
    pub shadow_color: Color,
    /// Shadow offset in percent of the font size.
    pub shadow: f32,
    /// When set, text sits on a box of this colour (use alpha for translucency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub box_color: Option<Color>,
    pub position: Position,
    pub align: Align,
    /// Distance from the top/bottom edge in percent of the video height (the safe area).
    pub margin_v: f32,
    /// Distance from the left/right edges in percent of the video width.
    pub margin_h: f32,
    /// Upper bound on characters per line; narrower videos get fewer (see `ass::layout_rules`).
    pub max_chars_per_line: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words_per_line: Option<u32>,
    pub lines_per_page: u32,
    pub highlight: Highlight,
    /// Size of the active word in percent.
    pub active_scale: u32,
    pub animation: Animation,
    pub emphasis: Emphasis,
}

/// One thing wrong with a style, named by its JSON field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum StyleError {
    #[error("unknown style preset {name:?}; available: {}", PRESET_NAMES.join(", "))]
    UnknownPreset { name: String },
    #[error("style is not valid JSON for a style: {0}")]
    Parse(String),
    #[error("invalid style: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
}

impl Style {
    /// Reads a style from JSON. `{"base": "bold-pop", "text_color": "#00FF00"}` starts from a
    /// preset (default `clean`) and overrides the given fields; then the whole style is validated.
    pub fn from_json(json: &str) -> Result<Self, StyleError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| StyleError::Parse(e.to_string()))?;
        let serde_json::Value::Object(mut fields) = value else {
            return Err(StyleError::Parse("expected a JSON object".into()));
        };
        let base = match fields.remove("base") {
            None => "clean".to_string(),
            Some(serde_json::Value::String(s)) => s,
            Some(_) => return Err(StyleError::Parse("`base` must be the name of a preset".into())),
        };
        let named = fields.contains_key("name");
        let mut merged = serde_json::to_value(preset(&base)?).expect("styles serialize");
        let target = merged.as_object_mut().expect("a style is an object");
        for (k, v) in fields {
            // Nested objects (emphasis) merge field by field as well.
            match (target.get_mut(&k), v) {
                (Some(serde_json::Value::Object(dst)), serde_json::Value::Object(src)) => {
                    dst.extend(src)
                }
                (_, v) => {
                    target.insert(k, v);
                }
            }
        }
        if !named {
            target.insert("name".into(), serde_json::Value::String(format!("{base}-custom")));
        }
        let style: Style =
            serde_json::from_value(merged).map_err(|e| StyleError::Parse(e.to_string()))?;
        style.validate()?;
        Ok(style)
    }

    /// Checks ranges a renderer relies on; lists every problem at once.
    pub fn validate(&self) -> Result<(), StyleError> {
        use crate::limits::{MAX_EMPHASIS_KEYWORDS, MAX_WORD_CHARS};
        let mut errs = Vec::new();
        let mut check = |ok: bool, field: &'static str, message: &str| {
            if !ok {
                errs.push(FieldError { field, message: message.to_string() });
            }
        };
        let within = |v: f32, lo: f32, hi: f32| v.is_finite() && (lo..=hi).contains(&v);
        check(!self.name.trim().is_empty(), "name", "must not be empty"); // quoted where written
        // Written as is into the script's Style line, where a comma would start a field and a
        // control character (libass also ends lines at `\r`) a line of the user's own.
        check(
            !self.font_family.trim().is_empty()
                && !self.font_family.contains([',', '{', '}'])
                && !self.font_family.chars().any(char::is_control),
            "font_family",
            "must be a font family name without commas, braces or control characters",
        );
        check(
            within(self.font_size, 1.0, 25.0),
            "font_size",
            "must be between 1 and 25 (% of video height)",
        );
        check(
            within(self.outline, 0.0, 40.0),
            "outline",
            "must be between 0 and 40 (% of font size)",
        );
        check(
            within(self.shadow, 0.0, 40.0),
            "shadow",
            "must be between 0 and 40 (% of font size)",
        );
        check(
            within(self.margin_v, 0.0, 45.0),
            "margin_v",
            "must be between 0 and 45 (% of video height)",
        );
        check(
            within(self.margin_h, 0.0, 45.0),
            "margin_h",
            "must be between 0 and 45 (% of video width)",
        );
        use crate::limits::{MAX_CHARS_PER_LINE, MAX_LINES_PER_PAGE, MAX_WORDS_PER_LINE};
        check(
            (4..=MAX_CHARS_PER_LINE).contains(&self.max_chars_per_line),
            "max_chars_per_line",
            &format!("must be between 4 and {MAX_CHARS_PER_LINE}"),
        );
        check(
            self.words_per_line.is_none_or(|w| (1..=MAX_WORDS_PER_LINE).contains(&w)),
            "words_per_line",
            &format!("must be between 1 and {MAX_WORDS_PER_LINE}"),
        );
        check(
            (1..=MAX_LINES_PER_PAGE).contains(&self.lines_per_page),
            "lines_per_page",
            &format!("must be between 1 and {MAX_LINES_PER_PAGE}"),
        );
        check(
            (50..=300).contains(&self.active_scale),
            "active_scale",
            "must be between 50 and 300 (%)",
        );
        check(
            (50..=300).contains(&self.emphasis.scale),
            "emphasis.scale",
            "must be between 50 and 300 (%)",
        );
        check(
            self.emphasis.keywords.iter().all(|k| !k.trim().is_empty()),
            "emphasis.keywords",
            "must not contain empty keywords",
        );
        check(
            self.emphasis.keywords.len() <= MAX_EMPHASIS_KEYWORDS,
            "emphasis.keywords",
            &format!("must hold at most {MAX_EMPHASIS_KEYWORDS} keywords"),
        );
        check(
            self.emphasis.keywords.iter().all(|k| k.chars().count() <= MAX_WORD_CHARS),
            "emphasis.keywords",
            &format!("must hold keywords of at most {MAX_WORD_CHARS} characters"),
        );
        if errs.is_empty() { Ok(()) } else { Err(StyleError::Invalid(errs)) }
    }

    /// Whether a word gets emphasis: a person's mark wins, else numbers and keywords.
    pub fn emphasises(&self, word: &crate::Word) -> bool {
        if let Some(marked) = word.emphasis {
            return marked;
        }
        let norm = crate::text::normalize_word(&word.text);
        (self.emphasis.numbers && crate::text::is_numeric(&word.text))
            || (!norm.is_empty()
                && self.emphasis.keywords.iter().any(|k| crate::text::normalize_word(k) == norm))
    }
}

/// Words to show a style with where a project has no captions yet, from `start_ms`, and the
/// moment to show them at (the third word spoken, past its pop). The number shows emphasis.
pub fn sample_words(start_ms: u64) -> (Vec<crate::Word>, u64) {
    const WORD_MS: u64 = 300;
    let words: Vec<crate::Word> = ["Captions", "that", "pop", "in", "3", "seconds"]
        .iter()
        .zip(0..)
        .map(|(text, i)| {
            crate::Word::new(*text, start_ms + i * WORD_MS, start_ms + (i + 1) * WORD_MS)
        })
        .collect();
    (words, start_ms + 2 * WORD_MS + WORD_MS / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_and_round_trips() {
        for s in presets() {
            s.validate().unwrap_or_else(|e| panic!("{}: {e}", s.name));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(Style::from_json(&json).unwrap(), s);
        }
    }

    #[test]
    fn file_overrides_a_base_preset() {
        let s = Style::from_json(
            r##"{"base":"bold-pop","text_color":"#00FF00","emphasis":{"keywords":["cofee"]}}"##,
        )
        .unwrap();
        assert_eq!(s.text_color, Color::rgb(0, 255, 0));
        assert_eq!(s.name, "bold-pop-custom");
        assert_eq!(s.highlight, Highlight::Word, "kept from the base");
        assert_eq!(s.emphasis.keywords, ["cofee"]);
        assert!(s.emphasis.numbers, "nested fields not given are kept");
    }

    #[test]
    fn errors_name_fields_and_values() {
        let e = Style::from_json(r#"{"font_size": 90, "lines_per_page": 0}"#).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("font_size: must be between 1 and 25") && msg.contains("lines_per_page"),
            "{msg}"
        );
        let e = Style::from_json(r#"{"text_color": "red"}"#).unwrap_err();
        assert!(e.to_string().contains("invalid colour \"red\""), "{e}");
        let e = Style::from_json(r#"{"colour": "red"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `colour`"), "{e}");
        let e = Style::from_json(r#"{"base": "nope"}"#).unwrap_err();
        assert!(e.to_string().contains("available: clean"), "{e}");
    }

    /// Nothing a style says can add a line or a field to the ASS script (L1), and its keywords
    /// are bounded (H2).
    #[test]
    fn strings_written_into_the_script_hold_no_control_characters_and_keywords_are_bounded() {
        for family in ["Inter\r[Fonts]", "Inter\u{0}", "Inter\u{85}", "Inter\tBlack"] {
            let json = serde_json::json!({ "font_family": family }).to_string();
            let e = Style::from_json(&json).unwrap_err();
            assert!(e.to_string().contains("font_family"), "{family:?}: {e}");
        }
        let many: Vec<String> =
            (0..=crate::limits::MAX_EMPHASIS_KEYWORDS).map(|i| format!("k{i}")).collect();
        let e =
            Style::from_json(&serde_json::json!({ "emphasis": { "keywords": many } }).to_string())
                .unwrap_err();
        assert!(e.to_string().contains("at most 200 keywords"), "{e}");
        let long = "k".repeat(crate::limits::MAX_WORD_CHARS + 1);
        assert!(
            Style::from_json(
                &serde_json::json!({ "emphasis": { "keywords": [long] } }).to_string()
            )
            .is_err()
        );
    }

    #[test]
    fn emphasis_rules() {
        let s = Style::from_json(r#"{"emphasis":{"numbers":true,"keywords":["Rust"]}}"#).unwrap();
        assert!(s.emphasises(&crate::Word::new("42", 0, 1)));
        assert!(s.emphasises(&crate::Word::new("rust!", 0, 1)));
        assert!(!s.emphasises(&crate::Word::new("go", 0, 1)));
        let marked = crate::Word { emphasis: Some(false), ..crate::Word::new("42", 0, 1) };
        assert!(!s.emphasises(&marked));
    }
}
