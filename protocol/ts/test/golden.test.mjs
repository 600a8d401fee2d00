// Drift tests: the SDK against the Rust protocol crate (golden bytes written by
// golden-gen/) and against PROTOCOL.md (its byte examples and its tables).
//
// The SDK's encodings of client messages are written to $TICKWAVE_SDK_OUT (default
// test-out/) so that `golden-gen check-sdk` can have the Rust decoder judge them too.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  CLIENT_FIELDS,
  ERROR_CODES,
  NOT_YET_DOCUMENTED,
  SERVER_FIELDS,
  World,
  decodeClient,
  decodeServer,
  encodeClient,
} from "../dist/index.js";

const golden = new URL("./golden/", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("manifest.json", golden), "utf8"));
const bytesOf = (file) => new Uint8Array(readFileSync(new URL(file, golden)));
const hex = (b) => Buffer.from(b).toString("hex").replace(/(..)/g, "$1 ").trim();
const sdkOut = process.env.TICKWAVE_SDK_OUT ?? fileURLToPath(new URL("../test-out/", import.meta.url));
const sorted = (xs) => [...xs].sort();

test("the SDK decodes every server message the Rust crate encodes to the same value", () => {
  for (const c of manifest.server) {
    const msg = decodeServer(bytesOf(c.file));
    assert.deepEqual(msg, c.value, `server ${c.name}`);
  }
});

test("the SDK reads the Rust crate's client messages, and encodes them to the same bytes", () => {
  mkdirSync(sdkOut, { recursive: true });
  for (const c of manifest.client) {
    const rust = bytesOf(c.file);
    assert.deepEqual(decodeClient(rust), c.value, `decode client ${c.name}`);
    const mine = encodeClient(c.value);
    writeFileSync(`${sdkOut}/${c.file}`, mine); // judged by `golden-gen check-sdk`
    if (c.sdk_bytes_equal) assert.equal(hex(mine), hex(rust), `encode client ${c.name}`);
    else assert.deepEqual(decodeClient(mine), c.value, `${c.name} (${c.note})`);
  }
});

test("the SDK knows exactly the message types and error codes of the Rust crate", () => {
  assert.deepEqual(sorted(Object.keys(SERVER_FIELDS)), sorted(manifest.server_types));
  assert.deepEqual(sorted(Object.keys(CLIENT_FIELDS)), sorted(manifest.client_types));
  const crate = Object.fromEntries(manifest.error_codes.map((e) => [e.code, e.close]));
  assert.deepEqual(ERROR_CODES, crate);
});

test("every field of every golden message is in the SDK's tables, with the right optionality", () => {
  for (const [side, cases, table] of [
    ["server", manifest.server, SERVER_FIELDS],
    ["client", manifest.client, CLIENT_FIELDS],
  ]) {
    const seen = new Map();
    for (const c of cases) {
      const fields = table[c.type];
      for (const key of Object.keys(c.value)) {
        if (key === "type") continue;
        assert.ok(fields[key], `${side} ${c.type}.${key} is sent by the crate but unknown to the SDK`);
        seen.set(`${c.type}.${key}`, true);
      }
      for (const [key, spec] of Object.entries(fields)) {
        if (!spec.optional) assert.ok(key in c.value, `${side} ${c.name}: the SDK requires ${key}`);
      }
    }
    for (const [type, fields] of Object.entries(table)) {
      for (const key of Object.keys(fields)) {
        assert.ok(seen.has(`${type}.${key}`), `${side} ${type}.${key}: no golden case uses it (add one to golden-gen)`);
      }
    }
  }
});

test("deltas from the crate apply: PROTOCOL.md §7.3's result, then a kind change and the largest id", () => {
  const schema = manifest.server.find((c) => c.name === "match_found").value.schema;
  const snap = World.fromSnapshot(schema, decodeServer(bytesOf("server.snapshot.bin")));
  const t42 = snap.apply(decodeServer(bytesOf("server.delta.bin")));
  assert.deepEqual(t42.toWire(), [
    [1, 0, [5066, 5000, 3, 0]],
    [2, 0, [2500, 7500, 2, 0]],
  ]);
  assert.deepEqual(t42.get(1).fields, { x: 5066, y: 5000, score: 3, boost: 0 });
  assert.equal(t42.acks.get(1), 8);
  const t43 = t42.apply(decodeServer(bytesOf("server.delta_reshape.bin")));
  assert.deepEqual(t43.toWire(), [
    [1, 0, [5132, 4934, 3, 1]],
    [2, 1, [-5, 7500, 1]],
    [3, 0, [0, 10000, 0, 0]],
    [4294967295, 1, [100, 200, 2]],
  ]);
  assert.equal(t43.get(2).kind, "pickup");
  assert.deepEqual(t43.get(2).fields, { x: -5, y: 7500, value: 1 });
  // Immutability: the earlier states are untouched.
  assert.equal(snap.entities.size, 3);
  assert.equal(t42.get(2).kind, "player");
});

// ----------------------------------------------------------------------------- PROTOCOL.md

const doc = readFileSync(new URL("../../PROTOCOL.md", import.meta.url), "utf8");

