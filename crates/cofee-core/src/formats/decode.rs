//! Caption files as bytes → text. Files from the wild are often not UTF-8: Windows code pages
//! (1250 for Central European, 1251 for Cyrillic, 1252 for Western languages), GB2312/GBK for
//! Chinese, and UTF-16 or UTF-32 with a byte-order mark from Windows tools. A byte-order mark
//! says the encoding outright; UTF-8 is taken as it is; anything else is guessed by chardetng
//! (the detector Firefox uses for pages that do not declare one) and decoded by encoding_rs.
//! Decoding never fails: a byte that means nothing in the encoding becomes U+FFFD, and the
//! reader says what is wrong with the text.
//!
//! Detection needs text to go on: a short file, or one that lists letters rather than
//! sentences, fits several code pages equally well (Windows-1252's `Àà Áá` are Windows-1251's
//! `Аа Бб`), and no detector tells them apart — players ask for the encoding for that reason.
//! So a reader may name it (a [`Hint`]), as players' "subtitle encoding" setting does, and the
//! language the captions are in tips the detector toward that language's code pages.

pub use encoding_rs::Encoding;

/// Text decoded from a file, and the encoding it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The WHATWG name of the encoding (`UTF-8`, `windows-1250`, `GBK`, …; `UTF-32LE/BE`).
    pub encoding: &'static str,
    /// Whether it was guessed (no byte-order mark, not UTF-8).
    pub guessed: bool,
}

/// What a reader knows of a file beyond its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hint<'a> {
    /// The encoding the user named. A byte-order mark still wins over it, as in browsers: a
    /// mark is the file's own word.
    pub encoding: Option<&'static Encoding>,
    /// The language the captions are likely in (ISO 639-1 or a BCP 47 tag: the project's).
    pub language: Option<&'a str>,
}

/// The names of the encodings a file can be read in: the WHATWG Encoding Standard's, all of them
/// but `replacement` (which reads nothing). [`encoding_for_label`] takes these and their aliases.
pub const NAMES: &[&str] = &[
    "UTF-8",
    "IBM866",
    "ISO-8859-2",
    "ISO-8859-3",
    "ISO-8859-4",
    "ISO-8859-5",
    "ISO-8859-6",
    "ISO-8859-7",
    "ISO-8859-8",
    "ISO-8859-8-I",
    "ISO-8859-10",
    "ISO-8859-13",
    "ISO-8859-14",
    "ISO-8859-15",
    "ISO-8859-16",
    "KOI8-R",
    "KOI8-U",
    "macintosh",
    "windows-874",
    "windows-1250",
    "windows-1251",
    "windows-1252",
    "windows-1253",
    "windows-1254",
    "windows-1255",
    "windows-1256",
    "windows-1257",
    "windows-1258",
    "x-mac-cyrillic",
    "GBK",
    "gb18030",
    "Big5",
    "EUC-JP",
    "ISO-2022-JP",
    "Shift_JIS",
    "EUC-KR",
    "UTF-16BE",
    "UTF-16LE",
    "x-user-defined",
];

/// The encoding a name of [`NAMES`] names, in any case; none for anything else (aliases too).
pub fn encoding_named(name: &str) -> Option<&'static Encoding> {
    encoding_for_label(name).filter(|e| e.name().eq_ignore_ascii_case(name.trim()))
}

/// The encoding a label names: the WHATWG labels browsers know (`windows-1252`, `latin1`,
/// `cp1251`, `gb2312`, `big5`, `shift_jis`, `utf-16le`, …); none for a label that names no
/// encoding a file could be read in.
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label_no_replacement(label.trim().as_bytes())
}

/// Reads `bytes` as text in the encoding its byte-order mark names, as UTF-8 if it is valid
/// UTF-8, or else in the encoding detected from its bytes.
pub fn decode(bytes: &[u8]) -> Decoded {
    decode_with(bytes, Hint::default())
}

