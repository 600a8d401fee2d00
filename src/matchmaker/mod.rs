//! The matchmaker actor: owns the queues of every mode and the list of lobbies that take
//! players, runs the pure [`policy`] every `match_interval`, and starts lobbies.
//!
//! Requests arrive through a bounded mailbox ([`MatchmakerHandle`], in `link/`); a session that
//! finds it full tells its client `overloaded` instead of waiting.

mod cluster;
pub mod policy;
pub(crate) mod status;

use status::{MatchmakingStatus, ModeQueue, WaitStats};

use crate::config::{ChatLimits, ModeConfig, ModesError};
use crate::counters::Counters;
use crate::game::{GameRegistry, GameSettings, SplitMix64};
use crate::link::{
    LobbyHandle, LobbySeats, MatchmakerHandle, MmRequest, SessionLink, Ticket, send_error, send_to,
};
use crate::lobby;
use crate::lobby::status::Directory;
use policy::{OpenSeats, Params, Placement, Waiting};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwave_protocol::{ErrorCode, ServerMessage};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// How often the matching cycle runs.
pub(crate) const MATCH_INTERVAL: Duration = Duration::from_millis(100);

struct OpenLobby {
    handle: LobbyHandle,
    seats: Arc<LobbySeats>,
    mode: String,
    region: Option<String>,
    skill: f64,
    code: Option<String>,
}

struct Matchmaker {
    modes: HashMap<String, Arc<ModeConfig>>,
    games: GameRegistry,
    queues: HashMap<String, Vec<Ticket>>,
    lobbies: Vec<OpenLobby>,
    rx: mpsc::Receiver<MmRequest>,
    /// Our own handle, for the lobbies we start (they requeue tickets they cannot seat).
    handle: MatchmakerHandle,
    mailbox: usize,
    shutdown: CancellationToken,
    rng: SplitMix64,
    counters: Arc<Counters>,
    directory: Arc<Directory>,
    chat: ChatLimits,
    draining: bool,
    waits: WaitStats,
    status: watch::Sender<Arc<MatchmakingStatus>>,
}

/// Start the matchmaker. Fails when a mode names a game that is not registered or has
/// inconsistent settings.
pub(crate) fn spawn(
    modes: Vec<ModeConfig>,
    games: GameRegistry,
    mailbox: usize,
    shutdown: CancellationToken,
    counters: Arc<Counters>,
    directory: Arc<Directory>,
    chat: ChatLimits,
) -> Result<(MatchmakerHandle, watch::Receiver<Arc<MatchmakingStatus>>), ModesError> {
    let mut by_name = HashMap::new();
    for m in modes {
        m.validate()?;
        match games.check_settings(&m.game, &m.settings) {
            None => {
                return Err(ModesError::UnknownGame { mode: m.name.clone(), game: m.game.clone() });
            }
            Some(Err(e)) => {
                return Err(ModesError::Settings { mode: m.name.clone(), message: e.to_string() });
            }
            Some(Ok(())) => {}
        }
        if by_name.insert(m.name.clone(), Arc::new(m)).is_some() {
            return Err(ModesError::DuplicateName);
        }
    }
    let names: Arc<[String]> = by_name.keys().cloned().collect::<Vec<_>>().into();
    let v2_only: Arc<[String]> = by_name
        .values()
        .filter(|m| games.v1_playable(&m.game, &m.settings) == Some(false))
        .map(|m| m.name.clone())
        .collect::<Vec<_>>()
        .into();
    let (tx, rx) = mpsc::channel(mailbox);
    let handle = MatchmakerHandle::new(tx, names, v2_only);
    let (status, status_rx) = watch::channel(Arc::new(MatchmakingStatus::default()));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mm = Matchmaker {
        modes: by_name,
        games,
        queues: HashMap::new(),
        lobbies: Vec::new(),
        rx,
        handle: handle.clone(),
        mailbox,
        shutdown,
        rng: SplitMix64::new(seed),
        counters,
        directory,
        chat,
        draining: false,
        waits: WaitStats::default(),
        status,
    };
    tokio::spawn(mm.run());
    Ok((handle, status_rx))
}

