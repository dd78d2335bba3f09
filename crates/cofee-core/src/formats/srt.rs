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
            c.text
        );
    }
    out
}

/// Reads SRT leniently where files in the wild differ (BOM, CRLF, missing or wrong numbers,
/// `.` for `,`, markup) and strictly where the meaning would be lost (bad times, no timing line).
pub fn parse(input: &str) -> Result<Vec<Cue>, CaptionsError> {
    let at = |line: usize, message: String| CaptionsError::At { format: FORMAT, line, message };
    let text = input.trim_start_matches('\u{feff}').replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let mut cues = Vec::new();
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
        let timing = lines.get(i).filter(|l| l.contains("-->")).ok_or_else(|| {
            at(
                block_start + 1,
                format!(
                    "expected a timing line like `00:00:01,000 --> 00:00:02,500`, found {:?}",
                    lines.get(i).unwrap_or(&"")
                ),
            )
        })?;
        let (start, end) = timing.split_once("-->").expect("checked");
        let end = end.split_whitespace().next().unwrap_or("");
        let parse_time = |s: &str| time::parse(s).map_err(|e| at(i + 1, e.to_string()));
        let (start_ms, end_ms) = (parse_time(start)?, parse_time(end)?);
        if end_ms < start_ms {
            return Err(at(
                i + 1,
                format!(
                    "cue ends ({}) before it starts ({})",
                    time::srt(end_ms),
                    time::srt(start_ms)
                ),
            ));
        }
        i += 1;
        let mut body = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() {
            body.push(strip_tags(lines[i]).trim().to_string());
            i += 1;
        }
        cues.push(Cue { start_ms, end_ms, text: body.join("\n") });
    }
    if cues.is_empty() {
        return Err(CaptionsError::Whole {
            format: FORMAT,
            message: "no cues found; is this an SRT file?".into(),
        });
    }
    Ok(cues)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes() {
        let cues = [Cue { start_ms: 0, end_ms: 1500, text: "Hello\nworld".into() }];
        assert_eq!(write(&cues), "1\n00:00:00,000 --> 00:00:01,500\nHello\nworld\n\n");
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
}
