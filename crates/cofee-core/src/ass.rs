//! How a style becomes ASS: the one document both the burn-in (FFmpeg + libass) and the browser
//! preview (libass in WebAssembly) render, so preview equals output.
//!
//! `PlayResX/Y` equal the video size, so every number here is in video pixels. Lines are broken
//! by [`CaptionLayout`] (WrapStyle 2 turns libass's own wrapping off). Active-word effects need
//! one event per word — libass `\k` tags can only recolour, not scale — so `Highlight::Word`
//! writes, for each word of a page, an event showing the whole page with that word highlighted.

use std::fmt::Write as _;

use crate::layout::{CaptionLayout, LayoutRules, Page};
use crate::style::{Align, Animation, Highlight, Position, Style};
use crate::text;
use crate::time;
use crate::transcript::{Transcript, Word};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoSize {
    pub width: u32,
    pub height: u32,
}

/// Average advance of a glyph in em, for estimating how many characters fit on a line
/// (measured on Inter Bold: lowercase running text ≈ 0.56 em, uppercase ≈ 0.68 em).
const AVG_ADVANCE_EM: f32 = 0.56;
const AVG_ADVANCE_UPPER_EM: f32 = 0.68;
const FADE_IN_MS: u32 = 150;
const FADE_OUT_MS: u32 = 120;
const POP_MS: u32 = 100;
/// An emoji's height in em of the caption font, and its gap from the page's text.
const EMOJI_EM: f32 = 1.6;
const EMOJI_GAP_EM: f32 = 0.15;
const EMOJI_POP_MS: u32 = 150;

/// Layout limits for a style on a frame: the style's limits, tightened so lines fit the width.
pub fn layout_rules(style: &Style, size: VideoSize) -> LayoutRules {
    let font_px = font_px(style, size);
    let advance = if style.uppercase { AVG_ADVANCE_UPPER_EM } else { AVG_ADVANCE_EM };
    let usable = size.width as f32 * (1.0 - 2.0 * style.margin_h / 100.0);
    let fit = (usable / (font_px * advance)).floor().max(4.0) as usize;
    let lines = style.lines_per_page as usize;
    LayoutRules {
        max_chars_per_line: fit.min(style.max_chars_per_line as usize),
        max_lines: lines,
        max_words_per_line: style.words_per_line.map(|w| w as usize),
        max_words_per_page: style.words_per_line.map(|w| w as usize * lines),
        ..LayoutRules::default()
    }
}

fn font_px(style: &Style, size: VideoSize) -> f32 {
    style.font_size / 100.0 * size.height as f32
}

/// One `Dialogue:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssEvent {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// A complete ASS script for one transcript, style and frame size.
#[derive(Debug, Clone, PartialEq)]
pub struct AssDocument {
    pub size: VideoSize,
    pub layout: CaptionLayout,
    pub events: Vec<AssEvent>,
    header: String,
}

impl AssDocument {
    pub fn build(transcript: &Transcript, style: &Style, size: VideoSize) -> Self {
        // Each word's emphasis is settled once here (keywords compared once per word), not
        // each time a page is written: with the active-word highlight a page is written once
        // per word on it.
        let words: Vec<Word> = transcript
            .words
            .iter()
            .map(|w| {
                let shown = Word { text: display(style, &w.text), ..w.clone() };
                Word { emphasis: Some(style.emphasises(&shown)), ..shown }
            })
            .collect();
        let layout = CaptionLayout::build(&words, &layout_rules(style, size));
        let mut events = Vec::new();
        for page in &layout.pages {
            match style.highlight {
                Highlight::None => events.push(AssEvent {
                    start_ms: page.start_ms,
                    end_ms: page.end_ms,
                    text: fade(style, true, true) + &page_text(style, &words, page, None),
                }),
                Highlight::Karaoke => events.push(AssEvent {
                    start_ms: page.start_ms,
                    end_ms: page.end_ms,
                    text: fade(style, true, true) + &karaoke_text(style, &words, page),
                }),
                Highlight::Word => word_events(style, &words, page, &mut events),
            }
            emoji_events(style, size, &words, page, &mut events);
        }
        Self { size, layout, events, header: header(style, size) }
    }

    /// The script as text.
    pub fn to_ass(&self) -> String {
        self.script(&self.events)
    }

