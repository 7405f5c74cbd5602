// A second implementation of Claimledger's wire format, written from docs/format.md:
// the canonical encoding, transactions, ids, signed API requests, block headers, votes and
// commit certificates. Plain JavaScript (Node 20), no dependencies: Ed25519 and sha256 come
// from node:crypto, the msgpack subset is written out here.
//
// Values: an integer is a BigInt, bytes a Uint8Array, a str a string, a bool a boolean, an
// absent optional null, an array an Array, a record a plain object keyed by field name.

import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify }
  from "node:crypto";

// ------------------------------------------------------------------ errors

/** A refusal with the codec's stable code (`codec.type`, `codec.non_canonical`, ...). */
export class CodecError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

// ------------------------------------------------------------------ types

/**
 * @typedef {{kind: "int", min: bigint, max: bigint}
 *   | {kind: "bool"}
 *   | {kind: "bytes", min_len: number, max_len: number}
 *   | {kind: "str", min_len: number, max_len: number, one_of?: string[]}
 *   | {kind: "optional", of: Type}
 *   | {kind: "array", of: Type, min_len: number, max_len: number}
 *   | {kind: "record", name: string}} Type
 */

export const MAX_INPUT_BYTES = 1 << 20;

/** @returns {Type} */
export const int = (min, max) => ({ kind: "int", min: BigInt(min), max: BigInt(max) });
/** @returns {Type} */
export const bytes = (min, max = min) => ({ kind: "bytes", min_len: min, max_len: max });
/** @returns {Type} */
export const str = (min, max, oneOf) =>
  oneOf ? { kind: "str", min_len: min, max_len: max, one_of: [...oneOf].sort() }
    : { kind: "str", min_len: min, max_len: max };
/** @returns {Type} */
export const optional = (of) => ({ kind: "optional", of });
/** @returns {Type} */
export const array = (of, min, max) => ({ kind: "array", of, min_len: min, max_len: max });
/** @returns {Type} */
export const record = (name) => ({ kind: "record", name });
export const bool = /** @type {Type} */ ({ kind: "bool" });

export const U32 = int(0, 2n ** 32n - 1n);
export const U64 = int(0, 2n ** 64n - 1n);
export const I63 = int(0, 2n ** 63n - 1n); // TimeMs and Height
export const FEN = int(0, 10n ** 16n);
export const HASH32 = bytes(32);
export const SIG64 = bytes(64);
export const NAME = str(1, 64);

export const TX_DOMAIN = utf8("claimledger/tx/v1\0");
export const REQUEST_DOMAIN = utf8("claimledger/request/v1\0");
export const VOTE_DOMAIN = utf8("claimledger/vote/v1\0");
export const MAX_TX_BYTES = 64 * 1024;
export const MAX_SIGNATURES = 8;
export const MAX_VALIDITY_BLOCKS = 200000;
export const MAX_LARGE_BODY_BYTES = (4 << 20) + (512 << 10);
export const MAX_LARGE_TX_BYTES = MAX_LARGE_BODY_BYTES + 16 * 1024;
export const PREVOTE = 1;
export const PRECOMMIT = 2;

