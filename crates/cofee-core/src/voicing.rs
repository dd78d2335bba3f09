//! Where the voice is, and word edges kept out of the pauses between.
//!
//! Speech engines place word edges from what the model attends to (Whisper's cross-attention,
//! 20 ms a step) or from evenly spread token times, and both put the first word after a pause
//! inside the pause and stretch the last word before it over the silence. The audio itself says
//! where the pauses are: this module finds the quiet stretches of a recording from its loudness
//! in 10 ms frames, relative to the recording's own speech level and noise floor (so a noisy room
//! and a studio both work), and moves a word's start that lies in one to the voice's onset
//! after it, and a word's end that lies in one to where the voice stopped before it.
//!
//! Pure: samples in, times out. The engines call it per window of audio.

use crate::transcript::Word;

/// Loudness is measured over frames this long.
pub const FRAME_MS: u64 = 10;
/// A quiet stretch shorter than this is a consonant's closure or a breath between syllables,
/// not a pause between words: left alone.
pub const MIN_PAUSE_MS: u64 = 150;
/// Frames are quiet below this fraction of the way from the recording's noise floor (its quietest
/// frames with any sound, the 5th percentile) to its speech level (its loud frames, the 95th),
/// in dB, and never closer than [`FLOOR_MARGIN_DB`] to the floor; and, where the floor is far
/// below the room noise (a gap of near-silence an editor inserted), anything more than
/// [`BELOW_SPEECH_DB`] under the speech is quiet too. Measured against PocketSphinx's alignment of
/// LibriVox recordings (room noise −45 to −50 dBFS, speech −18), this finds the pauses it finds to
/// within 20–40 ms at both ends.
const QUIET_FRACTION: f64 = 0.3;
const FLOOR_MARGIN_DB: f64 = 6.0;
const BELOW_SPEECH_DB: f64 = 22.0;
/// Frames quieter than this (digital silence) count at this level.
const SILENT_DB: f64 = -100.0;
/// The shortest a word is taken to be when deciding which side of a pause it is on.
pub const MIN_WORD_MS: u64 = 60;
/// An edge moved to the voice lands this much outside the loud frames: the onset of a sound rises
/// through the threshold a little after it is heard to begin, and its decay a little before.
const EDGE_MARGIN_MS: u64 = 20;

/// A stretch of a recording with no voice in it, in milliseconds from the recording's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub start_ms: u64,
    pub end_ms: u64,
}

/// Levels are smoothed by the median of this many frames: a click, a bump or the flicker of
/// room noise (±5 dB frame to frame) neither ends a pause nor makes one.
const MEDIAN_FRAMES: usize = 7;

/// The pauses of at least [`MIN_PAUSE_MS`] in 16-bit samples at `sample_rate`.
pub fn pauses(samples: &[i16], sample_rate: u32) -> Vec<Pause> {
    let Some(end) = duration_ms(samples.len(), sample_rate) else { return Vec::new() };
    let frame = (sample_rate as u64 * FRAME_MS / 1000).max(1) as usize;
    let levels: Vec<f64> = samples.chunks(frame).map(level_db).collect();
    let Some(threshold) = quiet_below(&levels) else { return Vec::new() };
    let mut out = Vec::new();
    let mut run_start = None;
    let smoothed = median_filtered(&levels, MEDIAN_FRAMES);
    for (i, level) in smoothed.iter().chain([&f64::INFINITY]).enumerate() {
        match (run_start, *level < threshold) {
            (None, true) => run_start = Some(i),
            (Some(s), false) => {
                run_start = None;
                let at = |frames: usize| (frames * frame) as u64 * 1000 / sample_rate as u64;
                let p = Pause { start_ms: at(s), end_ms: at(i).min(end) };
                if p.end_ms.saturating_sub(p.start_ms) >= MIN_PAUSE_MS {
                    out.push(p);
                }
            }
            _ => {}
        }
    }
    out
}

