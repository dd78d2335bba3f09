//! Webhook deliveries reach only addresses that were checked. A name that answers a public
//! address first and a private one next (DNS rebinding) gets one lookup per delivery, checked,
//! and the connection goes to what the check saw; the private answer is refused for good. The
//! test stands in 127.0.0.2 for "public" and 127.0.0.1 for "private" (the real ranges are a unit
//! test of `addresses.rs`), with a receiver on each.

use std::collections::VecDeque;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cofee_jobs::{JobOrigin, Queue, WebhookDelivery};
use cofee_store::Store;
use cofee_store::accounts::Accounts;
use cofee_store::queue::{Job, JobQueue, JobState};
use cofee_store::webhooks::Webhooks;
use cofee_worker::handlers::{AddressPolicy, Lookup, NotifyHandler};
use cofee_worker::{CancellationToken, WorkerConfig, typed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers each lookup with the next address of its list (the last one for ever after).
struct Rebinding {
    answers: Mutex<VecDeque<IpAddr>>,
    asked: AtomicUsize,
}

impl Lookup for Rebinding {
    fn lookup(
        &self,
        _host: &str,
    ) -> Pin<Box<dyn Future<Output = std::io::Result<Vec<IpAddr>>> + Send + 'static>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        let mut answers = self.answers.lock().unwrap();
        let ip = if answers.len() > 1 { answers.pop_front().unwrap() } else { answers[0] };
        Box::pin(std::future::ready(Ok(vec![ip])))
    }
}

/// Counts the requests that reach `ip:port`; answers each 204 and closes (no pooled connection
/// carries a later delivery past the lookup).
async fn receiver(ip: &str, port: u16) -> std::io::Result<Arc<AtomicUsize>> {
    let listener = tokio::net::TcpListener::bind((ip, port)).await?;
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut request = [0u8; 4096];
            let _ = conn.read(&mut request).await;
            let _ = conn.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").await;
        }
    });
    Ok(hits)
}

/// Receivers on 127.0.0.2 ("public") and 127.0.0.1 ("private") at one port.
async fn receivers() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    for _ in 0..50 {
        let public = tokio::net::TcpListener::bind(("127.0.0.2", 0)).await.unwrap();
        let port = public.local_addr().unwrap().port();
        drop(public);
        if let (Ok(public), Ok(private)) =
            (receiver("127.0.0.2", port).await, receiver("127.0.0.1", port).await)
        {
            return (port, public, private);
        }
    }
    panic!("no port free on both 127.0.0.2 and 127.0.0.1");
}

async fn finished(store: &Store, id: uuid::Uuid) -> Job {
    for _ in 0..500 {
        let job = store.get(id).await.unwrap();
        if job.state.is_final() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the delivery did not finish");
}

#[tokio::test]
async fn a_rebinding_name_is_delivered_only_to_the_address_that_was_checked() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_sqlite(&dir.path().join("cofee.db")).await.unwrap());
    let owner = store.create_user("ada@example.com", "hash").await.unwrap().id;
    let (port, public, private) = receivers().await;
    let url = format!("http://hooks.example:{port}/in");
    let hook = store.create_webhook(owner, &url, &["*".to_string()], "whsec").await.unwrap();
    let literal = store
        .create_webhook(owner, &format!("http://127.0.0.1:{port}/in"), &["*".to_string()], "whsec")
        .await
        .unwrap();

    let lookup = Arc::new(Rebinding {
        answers: Mutex::new(["127.0.0.2", "127.0.0.1"].map(|a| a.parse().unwrap()).into()),
        asked: AtomicUsize::new(0),
    });
    let policy =
        AddressPolicy { allow_private: false, is_public: |ip| ip == IpAddr::from([127, 0, 0, 2]) };
    let handler = typed(NotifyHandler::resolving_with(store.clone(), lookup.clone(), policy));
    let stop = CancellationToken::new();
    let config = WorkerConfig {
        poll_interval: Duration::from_millis(20),
        ..WorkerConfig::new(Queue::Notify, "w1")
    };
    let worker = tokio::spawn(cofee_worker::run(store.clone(), handler, config, stop.clone()));

    let deliver = |webhook_id| {
        let job = WebhookDelivery {
            webhook_id,
            event: "job.succeeded".into(),
            data: serde_json::json!({}),
        };
        cofee_jobs::new_job(&job, JobOrigin { owner: Some(owner), ..JobOrigin::default() })
    };
    let first = finished(&store, store.enqueue(deliver(hook.id)).await.unwrap()).await;
    assert_eq!(first.state, JobState::Succeeded, "{:?}", first.error);
    assert_eq!(
        (public.load(Ordering::SeqCst), lookup.asked.load(Ordering::SeqCst)),
        (1, 1),
        "one lookup, checked, and the connection went to it"
    );

    let second = finished(&store, store.enqueue(deliver(hook.id)).await.unwrap()).await;
    assert_eq!(
        second.state,
        JobState::Dead,
        "a name that now resolves to a private address is refused for good"
    );
    assert!(
        second
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("127.0.0.1, which is not a public address"),
        "{:?}",
        second.error
    );

    let third = finished(&store, store.enqueue(deliver(literal.id)).await.unwrap()).await;
    assert_eq!(third.state, JobState::Dead, "a private address written in the URL is refused too");

    assert_eq!(private.load(Ordering::SeqCst), 0, "nothing reached the private address");
    assert_eq!(
        lookup.asked.load(Ordering::SeqCst),
        2,
        "one lookup per delivery to a name, none for an address"
    );
    stop.cancel();
    worker.await.unwrap();
}
