//! The transcript: what was said, word by word, with times.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::time;

/// One spoken word (or, in scripts without spaces, one character) with its time span.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Recogniser confidence in `0..=1`; `1.0` for words a person typed.
    pub confidence: f32,
    /// `Some(true)`/`Some(false)` when a person marked the word; `None` leaves it to the style's
    /// automatic rules (numbers, keywords).
    pub emphasis: Option<bool>,
    /// A person's page break: `Some(true)` starts a new caption page at this word, `Some(false)`
    /// keeps it on the page of the word before (a merge); `None` leaves it to the layout.
    pub page_break: Option<bool>,
    /// A person's colour for this word (shown in it, except while it is the spoken word of a
    /// style that highlights it); `None` leaves it to the style.
    pub color: Option<crate::style::Color>,
    /// Whether a space comes before this word where the script rule alone would say otherwise
    /// (a caption file's "用 Rust 写": CJK and Latin text with a space between); `None` leaves it
    /// to [`crate::text::needs_space`].
    pub space_before: Option<bool>,
    /// An emoji a person put on this word, one of [`crate::emoji::all`] as it writes it: drawn
    /// above the page from the moment the word is spoken.
    pub emoji: Option<String>,
}

impl Word {
    pub fn new(text: impl Into<String>, start_ms: u64, end_ms: u64) -> Self {
        Self {
            text: text.into(),
            start_ms,
            end_ms,
            confidence: 1.0,
            emphasis: None,
            page_break: None,
            color: None,
            space_before: None,
            emoji: None,
        }
    }

    pub fn duration_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }

    /// Whether a space separates this word from `prev` in display text.
    pub fn spaced_from(&self, prev: &Word) -> bool {
        self.space_before.unwrap_or_else(|| crate::text::needs_space(&prev.text, &self.text))
    }

    /// Words joined as display text.
    pub fn join(words: &[Word]) -> String {
        let mut out = String::new();
        for (i, w) in words.iter().enumerate() {
            if i > 0 && w.spaced_from(&words[i - 1]) {
                out.push(' ');
            }
            out.push_str(&w.text);
        }
        out
    }
}

/// Words in time order plus what is known about the recording.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transcript {
    /// BCP-47-ish language code as the engine reported it (`en`, `zh`, …), if known.
    pub language: Option<String>,
    pub words: Vec<Word>,
}

#[derive(Debug, Error, PartialEq)]
pub enum TranscriptError {
    #[error("word {index} ({text:?}) ends at {end_ms} ms, before it starts at {start_ms} ms")]
    EndsBeforeStart { index: usize, text: String, start_ms: u64, end_ms: u64 },
    #[error(
        "word {index} ({text:?}) starts at {start_ms} ms, before the word before it ({previous_ms} ms); words must be in time order"
    )]
    OutOfOrder { index: usize, text: String, start_ms: u64, previous_ms: u64 },
    #[error("word {index} is empty; remove it or give it text")]
    Empty { index: usize },
    #[error("word {index} ({text:?}) has confidence {confidence}, which is not within 0..=1")]
    Confidence { index: usize, text: String, confidence: f32 },
    #[error("word {index} ({text:?}) contains a line break; split it into separate words")]
    LineBreak { index: usize, text: String },
    #[error("{count} words; a transcript holds at most {max}")]
    TooManyWords { count: usize, max: usize },
    #[error("word {index} has {chars} characters; a word has at most {max}")]
    WordTooLong { index: usize, chars: usize, max: usize },
    #[error(
        "word {index} ({text:?}) has the emoji {emoji:?}, which is not one Cofee draws (GET /api/emoji lists them)"
    )]
    UnknownEmoji { index: usize, text: String, emoji: String },
}

impl Transcript {
    pub fn new(language: Option<String>, words: Vec<Word>) -> Self {
        Self { language, words }
    }

