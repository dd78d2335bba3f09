//! Subtitle formats: writers for SRT, WebVTT, JSON and plain text (ASS lives in [`crate::ass`]),
//! and readers for SRT, WebVTT and JSON that turn a captions file back into a [`Transcript`].

pub mod decode;
pub mod json;
pub mod srt;
pub mod txt;
pub mod vtt;

use thiserror::Error;

use crate::layout::{CaptionLayout, LayoutRules};
use crate::text;
use crate::transcript::{Transcript, Word};

/// A timed block of text, as SRT and WebVTT hold them. `text` lines are separated by `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptionFormat {
    Srt,
    Vtt,
    Ass,
    Json,
    Txt,
}

impl CaptionFormat {
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "srt" => Some(Self::Srt),
            "vtt" | "webvtt" => Some(Self::Vtt),
            "ass" | "ssa" => Some(Self::Ass),
            "json" => Some(Self::Json),
            "txt" => Some(Self::Txt),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Srt => "srt",
            Self::Vtt => "vtt",
            Self::Ass => "ass",
            Self::Json => "json",
            Self::Txt => "txt",
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CaptionsError {
    #[error("{format} captions, line {line}: {message}")]
    At { format: &'static str, line: usize, message: String },
    #[error("{format} captions: {message}")]
    Whole { format: &'static str, message: String },
    #[error("{0} captions cannot be read back; use SRT, WebVTT or Cofee JSON")]
    Unreadable(&'static str),
}

/// Reads captions in a known format into a transcript.
pub fn parse(format: CaptionFormat, input: &str) -> Result<Transcript, CaptionsError> {
    parse_with_skipped(format, input).map(|(t, _)| t)
}

/// [`parse`], with the problems of what it skipped as a player would (SRT blocks whose timing
/// or WebVTT blocks whose timing cannot be read).
pub fn parse_with_skipped(
    format: CaptionFormat,
    input: &str,
) -> Result<(Transcript, Vec<CaptionsError>), CaptionsError> {
    let whole = |t| (t, Vec::new());
    match format {
        CaptionFormat::Srt => {
            srt::parse_with_skipped(input).map(|(cues, skipped)| (words_from_cues(&cues), skipped))
        }
        CaptionFormat::Vtt => vtt::parse_transcript_with_skipped(input),
        CaptionFormat::Json => json::parse(input).map(whole),
        CaptionFormat::Ass => Err(CaptionsError::Unreadable("ASS")),
        CaptionFormat::Txt => Err(CaptionsError::Unreadable("plain text")),
    }
}

/// Guesses the format from content, for files without a telling extension.
pub fn sniff(input: &str) -> CaptionFormat {
    let t = input.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with("WEBVTT") {
        CaptionFormat::Vtt
    } else if t.starts_with('{') {
        CaptionFormat::Json
    } else if t.starts_with("[Script Info]") {
        CaptionFormat::Ass
    } else {
        CaptionFormat::Srt
    }
}

/// Cues for export, laid out under the usual subtitle-file limits (42 columns, two lines).
pub fn cues(transcript: &Transcript) -> Vec<Cue> {
    let layout = CaptionLayout::build(&transcript.words, &LayoutRules::default());
    layout
        .pages
        .iter()
        .map(|p| Cue {
            start_ms: p.start_ms,
            end_ms: p.end_ms,
            text: CaptionLayout::page_lines(&transcript.words, p).join("\n"),
        })
        .collect()
}

/// Words from cues that carry no word timing: each cue's time is shared among its words in
/// proportion to their length (the best estimate without audio).
pub fn words_from_cues(cues: &[Cue]) -> Transcript {
    let mut cues = cues.to_vec();
    one_at_a_time(&mut cues);
    let mut words = Vec::new();
    // A cue that ends as it starts is never on screen in a player: it has no words here either.
    for c in cues.iter().filter(|c| c.end_ms > c.start_ms) {
        let first = words.len();
        spread(&text::tokenize_spaced(&c.text), c.start_ms, c.end_ms, &mut words, first);
        keep_as_page(&mut words[first..]);
    }
    Transcript::new(None, words).normalized()
}

/// A cue's words are a caption page of their own, whole: its first word starts the page, the
/// others stay on it (set breaks, which the layout keeps), so the file's cues stay as they were
/// — shown as pages, and written back with their times.
pub(crate) fn keep_as_page(cue_words: &mut [Word]) {
    for (k, w) in cue_words.iter_mut().enumerate() {
        w.page_break = Some(k == 0);
    }
}

/// A cue, alone or with what else is known of it (WebVTT's raw text).
pub(crate) trait Timed {
    fn cue(&self) -> &Cue;
    fn cue_mut(&mut self) -> &mut Cue;
    /// Takes in a cue shown over the same time (its text below this one's).
    fn absorb(&mut self, other: Self);
}

impl Timed for Cue {
    fn cue(&self) -> &Cue {
        self
    }
    fn cue_mut(&mut self) -> &mut Cue {
        self
    }
    fn absorb(&mut self, other: Self) {
        self.end_ms = self.end_ms.max(other.end_ms);
        self.text.push('\n');
        self.text.push_str(&other.text);
    }
}

impl Timed for (Cue, String) {
    fn cue(&self) -> &Cue {
        &self.0
    }
    fn cue_mut(&mut self) -> &mut Cue {
        &mut self.0
    }
    fn absorb(&mut self, other: Self) {
        self.0.absorb(other.0);
        self.1.push('\n');
        self.1.push_str(&other.1);
    }
}

/// Overlapping cues one after another, as subtitle editors fix them: in the order of their
/// starts (file order among equal starts), each ends when the next starts at the latest. Every
/// cue keeps its start, and its words stay together on a page of their own instead of two
/// cues' words interleaving. Cues that start together (two speakers, two languages) are shown
/// together as players show them: one page, the later cue's lines below.
pub(crate) fn one_at_a_time<T: Timed>(items: &mut Vec<T>) {
    items.sort_by_key(|t| t.cue().start_ms);
    let mut merged: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        match merged.last_mut() {
            Some(last) if last.cue().start_ms == item.cue().start_ms => last.absorb(item),
            _ => merged.push(item),
        }
    }
    for i in 1..merged.len() {
        let next = merged[i].cue().start_ms;
        let before = merged[i - 1].cue_mut();
        before.end_ms = before.end_ms.min(next).max(before.start_ms);
    }
    *items = merged;
}

/// Appends `tokens` spread over `start..end` in proportion to their width (plus one for the gap).
/// Where the source's spacing between two words of the cue (which starts at `out[cue_start]`)
/// is not what the script rule gives — a space between CJK and Latin text — the word keeps it.
pub(crate) fn spread(
    tokens: &[(String, Option<bool>)],
    start: u64,
    end: u64,
    out: &mut Vec<Word>,
    cue_start: usize,
) {
    let weights: Vec<u64> = tokens.iter().map(|(t, _)| text::width(t) as u64 + 1).collect();
    let total: u64 = weights.iter().sum::<u64>().max(1);
    let span = end.saturating_sub(start);
    let mut acc = 0;
    for ((t, spaced), w) in tokens.iter().zip(&weights) {
        let s = start + span * acc / total;
        acc += w;
        let e = start + span * acc / total;
        let mut word = Word::new(t.clone(), s, e);
        if let (Some(spaced), true) = (spaced, out.len() > cue_start) {
            let prev = out.last().expect("within the cue");
            if text::needs_space(&prev.text, t) != *spaced {
                word.space_before = Some(*spaced);
            }
        }
        out.push(word);
    }
}

/// Removes markup that SRT files carry in the wild: `<i>`, `<font …>`, `{\an8}`. A `<` or `{`
/// that does not open such a tag (`2 < 3`, `{laughs}`) is text.
pub(crate) fn strip_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find(['<', '{']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (opens, close) = match tail.as_bytes() {
            [b'<', b'/', c, ..] | [b'<', c, ..] => (c.is_ascii_alphabetic(), '>'),
            [b'{', b'\\', ..] => (true, '}'),
            _ => (false, ' '),
        };
        match tail.find(close).filter(|_| opens) {
            Some(end) => rest = &tail[end + 1..],
            None => {
                out.push(tail.chars().next().expect("found"));
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_words_over_a_cue_by_length() {
        let t = words_from_cues(&[Cue { start_ms: 1000, end_ms: 2000, text: "a bbbbbbbb".into() }]);
        assert_eq!(t.words.len(), 2);
        assert_eq!((t.words[0].start_ms, t.words[0].end_ms), (1000, 1181));
        assert_eq!((t.words[1].start_ms, t.words[1].end_ms), (1181, 2000));
    }

    /// A space between CJK and Latin text is the file's: kept where it was ("用 Rust 写"), not
    /// added where there was none ("用iPhone拍"), in every export and the burned-in script.
    #[test]
    fn the_files_spacing_between_cjk_and_latin_text_stays() {
        let text = "我用 Rust 写代码，用iPhone拍 4K 视频";
        let srt = format!("1\n00:00:01,000 --> 00:00:05,000\n{text}\n");
        let t = parse(CaptionFormat::Srt, &srt).unwrap();
        assert_eq!(t.text(), text);
        assert_eq!(cues(&t)[0].text, text, "written back as read");
        let json = json::write(&t);
        assert_eq!(json::parse(&json).unwrap().text(), text, "kept in the word JSON");
        let vtt = vtt::write_transcript(&t);
        assert_eq!(vtt::parse_transcript(&vtt).unwrap().text(), text, "{vtt}");
        let style = crate::style::preset("clean").unwrap();
        let ass =
            crate::AssDocument::build(&t, &style, crate::VideoSize { width: 1920, height: 1080 });
        assert!(ass.to_ass().contains("我用 Rust 写代码，用iPhone拍 4K 视频"), "{}", ass.to_ass());
        // Across a line break of the file the script rule decides, as it does without a file.
        let t =
            parse(CaptionFormat::Srt, "1\n00:00:01,000 --> 00:00:02,000\n我用\n写代码\n").unwrap();
        assert_eq!(t.text(), "我用写代码");
    }

    /// Two cues on screen at once (a second speaker) are not mixed word by word: the first ends
    /// where the second starts, and each keeps its start and stays a page.
    #[test]
    fn overlapping_cues_follow_one_another() {
        let srt = "1\n00:00:01,000 --> 00:00:04,000\nfirst speaker talks\n\n2\n00:00:02,000 --> 00:00:03,000\nsecond here\n";
        let t = parse(CaptionFormat::Srt, srt).unwrap();
        let words: Vec<_> =
            t.words.iter().map(|w| (w.text.as_str(), w.start_ms, w.page_break)).collect();
        assert_eq!(
            words.iter().map(|w| w.0).collect::<Vec<_>>(),
            ["first", "speaker", "talks", "second", "here"]
        );
        assert!(t.words[..3].iter().all(|w| w.end_ms <= 2000), "{words:?}");
        assert_eq!((words[0].1, words[3].1), (1000, 2000), "each cue keeps its start");
        assert_eq!((words[0].2, words[3].2), (Some(true), Some(true)));
        // Two cues over the same time (two languages): one page with both, nothing lost.
        let srt = "1\n00:00:01,000 --> 00:00:03,000\n- Hi there\n\n2\n00:00:01,000 --> 00:00:03,000\n- Hello\n";
        let t = parse(CaptionFormat::Srt, srt).unwrap();
        assert_eq!(t.text(), "- Hi there - Hello");
        assert_eq!(t.words.iter().filter(|w| w.page_break == Some(true)).count(), 1);
        assert_eq!((t.words[0].start_ms, t.words.last().unwrap().end_ms), (1000, 3000));
        let vtt = "WEBVTT\n\n00:02.000 --> 00:03.000\nlater in the file\n\n00:01.000 --> 00:04.000\nearlier\n";
        let t = parse(CaptionFormat::Vtt, vtt).unwrap();
        assert_eq!(
            t.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            ["earlier", "later", "in", "the", "file"]
        );
        t.validate().unwrap();
    }

    #[test]
    fn imported_cues_stay_pages_of_their_own() {
        // Two short cues back to back: the layout alone would put them on one page.
        let cues = [
            Cue { start_ms: 1000, end_ms: 1800, text: "Hello there".into() },
            Cue { start_ms: 1800, end_ms: 2600, text: "my friend".into() },
        ];
        let mut t = words_from_cues(&cues);
        let pages = |t: &Transcript| -> Vec<(u64, usize)> {
            let l = CaptionLayout::build(&t.words, &LayoutRules::default());
            l.pages.iter().map(|p| (p.start_ms, p.words().len())).collect()
        };
        assert_eq!(pages(&t), [(1000, 2), (1800, 2)], "each cue a page, from its own start");
        t.words.iter_mut().for_each(|w| w.page_break = None);
        assert_eq!(pages(&t).len(), 1, "without the cue boundaries they would share one");
        let zero = Cue { start_ms: 5000, end_ms: 5000, text: "never shown".into() };
        assert_eq!(words_from_cues(&[cues[0].clone(), zero]).text(), "Hello there");
    }

    #[test]
    fn strips_markup() {
        assert_eq!(strip_tags("{\\an8}<i>Hello</i> <font color=\"red\">you</font>"), "Hello you");
        assert_eq!(strip_tags("2 < 3 and 5 > 4, {laughs} <3"), "2 < 3 and 5 > 4, {laughs} <3");
        assert_eq!(strip_tags("<b>unclosed <i"), "unclosed <i");
    }

    #[test]
    fn sniffs() {
        assert_eq!(sniff("\u{feff}WEBVTT\n"), CaptionFormat::Vtt);
        assert_eq!(sniff(" {\"words\":[]}"), CaptionFormat::Json);
        assert_eq!(sniff("1\n00:00:00,000 --> 00:00:01,000\nhi"), CaptionFormat::Srt);
    }
}
