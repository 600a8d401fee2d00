/**
 * The visible state of a lobby at one tick, built from `snapshot` and `delta` messages
 * (PROTOCOL.md §6).
 *
 * A `World` is immutable: applying a delta returns a new one that shares every unchanged
 * entity with the old. Keeping the previous world is therefore free, which is what a renderer
 * that interpolates between the last two ticks wants, and nobody can observe a half-applied
 * delta.
 */

import type { Delta, KindSchema, Snapshot, WireAcks, WireEntity } from "./messages.js";

/** One entity, with its fields named by the lobby's schema. */
export interface Entity {
  readonly id: number;
  /** The kind's name from the schema, e.g. `"player"` (or `"kind3"` for an unknown index). */
  readonly kind: string;
  /** Index into the schema, as on the wire. */
  readonly kindIndex: number;
  /** Field values in schema order, as on the wire. */
  readonly values: readonly number[];
  /** The same values by name, e.g. `fields.x`; values beyond the schema are `f4`, `f5`, ... */
  readonly fields: Readonly<Record<string, number>>;
}

/** A delta that does not fit the state it was applied to. */
export class StateError extends Error {
  override name = "StateError";
}

function acksOf(wire: WireAcks): ReadonlyMap<number, number> {
  const m = new Map<number, number>();
  for (const [k, v] of Object.entries(wire)) m.set(Number(k), v);
  return m;
}

export class World {
  private constructor(
    /** The entity kinds of this lobby (`match_found.schema`). */
    readonly schema: readonly KindSchema[],
    /** The tick this state belongs to. */
    readonly tick: number,
    /** Player id → highest input `seq` applied in this state (0: none yet). */
    readonly acks: ReadonlyMap<number, number>,
    /** Every visible entity by id. */
    readonly entities: ReadonlyMap<number, Entity>,
  ) {}

  /** The state a snapshot describes. */
  static fromSnapshot(schema: readonly KindSchema[], msg: Snapshot): World {
    const entities = new Map<number, Entity>();
    for (const e of msg.entities) entities.set(e[0], makeEntity(schema, e[0], e[1], e[2]));
    return new World(schema, msg.tick, acksOf(msg.acks), entities);
  }

  /**
   * The state after `msg`. Throws `StateError` when the delta's base is not this tick or its
   * contents do not fit (unknown or duplicate ids, a mask beyond the entity's fields); the
   * client must then wait for a snapshot.
   */
  apply(msg: Delta): World {
    if (msg.base !== this.tick) {
      throw new StateError(`delta ${msg.base}→${msg.tick} does not apply to tick ${this.tick}`);
    }
    const next = new Map(this.entities);
    // The order is the protocol's: removed, then changed, then added (a kind change is sent
    // as removed + added under the same id).
    for (const id of msg.removed) {
      if (!next.delete(id)) throw new StateError(`delta removes unknown entity ${id}`);
    }
    for (const [id, mask, vals] of msg.changed) {
      const e = next.get(id);
      if (!e) throw new StateError(`delta changes unknown entity ${id}`);
      if (mask >>> e.values.length !== 0) {
        throw new StateError(`entity ${id}: mask ${mask.toString(2)} beyond its ${e.values.length} fields`);
      }
      const values = e.values.slice();
      let vi = 0;
      for (let bit = 0; bit < values.length; bit++) {
        if (mask & (1 << bit)) {
          const v = vals[vi++];
          if (v === undefined) throw new StateError(`entity ${id}: too few values for mask ${mask}`);
          values[bit] = v;
        }
      }
      if (vi !== vals.length) throw new StateError(`entity ${id}: too many values for mask ${mask}`);
      next.set(id, makeEntity(this.schema, id, e.kindIndex, values));
    }
    for (const [id, kind, fields] of msg.added) {
      if (next.has(id)) throw new StateError(`delta adds entity ${id}, which exists`);
      next.set(id, makeEntity(this.schema, id, kind, fields));
    }
    return new World(this.schema, msg.tick, acksOf(msg.acks), next);
  }

  /** The entity with this id, if visible. */
  get(id: number): Entity | undefined {
    return this.entities.get(id);
  }

  /** Entities of one kind, by name (e.g. `"player"`), in id order. */
  ofKind(kind: string): Entity[] {
    const out: Entity[] = [];
    for (const e of this.entities.values()) if (e.kind === kind) out.push(e);
    return out.sort((a, b) => a.id - b.id);
  }

  /** The state as wire entities sorted by id: handy to compare two views of one tick. */
  toWire(): WireEntity[] {
    return [...this.entities.values()]
      .sort((a, b) => a.id - b.id)
      .map((e) => [e.id, e.kindIndex, e.values.slice()]);
  }
}

function makeEntity(schema: readonly KindSchema[], id: number, kindIndex: number, values: readonly number[]): Entity {
  const kind = schema[kindIndex];
  const fields: Record<string, number> = {};
  values.forEach((v, i) => {
    fields[kind?.fields[i] ?? `f${i}`] = v;
  });
  return Object.freeze({
    id,
    kind: kind?.kind ?? `kind${kindIndex}`,
    kindIndex,
    values: Object.freeze(values.slice()),
    fields: Object.freeze(fields),
  });
}