/// Each value replaced by the median of the `width` values centred on it (fewer at the ends).
fn median_filtered(values: &[f64], width: usize) -> Vec<f64> {
    let half = width / 2;
    let mut window = Vec::with_capacity(width);
    (0..values.len())
        .map(|i| {
            window.clear();
            window.extend_from_slice(
                &values[i.saturating_sub(half)..(i + half + 1).min(values.len())],
            );
            window.sort_by(f64::total_cmp);
            window[window.len() / 2]
        })
        .collect()
}

fn duration_ms(samples: usize, sample_rate: u32) -> Option<u64> {
    (sample_rate > 0).then(|| samples as u64 * 1000 / sample_rate as u64)
}

/// A frame's RMS level in dB below full scale.
fn level_db(frame: &[i16]) -> f64 {
    let power = frame.iter().map(|s| (*s as f64 / 32768.0).powi(2)).sum::<f64>()
        / frame.len().max(1) as f64;
    if power <= 0.0 { SILENT_DB } else { (10.0 * power.log10()).max(SILENT_DB) }
}

/// The level under which a frame is quiet; `None` when the recording has no loud part at all.
/// The noise floor is that of the frames with any sound: stretches of digital silence (a gap an
/// editor inserted) would otherwise put it far below the room noise of the actual recording.
fn quiet_below(levels: &[f64]) -> Option<f64> {
    let mut sounding: Vec<f64> = levels.iter().copied().filter(|l| *l > SILENT_DB).collect();
    if sounding.len() < 10 {
        return None;
    }
    sounding.sort_by(f64::total_cmp);
    let at = |q: f64| sounding[((sounding.len() - 1) as f64 * q) as usize];
    let speech = at(0.95);
    let mut floor = at(0.05);
    if speech - floor < 2.0 * FLOOR_MARGIN_DB {
        if sounding.len() == levels.len() {
            return None; // one steady sound, nothing to tell pauses by
        }
        floor = SILENT_DB; // sound and digital silence
    }
    Some(
        (floor + FLOOR_MARGIN_DB.max(QUIET_FRACTION * (speech - floor)))
            .max(speech - BELOW_SPEECH_DB),
    )
}

/// Moves word edges out of `pauses` (sorted, as [`pauses`] returns them): a start inside a pause
/// goes to the pause's end, an end inside one to its start, each [`EDGE_MARGIN_MS`] into the
/// pause (moved edges stop that far short of where the level crosses the threshold). A word over
/// a whole pause starts after it when at least [`MIN_WORD_MS`] of it is left there (aligners
/// place a word's end better than its start, and the first word after a pause is the one they
/// most often start early), else ends before it; the word before, when it ended where this one
/// started, then runs on to the pause. A word that would be left shorter than
/// [`FRAME_MS`] is not moved.
pub fn fit_words(words: &mut [Word], pauses: &[Pause]) {
    let containing = |t: u64| {
        let i = pauses.partition_point(|p| p.end_ms <= t);
        pauses.get(i).filter(|p| p.start_ms <= t)
    };
    for i in 0..words.len() {
        let w = &mut words[i];
        let was = w.start_ms;
        if let Some(p) = containing(w.start_ms) {
            move_start(w, p.end_ms.saturating_sub(EDGE_MARGIN_MS));
        }
        if w.end_ms > 0
            && let Some(p) = containing(w.end_ms - 1)
        {
            move_end(w, p.start_ms + EDGE_MARGIN_MS);
        }
        let first = pauses.partition_point(|p| p.start_ms <= w.start_ms);
        let mut crossed = None;
        for p in &pauses[first..] {
            if p.end_ms >= w.end_ms {
                break;
            }
            if w.end_ms - p.end_ms >= MIN_WORD_MS {
                move_start(w, p.end_ms.saturating_sub(EDGE_MARGIN_MS));
                crossed.get_or_insert(*p);
            } else {
                move_end(w, p.start_ms + EDGE_MARGIN_MS);
                break;
            }
        }
        if let (Some(p), Some(before)) = (crossed, i.checked_sub(1).map(|b| &mut words[b]))
            && before.end_ms == was
        {
            before.end_ms = before.end_ms.max(p.start_ms.saturating_sub(EDGE_MARGIN_MS));
        }
    }
}

