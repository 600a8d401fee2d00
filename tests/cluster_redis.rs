//! Redis as production runs it, against real servers started by each test on free loopback
//! ports: TLS (`rediss://` with a test CA made by rcgen), an ACL user with a password (right
//! password works; a wrong or missing one is an error line naming the cause within about a
//! second), and Sentinel (a primary, a replica and three sentinels; the primary is killed
//! under a running match and matchmaking resumes on the promoted replica).
//!
//! Without redis-server (or, for the Sentinel test, redis-sentinel) installed a test is
//! skipped with a message, except under CI (`CI` set), where that is a failure.

mod common;

use common::cluster::{SECRET, SERIAL, cluster_view_until, free_port, seat, targets};
use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tickwave::ClusterConfig;
use tickwave_bots::Client;
use tickwave_protocol::ServerMessage;

/// Is `bin` installed? Under CI a missing one fails the test instead of skipping it.
fn installed(bin: &str, package: &str) -> bool {
    if Command::new(bin).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{bin} is not installed; CI must install it (apt-get install {package})"
    );
    eprintln!("SKIPPED: {bin} is not installed (apt-get install {package})");
    false
}

/// A Redis process (server or sentinel) killed on drop.
struct Proc {
    child: Child,
}

impl Proc {
    /// `bin conf` (a config file the process may rewrite: Sentinel does), up once its port
    /// accepts connections.
    fn start(bin: &str, conf: &Path, extra: &[&str], port: u16) -> Proc {
        let child = Command::new(bin)
            .arg(conf)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis starts");
        let mut p = Proc { child };
        let end = Instant::now() + 10 * SEC;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(st)) = p.child.try_wait() {
                panic!("{bin} on port {port} exited: {st}");
            }
            assert!(Instant::now() < end, "{bin} did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        p
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A redis-server config: loopback, no persistence, plus `extra` lines.
fn server_conf(dir: &Path, name: &str, port: u16, extra: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.conf"));
    let text = format!(
        "port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndaemonize no\ndir {}\n{extra}\n",
        dir.display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A cluster node in this process whose Redis settings `f` fills in.
async fn node_on(id: &str, f: impl FnOnce(&mut ClusterConfig) + Send + 'static) -> TestServer {
    let port = free_port();
    let id = id.to_owned();
    start_with(move |c| {
        c.listen = format!("127.0.0.1:{port}").parse().unwrap();
        c.modes = vec![quick_mode("duo", 2, 2)];
        let public = format!("wss://127.0.0.1:{port}/ws");
        let mut cl = ClusterConfig::new("", &id, &public, SECRET);
        f(&mut cl);
        c.cluster = Some(cl);
    })
    .await
}

async fn live_nodes(n: &TestServer, count: usize, t: Duration) {
    cluster_view_until(n, t, &format!("{count} live nodes"), |v| {
        v["nodes"]
            .as_array()
            .is_some_and(|a| a.iter().filter(|n| n["health"] == "up").count() == count)
    })
    .await;
}

/// Two players queue on `on` and end up in one lobby (through Redis: the shared queue, the
/// lease holder's matching, maybe a redirect). Returns both clients.
async fn a_match(
    all: &[&TestServer],
    on: (&TestServer, &TestServer),
    tag: &str,
) -> (Client, Client) {
    let t = targets(all);
    let (na, nb) = (format!("{tag}-a"), format!("{tag}-b"));
    let (mut a, _) = on.0.client(&na).await;
    let (mut b, _) = on.1.client(&nb).await;
    a.send(&find("duo")).await.unwrap();
    b.send(&find("duo")).await.unwrap();
    let ((a, fa), (b, fb)) = tokio::join!(seat(&t, a, &na), seat(&t, b, &nb));
    assert_eq!(fa.lobby, fb.lobby, "one lobby");
    (a, b)
}

/// A test CA and a server certificate for 127.0.0.1 signed by it, as PEM files in `dir`:
/// (ca.pem, cert.pem, key.pem).
fn test_pki(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let paths = (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_with_a_private_ca_registers_and_matches() {
    let _serial = SERIAL.lock().await;
    if !installed("redis-server", "redis-server") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_pki(dir.path());
    let port = free_port();
    // TLS only: the plain port is off, so a node that did not speak TLS could not register.
    let tls = format!(
        "tls-port {port}\ntls-cert-file {}\ntls-key-file {}\ntls-ca-cert-file {}\ntls-auth-clients no",
        cert.display(),
        key.display(),
        ca.display()
    );
    let conf = server_conf(dir.path(), "tls", 0, &tls);
    let _redis = Proc::start("redis-server", &conf, &[], port);
    let pem = std::fs::read(&ca).unwrap();
    let url = format!("rediss://127.0.0.1:{port}");
    let (u1, p1) = (url.clone(), pem.clone());
    let n1 = node_on("t1", move |c| {
        c.redis_url = u1;
        c.redis_ca = Some(p1);
    })
    .await;
    let n2 = node_on("t2", move |c| {
        c.redis_url = url;
        c.redis_ca = Some(pem);
    })
    .await;
    live_nodes(&n1, 2, 10 * SEC).await;
    let (_a, _b) = a_match(&[&n1, &n2], (&n1, &n2), "tls").await;
}

#[test]
fn a_ca_file_without_a_certificate_or_without_tls_refuses_to_start_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "hello\n").unwrap();
    let secret = std::str::from_utf8(SECRET).unwrap();
    let run = |url: &str, ca: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_tickwave"))
            .args(["--listen", "127.0.0.1:0", "--cluster", url, "--node-id", "x"])
            .args(["--public-url", "wss://127.0.0.1:1/ws", "--cluster-redis-ca"])
            .arg(ca)
            .arg("--data-dir")
            .arg(dir.path())
            .env("TICKWAVE_CLUSTER_SECRET", secret)
            .output()
            .unwrap();
        assert!(!out.status.success(), "must refuse to start");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run("rediss://127.0.0.1:1", &bad);
    assert!(err.contains("--cluster-redis-ca") && err.contains("no CERTIFICATE"), "{err}");
    let (ca, _, _) = test_pki(dir.path());
    let err = run("redis://127.0.0.1:1", &ca);
    assert!(err.contains("--cluster-redis-ca needs a rediss://"), "{err}");
    let err = run("http://127.0.0.1:1", &ca);
    assert!(err.contains("--cluster: unsupported scheme"), "{err}");
}

/// A `tickwave` process whose stdout lines arrive on a channel, with the time of each.
struct Logged {
    child: Child,
    lines: std::sync::mpsc::Receiver<(Instant, String)>,
}

impl Logged {
    fn start(args: &[&str], dir: &Path) -> Logged {
        let port = free_port();
        let public = format!("wss://127.0.0.1:{port}/ws");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tickwave"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir)
            .args(["--node-id", "refused", "--public-url", &public])
            .args(args)
            .env("TICKWAVE_CLUSTER_SECRET", std::str::from_utf8(SECRET).unwrap())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the tickwave binary starts");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send((Instant::now(), l));
            }
        });
        Logged { child, lines }
    }

    /// Lines until one matches `f` (returned with the time since the listening line) or `t`
    /// passes; every line read is kept in `seen`.
    fn until(
        &self,
        t: Duration,
        seen: &mut Vec<String>,
        f: impl Fn(&str) -> bool,
    ) -> Option<Duration> {
        let end = Instant::now() + t;
        let mut listening = None;
        while let Ok((at, l)) =
            self.lines.recv_timeout(end.saturating_duration_since(Instant::now()))
        {
            if listening.is_none() && l.contains("listening on") {
                listening = Some(at);
            }
            let hit = f(&l);
            seen.push(l);
            if hit {
                return Some(at - listening.unwrap_or(at));
            }
        }
        None
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acl_user_logs_in_and_a_refused_login_is_an_error_line_at_once() {
    let _serial = SERIAL.lock().await;
    if !installed("redis-server", "redis-server") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let acl = "requirepass default-pass-4711\nuser app on >app-pass-4711 ~* &* +@all";
    let conf = server_conf(dir.path(), "acl", port, acl);
    let _redis = Proc::start("redis-server", &conf, &[], port);

    // The right user and password: registered, matched.
    let url = format!("redis://app:app-pass-4711@127.0.0.1:{port}");
    let n1 = node_on("a1", move |c| c.redis_url = url).await;
    live_nodes(&n1, 1, 10 * SEC).await;
    let (_a, _b) = a_match(&[&n1], (&n1, &n1), "acl").await;

    // A wrong password (from the password file) and no password at all: an ERROR line that
    // names the cause, within about a second of the node listening, and never the password.
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "wrong-pass-4711\n").unwrap();
    let wrong_url = format!("redis://app@127.0.0.1:{port}");
    let none_url = format!("redis://127.0.0.1:{port}");
    let cases: [(&str, Vec<&str>, &str); 2] = [
        (
            "WRONGPASS",
            vec!["--cluster", &wrong_url, "--cluster-redis-password-file", pw.to_str().unwrap()],
            "wrong",
        ),
        ("NOAUTH", vec!["--cluster", &none_url], "none"),
    ];
    for (cause, args, name) in cases {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        let p = Logged::start(&args, &d);
        let mut seen = Vec::new();
        let after =
            p.until(10 * SEC, &mut seen, |l| l.contains("ERROR") && l.contains("redis refused"));
        let all = seen.join("\n");
        let after = after.unwrap_or_else(|| panic!("no refusal line for {cause}:\n{all}"));
        let line = seen.last().unwrap();
        assert!(line.contains(cause), "the line names {cause}: {line}");
        assert!(after < Duration::from_millis(1500), "{cause} logged {after:?} after listening");
        // Retries do not repeat the line every second.
        p.until(Duration::from_secs(2), &mut seen, |_| false);
        let all = seen.join("\n");
        assert_eq!(all.matches("redis refused").count(), 1, "{all}");
        assert!(!all.contains("pass-4711"), "a password reached the log:\n{all}");
        eprintln!("{cause}: error line {after:?} after the listening line");
    }
}

/// `SENTINEL <args>` on one sentinel, as strings (empty on any error).
fn sentinel_query(port: u16, args: &[&str]) -> redis::Value {
    let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}")) else {
        return redis::Value::Nil;
    };
    let Ok(mut c) = client.get_connection() else { return redis::Value::Nil };
    redis::cmd("SENTINEL").arg(args).query(&mut c).unwrap_or(redis::Value::Nil)
}

