// Connect4 board logic for the page and its in-page bot (PROTOCOL.md §6.2): 7 columns, 6 rows,
// row 0 at the bottom. A board is `board[column][row]` = the owner's player id, 0 when empty.
//
// Pure functions, no DOM: tests/browser/logic.test.mjs runs them in node.

export const COLUMNS = 7;
export const ROWS = 6;
/** The bot's preference when nothing is urgent: the centre first, it is in the most fours. */
export const CENTRE_FIRST = [3, 2, 4, 1, 5, 0, 6];
const DIRECTIONS = [
  [1, 0],
  [0, 1],
  [1, 1],
  [1, -1],
];

export function emptyBoard() {
  return Array.from({ length: COLUMNS }, () => new Array(ROWS).fill(0));
}

/** The board from the state's `disc` entities (their `fields`: column, row, player). */
export function boardFrom(discs) {
  const b = emptyBoard();
  for (const d of discs) {
    if (d.column >= 0 && d.column < COLUMNS && d.row >= 0 && d.row < ROWS) b[d.column][d.row] = d.player;
  }
  return b;
}

/** The row a disc dropped into `column` lands in, or -1 when the column is full. */
export function lowestFree(board, column) {
  return board[column].indexOf(0);
}

/** The cells of a four in a row through (column, row) for `player`, or null. */
function lineThrough(board, column, row, player) {
  const at = (c, r) => c >= 0 && c < COLUMNS && r >= 0 && r < ROWS && board[c][r] === player;
  for (const [dc, dr] of DIRECTIONS) {
    const cells = [[column, row]];
    for (let k = 1; at(column + k * dc, row + k * dr); k++) cells.push([column + k * dc, row + k * dr]);
    for (let k = 1; at(column - k * dc, row - k * dr); k++) cells.unshift([column - k * dc, row - k * dr]);
    if (cells.length >= 4) return cells;
  }
  return null;
}

/** Would `player` dropping into `column` make four in a row? */
export function winsWith(board, column, player) {
  const row = lowestFree(board, column);
  if (row < 0) return false;
  board[column][row] = player;
  const won = lineThrough(board, column, row, player) !== null;
  board[column][row] = 0;
  return won;
}

/** A four in a row on the board, as `{ player, cells: [[column, row], ...] }`, or null. */
export function winningLine(board) {
  for (let c = 0; c < COLUMNS; c++) {
    for (let r = 0; r < ROWS; r++) {
      const p = board[c][r];
      if (p === 0) continue;
      const cells = lineThrough(board, c, r, p);
      if (cells) return { player: p, cells };
    }
  }
  return null;
}

/**
 * The in-page bot's move: win if it can, else block the opponent's win, else the most central
 * column that does not hand the opponent a win on the disc above (if every column does, the
 * most central one). Deterministic, so tests know what it plays; -1 on a full board.
 */
export function chooseColumn(board, me, opponent) {
  const open = CENTRE_FIRST.filter((c) => lowestFree(board, c) >= 0);
  if (open.length === 0) return -1;
  const win = open.find((c) => winsWith(board, c, me));
  if (win !== undefined) return win;
  const block = open.find((c) => winsWith(board, c, opponent));
  if (block !== undefined) return block;
  const safe = open.find((c) => {
    const row = lowestFree(board, c);
    if (row + 1 >= ROWS) return true;
    board[c][row] = me;
    const gives = winsWith(board, c, opponent);
    board[c][row] = 0;
    return !gives;
  });
  return safe ?? open[0];
}
