//! The test servers of `cofee_store::testing` are each a server of their own, even when many
//! start at once: each is written to and read back only through its own handle, and what one
//! holds no other does. (A helper that picked a "free" port and handed it to the server could
//! give two of them one port; both handles would then reach the one server that won, and these
//! checks would see another's bucket or key. That race is rare on any one run, so these tests
//! catch it only sometimes; they always check that the servers are distinct and ours.)

use cofee_store::testing::{MotoServer, RedisSocket, RedisTestServer};

/// Runs `f` on `n` threads at once; returns what each returned, in order.
fn at_once<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (f, start) = (&f, &start);
                s.spawn(move || {
                    start.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn redis_get(url: &str, key: &str) -> Option<String> {
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    redis::cmd("GET").arg(key).query(&mut con).unwrap()
}

fn redis_set(url: &str, key: &str, value: &str) {
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    let () = redis::cmd("SET").arg(key).arg(value).query(&mut con).unwrap();
}

#[test]
fn redis_servers_started_at_once_are_each_their_own() {
    let servers = at_once(8, |i| {
        let server = RedisTestServer::start();
        redis_set(&server.url(), "who", &i.to_string());
        server
    });
    for (i, server) in servers.iter().enumerate() {
        assert_eq!(
            redis_get(&server.url(), "who").as_deref(),
            Some(i.to_string().as_str()),
            "server {i} holds its own key only"
        );
    }
    let urls: std::collections::HashSet<_> = servers.iter().map(RedisTestServer::url).collect();
    assert_eq!(urls.len(), servers.len());
}

#[test]
fn a_stopped_redis_server_comes_back_at_its_address_as_a_fresh_server() {
    let server = RedisTestServer::start();
    let url = server.url();
    redis_set(&url, "before", "1");
    let socket = server.stop();
    assert!(
        redis::Client::open(url.as_str()).unwrap().get_connection().is_err(),
        "nothing answers while it is down"
    );
    let again = RedisTestServer::start_at(socket);
    assert_eq!(again.url(), url, "the same address");
    assert_eq!(
        redis_get(&url, "before"),
        None,
        "a server of its own again (nothing saved), not some other"
    );
    redis_set(&url, "after", "2");
    assert_eq!(redis_get(&url, "after").as_deref(), Some("2"));
}

#[test]
fn a_redis_socket_nobody_listens_on_refuses() {
    let socket = RedisSocket::new();
    assert!(redis::Client::open(socket.url().as_str()).unwrap().get_connection().is_err());
}

#[test]
fn moto_servers_started_at_once_are_each_their_own() {
    let servers = at_once(3, |i| {
        let moto = MotoServer::start();
        moto.create_bucket(&format!("bucket-{i}"));
        moto
    });
    for (i, moto) in servers.iter().enumerate() {
        assert_eq!(
            moto.buckets(),
            vec![format!("bucket-{i}")],
            "server {i} (port {}) holds its own bucket only",
            moto.port
        );
    }
    let ports: std::collections::HashSet<_> = servers.iter().map(|m| m.port).collect();
    assert_eq!(ports.len(), servers.len());
}
