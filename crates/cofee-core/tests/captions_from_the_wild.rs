//! Caption files from a public project (`tests/captions-from-the-wild/`, see its README), read
//! as a user's import reads them — bytes decoded in their encoding, the format sniffed — and
//! compared cue by cue (start, end, text) with another implementation's reading, and with the
//! words Cofee makes of them: each cue a page of its own, starting and ending at its cue's times.

use cofee_core::formats::decode::{Hint, decode, decode_with, encoding_for_label};
use cofee_core::formats::{self, CaptionFormat, Cue, srt, vtt};

fn file(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/captions-from-the-wild/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
}

/// The cues of a file, as the import reads them.
fn cues(name: &str) -> (Vec<Cue>, &'static str) {
    cues_with(name, Hint::default())
}

/// The cues of a file, as the import reads them with what the user said of it.
fn cues_with(name: &str, hint: Hint<'_>) -> (Vec<Cue>, &'static str) {
    let decoded = decode_with(&file(name), hint);
    let cues = match formats::sniff(&decoded.text) {
        CaptionFormat::Vtt => vtt::parse(&decoded.text),
        CaptionFormat::Srt => srt::parse(&decoded.text),
        other => panic!("{name}: sniffed as {other:?}"),
    };
    (cues.unwrap_or_else(|e| panic!("{name}: {e}")), decoded.encoding)
}

fn cue(start_ms: u64, end_ms: u64, text: &str) -> Cue {
    Cue { start_ms, end_ms, text: text.into() }
}

/// Each cue is a page: its first word starts it at the cue's start, its last word ends at the
/// cue's end, and no page holds words of two cues.
fn pages_keep_the_cues(name: &str, want: &[Cue]) {
    pages_keep_the_cues_with(name, want, Hint::default());
}

fn pages_keep_the_cues_with(name: &str, want: &[Cue], hint: Hint<'_>) {
    let decoded = decode_with(&file(name), hint);
    let format = formats::sniff(&decoded.text);
    let t = formats::parse(format, &decoded.text).unwrap();
    let starts: Vec<usize> =
        (0..t.words.len()).filter(|&i| t.words[i].page_break == Some(true)).collect();
    assert_eq!(starts.len(), want.len(), "{name}: one page per cue");
    for (k, &first) in starts.iter().enumerate() {
        let last = starts.get(k + 1).map_or(t.words.len(), |&n| n) - 1;
        assert_eq!(
            (t.words[first].start_ms, t.words[last].end_ms),
            (want[k].start_ms, want[k].end_ms),
            "{name}: page {k} has its cue's times"
        );
    }
}

#[test]
fn files_with_every_quirk_read_like_another_implementation_reads_them() {
    let (want, _) = cues("example-out.srt");
    assert_eq!(want.len(), 6);
    assert_eq!(want[0], cue(99_000, 101_040, "(deep rumbling)"));
    assert_eq!(want[1].text, "MAN:\nHow did we end up here?");
    for (name, encoding) in [
        ("example-in.srt", "UTF-8"),
        ("missing-sequence-in.srt", "UTF-8"),
        ("example-in-non-utf8.srt", "UTF-16LE"),
        ("example-in.vtt", "UTF-8"),
        ("example-in-non-utf8.vtt", "UTF-16LE"),
        ("example-out.vtt", "UTF-8"),
    ] {
        let (got, read_as) = cues(name);
        assert_eq!(read_as, encoding, "{name}");
        assert_eq!(got, want, "{name}");
        pages_keep_the_cues(name, &want);
    }
}