    /// Checks the invariants every consumer relies on: non-empty single-line words, `start <= end`,
    /// starts in non-decreasing order, confidence within `0..=1`, and the sizes of
    /// [`crate::limits`].
    pub fn validate(&self) -> Result<(), TranscriptError> {
        use crate::limits::{MAX_WORD_CHARS, MAX_WORDS};
        if self.words.len() > MAX_WORDS {
            return Err(TranscriptError::TooManyWords { count: self.words.len(), max: MAX_WORDS });
        }
        let mut previous = 0;
        for (index, w) in self.words.iter().enumerate() {
            let text = || w.text.clone();
            if w.text.trim().is_empty() {
                return Err(TranscriptError::Empty { index });
            }
            let chars = w.text.chars().count();
            if chars > MAX_WORD_CHARS {
                return Err(TranscriptError::WordTooLong { index, chars, max: MAX_WORD_CHARS });
            }
            if w.text.contains(['\n', '\r']) {
                return Err(TranscriptError::LineBreak { index, text: text() });
            }
            if w.end_ms < w.start_ms {
                return Err(TranscriptError::EndsBeforeStart {
                    index,
                    text: text(),
                    start_ms: w.start_ms,
                    end_ms: w.end_ms,
                });
            }
            if w.start_ms < previous {
                return Err(TranscriptError::OutOfOrder {
                    index,
                    text: text(),
                    start_ms: w.start_ms,
                    previous_ms: previous,
                });
            }
            if !(0.0..=1.0).contains(&w.confidence) {
                return Err(TranscriptError::Confidence {
                    index,
                    text: text(),
                    confidence: w.confidence,
                });
            }
            if let Some(emoji) = &w.emoji
                && crate::emoji::find(emoji).is_none()
            {
                return Err(TranscriptError::UnknownEmoji {
                    index,
                    text: text(),
                    emoji: emoji.clone(),
                });
            }
            previous = w.start_ms;
        }
        Ok(())
    }

    /// Repairs what engines commonly get slightly wrong: trims text, drops empty words, sorts by
    /// start (stable), clamps `end >= start` and confidence into `0..=1`, and removes overlaps
    /// so a word never ends after the next one starts.
    pub fn normalized(mut self) -> Self {
        for w in &mut self.words {
            w.text = w.text.split_whitespace().collect::<Vec<_>>().join(" ");
            w.end_ms = w.end_ms.max(w.start_ms);
            w.confidence = if w.confidence.is_nan() { 0.0 } else { w.confidence.clamp(0.0, 1.0) };
        }
        self.words.retain(|w| !w.text.is_empty());
        self.words.sort_by_key(|w| w.start_ms);
        for i in 1..self.words.len() {
            let next_start = self.words[i].start_ms;
            let prev = &mut self.words[i - 1];
            prev.end_ms = prev.end_ms.min(next_start).max(prev.start_ms);
        }
        self
    }

    /// Shifts every word by `offset_ms` (used when stitching transcribed windows).
    pub fn offset(mut self, offset_ms: u64) -> Self {
        for w in &mut self.words {
            w.start_ms += offset_ms;
            w.end_ms += offset_ms;
        }
        self
    }

    /// End of the last word, or 0.
    pub fn end_ms(&self) -> u64 {
        self.words.iter().map(|w| w.end_ms).max().unwrap_or(0)
    }

    /// The words joined as display text.
    pub fn text(&self) -> String {
        Word::join(&self.words)
    }
}

// --- JSON wire format: times in seconds (as people and other tools expect), ms precision. ---

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireWord {
    text: String,
    start: f64,
    end: f64,
    #[serde(default = "one")]
    confidence: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    emphasis: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page_break: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    color: Option<crate::style::Color>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    space_before: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    emoji: Option<String>,
}