    /// The moment a still of the captions at `t_ms` shows: `t_ms` when a page is on screen then,
    /// else within the next page to come (or the last one), so a still always shows captions.
    /// `None` without any page.
    pub fn moment_near(&self, t_ms: u64) -> Option<u64> {
        let pages = &self.layout.pages;
        let page = pages.iter().find(|p| t_ms < p.end_ms).or(pages.last())?;
        Some(t_ms.clamp(page.start_ms, page.end_ms.saturating_sub(1).max(page.start_ms)))
    }

    /// The script with only the events on screen at `at_ms`: what a still frame at that moment
    /// needs, however long the transcript.
    pub fn to_ass_at(&self, at_ms: u64) -> String {
        let live: Vec<AssEvent> = self
            .events
            .iter()
            .filter(|e| e.start_ms <= at_ms && at_ms < e.end_ms)
            .cloned()
            .collect();
        self.script(&live)
    }

    fn script(&self, events: &[AssEvent]) -> String {
        let mut out = self.header.clone();
        for e in events {
            let _ = writeln!(
                out,
                "Dialogue: 0,{},{},Default,,0,0,0,,{}",
                time::ass(e.start_ms),
                time::ass(e.end_ms),
                e.text
            );
        }
        out
    }
}

/// Text as it will be shown: uppercased when the style says so, made safe for ASS.
fn display(style: &Style, t: &str) -> String {
    let t = if style.uppercase { text::upper(t) } else { t.to_string() };
    escape(&t)
}

/// Makes user text inert in ASS: `{…}` would open an override block and `\N` would break a
/// line, so braces become their full-width forms and a backslash is followed by a word joiner
/// (invisible, and it stops libass reading an escape).
pub fn escape(t: &str) -> String {
    t.replace('\\', "\\\u{2060}").replace('{', "｛").replace('}', "｝")
}

fn header(style: &Style, size: VideoSize) -> String {
    let px = font_px(style, size);
    let rel = |pct: f32| (pct / 100.0 * px * 10.0).round() / 10.0;
    // The shadow offset in whole pixels of the video (PlayRes is the video size, so ASS pixels
    // are video pixels): libass shifts the shadow bitmap by any fraction of a pixel with a
    // byte-at-a-time loop that cost more than all the rest of libass's rendering together on a
    // `bold-pop` clip (callgrind: 1.07 of 3.81 G instructions for the caption side). Half a
    // pixel of shadow offset does not show; a non-zero shadow stays at least one pixel.
    let shadow_px = |pct: f32| {
        let v = pct / 100.0 * px;
        if v > 0.0 { v.round().max(1.0) } else { 0.0 }
    };
    let alignment = match style.position {
        Position::Bottom => 1,
        Position::Middle => 4,
        Position::Top => 7,
    } + match style.align {
        Align::Left => 0,
        Align::Center => 1,
        Align::Right => 2,
    };
    // A box is ASS BorderStyle 3: the outline colour fills the box and the outline width pads it.
    let (border_style, outline_colour) = match style.box_color {
        Some(c) => (3, c),
        None => (1, style.outline_color),
    };
    // Karaoke fills from SecondaryColour (not yet sung) to PrimaryColour (sung).
    let (primary, secondary) = match style.highlight {
        Highlight::Karaoke => (style.active_color, style.text_color),
        _ => (style.text_color, style.active_color),
    };
    let margin_h = (style.margin_h / 100.0 * size.width as f32).round() as u32;
    let margin_v = (style.margin_v / 100.0 * size.height as f32).round() as u32;
    format!(
        "[Script Info]\n\
         ; Generated by Cofee from style {name:?}\n\
         ScriptType: v4.00+\n\
         PlayResX: {w}\n\
         PlayResY: {h}\n\
         WrapStyle: 2\n\
         ScaledBorderAndShadow: yes\n\
         YCbCr Matrix: None\n\
         \n\
         [V4+ Styles]\n\
         Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n\
         Style: Default,{font},{size},{primary},{secondary},{outline_c},{back},{bold},0,0,0,100,100,0,0,{border_style},{outline},{shadow},{alignment},{margin_h},{margin_h},{margin_v},1\n\
         \n\
         [Events]\n\
         Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
        name = style.name,
        w = size.width,
        h = size.height,
        font = style.font_family,
        size = px.round() as u32,
        primary = primary.ass(),
        secondary = secondary.ass(),
        outline_c = outline_colour.ass(),
        back = style.shadow_color.ass(),
        bold = if style.bold { -1 } else { 0 },
        outline = rel(style.outline),
        shadow = shadow_px(style.shadow),
    )
}