/// Pauses at least this long separate the phrases [`sparse_stretches`] looks at (the gaps
/// within a phrase, between its words, are shorter).
pub const PHRASE_PAUSE_MS: u64 = 300;
/// A stretch of voice shorter than this is never taken for missed speech.
pub const MIN_MISSED_MS: u64 = 1200;
/// Read speech carries two to three words a second; a stretch of voice with less than one word
/// a second in it was not all heard.
const MIN_WORDS_PER_SEC: u64 = 1;

/// The stretches of voice, between pauses of at least [`PHRASE_PAUSE_MS`] within `0..total_ms`,
/// at least [`MIN_MISSED_MS`] long, that hold fewer of `words` (by their middles; words of no
/// length, which the engine could not place, do not count) than the slowest speech would: where
/// an engine skipped what was said, or spread one phrase over several. Whisper does both with a
/// phrase said over and over: it writes it once. Sound with no such pause (steady noise) shows
/// no phrases, and none is returned.
pub fn sparse_stretches(words: &[Word], pauses: &[Pause], total_ms: u64) -> Vec<(u64, u64)> {
    let phrase_pauses = pauses.iter().filter(|p| p.end_ms - p.start_ms >= PHRASE_PAUSE_MS);
    // Sound with no pause in it (steady noise, a hum) shows no phrases to look for.
    if phrase_pauses.clone().next().is_none() {
        return Vec::new();
    }
    let mut edges = vec![0];
    for p in phrase_pauses {
        edges.extend([p.start_ms, p.end_ms]);
    }
    edges.push(total_ms);
    edges
        .chunks_exact(2)
        .map(|c| (c[0], c[1].min(total_ms)))
        .filter(|&(start, end)| end >= start + MIN_MISSED_MS)
        .filter(|&(start, end)| {
            (placed_within(words, start, end) as u64) * 1000 < MIN_WORDS_PER_SEC * (end - start)
        })
        .collect()
}

/// How many of `words` lie within `start..end` by their middles, counting only those an engine
/// could give time to (at least a frame): what [`sparse_stretches`] counts, and what a second
/// hearing of a stretch must beat.
pub fn placed_within(words: &[Word], start: u64, end: u64) -> usize {
    words
        .iter()
        .filter(|w| {
            w.end_ms >= w.start_ms + FRAME_MS
                && (start..end).contains(&w.start_ms.midpoint(w.end_ms))
        })
        .count()
}

/// Drops the words an engine put in a pause and could give less than [`MIN_WORD_MS`] of time:
/// nothing is said there (whisper piles the phrases it repeats into the silence at a window's
/// end, a word to an instant). Returns how many went.
pub fn drop_unheard(words: &mut Vec<Word>, pauses: &[Pause]) -> usize {
    let before = words.len();
    words.retain(|w| {
        let in_pause = pauses.iter().any(|p| p.start_ms <= w.start_ms && w.end_ms <= p.end_ms);
        !(in_pause && w.end_ms < w.start_ms + MIN_WORD_MS)
    });
    before - words.len()
}

/// Around each word, this much time on either side is looked at by [`drop_isolated`].
const NEIGHBOURHOOD_MS: u64 = 15_000;
/// Sound (time outside pauses) in a word's neighbourhood from which speech would have given
/// several words.
const LONG_SOUND_MS: u64 = 10_000;
/// Fewer words than this in a neighbourhood of long sound: not speech.
const MIN_NEIGHBOURS: usize = 3;

