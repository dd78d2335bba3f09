use clap::Args;
use cofee_core::style;

use super::CliResult;

#[derive(Args)]
pub struct StylesArgs {
    /// Print the presets as JSON (a starting point for `--style-file`).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StylesArgs) -> CliResult {
    let presets = style::presets();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&presets).expect("styles serialize"));
        return Ok(());
    }
    let width = presets.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in presets {
        println!("{:width$}  {}", s.name, s.description);
    }
    Ok(())
}
