//! Caption files from a public project (`tests/captions-from-the-wild/`, see its README), read
//! as a user's import reads them — bytes decoded in their encoding, the format sniffed — and
//! compared cue by cue (start, end, text) with another implementation's reading, and with the
//! words Cofee makes of them: each cue a page of its own, starting and ending at its cue's times.

use cofee_core::formats::{self, CaptionFormat, Cue, decode::decode, srt, vtt};

fn file(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/captions-from-the-wild/{name}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
}

/// The cues of a file, as the import reads them.
fn cues(name: &str) -> (Vec<Cue>, &'static str) {
    let decoded = decode(&file(name));
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
    let decoded = decode(&file(name));
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
