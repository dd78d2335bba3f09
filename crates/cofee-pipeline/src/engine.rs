//! Choosing and building a speech engine.

use std::path::PathBuf;

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

pub fn build_engine(spec: &EngineSpec) -> Result<Box<dyn SpeechEngine>, PipelineError> {
    match spec {
        EngineSpec::Sphinx => Ok(Box::new(Sphinx::default())),
        EngineSpec::OpenAi { model } => Ok(Box::new(OpenAi::from_env(model.clone())?)),
        EngineSpec::Whisper { model } => {
            if !model.is_file() {
                return Err(PipelineError::Input {
                    path: model.display().to_string(),
                    detail: "whisper model file not found; `cofee models pull base.en` fetches one"
                        .into(),
                });
            }
            whisper(model)
        }
    }
}

#[cfg(feature = "whisper")]
fn whisper(model: &std::path::Path) -> Result<Box<dyn SpeechEngine>, PipelineError> {
    Ok(Box::new(cofee_speech::whisper::Whisper::load(model)?))
}

#[cfg(not(feature = "whisper"))]
fn whisper(_model: &std::path::Path) -> Result<Box<dyn SpeechEngine>, PipelineError> {
    Err(cofee_speech::SpeechError::Unavailable { engine: "whisper", hint: "this build of cofee was made without whisper.cpp; rebuild with `--features whisper`, or use --engine sphinx or --engine openai".into() }.into())
}
