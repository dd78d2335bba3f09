//! Property tests of the core's invariants.

use cofee_core::formats::{self, Cue, srt, vtt};
use cofee_core::layout::{CaptionLayout, LayoutRules};
use cofee_core::{AssDocument, Transcript, VideoSize, Word, style, text};
use proptest::prelude::*;

/// Words of mixed scripts and lengths, with punctuation, in time order with random gaps.
fn transcript() -> impl Strategy<Value = Transcript> {
    let token = prop_oneof![
        // A word with a letter in it ("'tis", "don't"): a word of closing punctuation alone
        // after CJK text is spaced by the script rule one way as a word and the other once a
        // caption file glues it to the character before (a cue cannot say which it was).
        "'?[a-zA-Z][a-zA-Z']{0,11}[.,!?]?",
        "[0-9]{1,4}",
        "[\u{4e00}-\u{4e80}]",
        "[\u{05d0}-\u{05ea}]{2,6}",
        "[a-z]{20,40}", // longer than some lines
    ];
    prop::collection::vec((token, 0u64..900, 1u64..800), 0..60).prop_map(|spec| {
        let mut t = 0;
        let words = spec
            .into_iter()
            .map(|(text, gap, dur)| {
                let start = t + gap;
                t = start + dur;
                Word::new(text, start, start + dur)
            })
            .collect();
        Transcript::new(None, words)
    })
}

fn rules() -> impl Strategy<Value = LayoutRules> {
    (
        4usize..60,
        1usize..4,
        prop::option::of(1usize..6),
        prop::option::of(1usize..12),
        0u64..1500,
        300u64..2000,
        any::<bool>(),
    )
        .prop_map(|(chars, lines, wpl, wpp, min_page, pause, punct)| LayoutRules {
            max_chars_per_line: chars,
            max_lines: lines,
            max_words_per_line: wpl,
            max_words_per_page: wpp,
            min_page_ms: min_page,
            pause_ms: pause,
            break_at_punctuation: punct,
            ..LayoutRules::default()
        })
}

proptest! {
    #[test]
    fn layout_keeps_every_word_once_in_order(t in transcript(), r in rules()) {
        let l = CaptionLayout::build(&t.words, &r);
        let flat: Vec<usize> = l.pages.iter().flat_map(|p| p.lines.iter().flat_map(|line| line.words.clone())).collect();
        prop_assert_eq!(flat, (0..t.words.len()).collect::<Vec<_>>());
    }

    #[test]
    fn layout_respects_limits(t in transcript(), r in rules()) {
        let l = CaptionLayout::build(&t.words, &r);
        for p in &l.pages {
            prop_assert!(!p.lines.is_empty() && p.lines.len() <= r.max_lines);
            if let Some(m) = r.max_words_per_page { prop_assert!(p.words().len() <= m); }
            for line in &p.lines {
                prop_assert!(!line.words.is_empty());
                if let Some(m) = r.max_words_per_line { prop_assert!(line.words.len() <= m); }
                let w = text::width(&CaptionLayout::line_text(&t.words, line));
                prop_assert!(w <= r.max_chars_per_line || line.words.len() == 1, "line {:?} is {} wide", CaptionLayout::line_text(&t.words, line), w);
            }
        }
    }

    #[test]
    fn layout_times_are_monotonic_and_cover_their_words(t in transcript(), r in rules()) {
        let l = CaptionLayout::build(&t.words, &r);
        for (i, p) in l.pages.iter().enumerate() {
            prop_assert!(p.start_ms <= p.end_ms);
            prop_assert_eq!(p.start_ms, t.words[p.words().start].start_ms);
            if let Some(next) = l.pages.get(i + 1) {
                prop_assert!(p.end_ms <= next.start_ms);
            } else {
                prop_assert!(p.end_ms >= t.words[p.words().end - 1].end_ms);
            }
        }
    }

    #[test]
    fn srt_print_parse_round_trip(cues in prop::collection::vec(("[^\\s<{\\p{C}][^\\n\\r<{\\p{C}]{0,30}", "[^\\s<{\\p{C}][^\\n\\r<{\\p{C}]{0,30}", 0u64..10_000_000, 0u64..100_000), 1..20)) {
        let cues: Vec<Cue> = cues.into_iter().map(|(a, b, s, d)| Cue { start_ms: s, end_ms: s + d, text: format!("{}\n{}", a.trim(), b.trim()) }).collect();
        prop_assert_eq!(srt::parse(&srt::write(&cues)).unwrap(), cues);
    }

    #[test]
    fn vtt_round_trip_keeps_words_and_times(t in transcript()) {
        let t = t.normalized();
        prop_assume!(!t.words.is_empty(), "an empty WebVTT file is rejected as having no cues");
        let back = vtt::parse_transcript(&vtt::write_transcript(&t)).unwrap();
        let words = |t: &Transcript| t.words.iter().map(|w| (w.text.clone(), w.start_ms)).collect::<Vec<_>>();
        // Tokens in spaceless scripts may be re-split into characters; compare the joined text.
        prop_assert_eq!(back.text(), t.text());
        if t.words.iter().all(|w| !w.text.chars().any(text::is_spaceless)) {
            prop_assert_eq!(words(&back), words(&t));
        }
    }

    #[test]
    fn exports_agree_on_text(t in transcript()) {
        let t = t.normalized();
        let from_srt = formats::words_from_cues(&srt::parse(&srt::write(&formats::cues(&t))).unwrap_or_default());
        prop_assert_eq!(from_srt.text(), t.text());
    }

    #[test]
    fn ass_has_one_event_per_page_or_word(t in transcript(), name in prop::sample::select(style::PRESET_NAMES)) {
        let s = style::preset(name).unwrap();
        let doc = AssDocument::build(&t, &s, VideoSize { width: 1080, height: 1920 });
        let out = doc.to_ass();
        prop_assert_eq!(out.lines().filter(|l| l.starts_with("Dialogue:")).count(), doc.events.len());
        for e in &doc.events { prop_assert!(e.start_ms <= e.end_ms); }
    }
}

