// Checks claimledger.mjs against the test vectors in docs/vectors: every input encodes to
// the vector's bytes, every encoding decodes back, every refusal is refused with its code,
// every id, hash and signature is the same. Prints one line per failure and a summary;
// exits 1 if anything failed.
//   node docs/js/check_vectors.mjs [vectors directory]

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as cl from "./claimledger.mjs";

const { hex, toHex, utf8, concat, equalBytes } = cl;
const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "vectors");
const load = (name) => JSON.parse(readFileSync(join(dir, name), "utf8"));

let checks = 0;
const failures = [];

/** Run one named check; a thrown error or a false result is a failure. */
function check(name, fn) {
  checks++;
  try {
    const result = fn();
    if (result === false) failures.push(`${name}: differs`);
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
  }
}

function same(name, actual, expected) {
  check(name, () => {
    if (actual !== expected) throw new Error(`got ${String(actual).slice(0, 120)}, want ${String(expected).slice(0, 120)}`);
  });
}

// ------------------------------------------------------------------ JSON <-> values

/** A type as records.json and codec.json write it (bounds as decimal strings). */
function typeFromJson(j) {
  switch (j.kind) {
    case "int": return cl.int(BigInt(j.min), BigInt(j.max));
    case "bool": return cl.bool;
    case "bytes": return cl.bytes(Number(j.min_len), Number(j.max_len));
    case "str": return cl.str(Number(j.min_len), Number(j.max_len), j.one_of);
    case "optional": return cl.optional(typeFromJson(j.of));
    case "array": return cl.array(typeFromJson(j.of), Number(j.min_len), Number(j.max_len));
    case "record": return cl.record(j.name);
  }
  throw new Error(`unknown kind ${j.kind}`);
}

/** A value of `type` from the vectors' JSON (bytes hex, integers decimal strings). */
function valueFromJson(type, j) {
  if (j !== null && typeof j === "object" && "repeat" in j) { // a long value, by its unit
    if (type.kind === "bytes") return hex(j.repeat.repeat(j.times));
    if (type.kind === "str") return j.repeat.repeat(j.times);
    if (type.kind === "array") return Array(j.times).fill(valueFromJson(type.of, j.repeat));
  }
  switch (type.kind) {
    case "int": return BigInt(j);
    case "bool": return j;
    case "bytes": return hex(j);
    case "str": return j;
    case "optional": return j === null ? null : valueFromJson(type.of, j);
    case "array": return j.map((v) => valueFromJson(type.of, v));
    case "record": {
      const out = {};
      for (const [f, t] of cl.RECORDS[type.name]) {
        if (!(f in j)) throw new Error(`${type.name} without ${f}`);
        out[f] = valueFromJson(t, j[f]);
      }
      return out;
    }
  }
  throw new Error(`unknown kind ${type.kind}`);
}

/** Whether the encoding matches the vector: full hex, or length, head and sha256. */
function matchesEncoded(data, v) {
  if ("encoded" in v) {
    if (toHex(data) !== v.encoded) throw new Error(`got ${toHex(data).slice(0, 80)}…`);
    return true;
  }
  return data.length === v.encoded_length && toHex(data.subarray(0, 16)) === v.encoded_head
    && toHex(cl.sha256(data)) === v.encoded_sha256;
}

/** Two decoded values are the same: compared by their canonical bytes under `type`. */
const sameValue = (type, a, b) => equalBytes(cl.encode(type, a), cl.encode(type, b));

// ------------------------------------------------------------------ records

const records = load("records.json").records;
for (const [name, schema] of Object.entries(records)) {
  check(`records: ${name} has the fields of docs/format.md`, () => {
    const mine = cl.RECORDS[name];
    if (!mine) throw new Error("not known to claimledger.mjs");
    const theirs = schema.fields.map((f) => [f.name, typeFromJson(f.type)]);
    const show = (fs) => JSON.stringify(fs, (_, v) => typeof v === "bigint" ? String(v) : v);
    if (show(mine) !== show(theirs)) throw new Error(`${show(mine)} != ${show(theirs)}`);
  });
}

// ------------------------------------------------------------------ keys

