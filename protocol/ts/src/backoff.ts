/**
 * Reconnect delays: exponential backoff with full jitter (PROTOCOL.md §11), so that many
 * clients dropped by the same event do not come back in lockstep.
 */

export interface BackoffOptions {
  /** Delay scale of the first retry, ms (default 250). */
  baseMs?: number;
  /** Upper bound of any delay, ms (default 10 000). */
  maxMs?: number;
  /** Consecutive failed attempts before giving up (default 12; `Infinity` never gives up). */
  maxAttempts?: number;
  /** A connection that stayed up this long resets the attempt count, ms (default 10 000). */
  stableMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  baseMs: 250,
  maxMs: 10_000,
  maxAttempts: 12,
  stableMs: 10_000,
};

/** `uniform(0, min(maxMs, baseMs × 2^attempt))`, with `attempt` counting from 0. */
export function backoffDelay(
  attempt: number,
  opts: Pick<Required<BackoffOptions>, "baseMs" | "maxMs">,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return random() * ceiling;
}
