//! `docs/limits.md` lists every limit: each constant of the limit modules, and each quota's
//! setting, is named there (a limit added without its line fails here).

const DOC: &str = include_str!("../../../docs/limits.md");

fn constants(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|rest| rest.split(':').next())
        .collect()
}

#[test]
fn every_limit_constant_is_documented() {
    let sources = [
        include_str!("../../cofee-core/src/limits.rs"),
        include_str!("../src/limits.rs"),
        include_str!("../src/middleware/deadline.rs"),
    ];
    let names: Vec<&str> = sources.iter().flat_map(|s| constants(s)).collect();
    assert!(names.len() >= 12, "{names:?}");
    let missing: Vec<&&str> = names.iter().filter(|n| !DOC.contains(&format!("`{n}`"))).collect();
    assert!(missing.is_empty(), "limits not in docs/limits.md: {missing:?}");
}

#[test]
fn every_quota_and_budget_setting_is_documented() {
    let config = include_str!("../../cofee/src/cli/config.rs");
    let settings: Vec<&str> = config
        .split("env = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|env| {
            env.starts_with("COFEE_QUOTA_")
                || env.starts_with("COFEE_RATE_LIMIT_")
                || *env == "COFEE_OWNER_SHARE"
                || *env == "COFEE_ACCESS_TOKEN_TTL_SECS"
        })
        .collect();
    assert!(settings.len() >= 9, "{settings:?}");
    let missing: Vec<&&str> =
        settings.iter().filter(|s| !DOC.contains(&format!("`{s}`"))).collect();
    assert!(missing.is_empty(), "settings not in docs/limits.md: {missing:?}");
}
