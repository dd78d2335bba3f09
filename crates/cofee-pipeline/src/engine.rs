//! Choosing and building a speech engine.
//!
//! Whisper models take seconds and hundreds of megabytes to load, so a process loads each model
//! once and keeps it: every job that uses a model shares its one whisper.cpp context (each job
//! runs in a state of its own, which is what whisper.cpp makes thread-safe). A model file
//! replaced on disk (another size or modification time) is loaded afresh.

use std::path::PathBuf;
use std::sync::Arc;

use cofee_speech::SpeechEngine;
use cofee_speech::openai::OpenAi;
use cofee_speech::sphinx::Sphinx;

use crate::PipelineError;

#[derive(Debug, Clone, PartialEq)]
pub enum EngineSpec {
    Sphinx,
    Whisper { model: PathBuf },
    OpenAi { model: Option<String> },
}

impl EngineSpec {
    /// The engine's name, as `--engine` takes it (and for metrics labels).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sphinx => "sphinx",
            Self::Whisper { .. } => "whisper",
            Self::OpenAi { .. } => "openai",
        }
    }
}

/// The engine for `spec`: a whisper model already loaded by this process, or loaded now (off the
/// async runtime); the other engines are cheap to build.
pub async fn build_engine(spec: &EngineSpec) -> Result<Arc<dyn SpeechEngine>, PipelineError> {
    match spec {
        EngineSpec::Sphinx => Ok(Arc::new(Sphinx::default())),
        EngineSpec::OpenAi { model } => Ok(Arc::new(OpenAi::from_env(model.clone())?)),
        EngineSpec::Whisper { model } => {
            if !model.is_file() {
                return Err(PipelineError::Input {
                    path: model.display().to_string(),
                    detail: "whisper model file not found; `cofee models pull base.en` fetches one"
                        .into(),
                });
            }
            whisper(model).await
        }
    }
}

#[cfg(feature = "whisper")]
async fn whisper(model: &std::path::Path) -> Result<Arc<dyn SpeechEngine>, PipelineError> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex};

    use cofee_speech::whisper::Whisper;
    use tokio::sync::OnceCell;

    /// A model file as it was when loaded: size, modification and change times, inode; and when
    /// its alignment heads beside it last changed.
    type FileId = (u64, Option<std::time::SystemTime>, i64, u64, Option<std::time::SystemTime>);
    type Slot = Arc<OnceCell<Arc<Whisper>>>;
    static LOADED: LazyLock<Mutex<HashMap<PathBuf, (FileId, Slot)>>> =
        LazyLock::new(Default::default);
    let meta = match std::fs::metadata(model) {
        Ok(m) => m,
        Err(e) => {
            LOADED.lock().expect("model cache").remove(model); // gone: let it go
            return Err(PipelineError::Input {
                path: model.display().to_string(),
                detail: e.to_string(),
            });
        }
    };
    let heads =
        std::fs::metadata(cofee_speech::models::heads_path(model)).and_then(|m| m.modified()).ok();
    let id: FileId = {
        use std::os::unix::fs::MetadataExt;
        (meta.len(), meta.modified().ok(), meta.ctime(), meta.ino(), heads)
    };
    // One cell per model file, taken under a short lock; the load itself runs in the cell, so
    // two jobs asking for one model at once load it once and other models are not held up.
    let slot = {
        let mut loaded = LOADED.lock().expect("model cache");
        match loaded.get(model) {
            Some((was, slot)) if *was == id => slot.clone(),
            _ => {
                let slot = Slot::default();
                loaded.insert(model.to_path_buf(), (id, slot.clone()));
                slot
            }
        }
    };
    let engine = slot
        .get_or_try_init(|| async {
            let path = model.to_path_buf();
            let engine = tokio::task::spawn_blocking(move || Whisper::load(&path)).await.map_err(
                |e| cofee_speech::SpeechError::Failed { engine: "whisper", detail: e.to_string() },
            )??;
            tracing::info!(model = %model.display(), "whisper model loaded; kept for the next jobs");
            Ok::<_, PipelineError>(Arc::new(engine))
        })
        .await?;
    Ok(engine.clone())
}

#[cfg(not(feature = "whisper"))]
async fn whisper(_model: &std::path::Path) -> Result<Arc<dyn SpeechEngine>, PipelineError> {
    Err(cofee_speech::SpeechError::Unavailable { engine: "whisper", hint: "this build of cofee was made without whisper.cpp; rebuild with `--features whisper`, or use --engine sphinx or --engine openai".into() }.into())
}

#[cfg(all(test, feature = "whisper"))]
mod tests {
    use super::*;

    fn same(a: &Arc<dyn SpeechEngine>, b: &Arc<dyn SpeechEngine>) -> bool {
        std::ptr::eq(Arc::as_ptr(a) as *const (), Arc::as_ptr(b) as *const ())
    }

    #[tokio::test]
    async fn jobs_share_one_loaded_model_until_its_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("ggml-random.bin");
        cofee_speech::whisper::write_random_model(&model).unwrap();
        let spec = EngineSpec::Whisper { model: model.clone() };
        let first = build_engine(&spec).await.unwrap();
        let second = build_engine(&spec).await.unwrap();
        assert!(same(&first, &second), "the second job gets the loaded model");
        // Another file in its place (here: one byte longer) is loaded afresh.
        let mut bytes = std::fs::read(&model).unwrap();
        bytes.push(0);
        std::fs::write(&model, bytes).unwrap();
        let third = build_engine(&spec).await.unwrap();
        assert!(!same(&first, &third), "a replaced model file is loaded again");
    }
}
