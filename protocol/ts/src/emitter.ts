/**
 * A tiny typed event emitter with async iteration.
 *
 * Not `EventTarget`: its events are untyped and `CustomEvent` wrapping gets in the way of the
 * simple `client.on("state", (world) => ...)` that game code wants. Listener errors are
 * reported and swallowed, so one buggy handler cannot break the client's message loop.
 */

export type Listener<T> = (value: T) => void;

export class Emitter<Events extends object> {
  private listeners = new Map<keyof Events, Set<Listener<never>>>();
  private ended = false;
  private enders = new Set<() => void>();

  /** Call `fn` for every `event`; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => this.off(event, fn);
  }

  off<K extends keyof Events>(event: K, fn: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(fn as Listener<never>);
  }

  /** The next `event`, as a promise (rejects if the emitter ends first). */
  once<K extends keyof Events>(event: K): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      const off = this.on(event, (v) => {
        off();
        this.enders.delete(end);
        resolve(v);
      });
      const end = () => {
        off();
        reject(new Error(`ended before ${String(event)}`));
      };
      if (this.ended) end();
      else this.enders.add(end);
    });
  }

  /**
   * Every future `event` as an async iterator, ending when the emitter ends. At most
   * `buffer` unread values are kept (oldest dropped first), so a slow consumer of `state`
   * sees recent ticks instead of growing memory.
   */
  iterate<K extends keyof Events>(event: K, buffer = 256): AsyncIterableIterator<Events[K]> {
    const queue: Events[K][] = [];
    let wake: (() => void) | undefined;
    let done = this.ended;
    const off = this.on(event, (v) => {
      queue.push(v);
      if (queue.length > buffer) queue.shift();
      wake?.();
    });
    const end = () => {
      done = true;
      off();
      wake?.();
    };
    this.enders.add(end);
    const it: AsyncIterableIterator<Events[K]> = {
      next: async () => {
        while (queue.length === 0 && !done) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        if (queue.length > 0) return { value: queue.shift()!, done: false };
        return { value: undefined, done: true };
      },
      return: async () => {
        this.enders.delete(end);
        end();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        (fn as Listener<Events[K]>)(value);
      } catch (e) {
        console.error(`tickwave: a "${String(event)}" listener threw`, e);
      }
    }
  }

  /** No more events: finish iterators and reject pending `once`s. */
  protected endEvents(): void {
    this.ended = true;
    for (const end of [...this.enders]) end();
    this.enders.clear();
  }
}