/** Text of the section whose heading starts with `title`, up to the next heading of its level. */
function section(title) {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => /^#{2,3} /.test(l) && l.replace(/^#+ /, "").startsWith(title));
  assert.ok(start >= 0, `PROTOCOL.md has no section "${title}"`);
  const level = lines[start].match(/^#+/)[0].length;
  const end = lines.findIndex((l, i) => i > start && new RegExp(`^#{2,${level}} `).test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

/** Body rows of the first markdown table in `text` (`all`: of every table), as arrays of trimmed cells. */
function rows(text, all = false) {
  const out = [];
  let header = true;
  for (const line of text.split("\n")) {
    if (!line.startsWith("|")) {
      if (out.length > 0 && !all) break; // end of the first table
      header = true;
      continue;
    }
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (header) {
      header = !cells.every((c) => /^-+$/.test(c));
      continue;
    }
    out.push(cells);
  }
  return out;
}

const name = (cell) => cell.match(/^`([a-z_]+)`$/)?.[1];
const docType = (cell) => cell.split(/[\s(]/)[0]; // "uint (u32)" → uint, "array of str" → array

/** type → field → {type, required?} from a table with type, field, wire type[, req.] columns. */
function documented(text, hasReq) {
  const out = {};
  let current;
  for (const cells of rows(text)) {
    current = name(cells[0]) ?? (cells[0] === "" ? current : undefined);
    if (!current) continue;
    out[current] ??= {};
    const field = name(cells[1]);
    if (field) out[current][field] = { type: docType(cells[2]), required: hasReq ? cells[3] === "yes" : undefined };
  }
  return out;
}

function compareWithDoc(side, docTable, sdkTable, allowTypes) {
  const undocumented = new Set(NOT_YET_DOCUMENTED.fields);
  for (const [type, fields] of Object.entries(docTable)) {
    assert.ok(sdkTable[type], `PROTOCOL.md documents ${side} message ${type}, the SDK lacks it`);
    for (const [field, spec] of Object.entries(fields)) {
      const mine = sdkTable[type][field];
      assert.ok(mine, `PROTOCOL.md documents ${type}.${field}, the SDK lacks it`);
      assert.equal(mine.type, spec.type, `${type}.${field}: PROTOCOL.md says ${spec.type}, the SDK ${mine.type}`);
      if (spec.required !== undefined) {
        assert.equal(!mine.optional, spec.required, `${type}.${field}: required in one, optional in the other`);
      }
      assert.ok(!undocumented.has(`${type}.${field}`), `${type}.${field} is documented now: drop it from NOT_YET_DOCUMENTED`);
    }
    for (const field of Object.keys(sdkTable[type])) {
      if (!fields[field] && Object.keys(fields).length > 0) {
        assert.ok(undocumented.has(`${type}.${field}`), `the SDK has ${type}.${field}, PROTOCOL.md does not document it`);
      }
    }
  }
  const extra = Object.keys(sdkTable).filter((t) => !docTable[t]);
  assert.deepEqual(sorted(extra), sorted(allowTypes), `${side} types the SDK has beyond PROTOCOL.md`);
}

test("PROTOCOL.md's tables agree with the SDK's message tables", () => {
  const client = documented(section("3.1 Client messages"), true);
  // hello's fields are documented in §2 with columns field | type | req.
  client.hello = {};
  for (const cells of rows(section("2. Handshake"))) {
    const f = name(cells[0]);
    if (f && f !== "type") client.hello[f] = { type: docType(cells[1]), required: cells[2] === "yes" };
  }
  compareWithDoc("client", client, CLIENT_FIELDS, NOT_YET_DOCUMENTED.clientTypes);
  const server = documented(section("3.2 Server messages"), false);
  compareWithDoc("server", server, SERVER_FIELDS, NOT_YET_DOCUMENTED.serverTypes);
});

test("PROTOCOL.md's error table agrees with the SDK's error codes", () => {
  const codes = {};
  // Every table of §4: protocol 2's codes are in a second one.
  for (const cells of rows(section("4. Errors and close codes"), true)) {
    const code = name(cells[0]);
    if (!code || !/^(yes|no)$/.test(cells[1])) continue;
    codes[code] = cells[1] === "yes" ? Number(cells[2]) : null;
  }
  assert.ok(Object.keys(codes).length > 10, "error table not found");
  for (const [code, close] of Object.entries(codes)) {
    assert.ok(code in ERROR_CODES, `PROTOCOL.md documents ${code}, the SDK lacks it`);
    assert.equal(ERROR_CODES[code], close, `${code}: close code`);
    assert.ok(!NOT_YET_DOCUMENTED.errorCodes.includes(code), `${code} is documented now: update NOT_YET_DOCUMENTED`);
  }
  const extra = Object.keys(ERROR_CODES).filter((c) => !(c in codes));
  assert.deepEqual(sorted(extra), sorted(NOT_YET_DOCUMENTED.errorCodes));
});

test("PROTOCOL.md's worked example bytes (§7) are the crate's and the SDK's bytes", () => {
  const block = (title) => {
    const m = section(title).match(/```\n([0-9a-f\s]+)\n```/);
    assert.ok(m, `no hex block in "${title}"`);
    return m[1].trim().split(/\s+/).join(" ");
  };
  assert.equal(block("7.1"), hex(bytesOf("client.hello.bin")));
  assert.equal(block("7.1"), hex(encodeClient({ type: "hello", protocol: 1, name: "ada" })));
  assert.equal(block("7.2"), hex(bytesOf("server.snapshot.bin")));
  assert.equal(block("7.3"), hex(bytesOf("server.delta.bin")));
});
