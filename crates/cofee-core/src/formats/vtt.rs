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

/// Character references in cue text (`&amp;`, `&eacute;`, `&#x2014;`, …), as the WebVTT cue
/// text parser reads them: HTML's whole table.
fn unescape(t: &str) -> String {
    htmlize::unescape(t).into_owned()
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
                if i > line.words.start && words[i].spaced_from(&words[i - 1]) {
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

/// A cue as the WebVTT parser reads it: its identifier, times and raw text (markup, entities
/// and inline timestamps as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VttCue {
    pub id: String,
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// The WebVTT parser algorithm (<https://w3c.github.io/webvtt/#file-parsing>), as browsers run
/// it: the cues, and what was skipped (blocks whose timing line cannot be read) — only a file
/// without the `WEBVTT` signature is refused. Cue settings, regions and style sheets are read
/// past and not kept. Written here because no maintained crate follows the algorithm (the WPT
/// cases in `tests/wpt_webvtt.rs` hold it to it).
pub fn read(input: &str) -> Result<(Vec<VttCue>, Vec<CaptionsError>), CaptionsError> {
    read_with(input, Timings::Spec)
}

/// How timing lines are read: as the specification says, or as media players (FFmpeg, VLC)
/// also take them — hours or milliseconds left out, one or two fraction digits, `,` for `.`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timings {
    Spec,
    Lenient,
}

fn read_with(
    input: &str,
    mode: Timings,
) -> Result<(Vec<VttCue>, Vec<CaptionsError>), CaptionsError> {
    let text = input
        .strip_prefix('\u{feff}')
        .unwrap_or(input)
        .replace('\0', "\u{fffd}")
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let signed = text
        .strip_prefix("WEBVTT")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n']));
    if !signed {
        return Err(CaptionsError::At {
            format: FORMAT,
            line: 1,
            message: "a WebVTT file must start with `WEBVTT`".into(),
        });
    }
    let mut scan = Scanner { s: &text, pos: 0, line: 1 };
    let mut found = Found::default();
    scan.line(); // the rest of the signature line
    if scan.at_end() {
        return Ok((found.cues, found.skipped));
    }
    scan.newline();
    if scan.at_end() {
        return Ok((found.cues, found.skipped));
    }
    if scan.peek() == Some('\n') {
        scan.newline();
    } else {
        collect_block(&mut scan, true, mode, &mut found); // the header
    }
    scan.newlines();
    while !scan.at_end() {
        collect_block(&mut scan, false, mode, &mut found);
        scan.newlines();
    }
    Ok((found.cues, found.skipped))
}

#[derive(Default)]
struct Found {
    cues: Vec<VttCue>,
    skipped: Vec<CaptionsError>,
}

/// A position in the normalised text (line feeds only) and its line number.
struct Scanner<'a> {
    s: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Scanner<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    /// The characters up to the next line feed (not consumed).
    fn line(&mut self) -> &'a str {
        let rest = &self.s[self.pos..];
        let n = rest.find('\n').unwrap_or(rest.len());
        self.pos += n;
        &rest[..n]
    }

    fn newline(&mut self) {
        if self.peek() == Some('\n') {
            self.pos += 1;
            self.line += 1;
        }
    }

    fn newlines(&mut self) {
        while self.peek() == Some('\n') {
            self.newline();
        }
    }
}

