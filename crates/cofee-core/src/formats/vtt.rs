//! WebVTT (`.vtt`). Written with inline word timestamps (`<00:00:01.250>`), which WebVTT
//! defines for karaoke-style cues, so a VTT export keeps word timing; read back, those
//! timestamps anchor the words that follow them.

use std::fmt::Write as _;

use super::{CaptionsError, Cue, spread};
use crate::layout::{CaptionLayout, LayoutRules};
use crate::text;
use crate::time;
use crate::transcript::Transcript;

const FORMAT: &str = "WebVTT";

fn escape(t: &str) -> String {
    t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn unescape(t: &str) -> String {
    t.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&lrm;", "\u{200e}")
        .replace("&rlm;", "\u{200f}")
        .replace("&amp;", "&")
}

/// Plain cues (no word timing).
pub fn write(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for c in cues {
        let _ = write!(
            out,
            "{} --> {}\n{}\n\n",
            time::vtt(c.start_ms),
            time::vtt(c.end_ms),
            escape(&c.text)
        );
    }
    out
}

/// Cues laid out like [`super::cues`], each word after the first preceded by its start time.
pub fn write_transcript(transcript: &Transcript) -> String {
    let words = &transcript.words;
    let layout = CaptionLayout::build(words, &LayoutRules::default());
    let mut out = String::from("WEBVTT\n\n");
    for p in &layout.pages {
        let _ = writeln!(out, "{} --> {}", time::vtt(p.start_ms), time::vtt(p.end_ms));
        for (li, line) in p.lines.iter().enumerate() {
            if li > 0 {
                out.push('\n');
            }
            for i in line.words.clone() {
                if i > line.words.start && text::needs_space(&words[i - 1].text, &words[i].text) {
                    out.push(' ');
                }
                if i > p.words().start {
                    let _ = write!(out, "<{}>", time::vtt(words[i].start_ms));
                }
                out.push_str(&escape(&words[i].text));
            }
        }
        out.push_str("\n\n");
    }
    out
}

/// A cue body split at inline timestamps: `(start of the segment, its text)`.
fn segments(body: &str, cue_start: u64) -> Vec<(u64, String)> {
    let mut out = vec![(cue_start, String::new())];
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        out.last_mut().expect("non-empty").1.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open + 1..];
            continue;
        };
        let tag = &rest[open + 1..open + close];
        if let Ok(t) = time::parse(tag) {
            out.push((t, String::new()));
        }
        rest = &rest[open + close + 1..];
    }
    out.last_mut().expect("non-empty").1.push_str(rest);
    out
}

/// Parsed cue plus its raw body (which may hold inline timestamps).
fn parse_blocks(input: &str) -> Result<Vec<(Cue, String)>, CaptionsError> {
    let at = |line: usize, message: String| CaptionsError::At { format: FORMAT, line, message };
    let text = input.trim_start_matches('\u{feff}').replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let first = lines.first().copied().unwrap_or("");
    if !(first == "WEBVTT" || first.starts_with("WEBVTT ") || first.starts_with("WEBVTT\t")) {
        return Err(at(1, "a WebVTT file must start with `WEBVTT`".into()));
    }
    let mut i = 1;
    while i < lines.len() && !lines[i].trim().is_empty() {
        i += 1; // header metadata
    }
    let mut cues = Vec::new();
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let block: Vec<&str> =
            lines[i..].iter().take_while(|l| !l.trim().is_empty()).copied().collect();
        let block_start = i;
        i += block.len();
        if ["NOTE", "STYLE", "REGION"].iter().any(|k| {
            block[0] == *k
                || block[0].starts_with(&format!("{k} "))
                || block[0].starts_with(&format!("{k}\t"))
        }) {
            continue;
        }
        let timing_at = if block[0].contains("-->") { 0 } else { 1 };
        let timing = block.get(timing_at).filter(|l| l.contains("-->")).ok_or_else(|| {
            at(
                block_start + 1,
                format!(
                    "expected a timing line like `00:00:01.000 --> 00:00:02.500`, found {:?}",
                    block[0]
                ),
            )
        })?;
        let line_no = block_start + timing_at + 1;
        let (start, end) = timing.split_once("-->").expect("checked");
        let end = end.split_whitespace().next().unwrap_or("");
        let (start_ms, end_ms) = (
            time::parse(start).map_err(|e| at(line_no, e.to_string()))?,
            time::parse(end).map_err(|e| at(line_no, e.to_string()))?,
        );
        if end_ms < start_ms {
            return Err(at(
                line_no,
                format!(
                    "cue ends ({}) before it starts ({})",
                    time::vtt(end_ms),
                    time::vtt(start_ms)
                ),
            ));
        }
        let raw = block[timing_at + 1..].join("\n");
        let plain: String = segments(&raw, start_ms).into_iter().map(|(_, t)| t).collect();
        cues.push((Cue { start_ms, end_ms, text: unescape(&plain) }, raw));
    }
    if cues.is_empty() {
        return Err(CaptionsError::Whole { format: FORMAT, message: "no cues found".into() });
    }
    Ok(cues)
}

