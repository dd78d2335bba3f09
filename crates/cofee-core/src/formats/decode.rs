//! Caption files as bytes → text. Files from the wild are often not UTF-8: Windows code pages
//! (1250 for Central European, 1251 for Cyrillic, 1252 for Western languages), GB2312/GBK for
//! Chinese, and UTF-16 or UTF-32 with a byte-order mark from Windows tools. A byte-order mark
//! says the encoding outright; UTF-8 is taken as it is; anything else is guessed by chardetng
//! (the detector Firefox uses for pages that do not declare one) and decoded by encoding_rs.
//! Decoding never fails: a byte that means nothing in the encoding becomes U+FFFD, and the
//! reader says what is wrong with the text.

use encoding_rs::Encoding;

/// Text decoded from a file, and the encoding it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The WHATWG name of the encoding (`UTF-8`, `windows-1250`, `GBK`, …; `UTF-32LE/BE`).
    pub encoding: &'static str,
    /// Whether it was guessed (no byte-order mark, not UTF-8).
    pub guessed: bool,
}

/// Reads `bytes` as text in the encoding its byte-order mark names, as UTF-8 if it is valid
/// UTF-8, or else in the encoding detected from its bytes.
pub fn decode(bytes: &[u8]) -> Decoded {
    // UTF-32's marks first: UTF-32LE's begins with UTF-16LE's.
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE, 0, 0]) {
        return utf32(rest, u32::from_le_bytes, "UTF-32LE");
    }
    if let Some(rest) = bytes.strip_prefix(&[0, 0, 0xFE, 0xFF]) {
        return utf32(rest, u32::from_be_bytes, "UTF-32BE");
    }
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return Decoded { text: text.into_owned(), encoding: encoding.name(), guessed: false };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded { text: text.to_string(), encoding: "UTF-8", guessed: false };
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let encoding = detector.guess(None, true);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Decoded { text: text.into_owned(), encoding: encoding.name(), guessed: true }
}

/// UTF-32 (which encoding_rs leaves out: the web never uses it), U+FFFD for what is not a
/// character or a whole code unit.
fn utf32(bytes: &[u8], unit: fn([u8; 4]) -> u32, encoding: &'static str) -> Decoded {
    let mut chunks = bytes.chunks_exact(4);
    let mut text: String = chunks
        .by_ref()
        .map(|c| char::from_u32(unit([c[0], c[1], c[2], c[3]])).unwrap_or('\u{FFFD}'))
        .collect();
    if !chunks.remainder().is_empty() {
        text.push('\u{FFFD}');
    }
    Decoded { text, encoding, guessed: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRT: &str = "1\r\n00:00:01,000 --> 00:00:03,500\r\n";

    fn legacy(name: &str, text: &str) -> Vec<u8> {
        let encoding = Encoding::for_label(name.as_bytes()).unwrap();
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "{name} cannot hold {text:?}");
        bytes.into_owned()
    }

    #[test]
    fn windows_code_pages_and_gbk_are_detected() {
        let samples = [
            (
                "windows-1250",
                "Příliš žluťoučký kůň úpěl ďábelské ódy. Dobrý den, jak se máte? Řekněte mi, prosím, kde je nádraží.",
            ),
            (
                "windows-1251",
                "Съешь же ещё этих мягких французских булок, да выпей чаю. Здравствуйте, как ваши дела?",
            ),
            (
                "windows-1252",
                "Voilà, le café est déjà prêt. Où est la bibliothèque ? Ça coûte très cher, n'est-ce pas ? Señor, ¿qué tal?",
            ),
            (
                "GBK",
                "今天天气很好，我们去公园散步吧。你好，欢迎使用字幕编辑器，这是一个中文字幕文件。",
            ),
        ];
        for (name, text) in samples {
            let file = format!("{SRT}{text}\r\n");
            let d = decode(&legacy(name, &file));
            assert_eq!((d.encoding, d.guessed), (name, true), "{name}");
            assert_eq!(d.text, file, "{name}");
        }
    }

    #[test]
    fn byte_order_marks_name_the_encoding() {
        let text = format!("{SRT}Grüße, 世界 😀\r\n");
        let utf16 = |be: bool| -> Vec<u8> {
            let mut out = if be { vec![0xFE, 0xFF] } else { vec![0xFF, 0xFE] };
            for u in text.encode_utf16() {
                out.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            out
        };
        let utf32 = |be: bool| -> Vec<u8> {
            let mut out = if be { vec![0, 0, 0xFE, 0xFF] } else { vec![0xFF, 0xFE, 0, 0] };
            for c in text.chars() {
                out.extend(if be { (c as u32).to_be_bytes() } else { (c as u32).to_le_bytes() });
            }
            out
        };
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend(text.as_bytes());
        for (bytes, name) in [
            (utf8, "UTF-8"),
            (utf16(false), "UTF-16LE"),
            (utf16(true), "UTF-16BE"),
            (utf32(false), "UTF-32LE"),
            (utf32(true), "UTF-32BE"),
        ] {
            let d = decode(&bytes);
            assert_eq!((d.encoding, d.guessed, d.text.as_str()), (name, false, text.as_str()));
        }
        let plain = decode(text.as_bytes());
        assert_eq!((plain.encoding, plain.guessed), ("UTF-8", false));
    }

    #[test]
    fn a_broken_file_decodes_with_replacement_characters() {
        let d = decode(&[0xFF, 0xFE, 0, 0, b'a', 0, 0, 0, b'b']);
        assert_eq!(d.text, "a\u{FFFD}");
    }
}
