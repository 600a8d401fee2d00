//! Connection churn leaves nothing behind. In its own test binary, because RSS is per
//! process and other tests running in parallel would add their own allocations.

mod common;

use common::*;
use std::sync::Arc;
use std::time::Duration;

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap()
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_connect_disconnect_cycles_leave_nothing_behind() {
    let s = start_with(|c| c.resume_grace = Duration::from_millis(200)).await;
    let s = Arc::new(s);
    let cycle = |s: Arc<TestServer>, i: usize| async move {
        let (mut c, _) = s.client(&format!("c{i}")).await;
        if i % 2 == 0 {
            c.ws.close(None).await.unwrap(); // polite close
            let _ = c.closed(5 * SEC).await;
        } // else: dropped abruptly
    };
    // warm up allocator pools and the TLS session machinery before the baseline
    for i in 0..50 {
        cycle(s.clone(), i).await;
    }
    s.eventually(10 * SEC, "warm-up sessions freed", |srv| srv.session_count() == 0).await;
    let (rss0, fds0) = (rss_kib(), open_fds());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000 {
        tasks.spawn(cycle(s.clone(), i));
        if tasks.len() >= 16 {
            tasks.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    s.eventually(10 * SEC, "every session freed", |srv| srv.session_count() == 0).await;
    s.eventually(10 * SEC, "every connection closed", |srv| srv.connection_count() == 0).await;
    s.eventually(5 * SEC, "every hold swept", |srv| srv.held_players() == 0).await;
    let (rss1, fds1) = (rss_kib(), open_fds());
    eprintln!("rss {rss0} -> {rss1} KiB, fds {fds0} -> {fds1}");
    assert!(fds1 <= fds0 + 4, "file descriptors leaked: {fds0} -> {fds1}");
    assert!(rss1 <= rss0 + 8 * 1024, "RSS grew from {rss0} to {rss1} KiB");
}