/// A transcript and an edit of it: some words replaced, removed or added.
fn edited() -> impl Strategy<Value = (Transcript, Vec<String>, Vec<usize>)> {
    (transcript(), prop::collection::vec((0u8..6, "[a-z]{1,8}"), 0..80)).prop_map(|(t, edits)| {
        // Distinct words (an index in each; edits have none), so the right alignment is unique.
        let mut t = t.normalized();
        for (i, w) in t.words.iter_mut().enumerate() {
            w.text = format!("{}{i}", w.text);
        }
        let mut new: Vec<String> = Vec::new();
        let mut untouched = Vec::new(); // indices into `new` of words copied unchanged
        let mut e = edits.into_iter();
        for w in &t.words {
            match e.next() {
                Some((0, x)) => new.push(x), // replaced
                Some((1, _)) => {}           // deleted
                Some((2, x)) => {
                    untouched.push(new.len());
                    new.push(w.text.clone());
                    new.push(x); // inserted after
                }
                _ => {
                    untouched.push(new.len());
                    new.push(w.text.clone());
                }
            }
        }
        (t, new, untouched)
    })
}

proptest! {
    #[test]
    fn retiming_an_unchanged_text_changes_nothing(t in transcript()) {
        let t = t.normalized();
        let texts: Vec<String> = t.words.iter().map(|w| w.text.clone()).collect();
        prop_assert_eq!(cofee_core::align::retime(&t.words, &texts).unwrap(), t.words);
    }

    #[test]
    fn retimed_words_are_in_order_with_the_new_text((t, new, _) in edited()) {
        let out = cofee_core::align::retime(&t.words, &new).unwrap();
        prop_assert_eq!(out.iter().map(|w| w.text.clone()).collect::<Vec<_>>(), new);
        let out_t = Transcript::new(None, out);
        prop_assert!(out_t.validate().is_ok(), "{:?}", out_t.validate());
    }
}

proptest! {
    #[test]
    fn words_left_alone_keep_times_of_a_matching_old_word((t, new, untouched) in edited()) {
        let out = cofee_core::align::retime(&t.words, &new).unwrap();
        for k in untouched {
            let w = &out[k];
            let matches = t.words.iter().any(|o| o.text == w.text && o.start_ms == w.start_ms && o.end_ms == w.end_ms);
            prop_assert!(matches, "{:?} lost its time", w);
        }
    }
}
