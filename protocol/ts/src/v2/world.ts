/**
 * Protocol version 2 state (WIRE.md §4): typed entities and lobby-wide globals, built from
 * `snapshot` and `delta` messages and checked against the schema.
 *
 * Like the v1 `World`, a `World` is immutable: `apply` returns a new one sharing every
 * unchanged entity, so keeping the previous tick for interpolation is free and nobody sees a
 * half-applied delta. A delta that does not fit (wrong base, an id it should not touch, a
 * value of the wrong type) throws `StateError` and leaves the world as it was; the client
 * must then wait for a snapshot.
 */

import type { FieldSchema, FieldValue, Schema } from "./schema.js";
import { incomingProblem, named } from "./values.js";

/** One entity of a v2 world. */
export interface Entity {
  readonly id: number;
  /** The kind's name, e.g. `"ship"`. */
  readonly kind: string;
  /** Index into `schema.kinds`, as on the wire. */
  readonly kindIndex: number;
  /** Values in the kind's field order (`null`: a private field hidden from this client). */
  readonly values: readonly FieldValue[];
  /** The same values by field name. */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

/** A state message that does not fit the schema or the state it was applied to. */
export class StateError extends Error {
  override name = "StateError";
}

/** `snapshot` as decoded from MessagePack. */
export interface SnapshotMessage {
  type: "snapshot";
  tick: number;
  acks: Record<string, number>;
  globals: FieldValue[];
  entities: [number, number, FieldValue[]][];
}

/** `delta` as decoded from MessagePack. */
export interface DeltaMessage {
  type: "delta";
  tick: number;
  base: number;
  acks: Record<string, number>;
  globals?: [number, FieldValue[]];
  added: [number, number, FieldValue[]][];
  changed: [number, number, FieldValue[]][];
  removed: number[];
}

function acksOf(wire: Record<string, number> | undefined): ReadonlyMap<number, number> {
  const m = new Map<number, number>();
  for (const [k, v] of Object.entries(wire ?? {})) m.set(Number(k), v);
  return m;
}

function checkValues(fields: readonly FieldSchema[], values: unknown, where: string): FieldValue[] {
  if (!Array.isArray(values)) throw new StateError(`${where}: values must be an array`);
  if (values.length !== fields.length) {
    throw new StateError(`${where}: ${values.length} values for ${fields.length} fields`);
  }
  values.forEach((v, i) => {
    const p = incomingProblem(fields[i]!, v);
    if (p) throw new StateError(`${where}: field \`${fields[i]!.name}\`: ${p}`);
  });
  return values.map((v) => (v === undefined ? null : v)) as FieldValue[];
}

function ascending(ids: readonly number[], where: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) throw new StateError(`${where}: bad id ${id}`);
    if (i > 0 && id <= ids[i - 1]!) throw new StateError(`${where}: ids not strictly ascending at ${id}`);
  }
}

function popcount(x: number): number {
  let n = 0;
  for (let m = x >>> 0; m; m &= m - 1) n++;
  return n;
}

export class World {
  private constructor(
    readonly schema: Schema,
    /** The tick this state belongs to. */
    readonly tick: number,
    /** Player id → highest input `seq` applied in this state. */
    readonly acks: ReadonlyMap<number, number>,
    /** Lobby-wide values in `schema.globals` order. */
    readonly globalValues: readonly FieldValue[],
    /** Every visible entity by id. */
    readonly entities: ReadonlyMap<number, Entity>,
  ) {}

  /** The globals by name (`world.globals.round`). */
  get globals(): Readonly<Record<string, FieldValue>> {
    return named(this.schema.globals, this.globalValues);
  }

  get(id: number): Entity | undefined {
    return this.entities.get(id);
  }

  /** The entities of one kind, in id order. */
  ofKind(kind: string): Entity[] {
    return [...this.entities.values()].filter((e) => e.kind === kind).sort((a, b) => a.id - b.id);
  }