fn count_entries(v: &redis::Value) -> usize {
    match v {
        redis::Value::Array(a) => a.len(),
        _ => 0,
    }
}

/// The port the sentinels name as primary now.
fn primary_port(sentinel: u16) -> Option<u16> {
    match sentinel_query(sentinel, &["get-master-addr-by-name", "tw"]) {
        redis::Value::Array(a) if a.len() == 2 => match &a[1] {
            redis::Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_failover_under_a_running_match_and_matchmaking_resumes() {
    let _serial = SERIAL.lock().await;
    if !installed("redis-server", "redis-server") || !installed("redis-sentinel", "redis-sentinel")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (pp, rp) = (free_port(), free_port());
    let d = |n: &str| {
        let p = dir.path().join(n);
        std::fs::create_dir_all(&p).unwrap();
        p
    };
    let mut primary = Proc::start("redis-server", &server_conf(&d("p"), "p", pp, ""), &[], pp);
    let replica_conf = server_conf(&d("r"), "r", rp, &format!("replicaof 127.0.0.1 {pp}"));
    let _replica = Proc::start("redis-server", &replica_conf, &[], rp);
    let sports = [free_port(), free_port(), free_port()];
    let _sentinels: Vec<Proc> = sports
        .iter()
        .enumerate()
        .map(|(i, &sp)| {
            let sd = d(&format!("s{i}"));
            let conf = sd.join("sentinel.conf");
            std::fs::write(
                &conf,
                format!(
                    "port {sp}\nbind 127.0.0.1\ndaemonize no\ndir {}\n\
                     sentinel monitor tw 127.0.0.1 {pp} 2\n\
                     sentinel down-after-milliseconds tw 1000\n\
                     sentinel failover-timeout tw 5000\n\
                     sentinel parallel-syncs tw 1\n",
                    sd.display()
                ),
            )
            .unwrap();
            Proc::start("redis-sentinel", &conf, &[], sp)
        })
        .collect();
    // The sentinels must know the replica and each other before a failover can happen.
    let end = Instant::now() + 20 * SEC;
    while !sports.iter().all(|&s| {
        count_entries(&sentinel_query(s, &["replicas", "tw"])) == 1
            && count_entries(&sentinel_query(s, &["sentinels", "tw"])) == 2
    }) {
        assert!(Instant::now() < end, "sentinels did not discover the replica and each other");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let hosts: Vec<String> = sports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let url = format!("redis+sentinel://{}/tw", hosts.join(","));
    let u2 = url.clone();
    let n1 = node_on("s1", move |c| c.redis_url = url).await;
    let n2 = node_on("s2", move |c| c.redis_url = u2).await;
    live_nodes(&n1, 2, 10 * SEC).await;
    let (mut a, mut b) = a_match(&[&n1, &n2], (&n1, &n2), "before").await;

    let t0 = Instant::now();
    primary.kill();
    let end = Instant::now() + 20 * SEC;
    while primary_port(sports[0]) != Some(rp) {
        assert!(Instant::now() < end, "no failover to the replica");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failover = t0.elapsed();
    // Matchmaking resumes on the promoted replica: two new players find a match.
    let (_c, _d) = a_match(&[&n1, &n2], (&n2, &n1), "after").await;
    let resumed = t0.elapsed();
    // And the match that was running during the failover still ticks.
    for c in [&mut a, &mut b] {
        c.recv_until(5 * SEC, "state", |m| {
            matches!(m, ServerMessage::Snapshot(_) | ServerMessage::Delta(_)).then_some(())
        })
        .await
        .expect("the running match goes on");
    }
    eprintln!(
        "primary killed: sentinels promoted the replica after {failover:?}; a new match at {resumed:?}"
    );
    assert!(resumed < 20 * SEC, "{resumed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cluster_server_is_refused_at_start() {
    let _serial = SERIAL.lock().await;
    if !installed("redis-server", "redis-server") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = server_conf(
        dir.path(),
        "rc",
        port,
        "cluster-enabled yes\ncluster-config-file rc-nodes.conf",
    );
    let _redis = Proc::start("redis-server", &conf, &[], port);
    let out = Command::new(env!("CARGO_BIN_EXE_tickwave"))
        .args(["--listen", "127.0.0.1:0", "--node-id", "x", "--public-url", "wss://127.0.0.1:1/ws"])
        .args(["--cluster", &format!("redis://127.0.0.1:{port}"), "--data-dir"])
        .arg(dir.path())
        .env("TICKWAVE_CLUSTER_SECRET", std::str::from_utf8(SECRET).unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "must refuse to start: {err}");
    assert!(err.contains("Redis Cluster mode"), "{err}");
}