/// "Collect a WebVTT block": a cue when its first or second line is a timing line; a line with
/// `-->` further down ends the block and starts the next (a cue without the blank line before
/// it, as some tools write them).
fn collect_block(scan: &mut Scanner<'_>, in_header: bool, mode: Timings, found: &mut Found) {
    let mut line_count = 0;
    let mut previous = (scan.pos, scan.line);
    let mut buffer = String::new();
    let mut seen_arrow = false;
    let mut cue: Option<VttCue> = None;
    loop {
        let line_no = scan.line;
        let line = scan.line();
        line_count += 1;
        let eof = scan.at_end();
        scan.newline();
        if line.contains("-->") {
            if !in_header && (line_count == 1 || (line_count == 2 && !seen_arrow)) {
                seen_arrow = true;
                previous = (scan.pos, scan.line);
                let read = match mode {
                    Timings::Spec => timings(line),
                    Timings::Lenient => super::srt::timing_of(line).ok(),
                };
                cue = match read {
                    Some((start_ms, end_ms)) => Some(VttCue {
                        id: std::mem::take(&mut buffer),
                        start_ms,
                        end_ms,
                        text: String::new(),
                    }),
                    None => {
                        found.skipped.push(CaptionsError::At {
                            format: FORMAT,
                            line: line_no,
                            message: format!(
                                "the cue timing {line:?} cannot be read (`00:00:01.000 --> 00:00:02.500`); the cue was skipped, as players skip it"
                            ),
                        });
                        None
                    }
                };
            } else {
                (scan.pos, scan.line) = previous; // this line starts the next block
                break;
            }
        } else if line.is_empty() {
            break;
        } else {
            if !buffer.is_empty() {
                buffer.push('\n');
            }
            buffer.push_str(line);
            previous = (scan.pos, scan.line);
        }
        if eof {
            break;
        }
    }
    if let Some(mut cue) = cue {
        cue.text = buffer;
        found.cues.push(cue);
    }
}

/// WebVTT's white space between the parts of a timing line.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{c}' | '\r')
}

/// "Collect WebVTT cue timings and settings": the start and end (the settings are not kept).
fn timings(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim_start_matches(is_space);
    let (start, rest) = timestamp(rest)?;
    let rest = rest.trim_start_matches(is_space).strip_prefix("-->")?;
    let (end, _settings) = timestamp(rest.trim_start_matches(is_space))?;
    Some((start, end))
}

/// "Collect a WebVTT timestamp": `[hh…:]mm:ss.ttt`, with the rest of the input.
fn timestamp(s: &str) -> Option<(u64, &str)> {
    let digits = |s: &str| -> (usize, Option<u64>) {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (n, s[..n].parse().ok())
    };
    let (n1, v1) = digits(s);
    let v1 = v1?; // also fails on no digits, or more than fit
    let hours_first = n1 != 2 || v1 > 59;
    let s = s[n1..].strip_prefix(':')?;
    let (n2, v2) = digits(s);
    if n2 != 2 {
        return None;
    }
    let mut s = &s[n2..];
    let (h, m, sec) = if hours_first || s.starts_with(':') {
        s = s.strip_prefix(':')?;
        let (n3, v3) = digits(s);
        if n3 != 2 {
            return None;
        }
        s = &s[n3..];
        (v1, v2?, v3?)
    } else {
        (0, v1, v2?)
    };
    let s = s.strip_prefix('.')?;
    let (n4, ms) = digits(s);
    if n4 != 3 || m > 59 || sec > 59 {
        return None;
    }
    let total = h.checked_mul(3_600_000)?.checked_add(m * 60_000 + sec * 1000 + ms?)?;
    Some((total, &s[n4..]))
}

/// A cue as shown, with its raw body (which may hold inline timestamps).
type CueWithBody = (Cue, String);

/// The cues for Cofee: each cue with its text as shown (markup gone, entities read) and its
/// raw body (which may hold inline timestamps), and what was skipped.
///
/// A file in which not one timing line is WebVTT's (`00:01:39 --> 00:01:41.04`, as some tools
/// write them) shows nothing in a browser but plays in media players: it is read as they read
/// it, and said so.
fn parse_blocks(input: &str) -> Result<(Vec<CueWithBody>, Vec<CaptionsError>), CaptionsError> {
    let (mut cues, mut skipped) = read(input)?;
    if cues.is_empty() && !skipped.is_empty() {
        let (lenient, still) = read_with(input, Timings::Lenient)?;
        if !lenient.is_empty() {
            cues = lenient;
            skipped = still;
            skipped.insert(0, CaptionsError::Whole {
                format: FORMAT,
                message: "no timing line is WebVTT's own (`00:00:01.000`); they were read as media players read them, where a browser would show no cue".into(),
            });
        }
    }
    if cues.is_empty() {
        return Err(CaptionsError::Whole { format: FORMAT, message: "no cues found".into() });
    }
    let cues = cues
        .into_iter()
        .map(|c| {
            let plain: String = segments(&c.text, c.start_ms).into_iter().map(|(_, t)| t).collect();
            (Cue { start_ms: c.start_ms, end_ms: c.end_ms, text: unescape(&plain) }, c.text)
        })
        .collect();
    Ok((cues, skipped))
}