pub fn parse(input: &str) -> Result<Vec<Cue>, CaptionsError> {
    Ok(parse_blocks(input)?.into_iter().map(|(c, _)| c).collect())
}

/// Words with times: inline timestamps anchor words exactly; words between anchors share the
/// span in proportion to their length.
pub fn parse_transcript(input: &str) -> Result<Transcript, CaptionsError> {
    let mut words: Vec<crate::Word> = Vec::new();
    // A cue that ends as it starts is never shown; each other cue starts a page of its own.
    for (cue, raw) in parse_blocks(input)?.into_iter().filter(|(c, _)| c.end_ms > c.start_ms) {
        let first = words.len();
        let segs = segments(&raw, cue.start_ms);
        for (k, (start, seg)) in segs.iter().enumerate() {
            let end =
                segs.get(k + 1).map_or(cue.end_ms, |s| s.0).clamp(*start, cue.end_ms.max(*start));
            spread(&text::tokenize(&unescape(seg)), *start, end, &mut words);
        }
        if let Some(w) = words.get_mut(first) {
            w.page_break = Some(true);
        }
    }
    Ok(Transcript::new(None, words).normalized())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Word;

    #[test]
    fn word_times_survive_a_round_trip() {
        let t = Transcript::new(
            None,
            vec![
                Word::new("Fish", 0, 300),
                Word::new("&", 350, 500),
                Word::new("<chips>", 600, 1000),
            ],
        );
        let vtt = write_transcript(&t);
        assert_eq!(
            vtt,
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nFish <00:00:00.350>&amp; <00:00:00.600>&lt;chips&gt;\n\n"
        );
        let back = parse_transcript(&vtt).unwrap();
        let starts: Vec<_> = back.words.iter().map(|w| (w.text.as_str(), w.start_ms)).collect();
        assert_eq!(starts, [("Fish", 0), ("&", 350), ("<chips>", 600)]);
        let breaks: Vec<_> = back.words.iter().map(|w| w.page_break).collect();
        assert_eq!(breaks, [Some(true), None, None], "the cue is a page");
    }

    #[test]
    fn skips_notes_styles_and_ids() {
        let input = "WEBVTT - title\nKind: captions\n\nNOTE a comment\nspanning lines\n\nSTYLE\n::cue { color: red }\n\nintro\n00:01.000 --> 00:02.000 align:start position:10%\n<v Bob>Hello</v>\n";
        assert_eq!(
            parse(input).unwrap(),
            [Cue { start_ms: 1000, end_ms: 2000, text: "Hello".into() }]
        );
    }

    #[test]
    fn rejects_what_is_not_webvtt() {
        assert!(
            parse("1\n00:00:01,000 --> 00:00:02,000\nHi\n")
                .unwrap_err()
                .to_string()
                .contains("must start with `WEBVTT`")
        );
        let e = parse("WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nHi\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }
}