const keys = {};
for (const [name, k] of Object.entries(load("keys.json").keys)) {
  keys[name] = cl.keyFromSeed(hex(k.seed));
  same(`keys: ${name}'s public key`, toHex(keys[name].publicKey), k.public_key);
}

// ------------------------------------------------------------------ codec

const codec = load("codec.json");
for (const v of codec.positive) {
  const type = typeFromJson(v.type);
  const caseType = { kind: "record", name: "Case" };
  const caseRecords = { ...cl.RECORDS, Case: [["value", type]] };
  check(`codec: ${v.name} encodes`, () => {
    const value = valueFromJson(type, v.value);
    return matchesEncoded(cl.encode(caseType, { value }, caseRecords), v);
  });
  if ("encoded" in v) {
    check(`codec: ${v.name} decodes`, () => {
      const decoded = cl.decode(caseType, hex(v.encoded), undefined, caseRecords);
      return sameValue(type, decoded.value, valueFromJson(type, v.value));
    });
  } else {
    check(`codec: ${v.name} decodes`, () => {
      const value = valueFromJson(type, v.value);
      const data = cl.encode(caseType, { value }, caseRecords);
      return sameValue(type, cl.decode(caseType, data, undefined, caseRecords).value, value);
    });
  }
}
for (const v of codec.negative) {
  check(`codec: refuses ${v.name}`, () => {
    const caseRecords = { ...cl.RECORDS, Case: [["value", typeFromJson(v.type)]] };
    try {
      cl.decode({ kind: "record", name: "Case" }, hex(v.encoded), undefined, caseRecords);
    } catch (e) {
      if (!(e instanceof cl.CodecError)) throw e;
      if (e.code !== v.error) throw new Error(`refused with ${e.code}, not ${v.error}`);
      return true;
    }
    throw new Error("accepted");
  });
}

// ------------------------------------------------------------------ transactions

const txs = load("transactions.json");
same("transactions: the domain tag", toHex(cl.TX_DOMAIN), txs.tx_domain);
for (const [mine, theirs] of [[cl.MAX_TX_BYTES, txs.max_tx_bytes],
  [cl.MAX_SIGNATURES, txs.max_signatures], [cl.MAX_VALIDITY_BLOCKS, txs.max_validity_blocks]]) {
  same("transactions: a bound", mine, theirs);
}
for (const v of txs.transactions) {
  const at = `transactions: ${v.name}`;
  check(at, () => {
    const body = valueFromJson(cl.record(v.body_type), v.body);
    same(`${at}: body bytes`, toHex(cl.encode(v.body_type, body)), v.body_bytes);
    const contract = { name: v.contract.name, version: BigInt(v.contract.version),
      code_hash: hex(v.contract.code_hash) };
    const payload = cl.makePayload({ chainId: v.payload.chain_id, contract,
      operation: v.operation, bodyType: v.body_type, body,
      expiryHeight: v.payload.expiry_height, nonce: v.payload.nonce });
    same(`${at}: payload bytes`, toHex(cl.payloadBytes(payload)), v.payload_bytes);
    same(`${at}: tx id`, toHex(cl.payloadId(payload)), v.tx_id);
    same(`${at}: signing bytes`, toHex(cl.signingBytes(payload)), v.signing_bytes);
    let tx = { payload, signatures: [] };
    for (const signer of v.required_signers) tx = cl.addSignature(tx, keys[signer]);
    same(`${at}: signatures`, JSON.stringify(tx.signatures.map((s) => [toHex(s.signer),
      toHex(s.signature)])), JSON.stringify(v.signatures.map((s) => [s.public_key, s.signature])));
    const raw = cl.encode("tx.Transaction", tx);
    same(`${at}: transaction bytes`, toHex(raw), v.transaction_bytes);
    const decoded = cl.decode("tx.Transaction", hex(v.transaction_bytes), cl.MAX_LARGE_TX_BYTES);
    same(`${at}: decodes`, toHex(cl.encode("tx.Transaction", decoded)), v.transaction_bytes);
    const decodedBody = cl.decode(v.body_type, decoded.payload.body);
    same(`${at}: body decodes`, sameValue(cl.record(v.body_type), decodedBody, body), true);
    for (const s of decoded.signatures) {
      same(`${at}: signature verifies`,
        cl.verify(s.signer, cl.signingBytes(decoded.payload), s.signature), true);
    }
  });
}