fn fade(style: &Style, first: bool, last: bool) -> String {
    if style.animation != Animation::Fade || !(first || last) {
        return String::new();
    }
    format!(
        "{{\\fad({},{})}}",
        if first { FADE_IN_MS } else { 0 },
        if last { FADE_OUT_MS } else { 0 }
    )
}

/// Override tags for one word; empty when it looks like the rest of the page.
fn word_tags(style: &Style, word: &Word, active: bool) -> String {
    let emphasised = style.emphasises(word);
    let mut tags = String::new();
    let mut scale = 100;
    if emphasised {
        scale = style.emphasis.scale;
    }
    // The active colour wins while the word is spoken; else a person's colour for the word,
    // else the emphasis colour.
    if !(active && style.active_color != style.text_color) {
        match (word.color, emphasised) {
            (Some(own), _) => {
                let _ = write!(tags, "\\c{}", own.ass_inline());
                if own.a != 255 {
                    let _ = write!(tags, "\\1a{}", own.ass_alpha());
                }
            }
            (None, true) => {
                let _ = write!(tags, "\\c{}", style.emphasis.color.ass_inline());
            }
            (None, false) => {}
        }
    }
    if active {
        scale = scale.max(style.active_scale);
        if style.active_color != style.text_color {
            let _ = write!(tags, "\\c{}", style.active_color.ass_inline());
        }
        if style.animation == Animation::Pop {
            let from = scale * 85 / 100;
            let _ =
                write!(tags, "\\fscx{from}\\fscy{from}\\t(0,{POP_MS},\\fscx{scale}\\fscy{scale})");
            scale = 100; // handled by the transform
        }
    }
    if scale != 100 {
        let _ = write!(tags, "\\fscx{scale}\\fscy{scale}");
    }
    tags
}

/// Page text with lines joined by `\N`; `active` is the index of the highlighted word.
fn page_text(style: &Style, words: &[Word], page: &Page, active: Option<usize>) -> String {
    let mut out = String::new();
    for (li, line) in page.lines.iter().enumerate() {
        if li > 0 {
            out.push_str("\\N");
        }
        for i in line.words.clone() {
            if i > line.words.start && words[i].spaced_from(&words[i - 1]) {
                out.push(' ');
            }
            let tags = word_tags(style, &words[i], active == Some(i));
            if tags.is_empty() {
                out.push_str(&words[i].text);
            } else {
                let _ = write!(out, "{{{tags}}}{}{{\\r}}", words[i].text);
            }
        }
    }
    out
}

/// One event per word: the page, with word `i` active from its start until the next word starts.
fn word_events(style: &Style, words: &[Word], page: &Page, out: &mut Vec<AssEvent>) {
    let range = page.words();
    for i in range.clone() {
        let start_ms = if i == range.start {
            page.start_ms
        } else {
            words[i].start_ms.clamp(page.start_ms, page.end_ms)
        };
        let end_ms = if i + 1 == range.end {
            page.end_ms
        } else {
            words[i + 1].start_ms.clamp(start_ms, page.end_ms)
        };
        if end_ms <= start_ms && i + 1 != range.end {
            continue; // a word with no time of its own (same start as the next) is never shown active
        }
        let text = fade(style, i == range.start, i + 1 == range.end)
            + &page_text(style, words, page, Some(i));
        out.push(AssEvent { start_ms, end_ms, text });
    }
}

