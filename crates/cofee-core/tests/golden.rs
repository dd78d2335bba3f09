//! Golden tests: the exact ASS each preset produces for a fixed transcript. A change here is a
//! visible change to every render; review the diff, then refresh with `COFEE_UPDATE_GOLDEN=1`.

use std::path::PathBuf;

use cofee_core::{AssDocument, Transcript, VideoSize, formats, style};

fn transcript() -> Transcript {
    formats::json::parse(include_str!("golden/talk.words.json")).unwrap()
}

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("COFEE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("missing golden file {}; run with COFEE_UPDATE_GOLDEN=1", path.display())
    });
    assert!(
        expected == actual,
        "{name} differs from its golden file:\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn presets_render_to_their_golden_ass() {
    for s in style::presets() {
        for (tag, size) in [
            ("portrait", VideoSize { width: 1080, height: 1920 }),
            ("landscape", VideoSize { width: 1920, height: 1080 }),
        ] {
            check(
                &format!("{}.{tag}.ass", s.name),
                &AssDocument::build(&transcript(), &s, size).to_ass(),
            );
        }
    }
}

#[test]
fn exports_render_to_their_golden_files() {
    let t = transcript();
    check("talk.srt", &formats::srt::write(&formats::cues(&t)));
    check("talk.vtt", &formats::vtt::write_transcript(&t));
    check("talk.txt", &formats::txt::write(&t));
}
