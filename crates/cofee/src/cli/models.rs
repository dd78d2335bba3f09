use std::io::IsTerminal;

use clap::{Args, Subcommand};
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