/// Drops the words that stand alone in long sound: fewer than [`MIN_NEIGHBOURS`] words (each
/// counted) within [`NEIGHBOURHOOD_MS`] of a word's middle while at least [`LONG_SOUND_MS`] of
/// that time, within `0..total_ms`, is sound. Speech there would have given a word or two a
/// second; an engine that hears one or two in it is reading words into music or noise (whisper
/// writes a confident "g" or "5分钟" over chords, at times). Returns how many went.
pub fn drop_isolated(words: &mut Vec<Word>, pauses: &[Pause], total_ms: u64) -> usize {
    let sound_within = |from: u64, to: u64| {
        let quiet: u64 =
            pauses.iter().map(|p| p.end_ms.min(to).saturating_sub(p.start_ms.max(from))).sum();
        (to - from).saturating_sub(quiet)
    };
    let middles: Vec<u64> = words.iter().map(|w| w.start_ms.midpoint(w.end_ms)).collect();
    let isolated: Vec<bool> = middles
        .iter()
        .map(|&m| {
            let (from, to) =
                (m.saturating_sub(NEIGHBOURHOOD_MS), (m + NEIGHBOURHOOD_MS).min(total_ms));
            let neighbours = middles.iter().filter(|&&n| (from..=to).contains(&n)).count();
            neighbours < MIN_NEIGHBOURS && to > from && sound_within(from, to) >= LONG_SOUND_MS
        })
        .collect();
    let before = words.len();
    let mut flags = isolated.into_iter();
    words.retain(|_| !flags.next().unwrap_or(false));
    before - words.len()
}

fn move_start(w: &mut Word, to: u64) {
    if to > w.start_ms && to + FRAME_MS <= w.end_ms {
        w.start_ms = to;
    }
}

