//! `cofee migrate`: brings the database schema up to date, once per deploy (a Kubernetes Job or
//! a compose one-shot). On PostgreSQL the API and workers never migrate; they refuse an older
//! schema. (An embedded SQLite file is migrated by whichever process opens it: one owns it.)

use clap::Args;

use super::config::{BackendArgs, check_environment};
use super::{CliError, CliResult};

#[derive(Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
}

pub async fn run(args: MigrateArgs) -> CliResult {
    check_environment(args.backend.env, &args.backend, None)?;
    let url = args.backend.database()?;
    let applied =
        url.migrate().await.map_err(|e| CliError::internal(format!("migration failed: {e}")))?;
    println!("database schema up to date ({applied} migration(s) applied)");
    Ok(())
}
