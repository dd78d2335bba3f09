//! `cofee`: one binary for every role. This file only parses arguments, sets up logging and turns
//! errors into exit codes: 0 success, 2 bad input or usage (the user can fix it), 1 anything else.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The compositor child is synchronous and owns its stdout; it needs no runtime or logging.
    let cli = match cli.command {
        Command::BurnFrames(args) => return cli::burn_frames::run(args),
        _ => cli,
    };
    init_logging(cli.verbose, matches!(cli.command, Command::Serve(_) | Command::Api(_) | Command::Worker(_)));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Caption(args) => cli::caption::run(args).await,
            Command::Transcribe(args) => cli::transcribe::run(args).await,
            Command::Styles(args) => cli::styles::run(args),
            Command::Models(args) => cli::models::run(args).await,
            Command::Serve(args) => cli::serve::run(args).await,
            Command::Api(args) => cli::api::run(args).await,
            Command::Worker(args) => cli::worker::run(args).await,
            Command::Migrate(args) => cli::migrate::run(args).await,
            Command::BurnFrames(_) => unreachable!("handled before the runtime starts"),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(hint) = e.hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(if e.bad_input { 2 } else { 1 })
        }
    }
}

/// Logs go to stderr: for one-shot commands only warnings by default; for the service, what it
/// does (requests, jobs) — as JSON lines when stderr is not a terminal, for log collectors.
fn init_logging(verbose: u8, service: bool) {
    use std::io::IsTerminal;
    let default = match (verbose, service) {
        (0, false) => "warn",
        (0, true) => "info,tower_http=info,sqlx=warn",
        (1, _) => "info,cofee=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("COFEE_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    if service && !std::io::stderr().is_terminal() {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}
