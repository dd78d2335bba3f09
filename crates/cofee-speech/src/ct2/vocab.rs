//! A CTranslate2 Whisper vocabulary (`vocabulary.json`, or `vocabulary.txt` from conversions
//! before mid-2023) and the bytes of its text tokens: GPT-2's byte-level strings (`Ġ` for a
//! space) turned back into the bytes they stand for, which is what a ggml model stores.

use std::path::Path;

use super::ImportError;

/// The tokens, by id, from the model directory (the JSON file first, as CTranslate2 looks).
pub fn read(dir: &Path) -> Result<Vec<String>, ImportError> {
    let json = dir.join("vocabulary.json");
    if json.exists() {
        let text = std::fs::read_to_string(&json).map_err(ImportError::io(&json))?;
        return serde_json::from_str(&text)
            .map_err(|e| ImportError::Vocabulary(format!("{}: {e}", json.display())));
    }
    let txt = dir.join("vocabulary.txt");
    let text = std::fs::read_to_string(&txt).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ImportError::Vocabulary(format!(
                "{} has neither vocabulary.json nor vocabulary.txt",
                dir.display()
            ))
        } else {
            ImportError::io(&txt)(e)
        }
    })?;
    // One token a line; an empty line is a token (Whisper's multilingual id 50256), the final
    // line break ends the last one. Windows line breaks only when every line has one.
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let crlf = !lines.is_empty() && lines.iter().all(|l| l.ends_with('\r'));
    Ok(lines
        .into_iter()
        .map(|l| if crlf { l.strip_suffix('\r').unwrap_or(l) } else { l }.to_string())
        .collect())
}

/// The id of `<|endoftext|>`: the text tokens are the ids before it.
pub fn end_of_text(n_vocab: usize) -> usize {
    if n_vocab >= 51_865 { 50_257 } else { 50_256 }
}

/// The bytes of each text token (the ids before `<|endoftext|>`), checking that the vocabulary
/// is the model's: as many tokens as the embedding has rows, `<|endoftext|>` where it belongs.
pub fn text_token_bytes(tokens: &[String], n_vocab: usize) -> Result<Vec<Vec<u8>>, ImportError> {
    if tokens.len() != n_vocab {
        return Err(ImportError::Vocabulary(format!(
            "{} tokens for a model of {n_vocab} (a vocabulary from another model?)",
            tokens.len()
        )));
    }
    let eot = end_of_text(n_vocab);
    if tokens.get(eot).map(String::as_str) != Some("<|endoftext|>") {
        return Err(ImportError::Vocabulary(format!(
            "token {eot} is {:?}, not <|endoftext|>: not a Whisper vocabulary",
            tokens.get(eot)
        )));
    }
    let decoder = byte_decoder();
    tokens[..eot]
        .iter()
        .enumerate()
        .map(|(id, t)| {
            t.chars().map(|c| decoder.get(&c).copied()).collect::<Option<Vec<u8>>>().ok_or_else(
                || ImportError::Vocabulary(format!("token {id} ({t:?}) is not byte-level")),
            )
        })
        .collect()
}

/// GPT-2's `bytes_to_unicode`, inverted: printable bytes stand for themselves, the others for
/// the code points from U+0100 on, in byte order.
fn byte_decoder() -> std::collections::HashMap<char, u8> {
    let printable = |b: u8| matches!(b, 0x21..=0x7e | 0xa1..=0xac | 0xae..=0xff);
    let mut map = std::collections::HashMap::new();
    let mut n = 0u32;
    for b in 0..=255u8 {
        let c = if printable(b) {
            char::from(b)
        } else {
            n += 1;
            char::from_u32(255 + n).expect("U+0100 to U+0143")
        };
        map.insert(c, b);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_tokens_become_their_bytes() {
        let d = byte_decoder();
        assert_eq!(d[&'Ġ'], b' ');
        assert_eq!(d[&'Ċ'], b'\n');
        assert_eq!(d[&'a'], b'a');
        assert_eq!(d.len(), 256);
        let mut tokens: Vec<String> = vec!["ĠHello".into(), "Ã©".into(), String::new()];
        tokens.resize(50_256, "x".into());
        tokens.push("<|endoftext|>".into());
        tokens.resize(51_864, "<|special|>".into());
        let bytes = text_token_bytes(&tokens, 51_864).unwrap();
        assert_eq!(bytes.len(), 50_256, "the text tokens of an English-only model");
        assert_eq!(bytes[0], b" Hello");
        assert_eq!(bytes[1], "é".as_bytes());
        assert!(bytes[2].is_empty());
        let e = text_token_bytes(&tokens[..51_000], 51_864).unwrap_err();
        assert!(e.to_string().contains("51000 tokens for a model of 51864"), "{e}");
    }
}
