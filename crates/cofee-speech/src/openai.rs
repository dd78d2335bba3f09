//! Any OpenAI-compatible `/audio/transcriptions` endpoint (OpenAI, Groq, a local
//! faster-whisper or whisper.cpp server, …), with `verbose_json` word timestamps.
//!
//! The API takes files of at most 25 MB, so the audio is sent in windows (10 min by default,
//! 19.2 MB of 16 kHz mono WAV) that end at the quietest moment near the boundary so no word is
//! cut; each window's word times are offset by its exact start (counted in samples, so the
//! offsets never drift). Only one window is held in memory at a time.

use std::time::Duration;

use async_trait::async_trait;
use cofee_core::{Transcript, Word, formats};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::{AudioInput, Progress, SAMPLE_RATE, SpeechEngine, SpeechError, TranscribeOptions, wav};

const ENGINE: &str = "openai";
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
pub struct OpenAi {
    /// Base URL up to and including `/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    /// Longest window sent in one request.
    pub window_secs: u32,
    client: reqwest::Client,
}

impl OpenAi {
    pub fn new(
        base_url: impl Into<String>,
        api_key: Option<String>,
        model: impl Into<String>,
    ) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(900))
            .build()
            .expect("a default HTTP client builds");
        Self {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key,
            model: model.into(),
            window_secs: 600,
            client,
        }
    }

    /// From `COFEE_OPENAI_BASE_URL`, `COFEE_OPENAI_API_KEY` and `COFEE_OPENAI_MODEL`. A key is
    /// required for the public OpenAI API; self-hosted servers often need none.
    pub fn from_env(model: Option<String>) -> Result<Self, SpeechError> {
        let base =
            std::env::var("COFEE_OPENAI_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.into());
        let key = std::env::var("COFEE_OPENAI_API_KEY").ok().filter(|k| !k.is_empty());
        if key.is_none() && base.starts_with(DEFAULT_BASE_URL) {
            return Err(SpeechError::NotConfigured { engine: ENGINE, hint: "set COFEE_OPENAI_API_KEY (or COFEE_OPENAI_BASE_URL for a self-hosted OpenAI-compatible server)".into() });
        }
        let model = model
            .or_else(|| std::env::var("COFEE_OPENAI_MODEL").ok())
            .unwrap_or_else(|| "whisper-1".into());
        Ok(Self::new(base, key, model))
    }

    async fn send_window(
        &self,
        pcm: &[u8],
        options: &TranscribeOptions,
    ) -> Result<Response, SpeechError> {
        let url = format!("{}/audio/transcriptions", self.base_url);
        let mut wav_bytes = Vec::with_capacity(44 + pcm.len());
        wav_bytes.extend_from_slice(&wav::header(pcm.len() as u32));
        wav_bytes.extend_from_slice(pcm);
        let mut last_err = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            let file = reqwest::multipart::Part::bytes(wav_bytes.clone())
                .file_name("audio.wav")
                .mime_str("audio/wav")
                .expect("valid mime");
            let mut form = reqwest::multipart::Form::new()
                .part("file", file)
                .text("model", self.model.clone())
                .text("response_format", "verbose_json")
                .text("timestamp_granularities[]", "word")
                .text("timestamp_granularities[]", "segment");
            if let Some(l) = &options.language {
                form = form.text("language", l.clone());
            }
            let mut req = self.client.post(&url).multipart(form);
            if let Some(k) = &self.api_key {
                req = req.bearer_auth(k);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    last_err =
                        Some(SpeechError::Unreachable { url: url.clone(), detail: e.to_string() });
                    continue;
                }
            };
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            if status.is_success() {
                return serde_json::from_str(&body).map_err(|e| SpeechError::Failed {
                    engine: ENGINE,
                    detail: format!("unexpected response ({e}): {}", truncate(&body)),
                });
            }
            let err = SpeechError::Api { status: status.as_u16(), body: truncate(&body) };
            if status.as_u16() != 429 && !status.is_server_error() {
                return Err(err); // the request itself is wrong; retrying will not help
            }
            last_err = Some(err);
        }
        Err(last_err.expect("at least one attempt"))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(500).collect()
}

