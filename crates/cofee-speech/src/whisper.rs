//! whisper.cpp through whisper-rs.
//!
//! Audio is read in windows (2 min by default, cut at the quietest moment near the boundary so
//! no word is split) and each window is transcribed on a blocking thread; word times are offset
//! by the window's exact start in samples, so long recordings do not drift. Memory stays at one
//! window of f32 samples plus the model.
//!
//! Against hallucinations: windows with no audible signal are skipped, whisper's own no-speech,
//! entropy and log-probability thresholds are on, non-speech tokens are suppressed, and loops of
//! repeated phrases are collapsed ([`crate::guard`]).
//!
//! Word timing: whisper.cpp's DTW token timestamps (dynamic time warping over the
//! cross-attention of the model's alignment heads, as OpenAI's own `word_timestamps` does; see
//! [`words_from`] for how its times are read); then the edges are moved out of the pauses the
//! audio itself shows ([`cofee_core::voicing`]). The heads are the
//! model's own where its import recorded them (`ggml-NAME.heads.json`), else whisper.cpp's
//! preset for the standard model of its dimensions, else every head of its last decoder layer.

#![allow(unsafe_code)] // the abort callback is a C function pointer (see `abort_when_set`)

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use cofee_core::{Transcript, Word, voicing};
use tokio_util::sync::CancellationToken;
use whisper_rs::{
    DtwAhead, DtwMode, DtwModelPreset, DtwParameters, FullParams, SamplingStrategy, WhisperContext,
    WhisperContextParameters,
};

use crate::{
    AudioInput, Progress, SAMPLE_RATE, SpeechEngine, SpeechError, TranscribeOptions, guard, wav,
};

const ENGINE: &str = "whisper";
/// Words among neighbours whose median token probability is under this are not speech
/// ([`guard::drop_doubted_runs`]): whisper's inventions over music run at 0.000 01–0.2; read
/// speech at 0.7–1.
const DOUBTED_MEDIAN: f32 = 0.2;
/// RMS below this (about −55 dBFS) is treated as silence and not sent to the model.
const SILENCE_RMS: f64 = 58.0;
/// A stretch transcribed again is given this much of the quiet on each side.
const STRETCH_MARGIN_MS: u64 = 300;

/// A loaded model and the alignment heads its context points into (whisper.cpp keeps the
/// pointer and reads the heads whenever a state is created, so they live as long as it does).
struct Loaded {
    context: WhisperContext,
    _heads: Box<[DtwAhead]>,
}

pub struct Whisper {
    model: PathBuf,
    loaded: Arc<Loaded>,
    /// Longest window transcribed in one call, in seconds.
    pub window_secs: u32,
    /// Runs of words whose median confidence is under this are dropped
    /// ([`guard::drop_doubted_runs`]; 0 keeps every word).
    pub doubted_median: f32,
    pub threads: i32,
}

impl Whisper {
    /// Loads a ggml model file.
    pub fn load(model: &Path) -> Result<Self, SpeechError> {
        // whisper.cpp and ggml log to stderr; send that to `tracing` instead.
        whisper_rs::install_logging_hooks();
        let unavailable = |e: String| SpeechError::Unavailable {
            engine: ENGINE,
            hint: format!(
                "cannot load whisper model {}: {e}; is it a ggml whisper.cpp model?",
                model.display()
            ),
        };
        let heads = alignment_heads(model).map_err(unavailable)?;
        let mut params = WhisperContextParameters::default();
        // DTW needs the attention weights, which flash attention never materialises.
        params.flash_attn(false);
        params
            .dtw_parameters(DtwParameters { mode: heads.mode(), dtw_mem_size: heads.dtw_memory() });
        let context = WhisperContext::new_with_params(model, params)
            .map_err(|e| unavailable(e.to_string()))?;
        let heads = match heads {
            Heads::Custom(h) => h,
            _ => Box::default(),
        };
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as i32;
        Ok(Self {
            model: model.to_path_buf(),
            loaded: Arc::new(Loaded { context, _heads: heads }),
            window_secs: 120,
            doubted_median: DOUBTED_MEDIAN,
            threads,
        })
    }

    pub fn model(&self) -> &Path {
        &self.model
    }
}

/// Which cross-attention heads DTW aligns with.
enum Heads {
    Preset(DtwModelPreset),
    Custom(Box<[DtwAhead]>),
    /// Every head of the last decoder layer (`n_text_head` of them).
    LastLayer(i32),
}