#[test]
fn old_mac_line_endings_references_and_markup() {
    for name in ["example-in-carriage-return.srt", "example-in-carriage-return.vtt"] {
        let (got, _) = cues(name);
        assert_eq!(
            got,
            [
                cue(
                    0,
                    3766,
                    "Did one of the last stories strike you as\nmore interesting than the other?"
                ),
                cue(
                    3767,
                    10_732,
                    "That's true. You don\u{2019}t often find 632\npieces of gum stuck on a sidewalk"
                ),
                cue(10_733, 14_066, "at a busy bus stop or anywhere\nelse for that matter."),
            ],
            "{name}"
        );
        pages_keep_the_cues(name, &got);
    }
    for name in ["example-in-html-entities.srt", "example-in-html-entities.vtt"] {
        let (got, _) = cues(name);
        // White space at the end of a line is not shown: compared without it.
        let texts: Vec<String> = got
            .iter()
            .map(|c| c.text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n"))
            .collect();
        assert_eq!(
            texts,
            [
                "The man in black fled across the desert,\n& the gunslinger followed.",
                "Go,\u{a0}then,",
                "there are other < worlds than these.",
            ],
            "{name}"
        );
    }
    let (got, _) = cues("example-in-styled.srt");
    let texts: Vec<&str> = got.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts.len(), 10);
    assert_eq!(texts[0], "[instrumental music]", "font and bold markup gone");
    assert_eq!(texts[5], "[automated]\n'The time is 7:35.'");
    assert_eq!(texts[7], "Unterminated styles");
    assert_eq!(texts[9], "x^3 * x = 100", "markup inside a line");
}

/// Imported cues are written back with their own times: the SRT and WebVTT exports of what was
/// read have the file's cues, start and end, and their words in order.
#[test]
fn imported_cues_are_written_back_with_their_times() {
    for name in [
        "example-in.srt",
        "example-in-non-utf8.vtt",
        "example-in-styled.srt",
        "example-in-carriage-return.srt",
    ] {
        let (want, _) = cues(name);
        let decoded = decode(&file(name));
        let t = formats::parse(formats::sniff(&decoded.text), &decoded.text).unwrap();
        for (format, written) in
            [("srt", srt::write(&formats::cues(&t))), ("vtt", vtt::write_transcript(&t))]
        {
            let back =
                if format == "srt" { srt::parse(&written) } else { vtt::parse(&written) }.unwrap();
            let times = |c: &[Cue]| c.iter().map(|c| (c.start_ms, c.end_ms)).collect::<Vec<_>>();
            assert_eq!(times(&back), times(&want), "{name} as {format}:\n{written}");
            let words = |c: &[Cue]| {
                c.iter()
                    .flat_map(|c| c.text.split_whitespace().map(String::from).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            };
            assert_eq!(words(&back), words(&want), "{name} as {format}");
        }
    }
}

/// JuvoPlayer's files (see the README): each with the encoding it was saved in (JuvoPlayer's
/// name for it), a line JuvoPlayer's own test expects in it, and the language a project of
/// such captions would have, if it hints at the encoding.
const JUVOPLAYER: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "windows-1250",
        "windows-1250",
        "[Central Europe] 2.5: Ąą Ćć Ęę Łł Ńń Óó Śś Źź Żż",
        Some("pl"),
    ),
    ("windows-1251", "windows-1251", "[Cyrylic] 5.0: Жж Зз Кк Лл Ыы Чч Щщ Ъъ Ыы Юю Яя", Some("ru")),
    (
        "windows-1252",
        "windows-1252",
        "[Western Europe] 4.5: Àà Áá Ââ Ææ Çç Èè Ïï Ðð Ññ Õõ Øø Ýý Þþ £ €",
        Some("fr"),
    ),
    (
        "windows-1253",
        "windows-1253",
        "[Greek] 3.5: Άά Αα Ββ Γγ Δδ Εε Ζζ Ηη Θθ Ιι Κκ Λλ Ξξ Ψψ Ωω ώ",
        Some("el"),
    ),
    ("windows-1254", "windows-1254", "[Turkish] 3.5: Çç Ğğ Öö Üü Şş ¡ ¿ § µ ¾", Some("tr")),
    (
        "windows-1255",
        "windows-1255",
        "[Herbrew] 3.0: ₪ װױ  אבג דהוז חטיכ ל ר ¡ ¿ § µ ¾ ¥",
        Some("he"),
    ),
    ("windows-1256", "windows-1256", "[Arabic] 3.0: علاء ديه القط، والقط هو علاء", Some("ar")),
    (
        "windows-1257",
        "windows-1257",
        "[Baltic] 1.5: Ąą Įį Āā Ćć Čč Ģģ Ķķ Ļļ Ńń Ņņ Õõ Ųų Øø Ææ µ ß",
        Some("lt"),
    ),
    (
        "windows-1258",
        "windows-1258",
        "[Vietnamese] 0.5: Àà Áá Ââ Ææ Çç Đđ Èè Ïï Ăă Ññ Ơơ Øø Ưư ₫ £ €",
        Some("vi"),
    ),
    // JuvoPlayer's test has no Thai line: this one is glibc iconv's reading (CP874).
    (
        "windows-874",
        "windows-874",
        "[Thai] 3.0: กข ฃค ฅฆ งจ ฉช ซฌ ฑฒ ดต าโ ใไ ๅๆ ๏ ๚ ๛",
        Some("th"),
    ),
    ("big5", "big5", "[Chinese Traditional] 3.0: 她有一隻貓。貓有皮毛", Some("zh-TW")),
    ("cp-949", "euc-kr", "[Korean] 3.5: 그녀는 고양이가. 고양이 모피를 가지고", Some("ko")),
    ("gb2312", "gb2312", "[Chinese Simplified] 4.5: 她有一只猫.猫的皮毛有", Some("zh")),
    ("utf8", "utf-8", "[UTF-8] 3.0: 고양이. Чч Щщ Ъъ. Óó Śś Źź. Ýý Ţţ Ł €. 猫.", None),
];