/** The record types, fields in wire order (docs/format.md's tables). */
export const RECORDS = {
  "tx.ContractRef": [["name", NAME], ["version", U32], ["code_hash", HASH32]],
  "tx.Payload": [["chain_id", NAME], ["contract", record("tx.ContractRef")],
    ["operation", NAME], ["body", bytes(0, MAX_LARGE_BODY_BYTES)],
    ["expiry_height", U64], ["nonce", U64]],
  "tx.Signature": [["signer", HASH32], ["signature", SIG64]],
  "tx.Transaction": [["payload", record("tx.Payload")],
    ["signatures", array(record("tx.Signature"), 0, MAX_SIGNATURES)]],
  "transfer.Transfer": [["holder", HASH32], ["voucher", HASH32], ["to", HASH32],
    ["amount_fen", FEN], ["pledgee", optional(HASH32)], ["contract_ref", str(1, 256)],
    ["documents", array(HASH32, 0, 8)]],
  "issuance.Terms": [["debtor", HASH32], ["amount_fen", FEN], ["due_ms", I63],
    ["asset_offset", bool], ["consumption_offset", bool], ["extension_days", U32],
    ["extension_max", U32], ["basis_ref", str(1, 256)], ["basis_sha256", HASH32]],
  "issuance.Apply": [["creditor", HASH32], ["terms", record("issuance.Terms")],
    ["documents", array(HASH32, 0, 8)]],
  "pledge.Filing": [["number", str(1, 32)], ["from_ms", I63], ["until_ms", I63]],
  "pledge.Create": [["holder", HASH32], ["bank", HASH32], ["voucher", HASH32],
    ["secured_fen", FEN], ["loan_due_ms", I63], ["loan_ref", str(1, 256)], ["loan_fen", FEN],
    ["loan_rate_bp", U32], ["filing", optional(record("pledge.Filing"))]],
  "setoff.Consent": [["member", HASH32], ["round", HASH32]],
  "requests.SignedRequest": [["chain_id", NAME], ["method", str(1, 16)],
    ["target", str(1, 8190)], ["body_sha256", HASH32], ["time_ms", I63],
    ["nonce", bytes(16)]],
  "blocks.Header": [["chain_id", NAME], ["height", I63], ["prev_hash", HASH32],
    ["time_ms", I63], ["proposer", HASH32], ["tx_root", HASH32], ["tx_count", U32],
    ["state_root", HASH32], ["validators_hash", HASH32], ["next_validators_hash", HASH32],
    ["evidence_root", HASH32]],
  "blocks.Validator": [["key", HASH32], ["power", U32]],
  "blocks.ValidatorSet": [["validators", array(record("blocks.Validator"), 1, 1024)]],
  "blocks.PrecommitRecord": [["validator", HASH32], ["signature", SIG64]],
  "blocks.CertificateRecord": [["height", I63], ["round", U64], ["block_id", HASH32],
    ["precommits", array(record("blocks.PrecommitRecord"), 0, 1024)]],
};

/** @param {string} name */
function fieldsOf(name, records = RECORDS) {
  const found = records[name];
  if (!found) throw new Error(`no record type ${name}`);
  return found;
}

// ------------------------------------------------------------------ msgpack nodes
// The decoder first reads msgpack into nodes that keep what the bytes said (an integer,
// a float, a str, a bin, a map...), then checks them against the type, then writes them
// back canonically and compares: anything but the one canonical form is refused.

/** @typedef {{t: "int", v: bigint} | {t: "nil"} | {t: "bool", v: boolean} | {t: "float"}
 *   | {t: "str", v: string} | {t: "bin", v: Uint8Array} | {t: "array", v: Node[]}
 *   | {t: "map", v: [Node, Node][]}} Node */

class Writer {
  constructor() { this.parts = []; this.length = 0; }
  push(/** @type {Uint8Array} */ b) { this.parts.push(b); this.length += b.length; }
  byte(...xs) { this.push(Uint8Array.from(xs)); }
  uint(prefix, n, size) { // big-endian, `size` bytes
    const b = new Uint8Array(size + 1);
    b[0] = prefix;
    let v = BigInt(n);
    for (let i = size; i >= 1; i--) { b[i] = Number(v & 0xffn); v >>= 8n; }
    this.push(b);
  }
  done() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.length; }
    return out;
  }
}

