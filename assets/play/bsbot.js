// "Play battleship against a bot": a second SDK client in the page that joins the player's
// private battleship lobby by its code and plays it (bslogic.chooseShot: hunt on a
// checkerboard, then target around its hits and along their lines).
//
// Like the connect4 bot (c4bot.js) it is an ordinary player to the server: its own session,
// `join_private`, `command("fire")`, and it sees only what its view holds (its own fleet, the
// shots, the cells it hit). It keeps its fleet as the server placed it. It closes its
// connection when the lobby closes or it is stopped.

import { boardsFrom, chooseShot, noneSunk, recordSunk } from "./bslogic.js";

/** Bots started and not yet finished, so none outlives its page or its lobby. */
const running = new Set();

/**
 * Start a bot that joins the private lobby `code` and plays it. Resolves once it has joined;
 * rejects when it cannot connect or join. `thinkMs` is the pause before each shot, so a
 * person sees their board change; `random` picks among equally good cells.
 */
export async function startBot({ Tickwave, url, code, name = "bot", thinkMs = 500, random = Math.random, onStatus = () => {} }) {
  const client = new Tickwave.Client(url, { name, reconnect: false });
  const bot = { client, player: null, state: "connecting", moves: 0, stop };
  running.add(bot);
  const sunk = noneSunk();
  let thinking = null; // the turn (its deadline tick) a shot is being chosen for
  let timer = null;

  function stop() {
    clearTimeout(timer);
    running.delete(bot);
    if (bot.state !== "stopped") {
      bot.state = "stopped";
      onStatus(bot);
    }
    if (!client.closed) client.close();
  }

  const boards = (w) =>
    boardsFrom(
      w.ofKind("ship_cell").map((e) => e.fields),
      w.ofKind("shot").map((e) => e.fields),
      client.player,
      sunk,
    );

  client.on("state", (w) => {
    const g = w.globals;
    if (g.turn !== client.player || thinking === g.turn_deadline_tick) return;
    thinking = g.turn_deadline_tick;
    timer = setTimeout(() => fire(g.turn_deadline_tick), thinkMs);
  });
  client.on("event", (e) => {
    // Which of the opponent's ships it sank, so that their cells are no longer targets.
    if (e.name === "shot" && e.data.result === "sunk" && e.data.player === client.player && client.world) {
      recordSunk(sunk.enemy, boards(client.world).enemy, e.data.x, e.data.y);
    }
  });
  client.on("lobbyClosed", stop);
  client.on("close", stop);

  async function fire(turn) {
    const w = client.world;
    if (!w || w.globals.turn !== client.player || w.globals.turn_deadline_tick !== turn) return;
    const cell = chooseShot(boards(w).enemy, random);
    if (!cell) return;
    try {
      await client.command("fire", cell);
      bot.moves += 1;
      onStatus(bot);
    } catch {
      thinking = null; // refused (e.g. not running yet): think again at the next state
    }
  }

  try {
    await client.connect();
    bot.player = client.player;
    await client.joinPrivate(code);
  } catch (e) {
    stop();
    throw e;
  }
  bot.state = "playing";
  onStatus(bot);
  return bot;
}

/** Stop every battleship bot of this page (a new game, or the player left). */
export function stopBots() {
  for (const b of [...running]) b.stop();
}

addEventListener("pagehide", stopBots);
