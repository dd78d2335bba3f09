//! Object storage on a real S3-compatible server: moto's, started by the test (see
//! `cofee_store::testing::MotoServer`).

use std::time::Duration;

use cofee_store::StoreError;
use cofee_store::objects::{Objects, S3Location};
use cofee_store::testing::MotoServer;

#[tokio::test]
async fn files_go_through_s3_in_parts_and_browsers_get_presigned_urls_for_the_public_host() {
    let moto = MotoServer::start();
    moto.create_bucket("media");
    // The service talks to 127.0.0.1; browsers are told "localhost" (a different public host).
    let mut location = S3Location::parse(
        "s3://media/cofee/prod",
        "us-east-1",
        Some(format!("http://127.0.0.1:{}", moto.port)),
        Some(format!("http://localhost:{}", moto.port)),
    )
    .unwrap();
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
    let url = objects
        .presigned_get("projects/p1/source", Duration::from_secs(60), None)
        .await
        .unwrap()
        .unwrap();
    assert!(
        url.starts_with(&format!(
            "http://localhost:{}/media/cofee/prod/projects/p1/source?",
            moto.port
        )),
        "{url}"
    );
    assert_eq!(objects.public_origin(), Some(format!("http://localhost:{}", moto.port).as_str()));
    let r = reqwest::Client::new().get(&url).header("range", "bytes=0-9").send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()["content-type"], "video/mp4", "stored with its media type");
    let headers = format!("{:?}", r.headers());
    let body = r.bytes().await.unwrap();
    assert!(
        body.len() == 10 && body.as_ref() == &data[..10],
        "a range of 10 bytes, got {} bytes; headers {headers}",
        body.len()
    );
    // A download link names the file (the parameter is part of what is signed).
    let url = objects
        .presigned_get("projects/p1/source", Duration::from_secs(60), Some("talk.mp4"))
        .await
        .unwrap()
        .unwrap();
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"talk.mp4\"");

    assert_eq!(moto.count("media", "cofee/prod/projects/p1/"), 1);
    objects.delete("projects/p1/source").await.unwrap();
    assert_eq!(moto.count("media", "cofee/prod/projects/p1/"), 0);
    assert!(matches!(
        objects.readable_path("projects/p1/source", &dir.path().join("s2")).await,
        Err(StoreError::NotFound)
    ));
    objects.delete("projects/p1/source").await.unwrap(); // deleting twice is fine
}

/// What resumable uploads need: the keys under a folder (relative to the store's prefix, not
/// the bucket's root, and nothing from a neighbouring folder), and objects appended to a file.
#[tokio::test]
async fn a_folder_is_listed_under_the_prefix_and_objects_append_to_a_file() {
    let moto = MotoServer::start();
    moto.create_bucket("media");
    let mut location = S3Location::parse(
        "s3://media/tenant",
        "us-east-1",
        Some(format!("http://127.0.0.1:{}", moto.port)),
        None,
    )
    .unwrap();
    location.credentials = Some(("cofee-test".into(), "cofee-test-secret-key".into()));
    let objects = Objects::s3(&location).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (key, bytes) in
        [("uploads/u1/a", &b"hello "[..]), ("uploads/u1/b", b"world"), ("uploads/u10/a", b"other")]
    {
        std::fs::write(dir.path().join("f"), bytes).unwrap();
        objects.put_file(key, &dir.path().join("f")).await.unwrap();
    }
    let mut keys = objects.list("uploads/u1").await.unwrap();
    keys.sort();
    assert_eq!(keys, ["uploads/u1/a", "uploads/u1/b"]);
    assert!(objects.list("uploads/none").await.unwrap().is_empty());
    let mut out = tokio::fs::File::create(dir.path().join("joined")).await.unwrap();
    for key in &keys {
        objects.append_to(key, &mut out).await.unwrap();
    }
    drop(out);
    assert_eq!(std::fs::read(dir.path().join("joined")).unwrap(), b"hello world");
}

#[test]
fn storage_urls_parse() {
    let l = S3Location::parse("s3://bucket/a/b/", "eu-west-1", None, None).unwrap();
    assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("bucket", "a/b"));
    assert!(S3Location::parse("s3:///x", "r", None, None).is_err());
    assert!(S3Location::parse("gs://x", "r", None, None).is_err());
}
