//! The lobby's task: a thin loop that feeds the pure [`Core`] and carries out what it
//! decides, as quinn's `ConnectionDriver` drives quinn-proto.
//!
//! It selects on cancellation, the tick clock and the mailbox; translates each
//! [`LobbyMsg`] into a core call; at each due tick moves the input inbox into the core and
//! calls [`Core::tick`]; then drains the core's [`Output`]s (seat counters, status) and
//! records metrics. Frames reach sessions through the [`Link`] impl on [`SessionLink`]: a
//! `try_send` on the session's bounded queue, never a wait.

use super::clock::TickClock;
use super::core::{Core, Delivery, Failure, Link, Output};
use super::spectator::{self, FrameMeta, PlayerViews};
use super::status::{Directory, LobbyStatus, MemberStatus, SpectatorFrame};
use super::{SPECTATE_EVERY, STATUS_EVERY};
use crate::config::ModeConfig;
use crate::counters::Counters;
use crate::game::v2::PlayerRecord;
use crate::link::{
    LobbyHandle, LobbyMsg, LobbySeats, MatchmakerHandle, Outbound, SessionLink, Ticket, ViewReply,
    inbox, send_error,
};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tickwave_protocol::ErrorCode;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

impl Link for SessionLink {
    fn session(&self) -> u64 {
        self.session
    }

    fn send(&self, bytes: Bytes) -> Delivery {
        match self.out.try_send(Outbound::Frame(bytes)) {
            Ok(()) => Delivery::Sent,
            Err(TrySendError::Full(_)) => Delivery::Full,
            Err(TrySendError::Closed(_)) => Delivery::Closed,
        }
    }

    fn room(&self) -> Option<usize> {
        if self.out.is_closed() { None } else { Some(self.out.capacity()) }
    }

    fn lobby_ended(&self, lobby: u64) {
        SessionLink::lobby_ended(self, lobby);
    }

    fn protocol(&self) -> u32 {
        self.protocol
    }
}

pub(super) struct Actor {
    pub(super) handle: LobbyHandle,
    pub(super) core: Core<SessionLink>,
    pub(super) mode: Arc<ModeConfig>,
    /// The inputs taken from the inbox at a tick (kept to reuse its allocation).
    pub(super) arrived: Vec<inbox::Arrived>,
    pub(super) seats: Arc<LobbySeats>,
    pub(super) matchmaker: MatchmakerHandle,
    pub(super) counters: Arc<Counters>,
    pub(super) overruns: u64,
    pub(super) skipped_ticks: u64,
    /// Encodes and distinct views of the last tick that sent state.
    pub(super) views: (u64, u64),
    /// Encodes per state tick, smoothed.
    pub(super) encodes_avg: f64,
    /// When the lobby began: the core's times (input arrival, seating) count from here.
    pub(super) created: Instant,
    /// Tick durations in microseconds, for the admin view (p50/p99). 1 µs to 10 s (longer
    /// ticks are counted as 10 s) with u32 counts: 8 KiB per lobby instead of 20 KiB, which
    /// is half a KiB per player in lobbies of 16.
    pub(super) tick_us: hdrhistogram::Histogram<u32>,
    pub(super) status_tx: watch::Sender<Arc<LobbyStatus>>,
    pub(super) spectate: Arc<watch::Sender<SpectatorFrame>>,
    /// The player views operators watch (none: nothing projected for them).
    pub(super) player_views: PlayerViews,
    /// Told when members or the phase change (see [`Directory::changed`]).
    pub(super) directory: Arc<Directory>,
    pub(super) metrics: LobbyMetrics,
}

/// Metric handles resolved once per lobby, so the tick does no registry lookups.
pub(super) struct LobbyMetrics {
    tick: metrics::Histogram,
    overruns: metrics::Counter,
    skipped: metrics::Counter,
    state_bytes: metrics::Counter,
    state_messages: metrics::Counter,
    state_encodes: metrics::Counter,
    state_ticks: metrics::Counter,
    resyncs: metrics::Counter,
    inputs: metrics::Counter,
    commands: metrics::Counter,
    events: metrics::Counter,
}

