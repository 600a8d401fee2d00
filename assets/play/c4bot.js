// "Play against a bot": a second SDK client in the page that joins the player's private
// connect4 lobby by its code and plays it (c4logic.chooseColumn: win, block, else centre).
//
// It is an ordinary player to the server (its own session, `join_private`, `command("drop")`),
// so the page needs no server support beyond private lobbies. It lives as long as the lobby:
// it closes its connection when the lobby closes or it is stopped.

import { boardFrom, chooseColumn } from "./c4logic.js";

/** Bots started and not yet finished, so none outlives its page or its lobby. */
const running = new Set();

/**
 * Start a bot that joins the private lobby `code` and plays it. Resolves once it has joined
 * (its `match_found`); rejects when it cannot connect or join. `thinkMs` is the pause before
 * each move, so that a person sees the board change between the two moves.
 */
export async function startBot({ Tickwave, url, code, name = "bot", thinkMs = 450, onStatus = () => {} }) {
  const client = new Tickwave.Client(url, { name, reconnect: false });
  const bot = { client, player: null, state: "connecting", moves: 0, stop };
  running.add(bot);
  let thinking = null; // the `moves` count a move is being chosen for
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

  client.on("state", (w) => {
    const g = w.globals;
    if (g.winner || g.turn !== client.player || thinking === g.moves) return;
    thinking = g.moves;
    timer = setTimeout(() => move(g.moves), thinkMs);
  });
  client.on("lobbyClosed", stop);
  client.on("close", stop);

  async function move(moves) {
    const w = client.world;
    if (!w || w.globals.moves !== moves || w.globals.turn !== client.player) return;
    const discs = w.ofKind("disc").map((d) => d.fields);
    const other = w.ofKind("player").find((p) => p.id !== client.player)?.id ?? 0;
    const column = chooseColumn(boardFrom(discs), client.player, other);
    if (column < 0) return;
    try {
      await client.command("drop", { column });
      bot.moves += 1;
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

/** Stop every bot of this page (a new game, or the player left). */
export function stopBots() {
  for (const b of [...running]) b.stop();
}

addEventListener("pagehide", stopBots);
