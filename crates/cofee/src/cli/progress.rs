//! Progress for people: a bar per stage on a terminal, one line per stage otherwise, nothing
//! with `--quiet`.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use cofee_pipeline::{Reporter, Stage};
use indicatif::{ProgressBar, ProgressStyle};

pub struct TerminalProgress {
    quiet: bool,
    tty: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl TerminalProgress {
    pub fn new(quiet: bool) -> Self {
        Self { quiet, tty: std::io::stderr().is_terminal(), bar: Mutex::new(None) }
    }

    /// A line for the user (not progress), unless quiet.
    pub fn note(&self, msg: &str) {
        if !self.quiet {
            match self.bar.lock().expect("not poisoned").as_ref() {
                Some(b) => b.println(msg),
                None => eprintln!("{msg}"),
            }
        }
    }
}

impl Reporter for TerminalProgress {
    fn start(&self, stage: Stage) {
        if self.quiet || !self.tty {
            return;
        }
        let bar = ProgressBar::new(1000);
        bar.set_style(ProgressStyle::with_template("{prefix:>12.cyan.bold} [{bar:30.green/dim}] {percent:>3}% {elapsed_precise} (eta {eta})").expect("valid template").progress_chars("=> "));
        bar.set_prefix(stage.label());
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.bar.lock().expect("not poisoned") = Some(bar);
    }

    fn progress(&self, _stage: Stage, fraction: f64) {
        if let Some(b) = self.bar.lock().expect("not poisoned").as_ref() {
            b.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
        }
    }

    fn finish(&self, stage: Stage, summary: &str) {
        if let Some(b) = self.bar.lock().expect("not poisoned").take() {
            b.finish_and_clear();
        }
        if !self.quiet {
            eprintln!("{:>12} {summary}", stage.label());
        }
    }
}
