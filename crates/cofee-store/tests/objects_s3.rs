//! Object storage on a real S3-compatible server: moto's (from PyPI, installed by
//! `scripts/deps.sh`; `COFEE_TEST_MOTO_SERVER` names its `moto_server`), started by the test on a
//! port of its own.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cofee_store::StoreError;
use cofee_store::objects::{Objects, S3Location};

struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    async fn start() -> Self {
        let program = std::env::var("COFEE_TEST_MOTO_SERVER").unwrap_or_else(|_| "/var/tmp/cofee-venv/bin/moto_server".into());
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} ({e}): run scripts/deps.sh or set COFEE_TEST_MOTO_SERVER"));
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http.get(format!("http://127.0.0.1:{port}/")).send().await.is_ok() {
                return Self { child, port };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("moto did not start on port {port}");
    }

    async fn bucket(&self, name: &str) {
        let r = reqwest::Client::new().put(format!("http://127.0.0.1:{}/{name}", self.port)).send().await.unwrap();
        assert!(r.status().is_success(), "creating bucket: {}", r.status());
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn files_go_through_s3_in_parts_and_browsers_get_presigned_urls_for_the_public_host() {
    let moto = Moto::start().await;
    moto.bucket("media").await;
    // The service talks to 127.0.0.1; browsers are told "localhost" (a different public host).
    let mut location = S3Location::parse("s3://media/cofee/prod", "us-east-1", Some(format!("http://127.0.0.1:{}", moto.port)), Some(format!("http://localhost:{}", moto.port))).unwrap();
    location.credentials = Some(("cofee-test".into(), "cofee-test-secret-key".into()));
    let objects = Objects::s3(&location).unwrap();
    objects.ping().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.bin");
    let data: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect(); // three 8 MiB parts
    std::fs::write(&src, &data).unwrap();
    assert_eq!(objects.put_file("projects/p1/source", &src).await.unwrap(), data.len() as u64);

    // Workers read through a download into scratch.
    let p = objects.readable_path("projects/p1/source", &dir.path().join("scratch")).await.unwrap();
    assert_eq!(std::fs::read(p).unwrap(), data);

    // The object sits under the prefix in the bucket; the presigned URL names the public host and
    // works without credentials. (moto does not check signatures, so that part is S3's to prove.)
    let url = objects.presigned_get("projects/p1/source", Duration::from_secs(60)).await.unwrap().unwrap();
    assert!(url.starts_with(&format!("http://localhost:{}/media/cofee/prod/projects/p1/source?", moto.port)), "{url}");
    assert_eq!(objects.public_origin(), Some(format!("http://localhost:{}", moto.port).as_str()));
    let r = reqwest::Client::new().get(&url).header("range", "bytes=0-9").send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()["content-type"], "video/mp4", "stored with its media type");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[..10]);

    objects.delete("projects/p1/source").await.unwrap();
    assert!(matches!(objects.readable_path("projects/p1/source", &dir.path().join("s2")).await, Err(StoreError::NotFound)));
    objects.delete("projects/p1/source").await.unwrap(); // deleting twice is fine
}

#[test]
fn storage_urls_parse() {
    let l = S3Location::parse("s3://bucket/a/b/", "eu-west-1", None, None).unwrap();
    assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("bucket", "a/b"));
    assert!(S3Location::parse("s3:///x", "r", None, None).is_err());
    assert!(S3Location::parse("gs://x", "r", None, None).is_err());
}
