//! Built-in styles. Fonts are the Inter family Cofee ships (SIL OFL), so a preset looks the same
//! everywhere; text in scripts Inter lacks falls back to the system's fonts (Noto).

use super::{Align, Animation, Color, Emphasis, Highlight, Position, Style, StyleError};

/// The style of a project that has none of its own.
pub const DEFAULT_PRESET: &str = "clean";

pub const PRESET_NAMES: &[&str] =
    &["clean", "bold-pop", "karaoke", "boxed", "minimal-lower-third", "one-word"];

const WHITE: Color = Color::rgb(255, 255, 255);
const BLACK: Color = Color::rgb(0, 0, 0);
const YELLOW: Color = Color::rgb(255, 230, 0);

fn base() -> Style {
    Style {
        name: "clean".into(),
        description: "White text with a black outline, two lines at the bottom. Readable anywhere."
            .into(),
        font_family: "Inter".into(),
        font_file: None,
        font_size: 4.2,
        bold: true,
        uppercase: false,
        text_color: WHITE,
        active_color: YELLOW,
        outline_color: BLACK,
        outline: 9.0,
        shadow_color: Color::rgba(0, 0, 0, 160),
        shadow: 4.0,
        box_color: None,
        position: Position::Bottom,
        align: Align::Center,
        margin_v: 12.0,
        margin_h: 6.0,
        max_chars_per_line: 36,
        words_per_line: None,
        lines_per_page: 2,
        highlight: Highlight::None,
        active_scale: 100,
        animation: Animation::None,
        emphasis: Emphasis { color: YELLOW, scale: 100, numbers: false, keywords: Vec::new() },
    }
}

/// Every preset, in display order.
pub fn presets() -> Vec<Style> {
    PRESET_NAMES.iter().map(|n| preset(n).expect("listed presets exist")).collect()
}

/// A preset by name.
pub fn preset(name: &str) -> Result<Style, StyleError> {
    let s = match name {
        "clean" => base(),
        "bold-pop" => Style {
            name: name.into(),
            description: "Short-form look: big uppercase words, the spoken word pops in yellow; numbers stand out.".into(),
            font_family: "Inter Black".into(),
            bold: false,
            font_size: 5.6,
            uppercase: true,
            outline: 14.0,
            shadow: 6.0,
            position: Position::Bottom,
            margin_v: 24.0,
            max_chars_per_line: 18,
            words_per_line: Some(3),
            lines_per_page: 2,
            highlight: Highlight::Word,
            active_scale: 112,
            animation: Animation::Pop,
            emphasis: Emphasis { color: Color::rgb(0, 230, 118), scale: 110, numbers: true, keywords: Vec::new() },
            ..base()
        },
        "karaoke" => Style {
            name: name.into(),
            description: "Sing-along: each line fills with colour word by word as it is spoken.".into(),
            font_family: "Inter ExtraBold".into(),
            bold: false,
            font_size: 4.6,
            active_color: Color::rgb(0, 200, 255),
            highlight: Highlight::Karaoke,
            max_chars_per_line: 28,
            ..base()
        },
        "boxed" => Style {
            name: name.into(),
            description: "Text on a translucent dark box that fades in and out; calm and legible on busy footage.".into(),
            font_size: 3.8,
            outline: 30.0,
            shadow: 0.0,
            box_color: Some(Color::rgba(0, 0, 0, 170)),
            animation: Animation::Fade,
            ..base()
        },
        "minimal-lower-third" => Style {
            name: name.into(),
            description: "Small, quiet, left-aligned single line in the lower third, for interviews and talks.".into(),
            font_family: "Inter".into(),
            bold: false,
            font_size: 3.0,
            outline: 6.0,
            shadow: 3.0,
            align: Align::Left,
            margin_v: 8.0,
            margin_h: 8.0,
            max_chars_per_line: 48,
            lines_per_page: 1,
            animation: Animation::Fade,
            ..base()
        },
        "one-word" => Style {
            name: name.into(),
            description: "One huge word at a time in the middle of the frame, popping in as it is said.".into(),
            font_family: "Inter Black".into(),
            bold: false,
            font_size: 8.0,
            uppercase: true,
            outline: 12.0,
            position: Position::Middle,
            words_per_line: Some(1),
            lines_per_page: 1,
            highlight: Highlight::Word,
            active_color: WHITE,
            active_scale: 100,
            animation: Animation::Pop,
            emphasis: Emphasis { color: YELLOW, scale: 115, numbers: true, keywords: Vec::new() },
            ..base()
        },
        other => return Err(StyleError::UnknownPreset { name: other.to_string() }),
    };
    Ok(s)
}
