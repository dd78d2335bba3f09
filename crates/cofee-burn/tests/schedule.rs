//! Skipping libass between frames the schedule calls unchanged must draw exactly what asking
//! libass on every frame draws — checked on the documents Cofee writes for every preset, with
//! pops, fades and karaoke fills, frame by frame.

use std::path::Path;

use cofee_burn::{
    AssRenderer, CaptionLayer, Change, ChangeSchedule, ColorMatrix, ScheduledRenderer,
};
use cofee_core::{AssDocument, Transcript, VideoSize, Word};

const W: u32 = 540;
const H: u32 = 960;

/// Words with real-looking rhythm: short and long words, pauses, a few numbers (emphasised).
fn transcript() -> Transcript {
    let text = "so here is the thing about 3 coffee machines nobody tells you they all break after 12 months and then what do you do you call support and wait";
    let mut t = 300;
    let words = text
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            let len = 120 + 45 * w.len() as u64;
            let word = Word::new(w, t, t + len);
            t += len + if i % 7 == 6 { 650 } else { 40 };
            word
        })
        .collect();
    Transcript::new(Some("en".into()), words)
}

#[test]
fn skipping_unchanged_frames_draws_what_libass_draws_on_every_frame() {
    let fonts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/fonts");
    let t = transcript();
    let end_ms = t.words.last().unwrap().end_ms as i64 + 1500;
    for style in cofee_core::style::presets() {
        let ass = AssDocument::build(&t, &style, VideoSize { width: W, height: H }).to_ass();
        let mut every = AssRenderer::new(&ass, &fonts, W, H).unwrap();
        let mut skipping = ScheduledRenderer::new(
            AssRenderer::new(&ass, &fonts, W, H).unwrap(),
            ChangeSchedule::parse(&ass),
        );
        let (mut expected, mut actual) = (CaptionLayer::default(), CaptionLayer::default());
        let mut frames = 0;
        // 30 fps, times as the compositor computes them.
        for frame in 0.. {
            let time_ms = frame * 1000 / 30;
            if time_ms > end_ms {
                break;
            }
            frames += 1;
            let (change, images) = every.render(time_ms);
            if change != Change::None {
                expected =
                    CaptionLayer::compose(&images, W as usize, H as usize, ColorMatrix::BT709);
            }
            if let Some((change, images)) = skipping.render(time_ms)
                && change != Change::None
            {
                actual = CaptionLayer::compose(&images, W as usize, H as usize, ColorMatrix::BT709);
            }
            assert!(
                actual.draws_like(&expected),
                "style {}: the picture at {time_ms} ms differs",
                style.name
            );
        }
        let renders = skipping.renders();
        // Static stretches exist in every preset (karaoke fills run through whole pages).
        assert!(
            renders < frames,
            "style {}: {renders} libass calls for {frames} frames",
            style.name
        );
        eprintln!("{}: {renders} libass calls for {frames} frames", style.name);
    }
}
