//! What the whisper tests share: the LibriVox recordings Debian ships (pocketsphinx-testdata) as
//! 16 kHz PCM, and audio handed to an engine.

#![allow(dead_code)]

use cofee_speech::AudioInput;

pub const LIBRIVOX: &str = "/usr/share/pocketsphinx/test/data/librivox";

/// One recording as 16 kHz mono s16le PCM (the files have a plain 44-byte header).
pub fn recording(id: &str) -> Vec<u8> {
    std::fs::read(format!("{LIBRIVOX}/{id}.wav")).unwrap()[44..].to_vec()
}

/// The recordings' ids, in order.
pub fn ids() -> Vec<String> {
    std::fs::read_to_string(format!("{LIBRIVOX}/fileids"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The recordings joined.
pub fn speech_pcm() -> Vec<u8> {
    ids().iter().flat_map(|id| recording(id)).collect()
}

pub fn input(pcm: Vec<u8>) -> AudioInput {
    let secs = pcm.len() as f64 / 32_000.0;
    AudioInput { pcm: Box::new(std::io::Cursor::new(pcm)), duration_secs: secs }
}
