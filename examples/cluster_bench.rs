//! Matchmaking throughput through Redis (tickets per second placed by the lease holder).
//!
//! Starts its own redis-server on a free loopback port (no persistence, temp dir), runs the
//! real matching cycle over queues of growing size, prints one line per run, and stops the
//! server. `cargo run --release --example cluster_bench [-- --quick]`. See docs/CLUSTER.md.

use std::process::{Command, Stdio};
use std::time::Duration;
use tickwave::ModeConfig;
use tickwave::testing::queue_drain;

fn mode(name: &str, max: u32) -> ModeConfig {
    ModeConfig { name: name.into(), max_players: max, min_players: 2, ..ModeConfig::default() }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let dir = tempfile::tempdir()?;
    let mut redis = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""])
        .args(["--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| anyhow::anyhow!("redis-server: {e} (apt-get install redis-server)"))?;
    let url = format!("redis://127.0.0.1:{port}");
    let result = run(&url, quick).await;
    let _ = redis.kill();
    let _ = redis.wait();
    result
}

async fn run(url: &str, quick: bool) -> anyhow::Result<()> {
    let client = redis::Client::open(url)?;
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while client.get_multiplexed_async_connection().await.is_err() {
        anyhow::ensure!(std::time::Instant::now() < end, "redis-server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let modes = vec![mode("duo", 2), mode("arena", 16)];
    let sizes: &[usize] = if quick { &[200] } else { &[1_000, 5_000, 20_000] };
    println!("mode   nodes  tickets  placed  cycles   seconds  tickets/s");
    for m in ["duo", "arena"] {
        for &n in sizes {
            let r = queue_drain(url, &modes, m, 3, n).await?;
            println!(
                "{m:<6} {:>5} {:>8} {:>7} {:>7} {:>9.3} {:>10.0}",
                3,
                r.tickets,
                r.placed,
                r.cycles,
                r.elapsed.as_secs_f64(),
                r.tickets_per_sec()
            );
            anyhow::ensure!(r.placed == r.tickets, "every ticket is placed");
        }
    }
    Ok(())
}
