//! Throwaway PostgreSQL databases for tests: one per test, created on the server at
//! `COFEE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`), migrated, and
//! dropped when the guard goes — tests never assume an empty server or share state. And Redis
//! servers of a test's own, for tests that make Redis fail.

use crate::Store;

pub fn pg_admin_url() -> String {
    std::env::var("COFEE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A migrated database of its own; dropped (with its connections) on drop.
pub struct PgTestDatabase {
    admin: String,
    name: String,
}

impl PgTestDatabase {
    pub async fn create() -> Self {
        let db = Self::create_empty().await;
        Store::connect_postgres(&db.url(), 1)
            .await
            .unwrap()
            .migrate()
            .await
            .expect("migrations apply");
        db
    }

    /// A database with no schema at all (for testing `cofee migrate`).
    pub async fn create_empty() -> Self {
        let admin = pg_admin_url();
        let name = format!("cofee_test_{}", uuid::Uuid::now_v7().simple());
        let conn = sqlx::PgPool::connect(&admin)
            .await
            .expect("PostgreSQL is reachable (set COFEE_TEST_PG_URL)");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&conn)
            .await
            .expect("CREATE DATABASE");
        Self { admin, name }
    }

    pub fn url(&self) -> String {
        with_database(&self.admin, &self.name)
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop cannot await: a runtime of its own, on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                if let Ok(conn) = sqlx::PgPool::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// How long a test server may take to come up before the test fails saying so.
const STARTUP: std::time::Duration = std::time::Duration::from_secs(30);

/// An S3-compatible server for tests: moto's `moto_server` (installed by `scripts/deps.sh`;
/// `COFEE_TEST_MOTO_SERVER` names it), on a port of its own; killed on drop.
///
/// The port is race-free: moto binds port 0 itself (`-p 0`), so the kernel hands it a port no
/// other socket holds, and we read which one from the line werkzeug logs once it is listening
/// (` * Running on http://127.0.0.1:PORT`). Picking a free port here and passing it on would
/// not do: between dropping our probe listener and moto binding, a server another test (or
/// test binary) starts the same way can be handed the same port; the loser exits and the test
/// talks to — and then loses — the winner, which belongs to someone else.
pub struct MotoServer {
    child: std::process::Child,
    pub port: u16,
}

impl MotoServer {
    pub fn start() -> Self {
        use std::io::BufRead;
        let program = std::env::var("COFEE_TEST_MOTO_SERVER")
            .unwrap_or_else(|_| "/var/tmp/cofee-venv/bin/moto_server".into());
        let mut child = std::process::Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} ({e}): run scripts/deps.sh or set COFEE_TEST_MOTO_SERVER"));
        // moto logs every request to stderr: a thread of its own reads it for as long as moto
        // runs (a full pipe would stall moto), passes on the port, and keeps the first lines
        // for a failure message.
        let stderr = child.stderr.take().expect("a piped stderr");
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let said = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let log = said.clone();
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if port_tx.is_none() {
                    continue;
                }
                let mut log = log.lock().unwrap();
                if log.len() < 4000 {
                    log.push_str(&line);
                    log.push('\n');
                }
                if let Some(port) = werkzeug_port(&line) {
                    let _ = port_tx.take().unwrap().send(port);
                }
            }
        });
        let port = match port_rx.recv_timeout(STARTUP) {
            Ok(port) => port,
            Err(e) => {
                let _ = child.kill();
                let status = child.wait();
                let said = said.lock().unwrap();
                panic!(
                    "moto ({program}) did not say which port it listens on ({e}; {status:?}):\n{said}"
                );
            }
        };
        // It has bound the port and is listening: no other server can hold it while it lives.
        Self {
            child: answering(child, "moto", || {
                std::net::TcpStream::connect(("127.0.0.1", port)).map(drop)
            }),
            port,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (moto accepts unsigned requests).
    pub fn create_bucket(&self, name: &str) {
        let status = self.request("PUT", &format!("/{name}"));
        assert!(status.starts_with("HTTP/1.1 200"), "creating bucket {name}: {status}");
    }

    /// How many objects the bucket holds under `prefix`.
    pub fn count(&self, bucket: &str, prefix: &str) -> usize {
        self.request("GET", &format!("/{bucket}?list-type=2&prefix={prefix}"))
            .matches("<Key>")
            .count()
    }

    /// The names of the buckets it holds.
    pub fn buckets(&self) -> Vec<String> {
        let listing = self.request("GET", "/");
        listing
            .split("<Name>")
            .skip(1)
            .filter_map(|s| s.split_once("</Name>"))
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// A bare HTTP/1.1 request (no client library needed); returns the whole response.
    fn request(&self, method: &str, path: &str) -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("moto answers");
        write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", self.port).expect("request sent");
        let mut response = String::new();
        s.read_to_string(&mut response).expect("response read");
        response
    }
}

/// The port in werkzeug's ` * Running on http://127.0.0.1:PORT` (ANSI colours or not).
fn werkzeug_port(line: &str) -> Option<u16> {
    let rest =
        &line[line.find("Running on http://127.0.0.1:")? + "Running on http://127.0.0.1:".len()..];
    let digits = &rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())];
    digits.parse().ok().filter(|&p| p != 0)
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where a [`RedisTestServer`] listens: a unix socket in a directory of its own under `/tmp`
/// (mode 0700, a fresh name), removed when the last clone goes. Kept across
/// [`RedisTestServer::stop`], so a server started again on it is at the same address.
///
/// A socket rather than a TCP port because redis-server cannot bind port 0 and say which port it
/// got (`--port 0` turns TCP off), and a port picked here and handed over is a race: another
/// test's server can take it first (the loser exits; ours then answers someone else's), and a
/// port freed by `stop` can be taken before the server comes back on it. Nobody else can create
/// a socket in our directory, so neither can happen. The code under test opens Redis by URL and
/// does the same over a socket as over TCP; tests that only need a Redis use the machine's, over
/// TCP.
#[derive(Clone)]
pub struct RedisSocket(std::sync::Arc<PrivateDir>);

