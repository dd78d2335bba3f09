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

/// An S3-compatible server for tests: moto's `moto_server` (installed by `scripts/deps.sh`;
/// `COFEE_TEST_MOTO_SERVER` names it), on a free port of its own; killed on drop.
pub struct MotoServer {
    child: std::process::Child,
    pub port: u16,
}

impl MotoServer {
    pub fn start() -> Self {
        use std::net::TcpListener;
        let program = std::env::var("COFEE_TEST_MOTO_SERVER")
            .unwrap_or_else(|_| "/var/tmp/cofee-venv/bin/moto_server".into());
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("an address")
            .port();
        let child = std::process::Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} ({e}): run scripts/deps.sh or set COFEE_TEST_MOTO_SERVER"));
        Self { child: listening(child, port, "moto"), port }
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

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `redis-server` of the test's own on a free port (for tests that stop and restart it; tests
/// that only need a Redis use the machine's, under a key prefix of their own). Killed on drop.
pub struct RedisTestServer {
    child: std::process::Child,
    pub port: u16,
}

impl RedisTestServer {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::start_on(port)
    }

    /// On `port` (again, after [`RedisTestServer::stop`]: clients see the same address return).
    pub fn start_on(port: u16) -> Self {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server (scripts/deps.sh installs it)");
        Self { child: listening(child, port, "redis-server"), port }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (as a crash would); returns the port to start it on again.
    pub fn stop(mut self) -> u16 {
        self.kill();
        self.port
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

/// `child` once it accepts connections on `port` (within 10 s; else it is killed and the test
/// fails saying which server did not start).
fn listening(mut child: std::process::Child, port: u16, what: &str) -> std::process::Child {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what} did not start on port {port}");
}
