//! Cofee's word-level JSON: `{"language": "en", "words": [{"text", "start", "end", "confidence",
//! "emphasis"?, "page_break"?, "color"?}]}`, times in seconds.

use super::CaptionsError;
use crate::transcript::Transcript;

pub fn write(transcript: &Transcript) -> String {
    let mut s = serde_json::to_string_pretty(transcript).expect("transcripts serialize");
    s.push('\n');
    s
}

pub fn parse(input: &str) -> Result<Transcript, CaptionsError> {
    let t: Transcript =
        serde_json::from_str(input.trim_start_matches('\u{feff}')).map_err(|e| {
            CaptionsError::At { format: "JSON", line: e.line(), message: e.to_string() }
        })?;
    let t = t.normalized();
    t.validate().map_err(|e| CaptionsError::Whole { format: "JSON", message: e.to_string() })?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_line() {
        let e = parse("{\n\"words\": [\n{\"text\": \"a\", \"start\": \"x\", \"end\": 1}]}")
            .unwrap_err();
        assert!(matches!(e, CaptionsError::At { line: 3, .. }), "{e}");
    }
}