#[derive(Deserialize)]
struct Response {
    language: Option<String>,
    #[serde(default)]
    words: Vec<ApiWord>,
    #[serde(default)]
    segments: Vec<ApiSegment>,
}

#[derive(Deserialize)]
struct ApiWord {
    word: String,
    start: f64,
    end: f64,
    probability: Option<f32>,
}

#[derive(Deserialize)]
struct ApiSegment {
    text: String,
    start: f64,
    end: f64,
}

/// ISO 639-1 code for the language names OpenAI's API returns ("english").
fn language_code(name: &str) -> String {
    let known = [
        ("english", "en"),
        ("spanish", "es"),
        ("french", "fr"),
        ("german", "de"),
        ("italian", "it"),
        ("portuguese", "pt"),
        ("dutch", "nl"),
        ("russian", "ru"),
        ("chinese", "zh"),
        ("japanese", "ja"),
        ("korean", "ko"),
        ("arabic", "ar"),
        ("hebrew", "he"),
        ("hindi", "hi"),
        ("turkish", "tr"),
        ("polish", "pl"),
        ("ukrainian", "uk"),
    ];
    let lower = name.to_ascii_lowercase();
    known.iter().find(|(n, _)| *n == lower).map_or(lower, |(_, c)| (*c).to_string())
}

fn window_words(r: &Response, offset_ms: u64) -> Vec<Word> {
    let ms = |s: f64| cofee_core::time::from_secs(s).unwrap_or(0) + offset_ms;
    if !r.words.is_empty() {
        return r
            .words
            .iter()
            .map(|w| Word {
                confidence: w.probability.unwrap_or(1.0),
                ..Word::new(w.word.trim(), ms(w.start), ms(w.end))
            })
            .collect();
    }
    // Servers without word timestamps: share each segment's time among its words.
    let cues: Vec<formats::Cue> = r
        .segments
        .iter()
        .map(|s| formats::Cue { start_ms: ms(s.start), end_ms: ms(s.end), text: s.text.clone() })
        .collect();
    formats::words_from_cues(&cues).words
}

#[async_trait]
impl SpeechEngine for OpenAi {
    fn name(&self) -> &'static str {
        ENGINE
    }

    async fn transcribe(
        &self,
        mut audio: AudioInput,
        options: &TranscribeOptions,
        progress: Progress<'_>,
        cancel: &CancellationToken,
    ) -> Result<Transcript, SpeechError> {
        let window_bytes = self.window_secs as usize * SAMPLE_RATE as usize * 2;
        let search = (SAMPLE_RATE as usize * 2).min(window_bytes / 4); // look for a pause in the last 2 s
        let total = (audio.duration_secs * SAMPLE_RATE as f64).max(1.0);
        let mut buf: Vec<u8> = Vec::with_capacity(window_bytes);
        let mut consumed_samples: u64 = 0;
        let mut words = Vec::new();
        let mut language = None;
        let mut eof = false;
        while !eof || !buf.is_empty() {
            if !eof {
                eof = wav::fill_window(audio.pcm.as_mut(), &mut buf, window_bytes, cancel).await?;
            }
            if buf.len() < 2 {
                break; // nothing (left) to send
            }
            let samples = wav::samples(&buf);
            let cut = if eof { samples.len() } else { wav::quiet_cut(&samples, search / 2) };
            let offset_ms = consumed_samples * 1000 / SAMPLE_RATE as u64;
            let response = tokio::select! {
                r = self.send_window(&buf[..cut * 2], options) => r?,
                () = cancel.cancelled() => return Err(SpeechError::Cancelled),
            };
            language = language.or_else(|| response.language.as_deref().map(language_code));
            words.extend(window_words(&response, offset_ms));
            consumed_samples += cut as u64;
            buf.drain(..cut * 2);
            if eof && buf.len() < 2 {
                buf.clear();
            }
            progress((consumed_samples as f64 / total).min(1.0));
        }
        Ok(Transcript::new(language.or_else(|| options.language.clone()), words).normalized())
    }
}