impl Heads {
    fn mode(&self) -> DtwMode<'_> {
        match self {
            Heads::Preset(p) => DtwMode::ModelPreset { model_preset: p.clone() },
            Heads::Custom(aheads) => DtwMode::Custom { aheads },
            Heads::LastLayer(_) => DtwMode::TopMost { n_top: 1 },
        }
    }

    /// The scratch memory whisper.cpp's DTW needs for these heads (it aborts the process when
    /// short): a few tensors of tokens × audio frames × heads in f32, for the longest window
    /// (448 tokens, 1,500 frames), and whisper-rs's default of 128 MiB at least (which is what
    /// the presets are used with upstream).
    fn dtw_memory(&self) -> usize {
        let heads = match self {
            Heads::Preset(_) => 0,
            Heads::Custom(h) => h.len(),
            Heads::LastLayer(heads) => *heads as usize,
        };
        (4 * heads * 448 * 1500 * 4 + (32 << 20)).max(128 << 20)
    }
}

/// The model's alignment heads: its own (beside it, see [`crate::models::heads_path`]) where
/// every one exists in the model, else whisper.cpp's preset for the standard model with its
/// dimensions (read from the ggml header), else all heads of its last decoder layer.
fn alignment_heads(model: &Path) -> Result<Heads, String> {
    let mut header = [0u8; 48];
    std::io::Read::read_exact(
        &mut std::fs::File::open(model).map_err(|e| e.to_string())?,
        &mut header,
    )
    .map_err(|e| format!("too short for a ggml model ({e})"))?;
    let field = |i: usize| i32::from_le_bytes(header[4 + 4 * i..8 + 4 * i].try_into().unwrap());
    let (n_vocab, n_audio_state, n_text_head, n_text_layer) =
        (field(0), field(2), field(7), field(8));
    if let Some(own) = crate::models::read_heads(model)? {
        let fits = |&(l, h): &(i64, i64)| {
            (0..n_text_layer.into()).contains(&l) && (0..n_text_head.into()).contains(&h)
        };
        if own.iter().all(fits) {
            return Ok(Heads::Custom(
                own.into_iter()
                    .map(|(l, h)| DtwAhead { n_text_layer: l as i32, n_head: h as i32 })
                    .collect(),
            ));
        }
        tracing::warn!(
            model = %model.display(),
            "the model's alignment heads name heads it does not have; using the standard ones"
        );
    }
    let english = n_vocab == 51864;
    use DtwModelPreset as P;
    let preset = match (n_vocab, n_audio_state, n_text_layer) {
        (51864 | 51865, 384, 4) => Some(if english { P::TinyEn } else { P::Tiny }),
        (51864 | 51865, 512, 6) => Some(if english { P::BaseEn } else { P::Base }),
        (51864 | 51865, 768, 12) => Some(if english { P::SmallEn } else { P::Small }),
        (51864 | 51865, 1024, 24) => Some(if english { P::MediumEn } else { P::Medium }),
        (51865, 1280, 32) => Some(P::LargeV2), // large-v1 has the same shape; v2 is the common one
        (51866, 1280, 32) => Some(P::LargeV3),
        (51866, 1280, 4) => Some(P::LargeV3Turbo),
        _ => None,
    };
    Ok(match preset {
        Some(p) => Heads::Preset(p),
        None => Heads::LastLayer(n_text_head.max(1)),
    })
}

/// Sets the abort flag when dropped: a caller that stops waiting (a timeout, a cancelled
/// job's future dropped) stops the blocking run too.
struct AbortOnDrop(Arc<AtomicBool>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

extern "C" fn abort_when_set(user_data: *mut c_void) -> bool {
    // SAFETY: `user_data` is `Arc::as_ptr` of an `AtomicBool` that `run_window` keeps alive
    // until `full` returns, and whisper.cpp only calls this during `full`.
    let flag = unsafe { &*(user_data as *const AtomicBool) };
    flag.load(Ordering::Relaxed)
}

struct WindowResult {
    words: Vec<Word>,
    language: Option<String>,
}

fn rms(samples: &[f32]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| (*s as f64 * 32768.0).powi(2)).sum::<f64>() / samples.len() as f64)
        .sqrt()
}

/// Decoding settings shared by transcription and alignment.
fn base_params<'a, 'b>(threads: i32, language: Option<&'a str>) -> FullParams<'a, 'b> {
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_n_threads(threads);
    params.set_language(Some(language.unwrap_or("auto")));
    params.set_token_timestamps(true);
    params.set_split_on_word(true);
    params.set_max_len(1);
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_special(false);
    params.set_print_timestamps(false);
    params
}

/// Runs `full` with the abort flag wired in (blocking).
fn run_full(
    state: &mut whisper_rs::WhisperState,
    mut params: FullParams,
    samples: &[f32],
    abort: &Arc<AtomicBool>,
) -> Result<(), SpeechError> {
    // SAFETY: see `abort_when_set`; `abort` outlives the `full` call below.
    unsafe {
        params.set_abort_callback(Some(abort_when_set));
        params.set_abort_callback_user_data(Arc::as_ptr(abort) as *mut c_void);
    }
    let result = state.full(params, samples);
    if abort.load(Ordering::Relaxed) {
        return Err(SpeechError::Cancelled);
    }
    result.map(drop).map_err(failed)
}

