//! `cofee styles` and `cofee models` as a user sees them.

mod common;

use axum::Router;
use axum::routing::get;
use common::*;
use sha1::{Digest, Sha1};

#[test]
fn styles_lists_every_preset_with_a_description() {
    let o = cofee(&["styles"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    for name in cofee_core::style::PRESET_NAMES {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"));
        assert!(line.len() > name.len() + 20, "{line}");
    }
    let o = cofee(&["styles", "--json"]);
    let styles: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(styles.len(), cofee_core::style::PRESET_NAMES.len());
}

#[test]
fn models_pull_downloads_verifies_and_lists() {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha = hex::encode(Sha1::digest(&data));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}/m", listener.local_addr().unwrap());
    let served = data.clone();
    rt.spawn(async move {
        axum::serve(
            listener,
            Router::new().route("/m/{f}", get(move || async move { served.clone() })),
        )
        .await
    });

    let data_dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cofee"))
            .args(args)
            .env("COFEE_DATA_DIR", data_dir.path())
            .env("COFEE_MODELS_BASE_URL", &base)
            .output()
            .unwrap()
    };
    let o = run(&["models", "pull", "custom.en", "--sha1", &sha]);
    assert!(o.status.success(), "{}", stderr(&o));
    let installed = data_dir.path().join("models/ggml-custom.en.bin");
    assert_eq!(std::fs::read(&installed).unwrap(), data);
    let o = run(&["models", "list"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("custom.en"));

    // The generated file is not the real tiny.en: the checksum catches it.
    let o = run(&["models", "pull", "tiny.en"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("checksum mismatch for tiny.en"), "{}", stderr(&o));
    assert!(!data_dir.path().join("models/ggml-tiny.en.bin").exists());

    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cofee"))
        .args(["models", "pull", "base.en"])
        .env("COFEE_DATA_DIR", data_dir.path())
        .env("COFEE_MODELS_BASE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Without internet access"), "{}", stderr(&o));
}

/// `COFEE_ENV=production` refuses to start with a missing or weak secret or a default
/// credential, and names every problem at once.
#[test]
fn production_refuses_weak_and_default_secrets_and_names_them() {
    let env = |secret: Option<&str>| {
        let mut e = vec![
            ("COFEE_ENV", "production".to_string()),
            ("COFEE_DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:1/cofee".to_string()),
            ("COFEE_STORAGE_URL", "file:///nonexistent".to_string()),
        ];
        if let Some(s) = secret {
            e.push(("COFEE_JWT_SECRET", s.to_string()));
        }
        e
    };
    let o = cofee_with_env(&["api", "--listen", "127.0.0.1:0"], &env(None));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("COFEE_JWT_SECRET is not set")
            && e.contains("COFEE_DATABASE_URL uses a default password"),
        "{e}"
    );
    let o = cofee_with_env(&["worker", "--listen", "127.0.0.1:0"], &env(Some("changeme")));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("COFEE_DATABASE_URL uses a default password"), "{}", stderr(&o));
    let o = cofee_with_env(&["api", "--listen", "127.0.0.1:0"], &env(Some("short")));
    assert!(stderr(&o).contains("at least 32"), "{}", stderr(&o));
    // A database URL of another kind is refused, saying what is accepted.
    let o = cofee_with_env(&["migrate"], &[("COFEE_DATABASE_URL", "mysql://x".to_string())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("sqlite:// or postgres://"), "{}", stderr(&o));
}

/// Settings from a configuration file, in the environment variables' names; the environment
/// wins over the file, and a broken file is bad input.
#[test]
fn a_configuration_file_sets_what_the_environment_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let (from_file, from_env) = (dir.path().join("file.db"), dir.path().join("env.db"));
    let config = dir.path().join("cofee.env");
    std::fs::write(
        &config,
        format!("# Cofee\nCOFEE_DATABASE_URL=sqlite://{}\n", from_file.display()),
    )
    .unwrap();

    let o = cofee_with_env(&["migrate", "--config", config.to_str().unwrap()], &[]);
    assert!(o.status.success() && from_file.exists(), "{}", stderr(&o));
    let o = cofee_with_env(
        &["migrate"],
        &[
            ("COFEE_CONFIG", config.display().to_string()),
            ("COFEE_DATABASE_URL", format!("sqlite://{}", from_env.display())),
        ],
    );
    assert!(o.status.success() && from_env.exists(), "the environment wins: {}", stderr(&o));

    std::fs::write(&config, "COFEE_DATABASE_URL sqlite://nowhere.db\n").unwrap();
    let o = cofee_with_env(&["migrate", "--config", config.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cofee.env") && stderr(&o).contains("NAME=value"),
        "{}",
        stderr(&o)
    );
}
