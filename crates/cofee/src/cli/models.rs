use std::io::IsTerminal;

use std::path::PathBuf;

use clap::{Args, Subcommand};
use cofee_speech::ct2::ggml::WeightType;
use cofee_speech::ct2::{ImportError, import};
use cofee_speech::models::{CATALOG, DEFAULT_BASE_URL, ModelError};
use indicatif::{ProgressBar, ProgressStyle};

use super::{CliError, CliResult, model_store};

#[derive(Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Download a whisper.cpp model (resumable, checksum-verified) into the data directory.
    Pull {
        /// Model name: tiny, tiny.en, base, base.en, small, small.en, medium, medium.en, large-v1, large.
        name: String,
        /// Expected SHA-1, for a model that is not in the catalogue.
        #[arg(long)]
        sha1: Option<String>,
        /// Where to download from (a mirror).
        #[arg(long, env = "COFEE_MODELS_BASE_URL", default_value = DEFAULT_BASE_URL)]
        base_url: String,
    },
    /// Import a faster-whisper / CTranslate2 Whisper model (a directory with config.json,
    /// model.bin and the vocabulary) as a whisper.cpp model, checked and smoke-tested.
    Import {
        /// The model's directory.
        path: PathBuf,
        /// The name to install it under (ggml-NAME.bin); by default the model's size: base,
        /// small.en, large-v3, … (with the quantisation: base-q8_0).
        #[arg(long)]
        name: Option<String>,
        /// Quantise the weight matrices (smaller and faster, slightly less exact).
        #[arg(long, value_parser = ["q8_0", "q5_0"])]
        quantize: Option<String>,
    },
    /// List installed models and the catalogue.
    List,
}

pub async fn run(args: ModelsArgs) -> CliResult {
    let store = model_store();
    match args.command {
        ModelsCommand::List => {
            let installed = store.list();
            let support = if cfg!(feature = "whisper") {
                "yes"
            } else {
                "no (rebuild with --features whisper)"
            };
            println!("whisper.cpp support in this build: {support}");
            println!("installed in {}:", store.dir.display());
            if installed.is_empty() {
                println!("  (none; `cofee models pull base.en` fetches the recommended one)");
            }
            for m in &installed {
                println!("  {:<10} {:>6} MB  {}", m.name, m.bytes >> 20, m.path.display());
            }
            println!("available:");
            for e in CATALOG {
                println!("  {:<10} {:>7}", e.name, e.size);
            }
            Ok(())
        }
        ModelsCommand::Import { path, name, quantize } => {
            let weights = match quantize.as_deref() {
                None => WeightType::F16,
                Some(q) => {
                    *WeightType::ALL.iter().find(|w| w.name() == q).expect("clap checked it")
                }
            };
            let dir = store.dir.clone();
            let imported =
                tokio::task::spawn_blocking(move || import(&path, &dir, name.as_deref(), weights))
                    .await
                    .map_err(|e| CliError::internal(e.to_string()))?
                    .map_err(|e| match e {
                        ImportError::Io { .. } => CliError::internal(e.to_string()),
                        other => CliError::bad_input(other.to_string()),
                    })?;
            for w in &imported.warnings {
                eprintln!("warning: {w}");
            }
            let hp = &imported.hparams;
            eprintln!(
                "imported {} ({}): {} encoder and {} decoder layers of width {}, {} mel bands, {} tokens, {} tensors, {} MB",
                imported.name,
                imported.weights.name(),
                hp.n_audio_layer,
                hp.n_text_layer,
                hp.n_audio_state,
                hp.n_mels,
                hp.n_vocab,
                imported.tensors,
                imported.bytes >> 20
            );
            smoke_test(&imported.path).await?;
            println!("{}", imported.path.display());
            Ok(())
        }
        ModelsCommand::Pull { name, sha1, base_url } => {
            let bar = std::io::stderr().is_terminal().then(|| {
                let b = ProgressBar::new(0);
                b.set_style(ProgressStyle::with_template("{msg} [{bar:30.green/dim}] {bytes}/{total_bytes} {bytes_per_sec} (eta {eta})").expect("valid template").progress_chars("=> "));
                b.set_message(format!("downloading {name}"));
                b
            });
            let result = store
                .pull(&name, &base_url, sha1.as_deref(), |done, total| {
                    if let Some(b) = &bar {
                        if let Some(t) = total {
                            b.set_length(t);
                        }
                        b.set_position(done);
                    }
                })
                .await;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let path = result.map_err(|e| match e {
                ModelError::Unknown { .. } | ModelError::BadName(_) => {
                    CliError::bad_input(e.to_string())
                }
                other => CliError::internal(other.to_string()),
            })?;
            println!("{}", path.display());
            Ok(())
        }
    }
}

/// Loads the model with whisper.cpp and transcribes two seconds of a generated sound through the
/// whole engine: a file whisper.cpp cannot load or run is removed again.
#[cfg(feature = "whisper")]
async fn smoke_test(path: &std::path::Path) -> CliResult {
    use cofee_speech::{AudioInput, SpeechEngine, TranscribeOptions};
    let failed = |detail: String| {
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(cofee_speech::models::heads_path(path));
        CliError::internal(format!(
            "the imported model does not run in whisper.cpp, so it was removed: {detail}"
        ))
    };
    let engine = cofee_speech::whisper::Whisper::load(path).map_err(|e| failed(e.to_string()))?;
    // Two seconds of a falling tone, loud enough not to be skipped as silence.
    let pcm: Vec<u8> = (0..32_000)
        .flat_map(|i| {
            {
                let t = i as f64 / 16_000.0;
                ((t * std::f64::consts::TAU * (440.0 - 100.0 * t)).sin() * 8_000.0) as i16
            }
            .to_le_bytes()
        })
        .collect();
    let audio = AudioInput { pcm: Box::new(std::io::Cursor::new(pcm)), duration_secs: 2.0 };
    let started = std::time::Instant::now();
    let t = engine
        .transcribe(
            audio,
            &TranscribeOptions::default(),
            &|_| {},
            &tokio_util::sync::CancellationToken::new(),
        )
        .await
        .map_err(|e| failed(e.to_string()))?;
    eprintln!(
        "smoke test: loaded and ran 2 s of audio in {:.1} s ({} words)",
        started.elapsed().as_secs_f64(),
        t.words.len()
    );
    Ok(())
}

#[cfg(not(feature = "whisper"))]
async fn smoke_test(_: &std::path::Path) -> CliResult {
    eprintln!(
        "smoke test skipped: this build has no whisper.cpp (rebuild with --features whisper)"
    );
    Ok(())
}
