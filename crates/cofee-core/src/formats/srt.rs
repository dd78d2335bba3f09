//! SubRip (`.srt`).

use std::fmt::Write as _;

use super::{CaptionsError, Cue, strip_tags};
use crate::time;

const FORMAT: &str = "SRT";

pub fn write(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, c) in cues.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            time::srt(c.start_ms),
            time::srt(c.end_ms),
            escape(&c.text)
        );
    }
    out
}

/// Text that reads back as itself: a `<` or `{\` that would open markup, and an `&` that would
/// start a character reference, are written as references; anything else stays as it is, for
/// players that read no references.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let rest = &text[i + c.len_utf8()..];
        match c {
            '<' if rest.starts_with(|n: char| n.is_ascii_alphabetic() || n == '/') => {
                out.push_str("&lt;")
            }
            '{' if rest.starts_with('\\') => out.push_str("&#123;"),
            '&' if starts_reference(&text[i..]) => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether `s` (starting with `&`) starts a character reference a reader would decode.
fn starts_reference(s: &str) -> bool {
    let end = s[1..].find('&').map_or(s.len(), |n| n + 1);
    let window = &s[..end.min(s.len())];
    htmlize::unescape(window) != window
}

/// Reads SRT as players do: leniently where files in the wild differ (BOM, CRLF, missing or
/// wrong numbers, `.` for `,`, markup, no blank line before the next cue) and a block whose
/// timing cannot be read is skipped, as players skip it; only a file with no readable cue at all
/// is refused (with the first problem found).
pub fn parse(input: &str) -> Result<Vec<Cue>, CaptionsError> {
    parse_with_skipped(input).map(|(cues, _)| cues)
}

/// [`parse`], with the problems of the blocks it skipped.
pub fn parse_with_skipped(input: &str) -> Result<(Vec<Cue>, Vec<CaptionsError>), CaptionsError> {
    let (cues, mut skipped) = read(input);
    if cues.is_empty() {
        return Err(if skipped.is_empty() {
            CaptionsError::Whole {
                format: FORMAT,
                message: "no cues found; is this an SRT file?".into(),
            }
        } else {
            skipped.swap_remove(0)
        });
    }
    Ok((cues, skipped))
}

/// The cues of `input`, and the problems of the blocks skipped (each naming its line).
pub fn read(input: &str) -> (Vec<Cue>, Vec<CaptionsError>) {
    let at = |line: usize, message: String| CaptionsError::At { format: FORMAT, line, message };
    let text = input.trim_start_matches('\u{feff}').replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut cues = Vec::new();
    let mut skipped = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let block_start = i;
        if !lines[i].contains("-->") {
            i += 1; // the cue number (its value is not trusted)
        }
        let Some(timing) = lines.get(i).filter(|l| l.contains("-->")) else {
            skipped.push(at(
                block_start + 1,
                format!(
                    "expected a timing line like `00:00:01,000 --> 00:00:02,500`, found {:?}",
                    lines.get(i).unwrap_or(&"")
                ),
            ));
            i = next_block(&lines, i);
            continue;
        };
        let times = timing_of(timing).map_err(|e| at(i + 1, e)).and_then(|(start, end)| {
            if end < start {
                let (s, e) = (time::srt(start), time::srt(end));
                Err(at(i + 1, format!("cue ends ({e}) before it starts ({s})")))
            } else {
                Ok((start, end))
            }
        });
        i += 1;
        let mut body = Vec::new();
        // The body ends at a blank line, or where the next cue begins without one.
        while i < lines.len() && !lines[i].trim().is_empty() && !starts_cue(&lines, i) {
            body.push(htmlize::unescape(strip_tags(lines[i])).trim().to_string());
            i += 1;
        }
        match times {
            Ok((start_ms, end_ms)) => cues.push(Cue { start_ms, end_ms, text: body.join("\n") }),
            Err(e) => skipped.push(e),
        }
    }
    (cues, skipped)
}

/// The start and end of a timing line (`00:00:01,000 --> 00:00:02,500 X1:…`), as media players
/// read it (WebVTT's too, where a file has no timing line of its own).
pub(crate) fn timing_of(line: &str) -> Result<(u64, u64), String> {
    let (start, end) = line.split_once("-->").ok_or("no `-->`")?;
    let end = end.split_whitespace().next().unwrap_or("");
    let parse = |s: &str| time::parse(s).map_err(|e| e.to_string());
    Ok((parse(start)?, parse(end)?))
}