  private makeEntity(id: number, kindIndex: unknown, values: unknown, where: string): Entity {
    if (typeof kindIndex !== "number" || !Number.isInteger(kindIndex)) throw new StateError(`${where}: bad kind`);
    const kind = this.schema.kinds[kindIndex];
    if (!kind) throw new StateError(`${where}: kind ${kindIndex} is not in the schema`);
    const vs = checkValues(kind.fields, values, `${where} (${kind.kind})`);
    return { id, kind: kind.kind, kindIndex, values: vs, fields: named(kind.fields, vs) };
  }

  /** The state a `snapshot` describes. */
  static fromSnapshot(schema: Schema, msg: SnapshotMessage): World {
    const empty = new World(schema, msg.tick, acksOf(msg.acks), [], new Map());
    const globals = checkValues(schema.globals, msg.globals ?? [], "snapshot globals");
    if (!Array.isArray(msg.entities)) throw new StateError("snapshot: entities must be an array");
    ascending(msg.entities.map((e) => e[0]), "snapshot entities");
    const entities = new Map<number, Entity>();
    for (const [id, kind, values] of msg.entities) entities.set(id, empty.makeEntity(id, kind, values, `entity ${id}`));
    return new World(schema, msg.tick, empty.acks, globals, entities);
  }

  /** The state after `msg` (removed, then changed, then added; WIRE.md §4). */
  apply(msg: DeltaMessage): World {
    if (msg.base !== this.tick) throw new StateError(`delta for base ${msg.base}, but the state is at tick ${this.tick}`);
    const entities = new Map(this.entities);
    let globals = this.globalValues;
    if (msg.globals !== undefined && msg.globals !== null) {
      globals = this.patch(this.schema.globals, this.globalValues, msg.globals[0], msg.globals[1], "globals");
    }
    ascending(msg.removed, "removed");
    for (const id of msg.removed) {
      if (!entities.delete(id)) throw new StateError(`removed ${id}, which the state does not hold`);
    }
    ascending(msg.changed.map((c) => c[0]), "changed");
    for (const [id, mask, values] of msg.changed) {
      const e = entities.get(id);
      if (!e) throw new StateError(`changed ${id}, which the state does not hold (or the delta removes)`);
      const kind = this.schema.kinds[e.kindIndex]!;
      const vs = this.patch(kind.fields, e.values, mask, values, `entity ${id}`);
      entities.set(id, { ...e, values: vs, fields: named(kind.fields, vs) });
    }
    ascending(msg.added.map((a) => a[0]), "added");
    for (const [id, kind, values] of msg.added) {
      if (entities.has(id)) throw new StateError(`added ${id}, which the state already holds`);
      entities.set(id, this.makeEntity(id, kind, values, `entity ${id}`));
    }
    return new World(this.schema, msg.tick, acksOf(msg.acks), globals, entities);
  }

  /** `values` with the masked fields replaced, checked. */
  private patch(fields: readonly FieldSchema[], old: readonly FieldValue[], mask: number, values: FieldValue[], where: string): FieldValue[] {
    if (!Number.isInteger(mask) || mask < 0 || mask > 0xffff_ffff) throw new StateError(`${where}: bad mask ${mask}`);
    if (fields.length < 32 && mask >>> fields.length !== 0) throw new StateError(`${where}: mask ${mask} beyond its ${fields.length} fields`);
    if (!Array.isArray(values) || values.length !== popcount(mask)) {
      throw new StateError(`${where}: mask ${mask} needs ${popcount(mask)} values`);
    }
    const out = [...old];
    let vi = 0;
    for (let i = 0; i < fields.length; i++) {
      if (((mask >>> i) & 1) === 0) continue;
      const v = values[vi++];
      const p = incomingProblem(fields[i]!, v);
      if (p) throw new StateError(`${where}: field \`${fields[i]!.name}\`: ${p}`);
      out[i] = v === undefined ? null : v;
    }
    return out;
  }
}
