//! A shard: one OS thread with a single-threaded tokio runtime driving its share of the bots
//! (bot `i` belongs to shard `i % threads`). It starts them on the ramp's schedule, hands
//! the collector an interval of measurements every second, and the totals and per-bot
//! records at the end.

use super::bot::Bot;
use super::config::SwarmConfig;
use super::ctx::ShardCtx;
use super::games::GameTotals;
use super::net::conn::Target;
use super::record::BotRecord;
use super::stats::{Interval, Totals};
use super::views::ViewTotals;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// After the stop, how long bots get to close before the shard reports without them.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Messages from shards to the collector.
pub(crate) enum ShardMsg {
    Second {
        index: u64,
        interval: Box<Interval>,
    },
    Done {
        totals: Box<Totals>,
        games: Box<GameTotals>,
        views: Box<ViewTotals>,
        records: Vec<BotRecord>,
    },
    Failed(String),
}

pub(crate) struct ShardPlan {
    pub(crate) index: usize,
    pub(crate) cfg: Arc<SwarmConfig>,
    pub(crate) target: Target,
    pub(crate) start: Instant,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) tx: Sender<ShardMsg>,
}

/// Run a shard on the calling thread until its bots are done.
pub(crate) fn run(plan: ShardPlan) {
    let tx = plan.tx.clone();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = tx.send(ShardMsg::Failed(format!("starting a runtime: {e}")));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, shard_main(plan));
}

async fn shard_main(p: ShardPlan) {
    let us = |d: Duration| d.as_micros() as u64;
    let cfg = p.cfg.clone();
    let (w0, w1) = cfg.window();
    let window = (us(w0), us(w1));
    let ctx = Rc::new(ShardCtx::new(cfg.clone(), p.target, p.start, window));
    let records: Rc<RefCell<Vec<Rc<RefCell<BotRecord>>>>> = Rc::default();
    let live = Rc::new(Cell::new(0u32));

    let spawner = {
        let (ctx, records, live) = (ctx.clone(), records.clone(), live.clone());
        let threads = cfg.threads as u32;
        tokio::task::spawn_local(async move {
            let mut i = p.index as u32;
            while i < ctx.cfg.bots {
                let at = us(ctx.cfg.start_offset(i));
                if at >= ctx.stop_us.get() {
                    break;
                }
                tokio::time::sleep_until(ctx.at(at)).await;
                if ctx.now_us() >= ctx.stop_us.get() {
                    break;
                }
                let (bot, rec) = Bot::new(i, ctx.clone());
                records.borrow_mut().push(rec);
                ctx.stats.borrow_mut().gauges.spawned += 1;
                live.set(live.get() + 1);
                let live = live.clone();
                tokio::task::spawn_local(async move {
                    bot.run().await;
                    live.set(live.get() - 1);
                });
                i += threads;
            }
        })
    };
    if cfg.handle_ctrl_c && p.index == 0 {
        let stop = p.stop.clone();
        tokio::task::spawn_local(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::Relaxed);
            }
        });
    }

    // One interval a second, aligned on the run's start, until the stop.
    let mut k = 1u64;
    loop {
        let at = (k * 1_000_000).min(ctx.stop_us.get());
        tokio::time::sleep_until(ctx.at(at)).await;
        if p.stop.load(Ordering::Relaxed) {
            ctx.stop_us.set(ctx.stop_us.get().min(ctx.now_us()));
        }
        let interval = Box::new(ctx.stats.borrow_mut().take_interval());
        if p.tx.send(ShardMsg::Second { index: k - 1, interval }).is_err() {
            break;
        }
        if ctx.now_us() >= ctx.stop_us.get() {
            break;
        }
        k += 1;
    }
    spawner.abort();

    // Bots see the stop on their own timers; give them a moment to close cleanly.
    let grace_end = ctx.stop_us.get() + us(STOP_GRACE);
    while live.get() > 0 && ctx.now_us() < grace_end {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stop = ctx.stop_us.get();
    let records: Vec<BotRecord> = records
        .borrow()
        .iter()
        .map(|r| {
            let mut r = r.borrow_mut();
            r.finish(stop, ctx.window());
            r.clone()
        })
        .collect();
    let totals = Box::new(std::mem::replace(&mut ctx.stats.borrow_mut().totals, Totals::new()));
    let games = Box::new(std::mem::take(&mut *ctx.games.borrow_mut()));
    let views = Box::new(std::mem::take(&mut *ctx.views.borrow_mut()));
    let _ = p.tx.send(ShardMsg::Done { totals, games, views, records });
}
