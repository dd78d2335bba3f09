//! Readiness follows the database: a throwaway PostgreSQL of the test's own (`initdb` + `pg_ctl`
//! on a free port, never the machine's shared server) is stopped under a running worker and
//! started again; `/health/ready` answers 503 while it is gone and 200 when it is back, and the
//! worker takes jobs again without a restart.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cofee_store::postgres::PgStore;
use cofee_store::queue::{JobQueue, JobState, NewJob};
use common::*;
use serde_json::{Value, json};

/// A PostgreSQL cluster in a temporary directory. initdb refuses to run as root, so as root the
/// tools run as the `postgres` system user.
struct ThrowawayPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl ThrowawayPostgres {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL server binaries are installed").flatten().map(|e| e.path().join("bin")).find(|b| b.join("initdb").exists()).expect("initdb");
        let dir = tempfile::Builder::new().prefix("cofee-pg-").tempdir_in("/tmp").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = Self { dir, bin, port };
        if pg.as_root() {
            assert!(Command::new("chown").args(["-R", "postgres:postgres"]).arg(pg.dir.path()).status().unwrap().success());
        }
        pg.run("initdb", &["-D", &pg.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        pg.up();
        pg
    }

    fn as_root(&self) -> bool {
        // The real uid, from /proc (no libc call needed in a test).
        std::fs::read_to_string("/proc/self/status").unwrap().lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut cmd = if self.as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = cmd.args(args).current_dir(self.dir.path()).output().unwrap();
        assert!(out.status.success(), "{tool} {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    fn up(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display());
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &self.dir.path().join("log").display().to_string(), "-w", "start"]);
    }

    fn down(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| self.down());
    }
}

fn ready(url: &str) -> (u16, Value) {
    let out = Command::new("curl").args(["-s", "-m", "5", "-w", "\n%{http_code}", &format!("{url}/health/ready")]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), serde_json::from_str(body).unwrap_or(Value::Null))
}

fn wait_for(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

fn objects_url(dir: &Path) -> String {
    format!("file://{}", dir.join("objects").display())
}

#[test]
fn readiness_follows_the_database_and_workers_resume_without_a_restart() {
    let pg = ThrowawayPostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let env = [("COFEE_DATABASE_URL", pg.url()), ("COFEE_STORAGE_URL", objects_url(dir.path()))];
    let o = cofee_with_env(&["migrate"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut worker = Role::start(&["worker", "--queues", "notify", "--listen", "127.0.0.1:0", "--scratch-dir", dir.path().join("tmp").to_str().unwrap()], &env);

    let (code, body) = ready(&worker.url);
    assert_eq!((code, body["database"].as_str()), (200, Some("ok")), "{body}");

    pg.down();
    wait_for("readiness to report the database down", 20, || {
        let (code, body) = ready(&worker.url);
        code == 503 && body["database"] == "down" && body["storage"] == "ok"
    });

    // …and says so in its metrics, which the readiness alert watches.
    let dependency = |name: &str| {
        let out = Command::new("curl").args(["-s", "-m", "5", &format!("{}/metrics", worker.url)]).output().unwrap();
        metric(&String::from_utf8_lossy(&out.stdout), &format!("dependency_up{{dependency=\"{name}\"}}"))
    };
    assert_eq!((dependency("database"), dependency("storage")), (Some(0.0), Some(1.0)));

    pg.up();
    wait_for("readiness to recover", 30, || ready(&worker.url).0 == 200);
    assert_eq!(dependency("database"), Some(1.0));

    // The same worker process takes new work: a webhook delivery for a webhook that does not
    // exist ends dead at once — proof it was claimed and run.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = PgStore::connect(&pg.url(), 2).await.unwrap();
        let id = store.enqueue(NewJob::new("notify", "webhook", json!({"webhook_id": uuid::Uuid::now_v7(), "event": "job.succeeded", "data": {}}))).await.unwrap();
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let state = store.get(id).await.unwrap().state;
            if state != JobState::Queued && state != JobState::Running {
                break;
            }
            assert!(Instant::now() < until, "the worker did not take the job after the database came back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    assert!(worker.stop(20).success());
}
