//! `cofee`: one binary for every role. This file only parses arguments, sets up logging and turns
//! errors into exit codes: 0 success, 2 bad input or usage (the user can fix it), 1 anything else.

mod allocator;
mod cli;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    // A compositor started ahead of its render reads its arguments from stdin.
    let (args, opened) = match cli::burn_frames::job_from_stdin(std::env::args_os().collect()) {
        Ok(given) => given,
        Err(e) => {
            eprintln!("error: reading the compositor's job: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Settings from a configuration file become environment variables before clap reads them.
    if let Some(path) = cli::config_file::requested(&args) {
        match cli::config_file::read(&path) {
            Ok(settings) => cli::config_file::apply(settings),
            Err(e) => return fail(&e),
        }
    }
    let cli = Cli::parse_from(args);
    // The compositor child is synchronous and owns its stdout; it needs no runtime or logging.
    let cli = match cli.command {
        Command::BurnFrames(args) => return cli::burn_frames::run(args, opened),
        Command::BurnJoin(args) => return cli::burn_frames::join(args),
        _ => cli,
    };
    let service = match cli.command {
        Command::Serve(_) => Some("serve"),
        Command::Api(_) => Some("api"),
        Command::Worker(_) => Some("worker"),
        _ => None,
    };
    if service.is_some() {
        // Long-running: a block freed now must not stay resident for the process's lifetime.
        // One-shot commands (a render's FFmpeg and x264 buffers) keep glibc's own threshold.
        allocator::return_large_blocks_when_freed();
    }
    let telemetry = telemetry::init(cli.verbose, service);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
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
            Command::BurnFrames(_) | Command::BurnJoin(_) => {
                unreachable!("handled before the runtime starts")
            }
        }
    });
    drop(runtime);
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &cli::CliError) -> ExitCode {
    eprintln!("error: {}", e.message);
    if let Some(hint) = &e.hint {
        eprintln!("hint: {hint}");
    }
    ExitCode::from(if e.bad_input { 2 } else { 1 })
}