pub fn parse(input: &str) -> Result<Vec<Cue>, CaptionsError> {
    Ok(parse_blocks(input)?.0.into_iter().map(|(c, _)| c).collect())
}

/// Words with times: inline timestamps anchor words exactly; words between anchors share the
/// span in proportion to their length.
pub fn parse_transcript(input: &str) -> Result<Transcript, CaptionsError> {
    parse_transcript_with_skipped(input).map(|(t, _)| t)
}

/// [`parse_transcript`], with the blocks skipped as players skip them.
pub fn parse_transcript_with_skipped(
    input: &str,
) -> Result<(Transcript, Vec<CaptionsError>), CaptionsError> {
    let (mut cues, skipped) = parse_blocks(input)?;
    super::one_at_a_time(&mut cues);
    let mut words: Vec<crate::Word> = Vec::new();
    // A cue that ends as it starts (or before) is never shown; each other cue starts a page.
    for (cue, raw) in cues.into_iter().filter(|(c, _)| c.end_ms > c.start_ms) {
        let first = words.len();
        let mut segs = segments(&raw, cue.start_ms);
        // Inline timestamps stay within their cue and in order, whatever the file says.
        let mut floor = cue.start_ms;
        for (start, _) in &mut segs {
            *start = (*start).clamp(floor, cue.end_ms);
            floor = *start;
        }
        for (k, (start, seg)) in segs.iter().enumerate() {
            let end = segs.get(k + 1).map_or(cue.end_ms, |s| s.0);
            // A space before an inline timestamp belongs to the words after it (a line break
            // is no space: the layout broke the line there).
            let spaced = k > 0 && segs[k - 1].1.ends_with([' ', '\t']);
            let seg = if spaced { format!(" {seg}") } else { seg.clone() };
            spread(&text::tokenize_spaced(&unescape(&seg)), *start, end, &mut words, first);
        }
        super::keep_as_page(&mut words[first..]);
    }
    Ok((Transcript::new(None, words).normalized(), skipped))
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
        assert_eq!(breaks, [Some(true), Some(false), Some(false)], "the cue is a page, whole");
    }

    /// An inline timestamp out of order or outside its cue does not move words out of it.
    #[test]
    fn inline_timestamps_stay_within_their_cue() {
        let input = "WEBVTT\n\n00:01.000 --> 00:02.000\nab <00:05.000>cd <00:00.500>ef\n\n00:03.000 --> 00:04.000\nnext\n";
        let t = parse_transcript(input).unwrap();
        let words: Vec<_> =
            t.words.iter().map(|w| (w.text.as_str(), w.start_ms, w.end_ms)).collect();
        assert_eq!(words.iter().map(|w| w.0).collect::<Vec<_>>(), ["ab", "cd", "ef", "next"]);
        assert!(
            words[..3].iter().all(|w| (1000..=2000).contains(&w.1) && w.2 <= 2000),
            "{words:?}"
        );
        assert_eq!(t.words.iter().filter(|w| w.page_break == Some(true)).count(), 2);
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
        assert!(e.to_string().contains("no cues found"), "{e}");
    }

    /// Browsers skip a cue whose timing they cannot read and keep the rest; a timing line right
    /// after a cue's text (yt-dlp writes them so) starts the next cue rather than being text.
    #[test]
    fn a_bad_cue_is_skipped_and_a_timing_line_always_starts_a_cue() {
        let input = "WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nLost\n\n00:00:02.000 --> 00:00:03.000\nKept\n00:00:03.000 --> 00:00:04.000\nNext\n";
        let (t, skipped) = parse_transcript_with_skipped(input).unwrap();
        let words: Vec<_> =
            t.words.iter().map(|w| (w.text.as_str(), w.start_ms, w.page_break)).collect();
        assert_eq!(words, [("Kept", 2000, Some(true)), ("Next", 3000, Some(true))]);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].to_string().contains("line 3"), "{}", skipped[0]);
    }
}
