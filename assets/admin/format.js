// Formatting of numbers, durations and sizes for the tables, and the player colours.

const PLAYER_COLORS = [
  '#4f9dff', '#ff8a4c', '#3ecf8e', '#c084fc', '#f7d154', '#ff5f87',
  '#2dd4bf', '#a3e635', '#f472b6', '#60a5fa', '#fb923c', '#e879f9',
];

const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

export function fmtMs(v, digits = 1) {
  if (!isNum(v)) return '—';
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${v.toFixed(v < 10 ? Math.max(digits, 2) : digits)} ms`;
}
export function fmtUs(us) {
  if (!isNum(us)) return '—';
  if (us < 1000) return `${(us / 1000).toFixed(2)}`;
  return `${(us / 1000).toFixed(1)}`;
}
export function fmtDuration(ms) {
  if (!isNum(ms)) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}
export function fmtBytes(b) {
  if (!isNum(b)) return '—';
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 ** 3) return `${(b / 1024 / 1024).toFixed(1)} MiB`;
  return `${(b / 1024 ** 3).toFixed(2)} GiB`;
}
export const fmtInt = (v) => (isNum(v) ? nf0.format(v) : '—');
export const playerColor = (id) => PLAYER_COLORS[Math.abs(Number(id) || 0) % PLAYER_COLORS.length];

export function level(v, warn, bad) {
  if (!isNum(v)) return '';
  return v >= bad ? 'bad' : v >= warn ? 'warn' : '';
}