fn failed(e: whisper_rs::WhisperError) -> SpeechError {
    SpeechError::Failed { engine: ENGINE, detail: e.to_string() }
}

/// Transcribes one window (blocking). Times in the result are relative to the window.
fn run_window(
    ctx: &WhisperContext,
    samples: &[f32],
    language: Option<&str>,
    threads: i32,
    audio_ctx: i32,
    abort: Arc<AtomicBool>,
    progress: Box<dyn FnMut(i32)>,
) -> Result<WindowResult, SpeechError> {
    let mut state = ctx.create_state().map_err(failed)?;
    let mut params = base_params(threads, language);
    params.set_audio_ctx(audio_ctx);
    params.set_no_speech_thold(0.6);
    params.set_entropy_thold(2.4);
    params.set_logprob_thold(-1.0);
    params.set_suppress_blank(true);
    params.set_suppress_nst(true);
    params.set_progress_callback_safe(progress);
    run_full(&mut state, params, samples, &abort)?;
    let spans = spans_of(ctx, &state)?;
    let lang_id = state.full_lang_id_from_state();
    let language = whisper_rs::get_lang_str(lang_id).map(str::to_string);
    Ok(WindowResult { words: words_from(&spans), language })
}

/// Whether a token's text is heard: punctuation is not, and its alignment is the weakest.
fn spoken(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Where a word ends by DTW, from its tokens (spoken or not, DTW time in 10 ms): its last
/// spoken token's time, else its last token's; `None` where DTW did not time it.
fn aligned_end_ms(tokens: &[(bool, i64)]) -> Option<u64> {
    let last = tokens.iter().rev().find(|t| t.0).or(tokens.last())?;
    (last.1 >= 0).then(|| last.1 as u64 * 10)
}

/// The segments of a finished `full` run as [`Span`]s (one word each).
fn spans_of(
    ctx: &WhisperContext,
    state: &whisper_rs::WhisperState,
) -> Result<Vec<Span>, SpeechError> {
    let eot = ctx.token_eot();
    let mut spans = Vec::new();
    for segment in state.as_iter() {
        let text = segment.to_str_lossy().map_err(failed)?.trim().to_string();
        let tokens: Vec<_> = (0..segment.n_tokens())
            .filter_map(|t| segment.get_token(t))
            .filter(|t| t.token_id() < eot)
            .map(|t| {
                let spoken = t.to_str_lossy().is_ok_and(|s| spoken(&s));
                (t.token_probability(), (spoken, t.token_data().t_dtw))
            })
            .collect();
        let confidence = if tokens.is_empty() {
            0.0
        } else {
            tokens.iter().map(|t| t.0).sum::<f32>() / tokens.len() as f32
        };
        spans.push(Span {
            // [BLANK_AUDIO], (music) and the like are not words, but take their time.
            word: !(text.is_empty() || text.starts_with('[') || text.starts_with('(')),
            text,
            confidence,
            aligned_end_ms: aligned_end_ms(&tokens.iter().map(|t| t.1).collect::<Vec<_>>()),
            t0_ms: segment.start_timestamp().max(0) as u64 * 10,
            t1_ms: segment.end_timestamp().max(0) as u64 * 10,
        });
    }
    Ok(spans)
}

/// What the forcing filter makes the decoder say, one token after another: the first
/// timestamp, the words' text tokens, a timestamp at the end of the clip (so DTW reads all of
/// it and whisper.cpp takes the rest of the window as done), then the end of text.
struct Forced {
    sequence: Vec<i32>,
    n_vocab: usize,
    eot: i32,
}

/// whisper.cpp's logits filter: everything but the next token of [`Forced`] is made impossible,
/// so greedy decoding writes exactly the text given while the decoder's cross-attention (which
/// DTW aligns) follows the audio. whisper.cpp's own rules run after this filter and never ban
/// the token it leaves (see `align_clip`'s settings).
unsafe extern "C" fn force_next(
    _ctx: *mut whisper_rs::whisper_rs_sys::whisper_context,
    _state: *mut whisper_rs::whisper_rs_sys::whisper_state,
    _tokens: *const whisper_rs::whisper_rs_sys::whisper_token_data,
    n_tokens: std::os::raw::c_int,
    logits: *mut f32,
    user_data: *mut c_void,
) {
    // SAFETY: `user_data` is a `Forced` that `align_clip` keeps alive during `full`; `logits`
    // holds the vocabulary's `n_vocab` entries (whisper.cpp asserts that size).
    let forced = unsafe { &*(user_data as *const Forced) };
    let logits = unsafe { std::slice::from_raw_parts_mut(logits, forced.n_vocab) };
    let next = forced.sequence.get(n_tokens.max(0) as usize).copied().unwrap_or(forced.eot);
    logits.fill(f32::NEG_INFINITY);
    logits[next as usize] = 0.0;
}

/// Text tokens one forced decode takes: whisper.cpp decodes at most `n_text_ctx / 2 − 4` (220)
/// tokens a segment, two of which are the timestamps around the text.
const MAX_FORCED_TOKENS: usize = 218;

/// Forced alignment of `words` in `samples` (blocking; at most one window): the word ends are
/// the DTW times of their last spoken tokens, the starts where the word before ended (the first
/// word's at the start of the clip, which [`voicing::fit_words`] then moves to the voice's
/// onset), as [`words_from`] reads a transcription.
fn align_clip(
    ctx: &WhisperContext,
    samples: &[f32],
    words: &[String],
    language: Option<&str>,
    threads: i32,
    abort: &Arc<AtomicBool>,
) -> Result<Vec<Word>, SpeechError> {
    // Each word's tokens as they stand in running text (after a space); GPT-2's pre-tokeniser
    // splits at spaces, so the tokens of the whole text are these, one word after another.
    let mut tokens_of = Vec::with_capacity(words.len());
    for w in words {
        let text = format!(" {w}");
        // Room for every token the text can have (each takes at least a byte): whisper-rs
        // reads a shortfall as a length.
        let t = ctx.tokenize(&text, text.len() + 1).map_err(failed)?;
        tokens_of.push(t);
    }
    let n_tokens: usize = tokens_of.iter().map(Vec::len).sum();
    if n_tokens > MAX_FORCED_TOKENS {
        return Err(SpeechError::Unalignable(format!(
            "the words make {n_tokens} tokens; one alignment decodes at most {MAX_FORCED_TOKENS} (send fewer words)"
        )));
    }
    let clip_ms = samples.len() as u64 * 1000 / SAMPLE_RATE as u64;
    let beg = ctx.token_beg();
    let last_ts = beg + (clip_ms.div_ceil(20)).min(1500) as i32;
    let mut sequence = vec![beg];
    sequence.extend(tokens_of.iter().flatten());
    sequence.push(last_ts);
    let forced = Forced { sequence, n_vocab: ctx.n_vocab() as usize, eot: ctx.token_eot() };

    let mut state = ctx.create_state().map_err(failed)?;
    let mut params = base_params(threads, language);
    params.set_no_context(true);
    // The encoder reads only the clip (whisper pads every input to 30 s; encoding the padding
    // is most of the work for a few seconds of speech); DTW reads the same frames.
    params.set_audio_ctx((clip_ms.div_ceil(20) as i32 + 1).min(1500));
    // One pass at temperature 0 whatever the text's probability (it is not the model's own
    // guess): no fallback, no no-speech verdict, nothing suppressed that the text may hold.
    params.set_temperature_inc(0.0);
    params.set_logprob_thold(-1e9);
    params.set_entropy_thold(0.0); // a sequence fails below it
    params.set_no_speech_thold(2.0);
    params.set_suppress_blank(false);
    params.set_suppress_nst(false);
    // SAFETY: `force_next` reads `forced`, which outlives the `full` call in `run_full`.
    unsafe {
        params.set_filter_logits_callback(Some(force_next));
        params.set_filter_logits_callback_user_data(&forced as *const Forced as *mut c_void);
    }
    run_full(&mut state, params, samples, abort)?;

    // The text tokens in order, each with its DTW time, as the filter made them.
    let eot = ctx.token_eot();
    let mut timed = Vec::new();
    let mut first_ts_ms = None;
    for segment in state.as_iter() {
        first_ts_ms.get_or_insert(segment.start_timestamp().max(0) as u64 * 10);
        for t in (0..segment.n_tokens()).filter_map(|t| segment.get_token(t)) {
            if t.token_id() < eot {
                let heard = t.to_str_lossy().is_ok_and(|s| spoken(&s));
                timed.push((t.token_id(), (heard, t.token_data().t_dtw)));
            }
        }
    }
    let said: Vec<i32> = timed.iter().map(|t| t.0).collect();
    if said != forced.sequence[1..forced.sequence.len() - 1] {
        return Err(SpeechError::Failed {
            engine: ENGINE,
            detail: format!(
                "forced decoding wrote {} tokens, not the {} given",
                said.len(),
                forced.sequence.len() - 2
            ),
        });
    }
    let mut out = Vec::with_capacity(words.len());
    let mut start = first_ts_ms.unwrap_or(0);
    let mut next = 0;
    for (word, tokens) in words.iter().zip(&tokens_of) {
        let own: Vec<(bool, i64)> = timed[next..next + tokens.len()].iter().map(|t| t.1).collect();
        next += tokens.len();
        let end = aligned_end_ms(&own).map_or(start, |t| t.clamp(start, clip_ms));
        out.push(Word::new(word.clone(), start, end));
        start = end;
    }
    Ok(out)
}

/// One segment of whisper.cpp's output (one word, with `max_len = 1` and `split_on_word`).
struct Span {
    text: String,
    word: bool,
    confidence: f32,
    /// Where DTW says its last token ends, when it aligned it.
    aligned_end_ms: Option<u64>,
    /// The segment's own times, from timestamp tokens and token probabilities.
    t0_ms: u64,
    t1_ms: u64,
}

/// Words timed by the alignment. whisper.cpp gives each token the time at which the DTW path
/// enters the *next* token's row of the attention matrix (the row of the query that predicts
/// it), which is where the token ends, not where it starts (OpenAI's `find_alignment` reads the
/// same path one row earlier); so a word ends at its last token's DTW time and starts where the
/// segment before it ended. The first word of a window (or after a stretch whisper skipped)
/// starts at its segment's own time;
/// [`voicing::fit_words`] then takes a start that lies in a pause to the voice's onset.
fn words_from(spans: &[Span]) -> Vec<Word> {
    let mut words = Vec::new();
    let mut previous_end: Option<u64> = None;
    for s in spans {
        let end = s.aligned_end_ms.unwrap_or(s.t1_ms);
        let start = match (previous_end, s.aligned_end_ms) {
            // Unless whisper skipped a stretch between them (a chunk it heard no speech in):
            // then the segment's own start is nearer.
            (Some(p), Some(_)) if p <= end && s.t0_ms < p + voicing::MIN_PAUSE_MS => p,
            _ => s.t0_ms.min(end),
        };
        previous_end = s.aligned_end_ms;
        if s.word {
            words.push(Word { confidence: s.confidence, ..Word::new(s.text.clone(), start, end) });
        }
    }
    words
}

impl Whisper {
    /// Recognises `samples` on a blocking thread, reporting whisper.cpp's progress (0–100) and
    /// stopping when `cancel` fires. `audio_ctx` shortens the encoder's context (0: 30 s).
    async fn recognise(
        &self,
        samples: Vec<f32>,
        language: Option<String>,
        audio_ctx: i32,
        report: &(dyn Fn(i32) + Sync),
        cancel: &CancellationToken,
    ) -> Result<WindowResult, SpeechError> {
        let abort = Arc::new(AtomicBool::new(false));
        let _stop = AbortOnDrop(abort.clone());
        let (loaded, threads, abort2) = (self.loaded.clone(), self.threads, abort.clone());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<i32>();
        let job = tokio::task::spawn_blocking(move || {
            let progress = Box::new(move |p| {
                let _ = tx.send(p);
            });
            let language = language.as_deref();
            run_window(&loaded.context, &samples, language, threads, audio_ctx, abort2, progress)
        });
        tokio::pin!(job);
        loop {
            tokio::select! {
                r = &mut job => break r.map_err(|e| SpeechError::Failed { engine: ENGINE, detail: e.to_string() })?,
                Some(p) = rx.recv() => report(p),
                // Once: a cancelled token stays ready, and the job needs a moment to stop.
                () = cancel.cancelled(), if !abort.load(Ordering::Relaxed) => abort.store(true, Ordering::Relaxed),
            }
        }
    }

    /// Stretches of voice in a window (`ints`, with its `pauses`) that hold too few of its
    /// `words` are transcribed again, each alone, and what is heard there replaces the words
    /// there when it is more. Whisper writes a phrase said several times over once (and spreads
    /// it over all of them), or skips a phrase after a long one; alone, each is heard.
    async fn hear_what_was_missed(
        &self,
        words: &mut Vec<Word>,
        ints: &[i16],
        pauses: &[voicing::Pause],
        language: &Option<String>,
        cancel: &CancellationToken,
    ) -> Result<(), SpeechError> {
        let window_ms = ints.len() as u64 * 1000 / SAMPLE_RATE as u64;
        for (start, end) in voicing::sparse_stretches(words, pauses, window_ms) {
            // The pause before and after, partly: whisper hears a phrase's first sound better
            // with some quiet before it.
            let from = start.saturating_sub(STRETCH_MARGIN_MS);
            let to = (end + STRETCH_MARGIN_MS).min(window_ms);
            let at = |ms: u64| (ms * SAMPLE_RATE as u64 / 1000) as usize;
            let clip = &ints[at(from)..at(to).min(ints.len())];
            let samples: Vec<f32> = clip.iter().map(|s| *s as f32 / 32768.0).collect();
            let audio_ctx = ((to - from).div_ceil(20) as i32 + 1).min(1500);
            let heard =
                self.recognise(samples, language.clone(), audio_ctx, &|_| {}, cancel).await?;
            let mut heard: Vec<Word> = heard
                .words
                .into_iter()
                .map(|w| Word { start_ms: w.start_ms + from, end_ms: w.end_ms + from, ..w })
                .collect();
            // Fitted first: a phrase's first word, placed early, then starts where the voice does.
            voicing::fit_words(&mut heard, pauses);
            let within = |w: &Word| (start..end).contains(&w.start_ms.midpoint(w.end_ms));
            heard.retain(within);
            // Counted as `sparse_stretches` counts: words of no length were not heard.
            let had = voicing::placed_within(words, start, end);
            tracing::debug!(start, end, had, heard = heard.len(), "a stretch of voice heard again");
            if voicing::placed_within(&heard, start, end) > had {
                words.retain(|w| !within(w));
                words.extend(heard);
                words.sort_by_key(|w| w.start_ms);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl SpeechEngine for Whisper {
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
        if let Some(l) = &options.language
            && whisper_rs::get_lang_id(l).is_none()
        {
            return Err(SpeechError::UnsupportedLanguage {
                engine: ENGINE,
                language: l.clone(),
                supported: "the ~99 languages of multilingual whisper models (ISO 639-1 codes)",
            });
        }
        let window_bytes = self.window_secs as usize * SAMPLE_RATE as usize * 2;
        let total_samples = (audio.duration_secs * SAMPLE_RATE as f64).max(1.0);
        let mut buf: Vec<u8> = Vec::with_capacity(window_bytes);
        let mut consumed: u64 = 0;
        let mut words = Vec::new();
        // The pauses of the whole recording (a window not sent to the model is one).
        let mut all_pauses = Vec::new();
        let mut language = options.language.clone();
        let mut eof = false;
        loop {
            if !eof {
                eof = wav::fill_window(audio.pcm.as_mut(), &mut buf, window_bytes, cancel).await?;
            }
            if buf.len() < 2 {
                break;
            }
            let ints = wav::samples(&buf);
            let cut =
                if eof { ints.len() } else { wav::quiet_cut(&ints, SAMPLE_RATE as usize * 2) };
            let samples: Vec<f32> = ints[..cut].iter().map(|s| *s as f32 / 32768.0).collect();
            let offset_ms = consumed * 1000 / SAMPLE_RATE as u64;
            if rms(&samples) >= SILENCE_RMS {
                let window_ms = cut as u64 * 1000 / SAMPLE_RATE as u64;
                let done = consumed as f64;
                let report = move |p: i32| {
                    progress(((done + cut as f64 * f64::from(p) / 100.0) / total_samples).min(0.99))
                };
                let window = self.recognise(samples, language.clone(), 0, &report, cancel).await?;
                language = language.or(window.language);
                let mut window_words = window.words;
                let pauses = voicing::pauses(&ints[..cut], SAMPLE_RATE);
                voicing::fit_words(&mut window_words, &pauses);
                self.hear_what_was_missed(
                    &mut window_words,
                    &ints[..cut],
                    &pauses,
                    &language,
                    cancel,
                )
                .await?;
                let dropped = voicing::drop_unheard(&mut window_words, &pauses);
                if dropped > 0 {
                    tracing::debug!(
                        dropped,
                        "dropped words whisper placed in a pause at an instant"
                    );
                }
                all_pauses.extend(pauses.iter().map(|p| voicing::Pause {
                    start_ms: p.start_ms + offset_ms,
                    end_ms: p.end_ms + offset_ms,
                }));
                // Whisper pads every window to 30 s and may place words in the padding: keep
                // only what lies within the audio it was given.
                words.extend(window_words.into_iter().filter(|w| w.start_ms < window_ms).map(
                    |w| Word {
                        start_ms: w.start_ms + offset_ms,
                        end_ms: w.end_ms.min(window_ms) + offset_ms,
                        ..w
                    },
                ));
            } else {
                let end_ms = (consumed + cut as u64) * 1000 / SAMPLE_RATE as u64;
                all_pauses.push(voicing::Pause { start_ms: offset_ms, end_ms });
            }
            consumed += cut as u64;
            buf.drain(..cut * 2);
            progress((consumed as f64 / total_samples).min(0.99));
        }
        let dropped = guard::collapse_repetitions(&mut words, 4, 2);
        if dropped > 0 {
            tracing::warn!(dropped, "collapsed repeated phrases in whisper output");
        }
        let dropped = guard::drop_doubted_runs(&mut words, 2, self.doubted_median);
        if dropped > 0 {
            tracing::warn!(dropped, "dropped a run of words whisper itself doubted (music, noise)");
        }
        let dropped = guard::drop_foreign_script(&mut words, language.as_deref());
        if dropped > 0 {
            tracing::warn!(
                dropped,
                ?language,
                "dropped words in a script the language does not use"
            );
        }
        // Last: the guards above may leave a word alone that had neighbours.
        let total_ms = consumed * 1000 / SAMPLE_RATE as u64;
        let dropped = voicing::drop_isolated(&mut words, &all_pauses, total_ms);
        if dropped > 0 {
            tracing::warn!(dropped, "dropped words alone in long sound (music, noise)");
        }
        progress(1.0);
        Ok(Transcript::new(language, words).normalized())
    }

    async fn align(
        &self,
        audio: &[i16],
        words: &[String],
        options: &TranscribeOptions,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<Word>>, SpeechError> {
        use cofee_core::limits::{MAX_ALIGN_MS, MAX_ALIGN_WORDS, MIN_ALIGN_MS};
        let clip_ms = audio.len() as u64 * 1000 / SAMPLE_RATE as u64;
        if words.is_empty() || words.len() > MAX_ALIGN_WORDS || clip_ms > MAX_ALIGN_MS {
            return Err(SpeechError::Failed {
                engine: ENGINE,
                detail: format!(
                    "an alignment takes 1 to {MAX_ALIGN_WORDS} words in at most {MAX_ALIGN_MS} ms of audio, not {} words in {clip_ms} ms",
                    words.len()
                ),
            });
        }
        if clip_ms < MIN_ALIGN_MS {
            return Err(SpeechError::Unalignable(format!(
                "{clip_ms} ms of audio is too short to align (at least {MIN_ALIGN_MS} ms)"
            )));
        }
        let samples: Vec<f32> = audio.iter().map(|s| *s as f32 / 32768.0).collect();
        let abort = Arc::new(AtomicBool::new(false));
        let _stop = AbortOnDrop(abort.clone());
        let (loaded, threads, abort2) = (self.loaded.clone(), self.threads, abort.clone());
        // whisper takes a primary language subtag (`pt` of `pt-BR`); one it does not know is
        // detected instead.
        let language = options
            .language
            .as_deref()
            .map(|l| l.split('-').next().unwrap_or(l).to_ascii_lowercase())
            .filter(|l| whisper_rs::get_lang_id(l).is_some());
        let words_in = words.to_vec();
        let job = tokio::task::spawn_blocking(move || {
            align_clip(&loaded.context, &samples, &words_in, language.as_deref(), threads, &abort2)
        });
        tokio::pin!(job);
        let mut aligned = loop {
            tokio::select! {
                r = &mut job => break r.map_err(|e| SpeechError::Failed { engine: ENGINE, detail: e.to_string() })??,
                () = cancel.cancelled(), if !abort.load(Ordering::Relaxed) => abort.store(true, Ordering::Relaxed),
            }
        };
        voicing::fit_words(&mut aligned, &voicing::pauses(audio, SAMPLE_RATE));
        Ok(Some(aligned))
    }
}

/// Writes a structurally valid whisper.cpp model with random weights (about 4 MB): for tests
/// and smoke checks of the load-and-run path where no real model can be had. Its words are
/// nonsense.
///
/// A multilingual whisper.cpp model with one encoder and one decoder layer of width 32, in the
/// file layout `whisper_model_load` reads: magic, hyper-parameters, mel filters, vocabulary,
/// then named f32 tensors.
pub fn write_random_model(path: &Path) -> std::io::Result<&Path> {
    let (n_vocab, n_audio_ctx, state, heads, n_text_ctx, n_mels) =
        (51865i32, 1500i32, 32i32, 2i32, 448i32, 80i32);
    let mut out = Vec::new();
    let i32s = |out: &mut Vec<u8>, v: &[i32]| {
        v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()))
    };
    out.extend_from_slice(&0x6767_6d6cu32.to_le_bytes());
    i32s(
        &mut out,
        &[n_vocab, n_audio_ctx, state, heads, 1, n_text_ctx, state, heads, 1, n_mels, 1],
    ); // ftype 1: f16 weights
    // Mel filter bank: n_mels × 201 (n_fft / 2 + 1), small positive values.
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 40) as f32 / (1u64 << 24) as f32 // 0..1
    };
    i32s(&mut out, &[n_mels, 201]);
    for _ in 0..n_mels * 201 {
        out.extend_from_slice(&(next() * 0.01).to_le_bytes());
    }
    // Vocabulary: the ordinary tokens (whisper.cpp names the special ones itself), including the
    // few it looks up by text when suppressing blanks and non-speech.
    let n_text_tokens = 50257;
    i32s(&mut out, &[n_text_tokens]);
    for i in 0..n_text_tokens {
        let t = match i {
            0 => " ".to_string(),
            1 => " -".to_string(),
            2 => " '".to_string(),
            _ => format!(" w{i}"),
        };
        out.extend_from_slice(&(t.len() as u32).to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    }
    // Matrices and convolution kernels are f16 (as whisper.cpp's kernels require); vectors f32.
    let tensor = |out: &mut Vec<u8>, name: &str, dims: &[i32], fill: &mut dyn FnMut() -> f32| {
        let half = name.ends_with(".weight") && (dims.len() > 1) && !name.contains("positional");
        i32s(out, &[dims.len() as i32, name.len() as i32, i32::from(half)]);
        i32s(out, dims);
        out.extend_from_slice(name.as_bytes());
        for _ in 0..dims.iter().product::<i32>() {
            let v = fill();
            if half {
                out.extend_from_slice(&f16_bits(v).to_le_bytes());
            } else {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    };
    let mut random = || (next() - 0.5) * 0.2;
    let mut one = || 1.0f32;
    let mut zero = || 0.0f32;
    let s = state;
    tensor(&mut out, "encoder.positional_embedding", &[s, n_audio_ctx], &mut random);
    tensor(&mut out, "encoder.conv1.weight", &[3, n_mels, s], &mut random);
    tensor(&mut out, "encoder.conv1.bias", &[1, s], &mut zero);
    tensor(&mut out, "encoder.conv2.weight", &[3, s, s], &mut random);
    tensor(&mut out, "encoder.conv2.bias", &[1, s], &mut zero);
    tensor(&mut out, "encoder.ln_post.weight", &[s], &mut one);
    tensor(&mut out, "encoder.ln_post.bias", &[s], &mut zero);
    tensor(&mut out, "decoder.positional_embedding", &[s, n_text_ctx], &mut random);
    tensor(&mut out, "decoder.token_embedding.weight", &[s, n_vocab], &mut random);
    tensor(&mut out, "decoder.ln.weight", &[s], &mut one);
    tensor(&mut out, "decoder.ln.bias", &[s], &mut zero);
    let blocks: &[(&str, &[&str])] =
        &[("encoder.blocks.0", &["attn"]), ("decoder.blocks.0", &["attn", "cross_attn"])];
    for (prefix, attns) in blocks {
        tensor(&mut out, &format!("{prefix}.mlp_ln.weight"), &[s], &mut one);
        tensor(&mut out, &format!("{prefix}.mlp_ln.bias"), &[s], &mut zero);
        tensor(&mut out, &format!("{prefix}.mlp.0.weight"), &[s, 4 * s], &mut random);
        tensor(&mut out, &format!("{prefix}.mlp.0.bias"), &[4 * s], &mut zero);
        tensor(&mut out, &format!("{prefix}.mlp.2.weight"), &[4 * s, s], &mut random);
        tensor(&mut out, &format!("{prefix}.mlp.2.bias"), &[s], &mut zero);
        for a in *attns {
            tensor(&mut out, &format!("{prefix}.{a}_ln.weight"), &[s], &mut one);
            tensor(&mut out, &format!("{prefix}.{a}_ln.bias"), &[s], &mut zero);
            for (w, bias) in [("query", true), ("key", false), ("value", true), ("out", true)] {
                tensor(&mut out, &format!("{prefix}.{a}.{w}.weight"), &[s, s], &mut random);
                if bias {
                    tensor(&mut out, &format!("{prefix}.{a}.{w}.bias"), &[s], &mut zero);
                }
            }
        }
    }
    std::fs::write(path, &out)?;
    Ok(path)
}

/// IEEE half precision for the small weights used here (subnormals flush to zero).
fn f16_bits(v: f32) -> u16 {
    let b = v.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32 - 127 + 15;
    if exp <= 0 {
        return sign;
    }
    sign | ((exp as u16) << 10) | ((b >> 13) & 0x3ff) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(text: &str, aligned_end_ms: Option<u64>, t0_ms: u64, t1_ms: u64) -> Span {
        let word = !text.starts_with('[');
        Span { text: text.into(), word, confidence: 0.9, aligned_end_ms, t0_ms, t1_ms }
    }

    fn times(words: &[Word]) -> Vec<(&str, u64, u64)> {
        words.iter().map(|w| (w.text.as_str(), w.start_ms, w.end_ms)).collect()
    }

    #[test]
    fn a_word_ends_at_its_aligned_token_and_starts_where_the_one_before_ended() {
        let spans = [
            span("And", Some(340), 60, 240),
            span("[BLANK_AUDIO]", Some(900), 240, 900), // not a word, but it takes its time
            span("Mr.", Some(1200), 900, 1300),
            span("John", Some(1500), 1300, 1600),
        ];
        assert_eq!(
            times(&words_from(&spans)),
            [("And", 60, 340), ("Mr.", 900, 1200), ("John", 1200, 1500)]
        );
    }

    #[test]
    fn after_a_skipped_stretch_or_without_alignment_the_segments_times_are_used() {
        let spans = [
            span("one", Some(500), 0, 600),
            span("two", Some(31_000), 30_200, 31_100), // whisper skipped 0.5–30.2 s as silence
            span("three", None, 31_100, 31_600),
        ];
        assert_eq!(
            times(&words_from(&spans)),
            [("one", 0, 500), ("two", 30_200, 31_000), ("three", 31_100, 31_600)]
        );
    }
}