fn juvoplayer(name: &str) -> String {
    format!("juvoplayer/media_player_subs_{name}.srt")
}

/// Read in the encoding they were saved in, as a player set to it reads them: nine cues, each
/// labelled with its own start time, the lines JuvoPlayer's test expects, each cue a page.
#[test]
fn files_in_fourteen_encodings_read_right_in_the_encoding_named() {
    for &(name, label, line, _) in JUVOPLAYER {
        let file = juvoplayer(name);
        let hint = Hint { encoding: encoding_for_label(label), language: None };
        assert!(hint.encoding.is_some(), "{label}");
        let (got, _) = cues_with(&file, hint);
        let starts: Vec<u64> = got.iter().map(|c| c.start_ms).collect();
        assert_eq!(starts, [500, 1000, 1500, 2500, 3000, 3500, 4000, 4500, 5000], "{file}");
        for c in &got {
            // "[Label] 2.5: text": the file says when each cue starts.
            let said = c.text.split_once("] ").and_then(|(_, t)| t.split_once(':')).unwrap().0;
            assert_eq!(said.parse::<f64>().unwrap(), c.start_ms as f64 / 1000.0, "{file}");
            assert!(!c.text.contains('\u{FFFD}'), "{file}: {:?}", c.text);
        }
        assert!(got.iter().any(|c| c.text.starts_with(line)), "{file}: {line:?} in {got:?}");
        pages_keep_the_cues_with(&file, &got, hint);
    }
    let long = "juvoplayer/media_player_subs_windows-1250-long.srt";
    let hint = Hint { encoding: encoding_for_label("windows-1250"), language: None };
    let (got, _) = cues_with(long, hint);
    assert_eq!((got.len(), got[20].start_ms, got[20].end_ms), (21, 45_000, 50_000));
    assert_eq!(got[20].text.lines().count(), 2, "a cue of two lines");
}

/// Without being told: detection reads the files whose bytes say their encoding — Central
/// European, Cyrillic, Hebrew, Arabic, Thai (with the project's language), the CJK encodings,
/// UTF-8. The others list letters rather than sentences, which fit another code page as well
/// (Windows-1252's `Àà Áá` is Windows-1251's `Аа Бб`): those are what the encoding setting is for.
#[test]
fn detection_reads_the_files_whose_bytes_say_their_encoding() {
    let detected = [
        ("windows-1250", "windows-1250"),
        ("windows-1251", "windows-1251"),
        ("windows-1255", "windows-1255"),
        ("windows-1256", "windows-1256"),
        ("windows-874", "windows-874"),
        ("big5", "Big5"),
        ("cp-949", "EUC-KR"),
        ("gb2312", "GBK"),
        ("utf8", "UTF-8"),
    ];
    for (name, encoding) in detected {
        let &(_, label, line, language) = JUVOPLAYER.iter().find(|j| j.0 == name).unwrap();
        let file = juvoplayer(name);
        let (got, read_as) = cues_with(&file, Hint { encoding: None, language });
        assert_eq!(read_as, encoding, "{file}");
        let named = Hint { encoding: encoding_for_label(label), language: None };
        assert_eq!(got, cues_with(&file, named).0, "{file}: as if named");
        assert!(got.iter().any(|c| c.text.starts_with(line)), "{file}");
    }
    let long = "juvoplayer/media_player_subs_windows-1250-long.srt";
    assert_eq!(cues(long).1, "windows-1250");
}