/// Whether a cue begins at line `i`: a readable timing line, or a number right before one.
fn starts_cue(lines: &[&str], i: usize) -> bool {
    let timing = |l: &str| l.contains("-->") && timing_of(l).is_ok();
    timing(lines[i])
        || (lines[i].trim().chars().all(|c| c.is_ascii_digit())
            && lines.get(i + 1).is_some_and(|l| timing(l)))
}

/// The line after the block that holds line `i` (its blank line, or the next cue's start).
fn next_block(lines: &[&str], mut i: usize) -> usize {
    i += 1;
    while i < lines.len() && !lines[i].trim().is_empty() && !starts_cue(lines, i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes() {
        let cues = [Cue { start_ms: 0, end_ms: 1500, text: "Hello\nworld".into() }];
        assert_eq!(write(&cues), "1\n00:00:00,000 --> 00:00:01,500\nHello\nworld\n\n");
    }

    /// What a person typed comes back as typed: markup-like text and references are escaped
    /// where a reader would take them for markup, and only there.
    #[test]
    fn text_that_looks_like_markup_reads_back_as_written() {
        for text in [
            "2 < 3 and 5 > 4",
            "<b>not bold</b> </i>",
            "{\\an8} stays",
            "AT&T & Co",
            "&amp; is an entity, &copy too",
            "Tom & Jerry &#169;",
            "<3 <<",
        ] {
            let cues = [Cue { start_ms: 0, end_ms: 1000, text: text.into() }];
            let srt = write(&cues);
            assert_eq!(parse(&srt).unwrap()[0].text, text, "{srt}");
        }
        let plain = write(&[Cue { start_ms: 0, end_ms: 1, text: "2 < 3 & AT&T".into() }]);
        assert!(plain.contains("2 < 3 & AT&T"), "plain text stays plain: {plain}");
    }

    /// Files from the web carry HTML character references; players show the characters.
    #[test]
    fn character_references_are_read() {
        let cues = parse(
            "1\n00:00:01,000 --> 00:00:02,000\nCaf&eacute; &mdash; &#x263A; &hellip; &nbsp;ok\n",
        )
        .unwrap();
        assert_eq!(cues[0].text, "Café — ☺ … \u{a0}ok");
    }

    #[test]
    fn reads_files_from_the_wild() {
        let input = "\u{feff}1\r\n00:00:01,000 --> 00:00:02.5\r\n<i>Hi</i> there\r\n\r\n\r\n7\r\n00:00:03,000 --> 00:00:04,000 X1:0\r\nBye\r\n";
        let cues = parse(input).unwrap();
        assert_eq!(
            cues,
            [
                Cue { start_ms: 1000, end_ms: 2500, text: "Hi there".into() },
                Cue { start_ms: 3000, end_ms: 4000, text: "Bye".into() }
            ]
        );
    }

    #[test]
    fn errors_point_at_the_line() {
        let e = parse("1\n00:00:01,000 --> nonsense\nHi\n").unwrap_err();
        assert_eq!(
            e.to_string().split(':').take(2).collect::<Vec<_>>(),
            ["SRT captions, line 2", " invalid timestamp \"nonsense\""]
        );
        let e = parse("1\n00:00:02,000 --> 00:00:01,000\nHi\n").unwrap_err();
        assert!(e.to_string().contains("ends (00:00:01,000) before it starts"), "{e}");
        let e = parse("just some text\nmore text\n").unwrap_err();
        assert!(e.to_string().contains("line 1: expected a timing line"), "{e}");
        assert!(parse("\n\n").unwrap_err().to_string().contains("no cues"));
    }

    #[test]
    fn a_cue_without_a_blank_line_before_it_is_a_cue_and_a_bad_block_is_skipped() {
        let input = "1\n00:00:01,000 --> 00:00:02,000\nFirst\n2\n00:00:02,000 --> 00:00:03,000\nSecond\n\
                     00:00:03,000 --> 00:00:04,000\nThird\n\n4\n00:00:05,000 --> later\nBroken\n\n\
                     5\n00:00:06,000 --> 00:00:07,000\nLast -- and --> arrows stay text\n";
        let (cues, skipped) = read(input);
        let texts: Vec<&str> = cues.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["First", "Second", "Third", "Last -- and --> arrows stay text"]);
        assert_eq!(cues[2].start_ms, 3000);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].to_string().contains("line 11"), "{}", skipped[0]);
    }
}
