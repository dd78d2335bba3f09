//! The emoji Cofee draws on caption pages, as ASS vector drawings.
//!
//! libass — the renderer of both the burn-in and the browser preview — draws no colour fonts, so
//! an emoji typed into a caption would come out as a monochrome outline or a missing glyph. An
//! emoji here is instead a stack of ASS `\p1` drawings, each filled with one colour
//! ([`twemoji.txt`](twemoji.txt), made from Twemoji's SVGs by `tools/emoji-drawings`), which both
//! renderers draw identically. A person puts one on a word ([`crate::Word::emoji`]); the page
//! shows it above its text from that word on ([`crate::ass`]).

use std::sync::OnceLock;

use crate::style::Color;

/// Drawings are written in a box of this many units a side (Twemoji's 36 in tenths).
pub const DRAWING_BOX: u32 = 360;

/// One emoji: what it is called, the words it suits and how to draw it.
#[derive(Debug, PartialEq)]
pub struct Emoji {
    /// The emoji itself, as text (`🔥`).
    pub emoji: &'static str,
    /// Its name (`fire`).
    pub name: &'static str,
    /// Words of a transcript it suits (`fire hot lit flame`), lowercase.
    pub keywords: Vec<&'static str>,
    /// Filled shapes, bottom first.
    pub layers: Vec<Layer>,
}

/// One filled shape of an emoji.
#[derive(Debug, PartialEq)]
pub struct Layer {
    pub color: Color,
    /// ASS drawing commands (`m`, `l`, `b`) in a [`DRAWING_BOX`]-unit box.
    pub drawing: &'static str,
}

const DRAWINGS: &str = include_str!("twemoji.txt");

/// Every emoji Cofee draws, in the order a picker shows them.
pub fn all() -> &'static [Emoji] {
    static ALL: OnceLock<Vec<Emoji>> = OnceLock::new();
    ALL.get_or_init(|| parse(DRAWINGS))
}

/// The emoji `text` is, if Cofee draws it: exactly as [`all`] writes it (with U+FE0F where
/// Unicode's fully-qualified form has one, `❤️`), as the API's schema lists them.
pub fn find(text: &str) -> Option<&'static Emoji> {
    all().iter().find(|e| e.emoji == text)
}

/// The emoji suited to a spoken word (`money` → 💰), by its keywords; `None` for most words.
pub fn suggest(word: &str) -> Option<&'static Emoji> {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    if word.is_empty() {
        return None;
    }
    all().iter().find(|e| e.keywords.iter().any(|k| *k == word))
}

/// Reads the drawings file; a malformed line is a bug in the committed file, which the tests
/// catch.
fn parse(text: &'static str) -> Vec<Emoji> {
    let mut out: Vec<Emoji> = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some(layer) = line.strip_prefix('\t') {
            let (color, drawing) = layer.split_once('\t').expect("a layer is COLOUR<TAB>DRAWING");
            let color = format!("#{color}").parse().expect("a layer's colour");
            out.last_mut()
                .expect("a layer follows its emoji")
                .layers
                .push(Layer { color, drawing });
        } else {
            let mut fields = line.split('\t');
            let (Some(emoji), Some(name), Some(keywords)) =
                (fields.next(), fields.next(), fields.next())
            else {
                panic!("an emoji is EMOJI<TAB>NAME<TAB>KEYWORDS: {line:?}");
            };
            let keywords = keywords.split_whitespace().collect();
            out.push(Emoji { emoji, name, keywords, layers: Vec::new() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_emoji_has_layers_drawn_inside_its_box() {
        assert!(all().len() >= 140, "{}", all().len());
        for e in all() {
            assert!(!e.layers.is_empty(), "{}", e.name);
            assert!(!e.keywords.is_empty(), "{}", e.name);
            for layer in &e.layers {
                let mut numbers = 0;
                for token in layer.drawing.split_whitespace() {
                    match token {
                        "m" | "l" | "b" => {}
                        n => {
                            let v: i32 = n.parse().unwrap_or_else(|_| panic!("{}: {n}", e.name));
                            assert!(
                                (-40..=400).contains(&v),
                                "{} is drawn inside its box: {v}",
                                e.name
                            );
                            numbers += 1;
                        }
                    }
                }
                assert!(numbers >= 6 && numbers % 2 == 0, "{}: points come in pairs", e.name);
                assert!(layer.drawing.starts_with("m "), "{}", e.name);
            }
        }
        let emoji: std::collections::HashSet<_> = all().iter().map(|e| e.emoji).collect();
        assert_eq!(emoji.len(), all().len(), "each emoji once");
    }

    #[test]
    fn emoji_are_found_in_their_fully_qualified_form() {
        assert_eq!(find("🔥").map(|e| e.name), Some("fire"));
        assert_eq!(find("❤️").map(|e| e.name), Some("red heart"));
        assert_eq!(find("❤"), None, "U+2764 alone is the text-style heart");
        assert_eq!(find("fire"), None);
        assert_eq!(find("🔥🔥"), None, "one emoji");
    }

    #[test]
    fn spoken_words_suggest_the_emoji_they_suit() {
        assert_eq!(suggest("Money,").map(|e| e.emoji), Some("💰"));
        assert_eq!(suggest("fire!").map(|e| e.emoji), Some("🔥"));
        assert_eq!(suggest("the"), None);
        assert_eq!(suggest("…"), None);
    }
}