fn one() -> f32 {
    1.0
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireTranscript {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    words: Vec<WireWord>,
}

impl Serialize for Transcript {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let secs = |ms: u64| ms as f64 / 1000.0;
        WireTranscript {
            language: self.language.clone(),
            words: self
                .words
                .iter()
                .map(|w| WireWord {
                    text: w.text.clone(),
                    start: secs(w.start_ms),
                    end: secs(w.end_ms),
                    confidence: (w.confidence * 1000.0).round() / 1000.0,
                    emphasis: w.emphasis,
                    page_break: w.page_break,
                    color: w.color,
                    space_before: w.space_before,
                    emoji: w.emoji.clone(),
                })
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Transcript {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let wire = WireTranscript::deserialize(d)?;
        let words = wire
            .words
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                let bad = |field: &str, v: f64| {
                    D::Error::custom(format!(
                        "word {i} ({:?}): {field} = {v} is not a time in seconds",
                        w.text
                    ))
                };
                Ok(Word {
                    start_ms: time::from_secs(w.start).ok_or_else(|| bad("start", w.start))?,
                    end_ms: time::from_secs(w.end).ok_or_else(|| bad("end", w.end))?,
                    text: w.text,
                    confidence: w.confidence,
                    emphasis: w.emphasis,
                    page_break: w.page_break,
                    color: w.color,
                    space_before: w.space_before,
                    emoji: w.emoji,
                })
            })
            .collect::<Result<_, D::Error>>()?;
        Ok(Transcript { language: wire.language, words })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_in_seconds() {
        let t = Transcript::new(
            Some("en".into()),
            vec![Word { emphasis: Some(true), confidence: 0.5, ..Word::new("Hi", 120, 480) }],
        );
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(
            json,
            r#"{"language":"en","words":[{"text":"Hi","start":0.12,"end":0.48,"confidence":0.5,"emphasis":true}]}"#
        );
        assert_eq!(serde_json::from_str::<Transcript>(&json).unwrap(), t);
    }

    #[test]
    fn json_rejects_negative_times_and_unknown_fields() {
        let e =
            serde_json::from_str::<Transcript>(r#"{"words":[{"text":"a","start":-1,"end":1}]}"#)
                .unwrap_err();
        assert!(e.to_string().contains("start = -1"), "{e}");
        assert!(serde_json::from_str::<Transcript>(r#"{"words":[],"wat":1}"#).is_err());
    }

    #[test]
    fn a_words_emoji_is_one_cofee_draws() {
        let mut t = Transcript::new(None, vec![Word::new("lit", 0, 500)]);
        t.words[0].emoji = Some("🔥".into());
        t.validate().unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains(r#""emoji":"🔥""#), "{json}");
        assert_eq!(serde_json::from_str::<Transcript>(&json).unwrap(), t);
        t.words[0].emoji = Some("fire".into());
        let e = t.validate().unwrap_err();
        assert!(matches!(e, TranscriptError::UnknownEmoji { index: 0, .. }), "{e}");
        assert!(e.to_string().contains("GET /api/emoji"), "{e}");
    }

    #[test]
    fn validate_names_the_bad_word() {
        let t = Transcript::new(None, vec![Word::new("a", 500, 600), Word::new("b", 100, 200)]);
        assert!(matches!(t.validate(), Err(TranscriptError::OutOfOrder { index: 1, .. })));
        let t = Transcript::new(None, vec![Word::new("a", 500, 400)]);
        assert!(matches!(t.validate(), Err(TranscriptError::EndsBeforeStart { index: 0, .. })));
    }

    #[test]
    fn normalized_repairs_engine_output() {
        let t = Transcript::new(
            None,
            vec![
                Word::new(" b ", 300, 900),
                Word::new("", 0, 1),
                Word::new("a", 100, 50),
                Word::new("c", 600, 700),
            ],
        )
        .normalized();
        assert_eq!(t.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!((t.words[0].start_ms, t.words[0].end_ms), (100, 100));
        assert_eq!(t.words[1].end_ms, 600, "overlap with the next word removed");
        t.validate().unwrap();
    }

    #[test]
    fn words_and_transcripts_are_bounded() {
        let long = "a".repeat(crate::limits::MAX_WORD_CHARS + 1);
        let t = Transcript::new(None, vec![Word::new(long, 0, 100)]);
        assert!(matches!(
            t.validate(),
            Err(TranscriptError::WordTooLong { index: 0, chars: 101, max: 100 })
        ));
        let many = (0..=crate::limits::MAX_WORDS as u64).map(|i| Word::new("a", i, i)).collect();
        let e = Transcript::new(None, many).validate().unwrap_err();
        assert!(e.to_string().contains("at most 50000"), "{e}");
    }
}