struct PrivateDir(std::path::PathBuf);

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl RedisSocket {
    /// A new address, nothing listening on it yet.
    pub fn new() -> Self {
        use std::os::unix::fs::DirBuilderExt;
        // Short (a socket's path has at most 107 bytes), so /tmp rather than $TMPDIR.
        let dir = std::path::Path::new("/tmp")
            .join(format!("cofee-redis-{}", uuid::Uuid::now_v7().simple()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        Self(std::sync::Arc::new(PrivateDir(dir)))
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.0.0.join("redis.sock")
    }

    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.path().display())
    }
}

impl Default for RedisSocket {
    fn default() -> Self {
        Self::new()
    }
}

/// A `redis-server` of the test's own, on a [`RedisSocket`] of its own (for tests that stop and
/// restart it; tests that only need a Redis use the machine's, under a key prefix of their own).
/// Killed on drop.
pub struct RedisTestServer {
    child: std::process::Child,
    socket: RedisSocket,
}

impl RedisTestServer {
    pub fn start() -> Self {
        Self::start_at(RedisSocket::new())
    }

    /// On `socket` (again, after [`RedisTestServer::stop`]: clients see the same address return).
    pub fn start_at(socket: RedisSocket) -> Self {
        let path = socket.path();
        // Whatever a killed server left there is only a file; the new one replaces it.
        let child = std::process::Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&path)
            .args(["--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir"])
            .arg(&socket.0.0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (scripts/deps.sh installs it)");
        // Only our child can listen on a socket in our directory, and the one before it (if
        // any) was killed and reaped: a socket that answers is this server's.
        Self {
            child: answering(child, "redis-server", || {
                std::os::unix::net::UnixStream::connect(&path).map(drop)
            }),
            socket,
        }
    }

    pub fn url(&self) -> String {
        self.socket.url()
    }

    /// Kills it (as a crash would); returns the address to start it on again.
    pub fn stop(mut self) -> RedisSocket {
        self.kill();
        self.socket.clone()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisTestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `child` once `connect` succeeds while it runs (within [`STARTUP`]; else, or if it exits
/// first, it is killed and the test fails saying which server did not start and why).
fn answering(
    mut child: std::process::Child,
    what: &str,
    connect: impl Fn() -> std::io::Result<()>,
) -> std::process::Child {
    let deadline = std::time::Instant::now() + STARTUP;
    let mut last = None;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before it answered ({status}; last connect: {last:?})");
        }
        match connect() {
            Ok(()) => return child,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what} did not answer within {STARTUP:?} (last connect: {last:?})");
}

#[cfg(test)]
mod tests {
    #[test]
    fn werkzeug_says_its_port() {
        assert_eq!(super::werkzeug_port(" * Running on http://127.0.0.1:37763"), Some(37763));
        assert_eq!(
            super::werkzeug_port("\u{1b}[1m * Running on http://127.0.0.1:5000\u{1b}[0m"),
            Some(5000)
        );
        assert_eq!(super::werkzeug_port("Press CTRL+C to quit"), None);
        assert_eq!(super::werkzeug_port(" * Running on http://127.0.0.1:0"), None);
    }
}