/** Write a node in its one canonical form (the smallest, as msgpack-python packs). */
function writeNode(w, /** @type {Node} */ n) {
  switch (n.t) {
    case "nil": return w.byte(0xc0);
    case "bool": return w.byte(n.v ? 0xc3 : 0xc2);
    case "int": {
      const v = n.v;
      if (v >= 0n) {
        if (v < 0x80n) return w.byte(Number(v));
        if (v <= 0xffn) return w.uint(0xcc, v, 1);
        if (v <= 0xffffn) return w.uint(0xcd, v, 2);
        if (v <= 0xffffffffn) return w.uint(0xce, v, 4);
        return w.uint(0xcf, v, 8);
      }
      if (v >= -32n) return w.byte(Number(v) & 0xff);
      if (v >= -0x80n) return w.uint(0xd0, BigInt.asUintN(8, v), 1);
      if (v >= -0x8000n) return w.uint(0xd1, BigInt.asUintN(16, v), 2);
      if (v >= -0x80000000n) return w.uint(0xd2, BigInt.asUintN(32, v), 4);
      return w.uint(0xd3, BigInt.asUintN(64, v), 8);
    }
    case "str": {
      const b = utf8(n.v);
      if (b.length < 32) w.byte(0xa0 | b.length);
      else if (b.length <= 0xff) w.uint(0xd9, b.length, 1);
      else if (b.length <= 0xffff) w.uint(0xda, b.length, 2);
      else w.uint(0xdb, b.length, 4);
      return w.push(b);
    }
    case "bin": {
      const b = n.v;
      if (b.length <= 0xff) w.uint(0xc4, b.length, 1);
      else if (b.length <= 0xffff) w.uint(0xc5, b.length, 2);
      else w.uint(0xc6, b.length, 4);
      return w.push(b);
    }
    case "array": {
      const len = n.v.length;
      if (len < 16) w.byte(0x90 | len);
      else if (len <= 0xffff) w.uint(0xdc, len, 2);
      else w.uint(0xdd, len, 4);
      for (const item of n.v) writeNode(w, item);
      return;
    }
    default:
      throw new Error(`no canonical form for ${n.t}`); // maps and floats never reach here
  }
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const MAX_DEPTH = 512;

/** Read one msgpack object of any form; `codec.malformed` for what msgpack itself refuses
 * (truncation, 0xc1, extension types, invalid UTF-8, a map key not str or bin). */
function readNode(/** @type {Uint8Array} */ data, pos, depth) {
  const malformed = (why) => new CodecError("codec.malformed", `not valid msgpack (${why})`);
  if (depth > MAX_DEPTH) throw malformed("nested too deep");
  const need = (n) => { if (pos.at + n > data.length) throw malformed("truncated"); };
  const take = (n) => { need(n); const b = data.subarray(pos.at, pos.at + n); pos.at += n; return b; };
  const be = (n) => { let v = 0n; for (const x of take(n)) v = (v << 8n) | BigInt(x); return v; };
  const count = (n) => Number(be(n));
  const strOf = (len) => {
    try { return { t: "str", v: STRICT_UTF8.decode(take(len)) }; } catch (e) {
      if (e instanceof CodecError) throw e;
      throw malformed("invalid UTF-8");
    }
  };
  const items = (len) => {
    const v = [];
    for (let i = 0; i < len; i++) v.push(readNode(data, pos, depth + 1));
    return { t: "array", v };
  };
  const entries = (len) => {
    const v = [];
    for (let i = 0; i < len; i++) {
      const k = readNode(data, pos, depth + 1);
      if (k.t !== "str" && k.t !== "bin") throw malformed("a map key that is not str or bin");
      v.push([k, readNode(data, pos, depth + 1)]);
    }
    return { t: "map", v };
  };
  const b = take(1)[0];
  if (b <= 0x7f) return { t: "int", v: BigInt(b) };
  if (b >= 0xe0) return { t: "int", v: BigInt(b - 0x100) };
  if ((b & 0xe0) === 0xa0) return strOf(b & 0x1f);
  if ((b & 0xf0) === 0x90) return items(b & 0x0f);
  if ((b & 0xf0) === 0x80) return entries(b & 0x0f);
  switch (b) {
    case 0xc0: return { t: "nil" };
    case 0xc2: return { t: "bool", v: false };
    case 0xc3: return { t: "bool", v: true };
    case 0xc4: return { t: "bin", v: take(count(1)) };
    case 0xc5: return { t: "bin", v: take(count(2)) };
    case 0xc6: return { t: "bin", v: take(count(4)) };
    case 0xca: take(4); return { t: "float" };
    case 0xcb: take(8); return { t: "float" };
    case 0xcc: return { t: "int", v: be(1) };
    case 0xcd: return { t: "int", v: be(2) };
    case 0xce: return { t: "int", v: be(4) };
    case 0xcf: return { t: "int", v: be(8) };
    case 0xd0: return { t: "int", v: BigInt.asIntN(8, be(1)) };
    case 0xd1: return { t: "int", v: BigInt.asIntN(16, be(2)) };
    case 0xd2: return { t: "int", v: BigInt.asIntN(32, be(4)) };
    case 0xd3: return { t: "int", v: BigInt.asIntN(64, be(8)) };
    case 0xd9: return strOf(count(1));
    case 0xda: return strOf(count(2));
    case 0xdb: return strOf(count(4));
    case 0xdc: return items(count(2));
    case 0xdd: return items(count(4));
    case 0xde: return entries(count(2));
    case 0xdf: return entries(count(4));
    default: throw malformed(`byte 0x${b.toString(16)} (an extension type or never used)`);
  }
}

// ------------------------------------------------------------------ checking against types

const codePoints = (s) => { let n = 0; for (const _ of s) n++; return n; };
const fail = (code, path, message) => new CodecError(code, `${path}: ${message}`);

/** A value checked against its type, as a node to write. */
function toNode(/** @type {Type} */ type, value, path, records) {
  switch (type.kind) {
    case "int":
      if (typeof value !== "bigint") throw fail("codec.type", path, "expected an integer (BigInt)");
      if (value < type.min || value > type.max) {
        throw fail("codec.range", path, `${value} is outside [${type.min}, ${type.max}]`);
      }
      return { t: "int", v: value };
    case "bool":
      if (typeof value !== "boolean") throw fail("codec.type", path, "expected a boolean");
      return { t: "bool", v: value };
    case "bytes":
      if (!(value instanceof Uint8Array)) throw fail("codec.type", path, "expected bytes");
      checkLength(value.length, type, path, "size");
      return { t: "bin", v: value };
    case "str":
      if (typeof value !== "string") throw fail("codec.type", path, "expected a string");
      checkString(value, type, path);
      return { t: "str", v: value };
    case "optional":
      return value === null ? { t: "nil" } : toNode(type.of, value, path, records);
    case "array":
      if (!Array.isArray(value)) throw fail("codec.type", path, "expected an array");
      checkLength(value.length, type, path, "size", "items");
      return { t: "array", v: value.map((v, i) => toNode(type.of, v, `${path}[${i}]`, records)) };
    case "record": {
      const fields = fieldsOf(type.name, records);
      if (value === null || typeof value !== "object") {
        throw fail("codec.type", path, `expected ${type.name}`);
      }
      return { t: "array", v: fields.map(([f, t]) => toNode(t, value[f], `${path}.${f}`, records)) };
    }
  }
  throw new Error(`unknown type ${JSON.stringify(type)}`);
}

function checkLength(n, type, path, code, unit = "") {
  if (n < type.min_len || n > type.max_len) {
    throw fail(`codec.${code}`, path,
      `length ${n}${unit && " " + unit} is outside [${type.min_len}, ${type.max_len}]`);
  }
}

function checkString(s, type, path) {
  checkLength(codePoints(s), type, path, "size"); // bounds count code points, not UTF-16 units
  if (type.one_of && !type.one_of.includes(s)) {
    throw fail("codec.value", path, `${JSON.stringify(s)} is not one of: ${type.one_of.join(", ")}`);
  }
}

/** The value a node holds, checked against its type (the decoder's second step). */
function fromNode(/** @type {Type} */ type, /** @type {Node} */ n, path, records) {
  switch (type.kind) {
    case "int":
      if (n.t !== "int") throw fail("codec.type", path, `expected an integer, got ${n.t}`);
      if (n.v < type.min || n.v > type.max) {
        throw fail("codec.range", path, `${n.v} is outside [${type.min}, ${type.max}]`);
      }
      return n.v;
    case "bool":
      if (n.t !== "bool") throw fail("codec.type", path, `expected a boolean, got ${n.t}`);
      return n.v;
    case "bytes":
      if (n.t !== "bin") throw fail("codec.type", path, `expected bytes, got ${n.t}`);
      checkLength(n.v.length, type, path, "size");
      return n.v;
    case "str":
      if (n.t !== "str") throw fail("codec.type", path, `expected a string, got ${n.t}`);
      checkString(n.v, type, path);
      return n.v;
    case "optional":
      return n.t === "nil" ? null : fromNode(type.of, n, path, records);
    case "array":
      if (n.t !== "array") throw fail("codec.type", path, `expected an array, got ${n.t}`);
      checkLength(n.v.length, type, path, "size", "items");
      return n.v.map((item, i) => fromNode(type.of, item, `${path}[${i}]`, records));
    case "record": {
      const fields = fieldsOf(type.name, records);
      if (n.t !== "array") throw fail("codec.type", path, `expected an array, got ${n.t}`);
      if (n.v.length !== fields.length) {
        throw fail("codec.field_count", path,
          `${type.name} has ${fields.length} fields, got ${n.v.length}`);
      }
      const out = {};
      fields.forEach(([f, t], i) => { out[f] = fromNode(t, n.v[i], `${path}.${f}`, records); });
      return out;
    }
  }
  throw new Error(`unknown type ${JSON.stringify(type)}`);
}

// ------------------------------------------------------------------ the codec

/** The canonical bytes of `value` of `type` (a record type's name or a Type). */
export function encode(type, value, records = RECORDS) {
  const t = typeof type === "string" ? record(type) : type;
  const w = new Writer();
  writeNode(w, toNode(t, value, t.name ?? "value", records));
  return w.done();
}

/** The value of `type` whose canonical bytes are `data`; `CodecError` for anything else. */
export function decode(type, data, maxBytes = MAX_INPUT_BYTES, records = RECORDS) {
  const t = typeof type === "string" ? record(type) : type;
  if (data.length > maxBytes) throw new CodecError("codec.too_long", `${data.length} bytes`);
  const pos = { at: 0 };
  const node = readNode(data, pos, 0);
  if (pos.at !== data.length) throw new CodecError("codec.trailing_bytes", "bytes after the record");
  const value = fromNode(t, node, t.name ?? "value", records);
  const w = new Writer();
  writeNode(w, node);
  if (!equalBytes(w.done(), data)) {
    throw new CodecError("codec.non_canonical", "valid but not the canonical encoding");
  }
  return value;
}

// ------------------------------------------------------------------ hashes and keys

export function sha256(/** @type {Uint8Array} */ data) {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

const PKCS8_ED25519 = hex("302e020100300506032b657004220420"); // then the 32-byte seed
const SPKI_ED25519 = hex("302a300506032b6570032100"); // then the 32-byte public key

/** An Ed25519 (RFC 8032, pure) key from its 32-byte seed: its public key is the address. */
export function keyFromSeed(/** @type {Uint8Array} */ seed) {
  if (seed.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
  const secret = createPrivateKey({ key: Buffer.from(concat(PKCS8_ED25519, seed)),
    format: "der", type: "pkcs8" });
  const spki = createPublicKey(secret).export({ format: "der", type: "spki" });
  const publicKey = new Uint8Array(spki.subarray(SPKI_ED25519.length));
  return { publicKey, sign: (message) => new Uint8Array(edSign(null, message, secret)) };
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `message`. */
export function verify(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(concat(SPKI_ED25519, publicKey)),
      format: "der", type: "spki" });
    return edVerify(null, message, key, signature);
  } catch {
    return false; // not a point on the curve
  }
}

// ------------------------------------------------------------------ transactions

export const payloadBytes = (payload) => encode("tx.Payload", payload);
/** The transaction id: sha256 of the payload's canonical bytes. */
export const payloadId = (payload) => sha256(payloadBytes(payload));
/** What every signer signs: the domain tag, then the payload's canonical bytes. */
export const signingBytes = (payload) => concat(TX_DOMAIN, payloadBytes(payload));

/** The transaction with `key`'s signature added, signatures kept sorted by signer. */
export function addSignature(tx, key) {
  const signature = key.sign(signingBytes(tx.payload));
  const others = tx.signatures.filter((s) => !equalBytes(s.signer, key.publicKey));
  const signatures = [...others, { signer: key.publicKey, signature }]
    .sort((a, b) => compareBytes(a.signer, b.signer));
  return { payload: tx.payload, signatures };
}

/** A payload whose body is the canonical bytes of `body`, a record of `bodyType`. */
export function makePayload({ chainId, contract, operation, bodyType, body, expiryHeight,
  nonce }) {
  return { chain_id: chainId, contract, operation, body: encode(bodyType, body),
    expiry_height: BigInt(expiryHeight), nonce: BigInt(nonce) };
}

// ------------------------------------------------------------------ ids

export const issuedVoucherId = (applicationId) =>
  sha256(concat(utf8("claimledger/voucher/issue\0"), applicationId));
export const partId = (txId, parent, index) =>
  sha256(concat(utf8("claimledger/voucher/part\0"), txId, parent, Uint8Array.of(index)));

// ------------------------------------------------------------------ signed requests

/** The four headers that sign the request `method target` with `body` for `chainId`. */
export function requestHeaders(key, chainId, method, target, body, timeMs, nonce) {
  if (!/^\/[\x21-\x7e]*$/.test(target)) throw new Error("the target is an ASCII path from '/'");
  if (!/^[A-Z]{1,16}$/.test(method)) throw new Error("the method is upper-case letters");
  const signed = { chain_id: chainId, method, target, body_sha256: sha256(body),
    time_ms: BigInt(timeMs), nonce };
  const message = concat(REQUEST_DOMAIN, encode("requests.SignedRequest", signed));
  return {
    "X-Claimledger-Member": toHex(key.publicKey),
    "X-Claimledger-Time": String(timeMs),
    "X-Claimledger-Nonce": toHex(nonce),
    "X-Claimledger-Signature": toHex(key.sign(message)),
  };
}

// ------------------------------------------------------------------ blocks

export const blockId = (header) => sha256(encode("blocks.Header", header));

/** The hash a header names a validator set by: (key, power) sorted by key. */
export function validatorsHash(/** @type {[Uint8Array, bigint][]} */ powers) {
  const validators = [...powers].sort((a, b) => compareBytes(a[0], b[0]))
    .map(([key, power]) => ({ key, power }));
  return sha256(encode("blocks.ValidatorSet", { validators }));
}

/** What a validator signs for a vote; a nil vote has an empty block id. */
export function voteBytes(chainId, type, height, round, blockId) {
  const w = new Writer();
  writeNode(w, { t: "array", v: [{ t: "str", v: chainId }, { t: "int", v: BigInt(type) },
    { t: "int", v: BigInt(height) }, { t: "int", v: BigInt(round) }, { t: "bin", v: blockId }] });
  return concat(VOTE_DOMAIN, w.done());
}

/** Merkle root with leaf prefix 0x00 and node prefix 0x01; an odd node moves up as is;
 * sha256 of nothing for no leaves. */
export function merkleRoot(/** @type {Uint8Array[]} */ leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  let level = leaves.map((leaf) => sha256(concat(Uint8Array.of(0), leaf)));
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      next.push(sha256(concat(Uint8Array.of(1), level[i], level[i + 1])));
    }
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

export const txRoot = (rawTxs) => merkleRoot(rawTxs.map(sha256));

/** Throws unless `certificate` finalises the header: its height and block id, each
 * precommit a known validator's once and valid, more than 2/3 of the power. */
export function verifyCertificate(certificate, header, /** @type {[Uint8Array, bigint][]} */ powers) {
  const id = blockId(header);
  if (certificate.height !== header.height || !equalBytes(certificate.block_id, id)) {
    throw new Error("certificate.wrong_block");
  }
  const message = voteBytes(header.chain_id, PRECOMMIT, certificate.height, certificate.round, id);
  const byKey = new Map(powers.map(([k, p]) => [toHex(k), p]));
  const seen = new Set();
  let power = 0n;
  for (const p of certificate.precommits) {
    const k = toHex(p.validator);
    if (seen.has(k)) throw new Error("certificate.duplicate_vote");
    seen.add(k);
    if (!byKey.has(k)) throw new Error("certificate.unknown_validator");
    if (!verify(p.validator, message, p.signature)) throw new Error("certificate.bad_signature");
    power += byKey.get(k);
  }
  const total = [...byKey.values()].reduce((a, b) => a + b, 0n);
  if (!(3n * power > 2n * total)) throw new Error("certificate.no_quorum");
}

// ------------------------------------------------------------------ bytes

export function hex(/** @type {string} */ text) {
  if (text.length % 2 || /[^0-9a-fA-F]/.test(text)) throw new Error(`not hex: ${text.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(text, "hex"));
}
export const toHex = (b) => Buffer.from(b).toString("hex");
export function utf8(/** @type {string} */ s) { return new TextEncoder().encode(s); }
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
export function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
export function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
