//! Script-aware text rules: which scripts are written without spaces, how wide a word is on a
//! caption line, how tokens are joined back, where sentences end.
//!
//! Written by hand because the need is narrow (a few Unicode blocks and punctuation classes);
//! a full line-breaking crate would not know about timed tokens.

use unicode_segmentation::UnicodeSegmentation;

/// Scripts written without spaces between words, broken by character (Han, Kana, CJK marks).
pub fn is_spaceless(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF     // CJK radicals, Kangxi
        | 0x3000..=0x303F   // CJK symbols and punctuation
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3100..=0x312F   // Bopomofo
        | 0x31F0..=0x31FF   // Katakana extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF00..=0xFF60   // fullwidth forms
        | 0xFF61..=0xFF9F   // halfwidth Katakana
        | 0x20000..=0x3134F // CJK extensions B..G
    )
}

/// Punctuation that belongs to the token before it (never starts a line).
fn is_closing_punct(g: &str) -> bool {
    matches!(
        g,
        "。" | "、"
            | "，"
            | "．"
            | "！"
            | "？"
            | "："
            | "；"
            | "」"
            | "』"
            | "）"
            | "〕"
            | "】"
            | "》"
            | "〉"
            | "…"
            | "ー"
            | ","
            | "."
            | "!"
            | "?"
            | ":"
            | ";"
            | ")"
            | "]"
            | "%"
            | "\""
            | "'"
            | "”"
            | "’"
            | "،"
            | "؛"
            | "؟"
    )
}

/// Columns a grapheme takes on a caption line: spaceless scripts are full width (2), others 1.
fn grapheme_width(g: &str) -> usize {
    if g.chars().next().is_some_and(is_spaceless) { 2 } else { 1 }
}

/// Display width of a token in Latin-character columns.
pub fn width(token: &str) -> usize {
    token.graphemes(true).map(grapheme_width).sum()
}

/// Whether joining `prev` and `next` needs a space between them.
pub fn needs_space(prev: &str, next: &str) -> bool {
    // Look through closing punctuation: "好。" ends in a spaceless script as much as "好" does.
    let mut tail = prev.chars().rev().skip_while(|c| is_closing_punct(c.encode_utf8(&mut [0; 4])));
    let (Some(a), Some(b)) =
        (tail.next().or_else(|| prev.chars().next_back()), next.chars().next())
    else {
        return false;
    };
    !(is_spaceless(a) || is_spaceless(b))
}

/// Joins tokens into display text: spaces between words, none inside spaceless scripts.
pub fn join<'a>(tokens: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for t in tokens {
        if !out.is_empty() && needs_space(&out, t) {
            out.push(' ');
        }
        out.push_str(t);
    }
    out
}

/// Width of tokens joined as [`join`] would join them.
pub fn joined_width<'a>(tokens: impl IntoIterator<Item = &'a str>) -> usize {
    let mut total = 0;
    let mut prev: Option<&str> = None;
    for t in tokens {
        if let Some(p) = prev
            && needs_space(p, t)
        {
            total += 1;
        }
        total += width(t);
        prev = Some(t);
    }
    total
}

/// Splits free text into word tokens: on whitespace, and within spaceless scripts into single
/// characters (closing punctuation stays with the character before it). Latin runs inside CJK
/// text ("用iPhone拍") stay whole.
pub fn tokenize(text: &str) -> Vec<String> {
    tokenize_spaced(text).into_iter().map(|(t, _)| t).collect()
}