impl LobbyMetrics {
    pub(super) fn new() -> Self {
        use crate::metrics as m;
        LobbyMetrics {
            tick: metrics::histogram!(m::TICK_DURATION),
            overruns: metrics::counter!(m::TICK_OVERRUNS),
            skipped: metrics::counter!(m::TICKS_SKIPPED),
            state_bytes: metrics::counter!(m::STATE_BYTES),
            state_messages: metrics::counter!(m::STATE_MESSAGES),
            state_encodes: metrics::counter!(m::STATE_ENCODES),
            state_ticks: metrics::counter!(m::STATE_TICKS),
            resyncs: metrics::counter!(m::RESYNCS),
            inputs: metrics::counter!(m::INPUT_MESSAGES),
            commands: metrics::counter!(m::COMMANDS),
            events: metrics::counter!(m::EVENTS),
        }
    }
}

impl Actor {
    /// Seat the lobby's first members and tell them the roster.
    pub(super) fn open(&mut self, members: Vec<Ticket>) {
        for t in members {
            if self.core.is_done() {
                break;
            }
            self.seat(t);
        }
        let all: Vec<u32> = self.core.members().iter().map(|m| m.player).collect();
        self.core.announce(&all);
        self.apply_outputs();
    }

    pub(super) async fn run(
        mut self,
        mut rx: mpsc::Receiver<LobbyMsg>,
        shutdown: CancellationToken,
    ) {
        let mut clock = TickClock::new(self.mode.tick_hz, self.mode.max_catch_up_ticks);
        // Lobbies are created on the matchmaker's 100 ms cycle (a whole number of ticks), so
        // without an offset they would all tick in the same instant and their fan-outs would
        // pile up. A golden-ratio fraction of the period per lobby id spreads the phases.
        let phase = (self.handle.id as f64 * 0.618_033_988_75).fract();
        let epoch = Instant::now() + clock.period().mul_f64(phase);
        // One timer and one shutdown waiter for the lobby's life, re-armed in place: a fresh
        // `sleep_until` and `cancelled()` per loop would register and deregister both at every
        // message the lobby wakes for.
        let shutdown = shutdown.cancelled_owned();
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(epoch));
        tokio::pin!(shutdown, sleep);
        while !self.core.is_done() {
            let deadline = tokio::time::Instant::from_std(epoch + clock.next_deadline());
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                // The tick comes before the mailbox, so a flood of messages cannot delay it.
                _ = &mut sleep => {
                    let plan = clock.due(epoch.elapsed());
                    self.skipped_ticks += plan.skipped;
                    self.metrics.skipped.increment(plan.skipped);
                    for _ in 0..plan.run {
                        let t0 = Instant::now();
                        self.tick();
                        let took = t0.elapsed();
                        self.metrics.tick.record(took.as_secs_f64());
                        self.tick_us.saturating_record((took.as_micros() as u64).max(1));
                        if self.core.is_done() {
                            break;
                        }
                    }
                    if epoch.elapsed() > clock.next_deadline() {
                        self.overruns += 1;
                        self.metrics.overruns.increment(1);
                    }
                    if self.core.tick_count() % STATUS_EVERY == 0 {
                        self.publish_status();
                    }
                }
                msg = rx.recv() => match msg {
                    Some(m) => self.on_msg(m),
                    None => break,
                },
            }
        }
        self.seats.closed.store(true, Ordering::Release);
        self.publish_status();
        // Anyone still on the way into this lobby goes back to matchmaking.
        rx.close();
        while let Ok(m) = rx.try_recv() {
            match m {
                LobbyMsg::Join(t) => self.requeue(*t),
                // A resumed player promised its seat here: tell it the seat is gone.
                LobbyMsg::Rejoin { link, .. } => {
                    let reason = "the lobby ended while you were away";
                    let lobby = self.handle.id;
                    link.seat_lost(lobby, reason);
                }
                _ => {}
            }
        }
        tracing::info!(
            ticks = self.core.tick_count(),
            overruns = self.overruns,
            skipped = self.skipped_ticks,
            "lobby closed"
        );
    }

    /// One tick: the inbox's inputs into the core, the core's tick, then its effects.
    fn tick(&mut self) {
        let mut arrived = std::mem::take(&mut self.arrived);
        self.handle.inputs.take(&mut arrived);
        for (player, arrival, at) in arrived.drain(..) {
            match arrival {
                inbox::Arrival::Input(input) => {
                    let at = at.saturating_duration_since(self.created);
                    self.core.push_input(player, input, at);
                }
                inbox::Arrival::Command(c) => self.core.push_command(player, *c),
            }
        }
        self.arrived = arrived;
        let stats = self.core.tick(self.created.elapsed());
        self.metrics.inputs.increment(stats.inputs);
        self.metrics.commands.increment(stats.commands);
        self.metrics.events.increment(stats.events);
        self.metrics.state_messages.increment(stats.state_messages);
        self.metrics.state_bytes.increment(stats.state_bytes);
        self.metrics.resyncs.increment(stats.lagging);
        if stats.viewed {
            self.metrics.state_encodes.increment(stats.encodes);
            self.metrics.state_ticks.increment(1);
            self.views = (stats.encodes, stats.views);
            // EWMA, gain 1/16: steady enough to read in the dashboard.
            self.encodes_avg += (stats.encodes as f64 - self.encodes_avg) / 16.0;
        }
        if stats.viewed && self.core.tick_count() % SPECTATE_EVERY == 0 {
            if self.spectate.receiver_count() > 0 {
                self.publish_spectator_frame();
            }
            if !self.player_views.is_empty() {
                self.publish_player_frames();
            }
        }
        self.apply_outputs();
    }

    fn on_msg(&mut self, msg: LobbyMsg) {
        match msg {
            LobbyMsg::Join(t) => {
                if self.core.admits() {
                    let player = t.link.player;
                    if self.seat(*t) {
                        self.core.announce(&[player]);
                    }
                } else {
                    self.seats.unreserve();
                    self.requeue(*t);
                }
            }
            LobbyMsg::Leave { player, session } => self.core.leave(player, session),
            LobbyMsg::Disconnected { player, session } => self.core.disconnect(player, session),
            LobbyMsg::Rejoin { link, last_tick } => self.rejoin(*link, last_tick),
            LobbyMsg::Chat { player, text } => {
                if let Some(dropped) = self.core.chat(player, &text) {
                    metrics::counter!(crate::metrics::CHAT_MESSAGES).increment(1);
                    metrics::counter!(crate::metrics::CHAT_DROPPED).increment(dropped);
                }
            }
            LobbyMsg::Close { reason } => self.core.close(&reason),
            LobbyMsg::Drain => self.core.drain(),
            LobbyMsg::View { player, stream, reply } => self.view_request(player, stream, reply),
        }
        self.apply_outputs();
    }

    /// Route the session's inputs here, then give it a seat; false when the game (or the
    /// protocol) refused it.
    fn seat(&mut self, t: Ticket) -> bool {
        let link = t.link;
        link.joined(self.handle.clone());
        let record = PlayerRecord {
            id: link.player,
            name: link.name.to_string(),
            sub: link.account.as_deref().map(str::to_owned),
            skill: t.skill,
            region: t.region,
            party: None,
            team: None,
        };
        let name = link.name.clone();
        self.core.seat(record, name, link, self.created.elapsed())
    }

    /// A resumed session takes its held seat back, or is refused like an expired token when
    /// the seat is gone.
    fn rejoin(&mut self, link: SessionLink, last_tick: Option<u64>) {
        let refuse = |l: SessionLink| l.refused(ErrorCode::ResumeExpired);
        if !self.core.is_member(link.player) {
            refuse(link);
            return;
        }
        link.joined(self.handle.clone());
        let (player, name) = (link.player, link.name.clone());
        if let Err(link) = self.core.rejoin(player, name, link, last_tick) {
            refuse(link);
        }
    }

    /// Carry out the core's lobby-level effects.
    fn apply_outputs(&mut self) {
        let mut status = false;
        while let Some(out) = self.core.poll_output() {
            match out {
                Output::SeatFreed => self.seats.unreserve(),
                Output::Accepting(a) => self.seats.accepting.store(a, Ordering::Release),
                Output::Status => status = true,
                Output::Failed(Failure::Panic(_)) => {
                    self.counters.lobby_panics.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!(crate::metrics::LOBBY_PANICS).increment(1);
                }
                Output::ErrorSent(code) => crate::metrics::error(code),
                Output::Failed(Failure::BadView(_) | Failure::Fault(_)) => {
                    self.counters.lobby_bad_views.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!(crate::metrics::LOBBY_BAD_VIEWS).increment(1);
                }
            }
        }
        if status {
            self.publish_status();
            self.directory.changed();
        }
    }

    fn requeue(&self, t: Ticket) {
        if let Err(t) = self.matchmaker.requeue(t) {
            send_error(&t.link, ErrorCode::Overloaded, "could not seat you; find a match again");
            t.link.queue_left();
        }
    }

    /// Publish the admin view of this lobby (cheap: a few hundred bytes per member).
    fn publish_status(&mut self) {
        let now = self.created.elapsed();
        let members = self
            .core
            .members()
            .iter()
            .map(|m| MemberStatus {
                player: m.player,
                name: m.name.to_string(),
                session: m.link.session,
                connected: m.connected,
                last_input_seq: m.last_applied,
                input_lag_ms: m.input_lag_ms,
                queue_depth: m.link.out.max_capacity() - m.link.out.capacity(),
                bytes_sent: m.bytes_sent,
                messages_sent: m.messages_sent,
                resyncs: m.resyncs,
                inputs_dropped: m.inputs_dropped,
                in_lobby_ms: now.saturating_sub(m.joined).as_millis() as u64,
                view: m.key.label(),
            })
            .collect::<Vec<_>>();
        let status = LobbyStatus {
            id: self.handle.id,
            mode: self.mode.name.clone(),
            game: self.core.game_name().into(),
            state: self.core.state(),
            players: members.len() as u32,
            connected: members.iter().filter(|m| m.connected).count() as u32,
            max_players: self.mode.max_players,
            private: self.core.code().is_some(),
            tick: self.core.tick_count(),
            tick_hz: self.mode.tick_hz,
            tick_p50_us: self.tick_us.value_at_quantile(0.5),
            tick_p99_us: self.tick_us.value_at_quantile(0.99),
            tick_max_us: self.tick_us.max(),
            overruns: self.overruns,
            skipped_ticks: self.skipped_ticks,
            last_delta_bytes: self.core.last_delta_len(),
            last_snapshot_bytes: self.core.last_snapshot_len(),
            encodes_last_tick: self.views.0,
            views_last_tick: self.views.1,
            encodes_per_tick: self.encodes_avg,
            members,
            recent_chat: self.core.chat_log().cloned().collect(),
            summary: self.core.summary(),
            created: self.created,
            code: self.core.code().map(str::to_owned),
        };
        self.status_tx.send_replace(Arc::new(status));
    }

    /// Where the spectator frames of this tick come from.
    fn frame_meta(&self) -> FrameMeta<'_> {
        FrameMeta {
            lobby: self.handle.id,
            tick: self.core.tick_count(),
            state: self.core.phase(),
            game: self.core.game_name(),
        }
    }

    /// The view of the tick just run as JSON with named fields, serialized once for every
    /// spectator. The operator sees everything, hidden fields and entities included.
    fn publish_spectator_frame(&mut self) {
        let frame = spectator::frame(self.core.last_view(), &self.frame_meta(), "world");
        self.spectate.send_replace(frame);
    }

    /// `player`'s view of the last state tick as a spectator frame.
    fn player_frame(&self, player: u32) -> SpectatorFrame {
        let label = format!("player:{player}");
        spectator::frame(&self.core.view_of(player), &self.frame_meta(), &label)
    }

    /// The frames of the player views being watched (members only: a watched player that
    /// left ends its watchers' stream).
    fn publish_player_frames(&mut self) {
        let mut views = std::mem::take(&mut self.player_views);
        views.publish(|p| self.core.is_member(p).then(|| self.player_frame(p)));
        self.player_views = views;
    }

    /// An operator asks what `player` sees: once, or as a stream of frames.
    fn view_request(&mut self, player: u32, stream: bool, reply: oneshot::Sender<ViewReply>) {
        let answer = if !self.core.is_member(player) {
            ViewReply::NoSuchPlayer
        } else if stream {
            let mut views = std::mem::take(&mut self.player_views);
            let r = views.subscribe(player, || self.player_frame(player));
            self.player_views = views;
            r.map_or(ViewReply::TooMany, ViewReply::Stream)
        } else {
            ViewReply::Frame(self.player_frame(player))
        };
        let _ = reply.send(answer);
    }
}