impl Matchmaker {
    async fn run(mut self) {
        let mut cycle = tokio::time::interval(MATCH_INTERVAL);
        cycle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => break,
                Some(req) = self.rx.recv() => self.on_request(req),
                _ = cycle.tick() => {
                    if !self.draining {
                        self.match_cycle(Instant::now());
                    }
                    self.publish(Instant::now());
                }
            }
        }
        tracing::debug!("matchmaker stopped");
    }

    fn publish(&self, now: Instant) {
        let mut names: Vec<&String> = self.modes.keys().collect();
        names.sort();
        let modes = names
            .into_iter()
            .map(|m| {
                let q = self.queues.get(m);
                let mut mq = ModeQueue {
                    mode: m.clone(),
                    waiting: q.map_or(0, Vec::len),
                    oldest_wait_ms: q
                        .and_then(|q| {
                            q.iter().map(|t| now.saturating_duration_since(t.since)).max()
                        })
                        .map_or(0, |d| d.as_millis() as u64),
                    ..ModeQueue::default()
                };
                self.waits.fill(&mut mq);
                mq
            })
            .collect();
        self.status.send_replace(Arc::new(MatchmakingStatus { draining: self.draining, modes }));
    }

    fn on_request(&mut self, req: MmRequest) {
        if self.draining {
            self.refuse_while_draining(req);
            return;
        }
        match req {
            MmRequest::Drain => {
                self.draining = true;
                for t in self.queues.drain().flat_map(|(_, q)| q) {
                    let msg = ServerMessage::MatchCancelled { reason: "server draining".into() };
                    send_to(&t.link, &msg);
                    t.link.queue_left();
                }
                for l in &self.lobbies {
                    l.handle.drain();
                }
            }
            MmRequest::FindMatch(t) => {
                let q = self.queues.entry(t.mode.clone()).or_default();
                let msg =
                    ServerMessage::Queued { mode: t.mode.clone(), waiting: q.len() as u32 + 1 };
                send_to(&t.link, &msg);
                q.push(t);
            }
            MmRequest::Requeue(t) => {
                let q = self.queues.entry(t.mode.clone()).or_default();
                q.insert(0, t);
            }
            MmRequest::Cancel { session } => {
                for q in self.queues.values_mut() {
                    if let Some(i) = q.iter().position(|t| t.link.session == session) {
                        let t = q.remove(i);
                        let msg = ServerMessage::MatchCancelled { reason: "cancelled".into() };
                        send_to(&t.link, &msg);
                        t.link.queue_left();
                        return;
                    }
                }
            }
            MmRequest::CreatePrivate { link, mode } => {
                let code = self.new_code();
                let ticket = Ticket::new(link, mode, None, None);
                self.start_lobby(vec![ticket], Some(code));
            }
            MmRequest::Place { lobby, mode, local, remote, reply } => {
                let _ = reply.send(self.place(lobby, &mode, local, remote));
            }
            MmRequest::JoinReserved { link, lobby } => self.join_reserved(link, lobby),
            MmRequest::Unreserve { lobby } => self.unreserve(lobby),
            MmRequest::JoinPrivate { link, code } => {
                let code = code.to_ascii_uppercase();
                self.lobbies.retain(|l| !l.seats.is_closed());
                let lobby = self.lobbies.iter().find(|l| l.code.as_deref() == Some(&code));
                let refuse = |link: &SessionLink, c: ErrorCode, m: &str| {
                    send_error(link, c, m);
                    link.queue_left();
                };
                match lobby {
                    None => {
                        refuse(&link, ErrorCode::UnknownCode, "no open private lobby has that code")
                    }
                    Some(l) if l.seats.free() == 0 || !l.seats.accepting() => {
                        refuse(&link, ErrorCode::LobbyFull, "that lobby has no free seat")
                    }
                    Some(l) => {
                        let t = Ticket::new(link, l.mode.clone(), None, None);
                        self.join(l.handle.clone(), &l.seats.clone(), t);
                    }
                }
            }
        }
    }

    /// While draining, requests that would seat someone are answered `server_draining`.
    fn refuse_while_draining(&mut self, req: MmRequest) {
        let link = match req {
            MmRequest::FindMatch(t) | MmRequest::Requeue(t) => t.link,
            MmRequest::CreatePrivate { link, .. } | MmRequest::JoinPrivate { link, .. } => link,
            MmRequest::Place { local, reply, .. } => {
                let _ = reply.send(Err(local));
                return;
            }
            MmRequest::JoinReserved { link, .. } => link,
            MmRequest::Cancel { .. } | MmRequest::Drain => return,
            MmRequest::Unreserve { lobby } => {
                self.unreserve(lobby);
                return;
            }
        };
        send_error(&link, ErrorCode::ServerDraining, "this server is draining; connect to another");
        link.queue_left();
    }

    /// A 6-letter code without look-alike characters (no 0/O, 1/I/L).
    fn new_code(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
        loop {
            let code: String = (0..6)
                .map(|_| ALPHABET[(self.rng.next_u64() % ALPHABET.len() as u64) as usize] as char)
                .collect();
            if !self.lobbies.iter().any(|l| l.code.as_deref() == Some(code.as_str())) {
                return code;
            }
        }
    }

    fn join(&mut self, handle: LobbyHandle, seats: &LobbySeats, t: Ticket) {
        self.waits.record(&t.mode, t.since.elapsed());
        seats.reserve();
        if let Err(t) = handle.join(t) {
            seats.unreserve();
            send_error(&t.link, ErrorCode::Overloaded, "lobby busy, try again");
            t.link.queue_left();
        }
    }

    fn match_cycle(&mut self, now: Instant) {
        self.lobbies.retain(|l| !l.seats.is_closed());
        let modes: Vec<String> = self.queues.keys().cloned().collect();
        for mode in modes {
            let Some(cfg) = self.modes.get(&mode).cloned() else {
                continue;
            };
            let mut queue = self.queues.remove(&mode).unwrap_or_default();
            // Sessions that went away without a cancel reaching us.
            queue.retain(|t| !t.link.out.is_closed());
            // Regions are separate pools.
            let mut regions: Vec<Option<String>> = queue.iter().map(|t| t.region.clone()).collect();
            regions.sort();
            regions.dedup();
            let mut rest = Vec::new();
            for region in regions {
                let (pool, others): (Vec<Ticket>, Vec<Ticket>) =
                    queue.into_iter().partition(|t| t.region == region);
                queue = others;
                rest.extend(self.match_pool(&cfg, region, pool, now));
            }
            if !rest.is_empty() {
                self.queues.insert(mode, rest);
            }
        }
    }

    /// Match one (mode, region) pool; returns the tickets still waiting, in order.
    fn match_pool(
        &mut self,
        cfg: &Arc<ModeConfig>,
        region: Option<String>,
        pool: Vec<Ticket>,
        now: Instant,
    ) -> Vec<Ticket> {
        let waiting: Vec<Waiting> = pool
            .iter()
            .map(|t| Waiting {
                skill: t.skill.unwrap_or(cfg.default_skill),
                waited: now.saturating_duration_since(t.since),
            })
            .collect();
        let open_idx: Vec<usize> = (0..self.lobbies.len())
            .filter(|&i| {
                let l = &self.lobbies[i];
                l.mode == cfg.name && l.region == region && l.code.is_none() && l.seats.accepting()
            })
            .collect();
        let open: Vec<OpenSeats> = open_idx
            .iter()
            .map(|&i| OpenSeats {
                lobby: self.lobbies[i].handle.id,
                free: self.lobbies[i].seats.free(),
                skill: self.lobbies[i].skill,
            })
            .collect();
        let params = Params {
            max_players: cfg.max_players,
            min_players: cfg.min_players,
            window: policy::SkillWindow::of(cfg),
        };
        let placements = policy::plan(&waiting, &open, &params);
        let mut slots: Vec<Option<Ticket>> = pool.into_iter().map(Some).collect();
        for p in placements {
            match p {
                Placement::Join { lobby, tickets } => {
                    let Some(l) = self.lobbies.iter().find(|l| l.handle.id == lobby) else {
                        continue;
                    };
                    let (handle, seats) = (l.handle.clone(), l.seats.clone());
                    for i in tickets {
                        if let Some(t) = slots[i].take() {
                            self.join(handle.clone(), &seats, t);
                        }
                    }
                }
                Placement::NewLobby { tickets } => {
                    let group: Vec<Ticket> =
                        tickets.iter().filter_map(|&i| slots[i].take()).collect();
                    self.start_lobby(group, None);
                }
            }
        }
        slots.into_iter().flatten().collect()
    }

    fn start_lobby(&mut self, group: Vec<Ticket>, code: Option<String>) {
        let Some(first) = group.first() else { return };
        let mode = first.mode.clone();
        self.start_lobby_in(&mode, group, code);
    }

    /// Start a lobby of `mode` with `group` (possibly empty in cluster mode, where the players
    /// arrive with reservations); returns its id and seats.
    fn start_lobby_in(
        &mut self,
        mode: &str,
        group: Vec<Ticket>,
        code: Option<String>,
    ) -> Option<(u64, Arc<LobbySeats>)> {
        let cfg = self.modes.get(mode).cloned()?;
        let region = group.first().and_then(|t| t.region.clone());
        for t in &group {
            self.waits.record(&t.mode, t.since.elapsed());
        }
        let factory = self.games.get(&cfg.game).expect("validated at start");
        let skill = group.iter().map(|t| t.skill.unwrap_or(cfg.default_skill)).sum::<f64>()
            / group.len().max(1) as f64;
        let settings = GameSettings {
            seed: self.rng.next_u64(),
            tick_hz: cfg.tick_hz,
            max_players: cfg.max_players,
        };
        // The settings were checked at start with the same function: this cannot fail unless
        // a game's check is not deterministic.
        let game = match factory(settings, &cfg.settings) {
            Ok(g) => g,
            Err(e) => {
                tracing::error!(mode, error = %e, "cannot create the game of a lobby");
                return None;
            }
        };
        let (handle, seats) = lobby::spawn(lobby::LobbyInit {
            mode: cfg.clone(),
            game,
            code: code.clone(),
            members: group,
            matchmaker: self.handle.clone(),
            mailbox: self.mailbox,
            shutdown: self.shutdown.clone(),
            counters: self.counters.clone(),
            directory: self.directory.clone(),
            chat: self.chat,
        });
        tracing::info!(lobby = handle.id, mode = %cfg.name, players = seats.taken(), ?code, "lobby created");
        let out = (handle.id, seats.clone());
        self.lobbies.push(OpenLobby { handle, seats, mode: cfg.name.clone(), region, skill, code });
        Some(out)
    }
}