// ------------------------------------------------------------------ ids

const ids = load("ids.json");
same("ids: issued voucher", toHex(cl.issuedVoucherId(hex(ids.issued_voucher.application))),
  ids.issued_voucher.voucher);
for (const p of ids.parts) {
  same(`ids: part ${p.index}`, toHex(cl.partId(hex(p.tx_id), hex(p.parent), p.index)), p.part);
}

// ------------------------------------------------------------------ requests

const requests = load("requests.json");
same("requests: the domain tag", toHex(cl.REQUEST_DOMAIN), requests.request_domain);
for (const v of requests.requests) {
  const at = `requests: ${v.name}`;
  check(at, () => {
    const body = hex(v.body);
    const signed = valueFromJson(cl.record("requests.SignedRequest"), v.signed_request);
    same(`${at}: body hash`, toHex(signed.body_sha256), toHex(cl.sha256(body)));
    same(`${at}: bytes`, toHex(cl.encode("requests.SignedRequest", signed)),
      v.signed_request_bytes);
    same(`${at}: signing bytes`, toHex(concat(cl.REQUEST_DOMAIN,
      cl.encode("requests.SignedRequest", signed))), v.signing_bytes);
    const headers = cl.requestHeaders(keys[v.signer], v.chain_id, v.method, v.target, body,
      signed.time_ms, signed.nonce);
    same(`${at}: headers`, JSON.stringify(headers), JSON.stringify(v.headers));
  });
}

// ------------------------------------------------------------------ blocks

const blocks = load("blocks.json");
check("blocks", () => {
  const vset = valueFromJson(cl.record("blocks.ValidatorSet"), blocks.validator_set);
  same("blocks: validator set bytes", toHex(cl.encode("blocks.ValidatorSet", vset)),
    blocks.validator_set_bytes);
  const powers = vset.validators.map((v) => [v.key, v.power]);
  same("blocks: validators hash", toHex(cl.validatorsHash([...powers].reverse())),
    blocks.validators_hash);
  same("blocks: tx root", toHex(cl.txRoot(blocks.transactions.map(hex))), blocks.tx_root);
  same("blocks: tx root of transactions.json",
    JSON.stringify(blocks.transactions), JSON.stringify(txs.transactions.map((t) => t.transaction_bytes)));
  const header = valueFromJson(cl.record("blocks.Header"), blocks.header);
  same("blocks: header bytes", toHex(cl.encode("blocks.Header", header)), blocks.header_bytes);
  same("blocks: block id", toHex(cl.blockId(header)), blocks.block_id);
  const decoded = cl.decode("blocks.Header", hex(blocks.header_bytes));
  same("blocks: header decodes", toHex(cl.blockId(decoded)), blocks.block_id);
  same("blocks: vote domain", toHex(cl.VOTE_DOMAIN), blocks.vote_domain);
  for (const v of blocks.votes) {
    same(`blocks: ${v.name} sign bytes`, toHex(cl.voteBytes(blocks.header.chain_id, v.type,
      BigInt(v.height), BigInt(v.round), hex(v.block_id))), v.sign_bytes);
  }
  const certificate = cl.decode("blocks.CertificateRecord", hex(blocks.certificate_bytes));
  same("blocks: certificate bytes", toHex(cl.encode("blocks.CertificateRecord",
    valueFromJson(cl.record("blocks.CertificateRecord"), blocks.certificate))),
  blocks.certificate_bytes);
  cl.verifyCertificate(certificate, header, powers);
  const forged = { ...certificate, round: certificate.round + 1n };
  check("blocks: a certificate for another round does not verify", () => {
    try { cl.verifyCertificate(forged, header, powers); } catch { return true; }
    throw new Error("verified");
  });
  for (const m of blocks.merkle) {
    same(`blocks: merkle root of ${m.leaves.length}`, toHex(cl.merkleRoot(m.leaves.map(hex))),
      m.root);
  }
  same("blocks: empty evidence root", toHex(cl.merkleRoot([])), blocks.empty_evidence_root);
});

for (const f of failures) console.log(`FAIL ${f}`);
console.log(`${checks - failures.length} of ${checks} checks pass (${dir})`);
process.exit(failures.length ? 1 : 0);