/// The emoji of a page's words, each drawn above the page (below it for captions at the top)
/// from the moment its word is spoken until the next emoji's word or the page's end: one event
/// per layer of the drawing, in the order they stack.
fn emoji_events(
    style: &Style,
    size: VideoSize,
    words: &[Word],
    page: &Page,
    out: &mut Vec<AssEvent>,
) {
    let shown: Vec<(usize, &'static crate::emoji::Emoji)> = page
        .words()
        .filter_map(|i| words[i].emoji.as_deref().and_then(crate::emoji::find).map(|e| (i, e)))
        .collect();
    if shown.is_empty() {
        return;
    }
    let place = emoji_place(style, size, page.lines.len());
    for (k, (i, emoji)) in shown.iter().enumerate() {
        let start_ms = words[*i].start_ms.clamp(page.start_ms, page.end_ms);
        let end_ms = shown
            .get(k + 1)
            .map_or(page.end_ms, |(j, _)| words[*j].start_ms.clamp(start_ms, page.end_ms));
        if end_ms <= start_ms {
            continue; // the next emoji's word is spoken at the same moment
        }
        let first = start_ms == page.start_ms;
        for layer in &emoji.layers {
            out.push(AssEvent { start_ms, end_ms, text: place.layer(style, first, layer) });
        }
    }
}

/// Where a page's emoji goes: its alignment point, ASS alignment and scale.
struct EmojiPlace {
    an: u8,
    x: f32,
    y: f32,
    scale: f32,
}

/// The page's text is `lines` lines of the font's size (libass makes a line as tall as the font
/// size) inside the style's margins; the emoji sits centred over it, or at its side for
/// left- and right-aligned captions.
fn emoji_place(style: &Style, size: VideoSize, lines: usize) -> EmojiPlace {
    let px = font_px(style, size);
    let (w, h) = (size.width as f32, size.height as f32);
    let emoji_px = px * EMOJI_EM;
    let text_h = lines.max(1) as f32 * px + 2.0 * style.outline / 100.0 * px;
    let margin_h = style.margin_h / 100.0 * w;
    let margin_v = style.margin_v / 100.0 * h;
    let gap = EMOJI_GAP_EM * px;
    let (an, y) = match style.position {
        Position::Bottom => (2, h - margin_v - text_h - gap),
        Position::Middle => (2, h / 2.0 - text_h / 2.0 - gap),
        Position::Top => (8, margin_v + text_h + gap),
    };
    // Above the frame's top (a tall page on a short frame) it goes below the text instead.
    let (an, y) = if an == 2 && y < emoji_px { (8, h - margin_v + gap) } else { (an, y) };
    let (an, x) = match style.align {
        Align::Center => (an, w / 2.0),
        Align::Left => (an - 1, margin_h),
        Align::Right => (an + 1, w - margin_h),
    };
    EmojiPlace { an, x, y, scale: emoji_px / crate::emoji::DRAWING_BOX as f32 * 100.0 }
}

impl EmojiPlace {
    /// One layer's event text. `m 0 0 m 360 360` gives every layer the drawing's whole box, so
    /// libass aligns the layers by the same box and they stack as drawn.
    fn layer(&self, style: &Style, first: bool, layer: &crate::emoji::Layer) -> String {
        let box_ = crate::emoji::DRAWING_BOX;
        let scale = (self.scale * 10.0).round() / 10.0;
        let mut tags = format!(
            "\\an{}\\pos({:.0},{:.0})\\bord0\\shad0\\1c{}",
            self.an,
            self.x,
            self.y,
            layer.color.ass_inline()
        );
        if layer.color.a != 255 {
            let _ = write!(tags, "\\1a{}", layer.color.ass_alpha());
        }
        match style.animation {
            Animation::Pop => {
                let from = (scale * 0.6).round();
                let _ = write!(
                    tags,
                    "\\fscx{from}\\fscy{from}\\t(0,{EMOJI_POP_MS},\\fscx{scale}\\fscy{scale})"
                );
            }
            Animation::Fade => {
                let _ = write!(
                    tags,
                    "\\fscx{scale}\\fscy{scale}\\fad({},{FADE_OUT_MS})",
                    if first { FADE_IN_MS } else { EMOJI_POP_MS }
                );
            }
            Animation::None => {
                let _ = write!(tags, "\\fscx{scale}\\fscy{scale}");
            }
        }
        format!("{{{tags}\\p1}}m 0 0 m {box_} {box_} {}", layer.drawing)
    }
}

/// One event per page with `\kf` fills; pauses between words are empty `\k` syllables. Times are
/// rounded as cumulative centiseconds from the event start, so rounding never drifts.
fn karaoke_text(style: &Style, words: &[Word], page: &Page) -> String {
    let cs = |t: u64| (t.saturating_sub(page.start_ms) + 5) / 10;
    let mut out = String::new();
    let mut cursor = 0; // in centiseconds from the event start
    for (li, line) in page.lines.iter().enumerate() {
        if li > 0 {
            out.push_str("\\N");
        }
        for i in line.words.clone() {
            let w = &words[i];
            let (start, end) =
                (cs(w.start_ms).max(cursor), cs(w.end_ms).max(cs(w.start_ms).max(cursor)));
            if start > cursor {
                let _ = write!(out, "{{\\k{}}}", start - cursor);
            }
            if i > line.words.start && w.spaced_from(&words[i - 1]) {
                out.push(' ');
            }
            let mut tags = format!("\\kf{}", end - start);
            if let Some(own) = w.color {
                // Not yet sung, the word is in its own colour (the fill stays the style's).
                let _ = write!(tags, "\\2c{}", own.ass_inline());
                if own.a != 255 {
                    let _ = write!(tags, "\\2a{}", own.ass_alpha());
                }
            }
            let emphasised = style.emphasises(w);
            if emphasised {
                if w.color.is_none() {
                    let _ = write!(tags, "\\2c{}", style.emphasis.color.ass_inline());
                }
                if style.emphasis.scale != 100 {
                    let _ = write!(tags, "\\fscx{0}\\fscy{0}", style.emphasis.scale);
                }
            }
            if emphasised || w.color.is_some() {
                let _ = write!(out, "{{{tags}}}{}{{\\r}}", w.text); // back to the style after it
            } else {
                let _ = write!(out, "{{{tags}}}{}", w.text);
            }
            cursor = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::preset;

    const PORTRAIT: VideoSize = VideoSize { width: 1080, height: 1920 };
    const LANDSCAPE: VideoSize = VideoSize { width: 1920, height: 1080 };

    fn transcript() -> Transcript {
        let spec = [
            ("Coffee", 0, 400),
            ("costs", 400, 800),
            ("$4", 900, 1300),
            ("today.", 1300, 1900),
            ("Wow", 3000, 3400),
        ];
        Transcript::new(
            Some("en".into()),
            spec.iter().map(|(t, s, e)| Word::new(*t, *s, *e)).collect(),
        )
    }

    /// A still shows what the render shows at its moment, from a script holding only that.
    #[test]
    fn a_still_shows_the_page_on_screen_or_the_next_one() {
        // "Coffee costs $4 today." is one page (0–1900 ms), "Wow" another (3000–3400 ms) with
        // `one-word` paging; bold-pop highlights word by word.
        let style = preset("bold-pop").unwrap();
        let doc = AssDocument::build(&transcript(), &style, PORTRAIT);
        assert!(doc.layout.pages.len() >= 2, "{:?}", doc.layout.pages);
        assert_eq!(doc.moment_near(500), Some(500), "a page is on screen");
        let last = doc.layout.pages.last().unwrap();
        assert_eq!(doc.moment_near(2500), Some(last.start_ms), "in a gap: the next page");
        assert_eq!(doc.moment_near(99_000), Some(last.end_ms - 1), "after the end: the last page");
        assert_eq!(
            AssDocument::build(&Transcript::default(), &style, PORTRAIT).moment_near(0),
            None
        );

        let still = doc.to_ass_at(500);
        let events: Vec<&str> = still.lines().filter(|l| l.starts_with("Dialogue:")).collect();
        assert_eq!(events.len(), 1, "{still}");
        assert!(events[0].contains("COSTS"), "{still}");
        let live: Vec<_> =
            doc.events.iter().filter(|e| e.start_ms <= 500 && 500 < e.end_ms).collect();
        assert_eq!(live.len(), 1);
        assert!(events[0].ends_with(&live[0].text), "the event the render shows at 500 ms");
        let full = doc.to_ass();
        assert!(full.lines().any(|l| l == events[0]), "the same event as the render's");
        assert!(still.starts_with(full.split("[Events]").next().unwrap()), "the same header");
    }

    /// A person's colour for a word shows in it (over the emphasis colour), gives way to the
    /// spoken-word colour while it is spoken, and ends with the word.
    #[test]
    fn a_words_own_colour_is_drawn_in_it() {
        let mut t = transcript();
        t.words[1].color = Some(crate::Color::rgb(255, 0, 0)); // "costs"
        t.words[2].color = Some(crate::Color::rgb(0, 0, 255)); // "$4", a number bold-pop emphasises
        let red = crate::Color::rgb(255, 0, 0).ass_inline();
        let blue = crate::Color::rgb(0, 0, 255).ass_inline();
        let pop = AssDocument::build(&t, &preset("bold-pop").unwrap(), PORTRAIT);
        let at = |ms: u64| pop.events.iter().find(|e| e.start_ms <= ms && ms < e.end_ms).unwrap();
        assert!(at(100).text.contains(&format!("\\c{red}}}COSTS")), "{}", at(100).text);
        assert!(at(100).text.contains(&format!("\\c{blue}")), "over the emphasis colour");
        assert!(!at(500).text.contains(&format!("\\c{red}")), "spoken: {}", at(500).text);
        let karaoke = AssDocument::build(&t, &preset("karaoke").unwrap(), PORTRAIT).to_ass();
        let line = karaoke.lines().find(|l| l.contains("costs")).unwrap();
        assert!(line.contains(&format!("\\2c{red}}}costs{{\\r}}")), "{line}");
        let json = crate::formats::json::write(&t);
        assert!(json.contains(r##""color": "#FF0000""##), "{json}");
        assert_eq!(crate::formats::json::parse(&json).unwrap().words[1].color, t.words[1].color);
    }

    /// An emoji on a word is drawn, layer by layer, above the page from the moment its word is
    /// spoken until the next emoji's word; captions at the top get theirs below the text.
    #[test]
    fn emoji_show_from_their_word_above_the_page() {
        let mut t = transcript();
        t.words[1].emoji = Some("🔥".into()); // "costs", 400 ms
        t.words[3].emoji = Some("💰".into()); // "today.", 1300 ms
        let style = preset("clean").unwrap();
        let doc = AssDocument::build(&t, &style, PORTRAIT);
        let page = &doc.layout.pages[0];
        assert_eq!((page.start_ms, page.end_ms), (0, 1900), "{:?}", doc.layout.pages);
        let fire = crate::emoji::find("🔥").unwrap();
        let drawn: Vec<&AssEvent> =
            doc.events.iter().filter(|e| e.text.contains("\\p1}")).collect();
        let money = crate::emoji::find("💰").unwrap();
        assert_eq!(drawn.len(), fire.layers.len() + money.layers.len());
        let (fires, moneys) = drawn.split_at(fire.layers.len());
        for (e, layer) in fires.iter().zip(&fire.layers) {
            assert_eq!((e.start_ms, e.end_ms), (400, 1300), "until the next emoji's word");
            assert!(e.text.ends_with(layer.drawing), "the layers in their order");
            assert!(e.text.contains(&format!("\\1c{}", layer.color.ass_inline())));
        }
        assert!(
            moneys.iter().all(|e| (e.start_ms, e.end_ms) == (1300, 1900)),
            "until the page ends"
        );
        // Bottom captions: centred, bottom of the emoji above the page's text.
        let pos = |e: &AssEvent| {
            let p = e.text.split("\\pos(").nth(1).unwrap().split(')').next().unwrap().to_string();
            let (x, y) = p.split_once(',').unwrap();
            (x.parse::<f32>().unwrap(), y.parse::<f32>().unwrap())
        };
        assert!(fires[0].text.starts_with("{\\an2\\pos("), "{}", fires[0].text);
        let (x, y) = pos(fires[0]);
        let text_top = 1920.0 * (1.0 - style.margin_v / 100.0) - style.font_size / 100.0 * 1920.0;
        assert_eq!(x, 540.0);
        assert!(y < text_top && y > text_top - 200.0, "{y} just above {text_top}");

        let top = Style { position: Position::Top, align: Align::Left, ..style };
        let e = AssDocument::build(&t, &top, PORTRAIT)
            .events
            .into_iter()
            .find(|e| e.text.contains("\\p1}"))
            .unwrap();
        assert!(e.text.starts_with("{\\an7\\pos("), "below the text, at its left edge: {}", e.text);
        let (x, y) = pos(&e);
        assert_eq!(x, (top.margin_h / 100.0 * 1080.0).round());
        assert!(y > top.margin_v / 100.0 * 1920.0 + top.font_size / 100.0 * 1920.0, "{y}");

        // The page's own text is untouched by its emoji.
        let plain = AssDocument::build(&transcript(), &preset("clean").unwrap(), PORTRAIT);
        let text_events: Vec<_> =
            doc.events.iter().filter(|e| !e.text.contains("\\p1}")).cloned().collect();
        assert_eq!(text_events, plain.events);
    }

    #[test]
    fn narrow_frames_get_fewer_characters_per_line() {
        let s = preset("clean").unwrap();
        assert!(
            layout_rules(&s, PORTRAIT).max_chars_per_line
                < layout_rules(&s, LANDSCAPE).max_chars_per_line
        );
        assert_eq!(
            layout_rules(&s, LANDSCAPE).max_chars_per_line,
            36,
            "the style's own limit caps wide frames"
        );
    }

    #[test]
    fn shadows_are_offset_by_whole_video_pixels() {
        let sizes = [
            PORTRAIT,
            LANDSCAPE,
            VideoSize { width: 720, height: 1280 },
            VideoSize { width: 854, height: 480 },
        ];
        for style in crate::style::presets() {
            for size in sizes {
                let ass = AssDocument::build(&transcript(), &style, size).to_ass();
                let line = ass.lines().find(|l| l.starts_with("Style: ")).unwrap();
                let shadow: f32 = line.split(',').nth(17).unwrap().parse().unwrap();
                assert_eq!(shadow.fract(), 0.0, "{} at {size:?}: {line}", style.name);
                assert_eq!(
                    shadow == 0.0,
                    style.shadow == 0.0,
                    "{} at {size:?}: a shadow stays a shadow",
                    style.name
                );
            }
        }
    }

    #[test]
    fn word_highlight_writes_one_event_per_word() {
        let doc = AssDocument::build(&transcript(), &preset("bold-pop").unwrap(), PORTRAIT);
        assert_eq!(doc.events.len(), 5);
        // Events tile each page: each ends where the next begins.
        assert_eq!((doc.events[0].start_ms, doc.events[0].end_ms), (0, 400));
        assert_eq!((doc.events[1].start_ms, doc.events[1].end_ms), (400, 900));
        assert!(
            doc.events[0].text.contains("\\t(0,100,\\fscx112\\fscy112)}COFFEE{\\r}"),
            "{}",
            doc.events[0].text
        );
        // "$4" is emphasised (numbers) in every event, and active in its own.
        assert!(
            doc.events[0].text.contains("{\\c&H76E600&\\fscx110\\fscy110}$4{\\r}"),
            "{}",
            doc.events[0].text
        );
    }

    #[test]
    fn karaoke_syllables_add_up_to_the_page() {
        let doc = AssDocument::build(&transcript(), &preset("karaoke").unwrap(), LANDSCAPE);
        let first = &doc.events[0];
        let total: u64 = first
            .text
            .split("\\k")
            .skip(1)
            .map(|s| {
                s.trim_start_matches('f')
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse::<u64>()
                    .unwrap()
            })
            .sum();
        assert_eq!(total, 190, "{}", first.text);
        assert!(
            first.text.contains("{\\k10}"),
            "the 100 ms pause before $4 is an empty syllable: {}",
            first.text
        );
    }

    #[test]
    fn fade_only_on_page_edges_and_box_uses_border_style_3() {
        let doc = AssDocument::build(&transcript(), &preset("boxed").unwrap(), LANDSCAPE);
        assert!(doc.events.iter().all(|e| e.text.starts_with("{\\fad(150,120)}")));
        assert!(doc.to_ass().contains(",3,"), "BorderStyle 3");
    }

    #[test]
    fn user_text_cannot_inject_tags() {
        let t = Transcript::new(None, vec![Word::new("{\\pos(0,0)}x\\N", 0, 500)]);
        let ass = AssDocument::build(&t, &preset("clean").unwrap(), LANDSCAPE).to_ass();
        let last = ass.lines().last().unwrap();
        assert!(!last.contains("{\\pos") && !last.contains("\\N"), "{last}");
        assert!(last.ends_with("｛\\\u{2060}pos(0,0)｝x\\\u{2060}N"), "{last}");
    }
}