/// [`decode`], with what the reader knows: the encoding it names is taken unless a byte-order
/// mark names one; the language it names guides detection.
pub fn decode_with(bytes: &[u8], hint: Hint<'_>) -> Decoded {
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
    if let Some(encoding) = hint.encoding {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return Decoded { text: text.into_owned(), encoding: encoding.name(), guessed: false };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded { text: text.to_string(), encoding: "UTF-8", guessed: false };
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let encoding = detector.guess(hint.language.and_then(region_of).map(str::as_bytes), true);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Decoded { text: text.into_owned(), encoding: encoding.name(), guessed: true }
}

/// The top-level domain chardetng takes as its hint (it was made for web pages) whose pages use
/// the code pages `language` was written in, before Unicode; none for languages of Western
/// Europe's code page, chardetng's default. Subtitle files were mostly written on Windows, so
/// Central European languages get `cz`, which chardetng expects in Windows-1250 (`pl`'s pages
/// were more often ISO-8859-2).
fn region_of(language: &str) -> Option<&'static str> {
    let tag = language.to_ascii_lowercase();
    let mut subtags = tag.split(['-', '_']);
    let primary = subtags.next()?;
    let traditional = subtags.any(|s| matches!(s, "tw" | "hk" | "mo" | "hant"));
    Some(match primary {
        "cs" | "sk" | "pl" | "hu" | "sl" | "hr" | "ro" | "bs" => "cz",
        "ru" | "uk" | "be" | "bg" | "sr" | "mk" | "kk" => "ru",
        "el" => "gr",
        "tr" | "az" => "tr",
        "he" | "iw" | "yi" => "il",
        "ar" | "fa" | "ur" => "sa",
        "lt" | "lv" => "lt",
        "vi" => "vn",
        "th" => "th",
        "zh" if traditional => "tw",
        "zh" => "cn",
        "ja" => "jp",
        "ko" => "kr",
        _ => return None,
    })
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
    fn a_named_encoding_is_taken_unless_a_byte_order_mark_names_another() {
        // A list of letters fits Windows-1251 as well as Windows-1252 (`Àà Áá` = `Аа Бб`):
        // only the user can tell.
        let text = format!("{SRT}Àà Áá Ââ Ææ Çç Èè Ïï Ðð Ññ Õõ Øø Ýý Þþ £ €\r\n");
        let bytes = legacy("windows-1252", &text);
        let named = Hint { encoding: encoding_for_label("cp1252"), language: None };
        let d = decode_with(&bytes, named);
        assert_eq!(
            (d.text.as_str(), d.encoding, d.guessed),
            (text.as_str(), "windows-1252", false)
        );
        let mut marked = vec![0xEF, 0xBB, 0xBF];
        marked.extend(text.as_bytes());
        assert_eq!(decode_with(&marked, named).text, text, "the mark's UTF-8 wins");
    }

    #[test]
    fn labels_browsers_know_name_encodings() {
        for (label, name) in [
            ("cp1251", "windows-1251"),
            (" Windows-1250 ", "windows-1250"),
            ("latin1", "windows-1252"),
            ("gb2312", "GBK"),
            ("big5", "Big5"),
            ("sjis", "Shift_JIS"),
            ("utf-16", "UTF-16LE"),
        ] {
            assert_eq!(encoding_for_label(label).map(Encoding::name), Some(name), "{label}");
        }
        for label in ["klingon", "", "iso-2022-kr", "utf-32"] {
            assert!(encoding_for_label(label).is_none(), "{label:?} names no encoding to read");
        }
    }

    #[test]
    fn every_name_names_its_encoding_and_only_names_do() {
        for name in NAMES {
            assert_eq!(encoding_named(&name.to_ascii_lowercase()).map(Encoding::name), Some(*name));
        }
        assert!(encoding_named("cp1252").is_none() && encoding_named("replacement").is_none());
    }

    #[test]
    fn languages_map_to_their_code_pages_region() {
        let region = |l| region_of(l);
        assert_eq!(region("pl"), Some("cz"));
        assert_eq!(region("uk"), Some("ru"), "Ukrainian, not the United Kingdom");
        assert_eq!(region("zh-Hant-TW"), Some("tw"));
        assert_eq!(region("zh_CN"), Some("cn"));
        assert_eq!(region("TH"), Some("th"));
        assert_eq!((region("en"), region("fr-CA"), region("")), (None, None, None));
    }

    #[test]
    fn a_broken_file_decodes_with_replacement_characters() {
        let d = decode(&[0xFF, 0xFE, 0, 0, b'a', 0, 0, 0, b'b']);
        assert_eq!(d.text, "a\u{FFFD}");
    }
}