fn move_end(w: &mut Word, to: u64) {
    if to < w.end_ms && to >= w.start_ms + FRAME_MS {
        w.end_ms = to;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_of_voice_with_too_few_words_are_found() {
        let pause = |start_ms, end_ms| Pause { start_ms, end_ms };
        let word = |start, end| Word::new("w", start, end);
        // Voice 0–3 s, 3.5–6.5 s (a 200 ms gap inside: a pause between words), 7–7.8 s, 8.3–11 s.
        let pauses = [pause(3000, 3500), pause(5000, 5200), pause(6500, 7000), pause(7800, 8300)];
        let words = [
            word(100, 500),
            word(600, 900),
            word(1000, 1400),
            word(1500, 2900), // heard: 4 in 3 s
            word(4000, 6000), // one word over three seconds: spread
                              // 7–7.8 s: too short to judge; 8.3–11 s: nothing heard
        ];
        assert_eq!(sparse_stretches(&words, &pauses, 11_000), [(3500, 6500), (8300, 11_000)]);
        let after_a_second = [pause(1000, 1400)];
        assert_eq!(
            sparse_stretches(&[], &after_a_second, 1400),
            [],
            "a second of voice is too short to judge"
        );
        assert_eq!(sparse_stretches(&words[..4], &[pause(3000, 3500)], 3500), [], "all heard");
        let unplaced = [word(100, 100), word(200, 200), word(300, 300), word(2000, 2900)];
        let quiet = [pause(3000, 3400)];
        assert_eq!(sparse_stretches(&unplaced, &quiet, 3400), [(0, 3000)], "words of no length");
        assert_eq!(sparse_stretches(&[], &[], 30_000), [], "steady sound: no phrases to look at");
    }

    #[test]
    fn a_word_or_two_alone_in_long_sound_is_dropped() {
        let word = |text, start| Word::new(text, start, start + 300);
        // 30 s of sound but for a pause at 20–24 s.
        let pauses = [Pause { start_ms: 20_000, end_ms: 24_000 }];
        let mut words = vec![word("g", 5000), word("yes", 26_000), word("no", 27_000)];
        assert_eq!(drop_isolated(&mut words, &pauses, 30_000), 3, "one, then two, in long sound");
        // Sparse speech: three words within 15 s of each other stay.
        let mut words = vec![word("so", 2000), word("it", 9000), word("goes", 16_000)];
        assert_eq!(drop_isolated(&mut words, &[], 30_000), 0);
        // A word alone in a short clip, or among long pauses, stays.
        let mut words = vec![word("hi", 1000)];
        assert_eq!(drop_isolated(&mut words, &[], 4000), 0);
        let quiet = [Pause { start_ms: 0, end_ms: 900 }, Pause { start_ms: 1400, end_ms: 30_000 }];
        assert_eq!(drop_isolated(&mut words, &quiet, 30_000), 0);
    }

    #[test]
    fn words_of_no_length_in_a_pause_are_dropped() {
        let pauses =
            [Pause { start_ms: 1000, end_ms: 2000 }, Pause { start_ms: 3000, end_ms: 3200 }];
        let mut words = vec![
            Word::new("said", 200, 900),
            Word::new("piled", 1900, 1900),
            Word::new("up", 1900, 1910),
            Word::new("placed", 1200, 1800), // long enough: an engine's misplaced word stays
            Word::new("short", 3050, 3060),
            Word::new("brief", 2500, 2510), // in the voice
        ];
        assert_eq!(drop_unheard(&mut words, &pauses), 3);
        let kept: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(kept, ["said", "placed", "brief"]);
    }

    const RATE: u32 = 16_000;

    /// `spans` of (ms, amplitude): a 220 Hz tone at that amplitude, 0 for silence, over noise.
    fn audio(spans: &[(u64, f64)], noise: f64) -> Vec<i16> {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut out = Vec::new();
        for (ms, amp) in spans {
            for _ in 0..(ms * RATE as u64 / 1000) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let n = ((rng >> 40) as f64 / (1u64 << 24) as f64 - 0.5) * 2.0 * noise;
                let t = out.len() as f64 / RATE as f64;
                out.push(((amp * (t * 220.0 * std::f64::consts::TAU).sin() + n) * 32767.0) as i16);
            }
        }
        out
    }

    #[test]
    fn pauses_are_found_in_silence_and_in_room_noise() {
        for noise in [0.0, 0.003] {
            let a = audio(
                &[(500, 0.0), (800, 0.3), (100, 0.0), (700, 0.2), (2000, 0.0), (600, 0.3)],
                noise,
            );
            let p = pauses(&a, RATE);
            // The 100 ms gap is too short to be a pause; the leading 0.5 s and the 2 s are.
            assert_eq!(
                p,
                vec![Pause { start_ms: 0, end_ms: 500 }, Pause { start_ms: 2100, end_ms: 4100 }],
                "noise {noise}"
            );
        }
    }

    #[test]
    fn a_click_does_not_end_a_pause() {
        let a = audio(&[(800, 0.3), (600, 0.0), (30, 0.5), (900, 0.0), (600, 0.3)], 0.001);
        assert_eq!(pauses(&a, RATE), vec![Pause { start_ms: 800, end_ms: 2330 }]);
        // Sound as long as a short syllable is voice: two pauses.
        let a = audio(&[(800, 0.3), (600, 0.0), (80, 0.5), (900, 0.0), (600, 0.3)], 0.001);
        assert_eq!(pauses(&a, RATE).len(), 2);
    }

    #[test]
    fn a_steady_sound_or_silence_has_no_pauses() {
        assert!(pauses(&audio(&[(3000, 0.2)], 0.0), RATE).is_empty());
        assert!(pauses(&audio(&[(3000, 0.0)], 0.0), RATE).is_empty());
        assert!(pauses(&[], RATE).is_empty());
    }

    #[test]
    fn word_edges_leave_the_pauses() {
        let pauses = [Pause { start_ms: 0, end_ms: 540 }, Pause { start_ms: 2000, end_ms: 4000 }];
        let mut words = vec![
            Word::new("and", 0, 700),         // starts in the leading silence
            Word::new("then", 700, 1200),     // untouched
            Word::new("leisure", 1200, 3000), // runs on into the pause
            Word::new("to", 3100, 4300),      // starts inside it
            Word::new("lost", 2500, 2600),    // all inside: moving either edge empties it
        ];
        let mut spanning = vec![
            Word::new("was", 1000, 1600),
            Word::new("he", 1600, 4300), // over the pause: after it, and "was" up to it
            Word::new("man", 1000, 4040), // too little after the pause: before it
        ];
        fit_words(&mut spanning, &pauses);
        let times: Vec<_> = spanning.iter().map(|w| (w.start_ms, w.end_ms)).collect();
        assert_eq!(times, vec![(1000, 1980), (3980, 4300), (1000, 2020)]);
        fit_words(&mut words, &pauses);
        let times: Vec<_> = words.iter().map(|w| (w.start_ms, w.end_ms)).collect();
        assert_eq!(times, vec![(520, 700), (700, 1200), (1200, 2020), (3980, 4300), (2500, 2600)]);
    }
}