/// [`tokenize`], with how each token was set off from the one before in `text`: `Some(true)`
/// by spaces or tabs, `Some(false)` by nothing (glued: "用iPhone"), `None` by a line break only
/// or at the start (where the script rule decides). [`needs_space`] alone cannot tell "用 Rust"
/// from "用iPhone".
pub fn tokenize_spaced(text: &str) -> Vec<(String, Option<bool>)> {
    let mut out: Vec<(String, Option<bool>)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let gap = rest.len() - rest.trim_start().len();
        let (before, after) = rest.split_at(gap);
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let (chunk, tail) = after.split_at(end);
        rest = tail;
        if chunk.is_empty() {
            break;
        }
        let lead = if before.contains(['\n', '\r']) {
            None
        } else if !before.is_empty() {
            Some(true)
        } else if out.is_empty() {
            None // the start of the text: what came before it is not known here
        } else {
            Some(false)
        };
        let mut first = Some(lead);
        let mut push = |out: &mut Vec<(String, Option<bool>)>, t: String| {
            out.push((t, first.take().unwrap_or(Some(false))));
        };
        if !chunk.chars().any(is_spaceless) {
            push(&mut out, chunk.to_string());
            continue;
        }
        let chunk_start = out.len();
        let mut run = String::new(); // a pending non-spaceless run
        for g in chunk.graphemes(true) {
            let spaceless = g.chars().next().is_some_and(is_spaceless);
            // Closing punctuation joins the token before it, but never across whitespace.
            if is_closing_punct(g) && (!run.is_empty() || out.len() > chunk_start) {
                if run.is_empty() {
                    out.last_mut().expect("checked").0.push_str(g)
                } else {
                    run.push_str(g)
                }
            } else if spaceless {
                if !run.is_empty() {
                    push(&mut out, std::mem::take(&mut run));
                }
                push(&mut out, g.to_string());
            } else {
                run.push_str(g);
            }
        }
        if !run.is_empty() {
            push(&mut out, run);
        }
    }
    out
}

/// Whether a token ends a sentence.
pub fn ends_sentence(token: &str) -> bool {
    let t = token.trim_end_matches(['"', '\'', '”', '’', ')', '」', '』']);
    t.ends_with(['.', '!', '?', '…', '。', '！', '？', '؟'])
}

/// Whether a token ends a clause (a softer break point than a sentence).
pub fn ends_clause(token: &str) -> bool {
    token.ends_with([',', ';', ':', '、', '，', '；', '：', '،', '؛', '—'])
}

/// Whether a token is (or carries) a number: "42", "$3.50", "2026", "10%".
pub fn is_numeric(token: &str) -> bool {
    token.chars().any(|c| c.is_ascii_digit())
}

/// Normal form of a word for comparisons: lowercase, letters, digits and inner apostrophes only.
pub fn normalize_word(token: &str) -> String {
    let lower = token.to_lowercase();
    let kept: String =
        lower.chars().filter(|c| c.is_alphanumeric() || *c == '\'' || *c == '’').collect();
    kept.trim_matches(['\'', '’']).to_string()
}

/// Uppercases in a way that is safe for all scripts (no-op for scripts without case).
pub fn upper(token: &str) -> String {
    token.to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_latin_on_whitespace() {
        assert_eq!(tokenize("  Hello,  world!\nok "), ["Hello,", "world!", "ok"]);
    }

    #[test]
    fn tokenizes_cjk_by_character_with_punctuation_attached() {
        assert_eq!(tokenize("今天很好。我们走"), ["今", "天", "很", "好。", "我", "们", "走"]);
        assert_eq!(tokenize("用iPhone拍"), ["用", "iPhone", "拍"]);
        assert_eq!(tokenize("こんにちは、世界"), ["こ", "ん", "に", "ち", "は、", "世", "界"]);
    }

    #[test]
    fn joins_without_spaces_inside_cjk() {
        let t = tokenize("今天 很好 hello world");
        assert_eq!(join(t.iter().map(String::as_str)), "今天很好hello world");
        assert_eq!(joined_width(t.iter().map(String::as_str)), 8 + 5 + 1 + 5);
    }

    #[test]
    fn rtl_text_is_kept_in_logical_order() {
        let t = tokenize("שלום עולם");
        assert_eq!(t, ["שלום", "עולם"]);
        assert_eq!(join(t.iter().map(String::as_str)), "שלום עולם");
        assert_eq!(width("مرحبا"), 5);
    }

    #[test]
    fn sentence_and_clause_ends() {
        assert!(ends_sentence("done."));
        assert!(ends_sentence("really?\""));
        assert!(ends_sentence("好。"));
        assert!(!ends_sentence("Mr"));
        assert!(ends_clause("well,"));
        assert!(!ends_clause("well"));
    }

    #[test]
    fn normalizes_words() {
        assert_eq!(normalize_word("Don't!"), "don't");
        assert_eq!(normalize_word("\"Hello,\""), "hello");
        assert!(is_numeric("$3.50"));
        assert!(!is_numeric("three"));
    }
}
