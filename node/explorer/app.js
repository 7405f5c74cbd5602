// Claimledger explorer: a read-only single-page app over the node's JSON API (/v1).
// No build step and nothing fetched from elsewhere: plain DOM, inline SVG charts and trees.
// Money arrives as integer fen and is shown in yuan by string arithmetic (BigInt), never
// through floating point; times are ledger milliseconds shown in China Standard Time.
"use strict";

const API = "/v1";
const PAGE = 100;           // rows a registry page asks for
const MAX_TREE_NODES = 400; // voucher states the lineage drawing shows
const MAX_TX_LOOKUPS = 300; // transactions the lineage page reads for signers
const BLOCKS_READ = 600;    // blocks the overview reads back from the head
const CHART_MINUTES = 30;   // minutes the per-minute chart shows

// ------------------------------------------------------------------ small helpers

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function get(path) {
  const reply = await fetch(API + path, { headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await reply.json();
  } catch (e) {
    throw new ApiError(reply.status, "http." + reply.status, "the node answered " + reply.status);
  }
  if (!reply.ok) {
    const error = (body && body.error) || {};
    throw new ApiError(reply.status, error.code || "http." + reply.status,
                       error.message || "the node answered " + reply.status);
  }
  return body;
}

async function getOrNull(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

function query(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") parts.push(k + "=" + encodeURIComponent(v));
  }
  return parts.length ? "?" + parts.join("&") : "";
}

// Run `work` over `items` with at most `width` requests in flight.
async function pool(items, width, work) {
  const out = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return out;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "onclick" || k === "onchange" || k === "onsubmit") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
}

// Append children, skipping null, undefined and false (DOM's own append would print them).
function add(node, ...children) {
  append(node, children);
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// A bilingual label: Chinese first, English after it in a quieter tone.
function L(zh, en) {
  return el("span", { class: "label2" }, zh + " ", el("span", { class: "en", text: en }));
}
function T(zh, en) {
  return zh + " " + en;
}

// ------------------------------------------------------------------ money, numbers, time

// ¥1,234,567.89 from integer fen (a number, a decimal string or a BigInt).
function yuan(fen) {
  if (fen === null || fen === undefined) return "—";
  let digits = BigInt(fen).toString();
  let sign = "";
  if (digits.startsWith("-")) {
    sign = "-";
    digits = digits.slice(1);
  }
  digits = digits.padStart(3, "0");
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return sign + "¥" + whole + "." + digits.slice(-2);
}

function sumFen(values) {
  return values.reduce((total, v) => total + BigInt(v || 0), 0n);
}

function count(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// A ledger time (ms since 1970 UTC) in China Standard Time, whatever the browser's zone.
function cst(ms, withSeconds) {
  if (ms === null || ms === undefined) return "—";
  const text = new Date(ms + 8 * 3600 * 1000).toISOString();
  return text.slice(0, 10) + " " + text.slice(11, withSeconds ? 19 : 16);
}

function cstDate(ms) {
  if (ms === null || ms === undefined) return "—";
  // A due date is 24:00 of its day; show that day, not the next one's 00:00.
  return new Date(ms - 1 + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  const tenths = Math.round(ms / 8640000); // tenths of a day
  if (tenths >= 10) return (tenths / 10).toFixed(1) + " 天 days";
  const minutes = Math.round(ms / 60000);
  if (minutes >= 60) return (Math.round(minutes / 6) / 10).toFixed(1) + " 小时 h";
  return minutes + " 分钟 min";
}

function short(hex) {
  return hex ? hex.slice(0, 10) + "…" : "—";
}

// Text cut to about `units` wide (a CJK character counts as two).
function fit(text, units) {
  let width = 0;
  let out = "";
  for (const ch of text) {
    width += /[\u2e80-\uffef]/.test(ch) ? 2 : 1;
    if (width > units) return out + "…";
    out += ch;
  }
  return out;
}

// ------------------------------------------------------------------ members

const members = new Map(); // address -> member
let membersLoaded = null;

function loadMembers() {
  if (!membersLoaded) {
    membersLoaded = (async () => {
      let after = null;
      for (let pages = 0; pages < 10; pages++) {
        const page = await get("/members" + query({ limit: 1000, after }));
        for (const m of page.members) members.set(m.address, m);
        if (!page.next) break;
        after = page.next;
      }
    })().catch((e) => {
      membersLoaded = null;
      throw e;
    });
  }
  return membersLoaded;
}

function memberName(address) {
  const m = members.get(address);
  return m ? m.name : short(address);
}

// "Supplier: Mingda Steel (供应商)" -> "Mingda Steel (供应商)" where space is short.
function shortName(address) {
  const name = memberName(address);
  const cut = name.indexOf(": ");
  return cut > 0 ? name.slice(cut + 2) : name;
}

function who(address) {
  if (!address) return "—";
  return el("span", { title: address, class: "who" }, memberName(address));
}

function voucherLink(id, text) {
  return el("a", { href: "#/voucher/" + id, class: "mono", title: id, text: text || short(id) });
}

function chip(text, cls) {
  return el("span", { class: "chip " + (cls || "") }, text);
}

const STATUS = {
  active: ["在途", "Live"], consumed: ["已流转", "Consumed"], cancelled: ["注销", "Cancelled"],
  released: ["已解除", "Released"], enforced: ["已实现", "Enforced"], open: ["有效", "Open"],
  withdrawn: ["已撤回", "Withdrawn"], listed: ["在售", "Listed"], accepted: ["已接受", "Accepted"],
  sold: ["已转让", "Sold"], recourse_exercised: ["已追索", "Recourse exercised"], executed: ["已执行", "Executed"], refused: ["被拒绝", "Refused"],
  lapsed: ["已过期", "Lapsed"], failed: ["未执行", "Failed"],
  delisted: ["已移出", "Delisted"], frozen: ["冻结中", "Frozen"], unfrozen: ["已解冻", "Unfrozen"],
  upheld: ["异议成立", "Upheld"], dismissed: ["异议驳回", "Dismissed"],
  suspended: ["已暂停", "Suspended"],
};
// Where one status word means another thing in a kind of record: a listing is on the blacklist.
const KIND_STATUS = {
  listing: { listed: ["已列入", "Listed"] }, dispute: { open: ["处理中", "Open"] }, member: { active: ["正常", "Active"] },
};
function statusChip(status, kind) {
  const [zh, en] = kind === "pledge" && status === "active" ? ["质押中", "In force"]
    : (KIND_STATUS[kind] || {})[status] || STATUS[status] || [status, ""];
  const cls = kind === "pledge" && status === "active" ? "pledged"
    : (KIND_STATUS[kind] || {})[status] ? `${kind}-${status}` : status;
  return chip(zh + " " + en, cls);
}

// ------------------------------------------------------------------ tables

// columns: [[zh, en, (row) => cell, "num"?], ...]
// Every table comes with the same tools (one mechanism for all lists): a filter box that
// hides the loaded rows not containing its text, a count of the rows shown, and a CSV
// download of exactly the rows shown (headers "中文 English", cells as displayed).
// opts: { name: the CSV file's name, filter: the filter's text to start with }.
function table(columns, rows, rowClass, opts) {
  if (!rows.length) return el("p", { class: "empty", text: T("暂无记录", "No records") });
  const grid = el("table", {},
    el("thead", {}, el("tr", {}, columns.map(([zh, en, , cls]) =>
      el("th", { class: cls || null }, zh, el("span", { class: "en", text: en }))))),
    el("tbody", {}, rows.map((row) => el("tr", { class: rowClass ? rowClass(row) : null },
      columns.map(([, , cell, cls]) => el("td", { class: cls || null }, cell(row)))))));
  return listTools(grid, columns.map(([zh, en]) => zh + " " + en), opts || {});
}

// The filter box, the count and the CSV button above a table.
function listTools(grid, headers, opts) {
  const filter = el("input", { type: "search", class: "filter", value: opts.filter || "",
    placeholder: T("筛选本页", "Filter these rows"), "aria-label": T("筛选", "Filter") });
  const shown = el("span", { class: "muted shown" });
  const download = el("button", { type: "button", class: "button quiet csv" }, T("下载 CSV", "Download CSV"));
  const body = grid.tBodies[0];
  function apply() {
    const needle = filter.value.trim().toLowerCase();
    let visible = 0;
    for (const tr of body.rows) {
      tr.hidden = needle !== "" && !tr.textContent.toLowerCase().includes(needle);
      if (!tr.hidden) visible++;
    }
    shown.textContent = `${visible} / ${body.rows.length} ${T("行", "rows")}`;
  }
  filter.addEventListener("input", apply);
  download.addEventListener("click", () => {
    const lines = [headers, ...[...body.rows].filter((tr) => !tr.hidden)
      .map((tr) => [...tr.cells].map((td) => td.textContent.trim()))];
    saveFile(`${opts.name || pageName()}.csv`, "text/csv;charset=utf-8", "\ufeff" + csvText(lines));
  });
  apply();
  return el("div", { class: "listing" }, el("div", { class: "list-tools" }, filter, shown, download), grid);
}

function csvText(lines) {
  const cell = (v) => (/[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v);
  return lines.map((line) => line.map((v) => cell(String(v))).join(",")).join("\r\n") + "\r\n";
}

function saveFile(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function pageName() {
  return "claimledger-" + ((location.hash || "#/overview").slice(2).split("/")[0] || "overview");
}

// A registry page with a "more" button that follows `next`. `statuses`: the status values
// the route filters by itself (server-side), offered in a select before the table's own
// filter box (a value, or [value, zh, en] where the kind names it its own way); fetchPage(after,
// status) asks the route. opts: { initial: the status selected first, name: the CSV's name }.
function pagedTable(columns, fetchPage, key, sortRows, rowClass, statuses, opts = {}) {
  const holder = el("div", {});
  let rows = [];
  let next = null;
  let asked = 0; // a slower answer to an earlier status never lands after a later one's
  const more = el("button", { class: "button quiet more", type: "button", hidden: true },
    T("加载更多", "Load more"));
  const status = statuses ? el("select", { class: "status-filter", "aria-label": T("状态", "Status") },
    el("option", { value: "", text: T("全部状态", "Every status") }),
    statuses.map((v) => {
      const [value, zh, en] = Array.isArray(v) ? v : [v, ...(STATUS[v] || [v, ""])];
      return el("option", { value, text: `${zh} ${en}`.trim() });
    })) : null;
  if (status && opts.initial) status.value = opts.initial;
  async function load() {
    const mine = asked;
    more.disabled = true;
    const page = await fetchPage(next, status ? status.value : "");
    if (mine !== asked) return;
    rows.push(...page[key]);
    next = page.next;
    const shown = sortRows ? sortRows(rows.slice()) : rows;
    const kept = holder.querySelector("input.filter"); // the filter stays as rows are added
    holder.replaceChildren(table(columns, shown, rowClass, { filter: kept ? kept.value : "", name: opts.name }));
    more.hidden = !next;
    more.disabled = false;
  }
  if (status) {
    status.addEventListener("change", () => {
      asked++;
      rows = [];
      next = null;
      load().catch(showError);
    });
  }
  more.addEventListener("click", () => load().catch(showError));
  const tools = status ? el("div", { class: "toolbar" }, L("状态", "Status"), status) : null;
  return { node: el("div", {}, tools, holder, more), load };
}

// ------------------------------------------------------------------ charts

// A round step for `ticks` gridlines that reach `value`: 1, 2 or 5 times a power of ten.
function niceStep(value, ticks) {
  const raw = Math.max(1, value / ticks);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const step of [1, 2, 5, 10]) if (step * power >= raw) return Math.max(1, step * power);
  return 10 * power;
}

// Vertical grouped bars: categories along x, one bar per series in each.
function barChart({ categories, series, height = 220, label }) {
  const width = Math.max(520, 60 + categories.length * (series.length * 12 + 10));
  const left = 44, right = 10, top = 14, bottom = 46;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const step = niceStep(Math.max(1, ...series.flatMap((s) => s.values)), 4);
  const max = 4 * step;
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height,
    role: "img", "aria-label": label });
  for (let i = 0; i <= 4; i++) {
    const y = top + plotH - (plotH * i) / 4;
    chart.append(svg("line", { class: "grid", x1: left, x2: width - right, y1: y, y2: y }));
    chart.append(svg("text", { class: "tick", x: left - 6, y: y + 4, "text-anchor": "end",
      text: count(step * i) }));
  }
  chart.append(svg("line", { class: "axis", x1: left, x2: width - right, y1: top + plotH, y2: top + plotH }));
  const slot = plotW / Math.max(1, categories.length);
  const barW = Math.max(3, Math.min(16, (slot - 6) / series.length));
  const every = Math.ceil(categories.length / 12);
  categories.forEach((category, i) => {
    const x0 = left + i * slot + (slot - barW * series.length) / 2;
    series.forEach((s, j) => {
      const v = s.values[i];
      const h = (plotH * v) / max;
      chart.append(svg("rect", { class: s.cls, x: x0 + j * barW, y: top + plotH - h,
        width: barW - 1, height: h }, svg("title", { text: `${category} ${s.name}: ${v}` })));
      if (v > 0 && categories.length <= 15) {
        chart.append(svg("text", { class: "value-label", x: x0 + j * barW + (barW - 1) / 2,
          y: top + plotH - h - 3, "text-anchor": "middle", text: count(v) }));
      }
    });
    if (i % every === 0) {
      chart.append(svg("text", { class: "tick", x: left + i * slot + slot / 2, y: top + plotH + 16,
        "text-anchor": "middle", text: category }));
    }
  });
  return chart;
}

// Horizontal stacked bars, one row per item: segments [{value, cls, name}].
function stackedRows({ rows, label, valueText, width = 900, right = 170 }) {
  const rowH = 30, left = 230, top = 8;
  const height = top * 2 + rows.length * rowH;
  const max = Math.max(1, ...rows.map((r) => r.segments.reduce((t, s) => t + s.value, 0)));
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height,
    role: "img", "aria-label": label });
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    chart.append(svg("text", { x: left - 8, y: y + 19, "text-anchor": "end", text: fit(row.label, 34) },
      svg("title", { text: row.title || row.label })));
    let x = left;
    for (const s of row.segments) {
      const w = ((width - left - right) * s.value) / max;
      if (w > 0) {
        chart.append(svg("rect", { class: s.cls, x, y: y + 6, width: w, height: rowH - 12 },
          svg("title", { text: s.name })));
      }
      x += w;
    }
    chart.append(svg("text", { class: "value-label", x: x + 6, y: y + 19, text: valueText(row) }));
  });
  return chart;
}

function legend(items) {
  return el("div", { class: "legend" }, items.map(([cls, text]) => el("span", {}, el("i", { class: cls }), text)));
}

// ------------------------------------------------------------------ page: overview

async function pageOverview(view) {
  const [overview, debtors] = await Promise.all([
    get("/overview" + query({ blocks: BLOCKS_READ })),
    get("/registry/debtors" + query({ limit: 1000 })),
    loadMembers(),
  ]);
  const d = overview.debtors;
  add(view,
    el("h1", {}, L("概览", "Overview")),
    el("p", { class: "lead" },
      "本页只读账本：区块、验证节点签名与未清偿债权。 ",
      el("span", { class: "en", text: "What the ledger holds now: blocks, the validators' signatures and outstanding claims." })),
    el("div", { class: "cards" },
      card(T("区块高度", "Height"), count(overview.height), "height"),
      card(T("账本时间", "Ledger time"), cst(overview.time_ms, true), null, true),
      card(T("未清偿债权合计", "Outstanding claims"), yuan(d.outstanding_fen), "outstanding"),
      card(T("债务人", "Debtors"), count(d.debtors) + (d.complete ? "" : "+")),
      card(T("逾期凭证", "Overdue vouchers"), count(d.overdue_vouchers), null, false, d.overdue_vouchers > 0),
      card(T("展期凭证", "Extended vouchers"), count(d.extended_vouchers)),
      card(T("逾期未确权", "Late confirmations"), count(d.late_confirmations), null, false, d.late_confirmations > 0),
      card(T("抵销已清偿", "Cleared by set-off"), yuan(overview.setoff.cleared_fen)),
    ),
  );

  add(view, el("h2", {}, L("每分钟区块与交易", "Blocks and transactions per minute")));
  add(view, el("div", { class: "panel", id: "rate-chart" }, rateChart(overview)));

  const signers = overview.latest_certificate;
  add(view, el("h2", {}, L("验证节点与最近签名", "Validators and their last signatures")));
  add(view, el("p", { class: "lead" }, signers
    ? `最新提交证书 Latest commit certificate: ${T("高度", "height")} ${count(signers.height)}, ` +
      `${T("轮次", "round")} ${signers.round}, ${signers.signers.length}/${overview.validators.length} ` +
      T("个验证节点签名", "validators signed")
    : T("尚无提交证书", "No commit certificate yet")));
  add(view, el("div", { class: "panel" }, table([
    ["名称", "Name", (v) => v.name],
    ["公钥", "Key", (v) => el("span", { class: "mono", title: v.key, text: short(v.key) })],
    ["投票权", "Power", (v) => String(v.power), "num"],
    ["最近签名高度", "Last signed at height", (v) => v.last_signed_height === null
      ? el("span", { class: "muted", text: T(`近 ${overview.blocks.length} 块未签`, `none in the last ${overview.blocks.length} blocks`) })
      : count(v.last_signed_height), "num"],
    ["签署最新证书", "Signed the latest", (v) => v.signed_latest ? chip("✓ 是 Yes", "live") : chip("否 No")],
  ], overview.validators)));

  const byDebtor = debtors.debtors.filter((r) => BigInt(r.outstanding_fen) > 0n)
    .sort((a, b) => (BigInt(b.outstanding_fen) > BigInt(a.outstanding_fen) ? 1 : -1));
  add(view, el("h2", {}, L("各债务人未清偿债权", "Outstanding claims per debtor")));
  const rows = byDebtor.slice(0, 12).map((r) => ({
    label: shortName(r.debtor), title: memberName(r.debtor),
    segments: [{ value: Number(r.outstanding_fen), cls: "bar-debt", name: yuan(r.outstanding_fen) }],
    fen: r.outstanding_fen,
  }));
  add(view, el("div", { class: "panel", id: "debtor-chart" },
    rows.length ? stackedRows({ rows, label: T("各债务人未清偿债权", "Outstanding per debtor"), valueText: (r) => yuan(r.fen) })
      : el("p", { class: "empty", text: T("暂无未清偿债权", "Nothing outstanding") }),
    byDebtor.length > 12 ? el("p", { class: "muted" }, el("a", { href: "#/debtors" }, T("查看全部债务人", "All debtors"))) : null,
    debtors.next ? el("p", { class: "muted", text: T("仅显示按地址排序的前 1000 个债务人", "Showing the first 1,000 debtors by address") }) : null,
  ));
  return `${overview.height}`;
}

function card(label, value, id, small, warn) {
  return el("div", { class: "card" + (warn ? " warn" : ""), id: id ? "card-" + id : null },
    el("div", { class: "label", text: label }),
    el("div", { class: "value" + (small ? " small" : ""), text: value }));
}

function rateChart(overview) {
  const blocks = overview.blocks.filter((b) => b.height > 0); // genesis time is configured, not produced
  if (!blocks.length) return el("p", { class: "empty", text: T("暂无区块", "No blocks") });
  const newest = Math.floor(blocks[0].time_ms / 60000);
  const oldestRead = Math.floor(blocks[blocks.length - 1].time_ms / 60000);
  // The oldest minute read may hold blocks not read, unless the read reached genesis.
  const complete = blocks.length === overview.height;
  const first = Math.min(newest, Math.max(newest - CHART_MINUTES + 1, complete ? oldestRead : oldestRead + 1));
  const minutes = [];
  for (let m = first; m <= newest; m++) minutes.push(m);
  const blockCounts = minutes.map(() => 0);
  const txCounts = minutes.map(() => 0);
  for (const b of blocks) {
    const i = Math.floor(b.time_ms / 60000) - minutes[0];
    if (i >= 0 && i < minutes.length) {
      blockCounts[i] += 1;
      txCounts[i] += b.tx_count;
    }
  }
  const categories = minutes.map((m) => cst(m * 60000).slice(11));
  const totalTx = txCounts.reduce((a, b) => a + b, 0);
  const totalBlocks = blockCounts.reduce((a, b) => a + b, 0);
  return el("div", {},
    legend([["k-blocks", T("区块数", "Blocks")], ["k-txs", T("交易数", "Transactions")]]),
    barChart({ categories, label: T("每分钟区块与交易", "Blocks and transactions per minute"), series: [
      { name: T("区块", "blocks"), cls: "bar-blocks", values: blockCounts },
      { name: T("交易", "transactions"), cls: "bar-txs", values: txCounts },
    ] }),
    el("p", { class: "muted" },
      `${T("图示", "Shown")}: ${minutes.length} ${T("分钟", "minutes")} (${T("北京时间", "CST")}), ` +
      `${count(totalBlocks)} ${T("个区块", "blocks")}, ${count(totalTx)} ${T("笔交易", "transactions")}; ` +
      `${T("读取最近", "read from the last")} ${count(blocks.length)} ${T("个区块", "blocks")}`));
}

// ------------------------------------------------------------------ page: voucher lineage

const CAUSES = {
  issue: ["签发", "Issued"], transfer: ["转让", "Transfer"], split: ["拆分", "Split"],
  remainder: ["余额", "Remainder"], merchant_payment: ["商户支付", "Merchant payment"],
  acquisition: ["收购", "Acquisition"], enforcement: ["质押实现", "Pledge enforced"],
  redemption_remainder: ["抵付余额", "Redemption remainder"], setoff_remainder: ["抵销余额", "Set-off remainder"],
};
const OPERATIONS = {
  "issuance/apply": ["申请", "Applied"], "issuance/confirm": ["确权", "Confirmed by debtor"],
  "issuance/approve": ["审核签发", "Approved and issued"], "transfer/transfer": ["转让", "Transfer"],
  "transfer/split": ["拆分", "Split"], "payment/pay": ["商户支付", "Merchant payment"],
  "pledge/create": ["质押登记", "Pledge registered"], "pledge/release": ["解除质押", "Pledge released"],
  "pledge/enforce": ["质押实现", "Pledge enforced"], "acquisition/commit": ["收购承诺", "Acquisition commitment"],
  "acquisition/withdraw": ["撤回收购承诺", "Commitment withdrawn"], "acquisition/exercise": ["收购行权", "Sold to the acquirer"],
  "redemption/request": ["申请抵付", "Redemption requested"], "redemption/accept": ["抵付", "Redeemed"],
  "setoff/consent": ["闭环抵销", "Set off (round executed)"], "setoff/propose": ["提出抵销", "Set-off proposed"],
};
function operationLabel(tx) {
  if (!tx || !tx.contract) return null;
  return OPERATIONS[tx.contract.name + "/" + tx.operation] || [tx.operation, tx.contract.name];
}

function flattenTree(root, descendants) {
  // nodes: {voucher, children, depth}; at most MAX_TREE_NODES, breadth first.
  const top = { voucher: root, children: [], depth: 0 };
  const queue = [[top, descendants]];
  let total = 1;
  let cut = false;
  while (queue.length) {
    const [node, kids] = queue.shift();
    for (const kid of kids) {
      if (total >= MAX_TREE_NODES) {
        cut = true;
        break;
      }
      const child = { voucher: kid.voucher, children: [], depth: node.depth + 1 };
      node.children.push(child);
      total += 1;
      queue.push([child, kid.children || []]);
      if (kid.truncated) cut = true;
    }
  }
  return { top, total, cut };
}

function walk(node, visit) {
  visit(node);
  for (const child of node.children) walk(child, visit);
}

async function pageVoucher(view, id) {
  id = (id || "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(id)) throw new ApiError(400, "request.bad_id", T("凭证编号为 64 位十六进制", "A voucher id is 64 hex digits"));
  const [voucher] = await Promise.all([get("/vouchers/" + id), loadMembers()]);
  const origin = voucher.origin;
  const [lineage, application, pledges] = await Promise.all([
    get(`/vouchers/${origin}/lineage`),
    getOrNull("/applications/" + voucher.application),
    get("/pledges" + query({ origin, limit: 1000 })),
  ]);
  const { top, total, cut } = flattenTree(lineage.voucher, lineage.descendants);
  const states = [];
  walk(top, (n) => {
    states.push(n.voucher);
    // What the debtor settled when this state ended: redeemed or set off, not passed on.
    const passedOn = sumFen(n.children.map((c) => c.voucher.amount_fen));
    n.voucher.settled_fen = n.voucher.status === "active" ? 0n : BigInt(n.voucher.amount_fen) - passedOn;
  });
  const commitmentIds = [...new Set(states.flatMap((v) => v.commitments))];
  const commitments = new Map();
  (await pool(commitmentIds.slice(0, 50), 6, (c) => getOrNull("/commitments/" + c)))
    .forEach((c) => c && commitments.set(c.id, c));
  // The transactions behind each step, for their time and signers.
  const txIds = [];
  const wanted = (t) => t && !txIds.includes(t) && txIds.push(t);
  for (const v of states) {
    wanted(v.created_by);
    if (v.settled_fen > 0n) wanted(v.ended_by);
  }
  for (const p of pledges.pledges) {
    wanted(p.id);
    wanted(p.ended_by);
  }
  for (const c of commitments.values()) wanted(c.id);
  const txs = new Map();
  (await pool(txIds.slice(0, MAX_TX_LOOKUPS), 8, (t) => getOrNull("/txs/" + t)))
    .forEach((tx) => tx && txs.set(tx.id, tx));
  const pledgesOf = new Map();
  for (const p of pledges.pledges) {
    if (!pledgesOf.has(p.voucher)) pledgesOf.set(p.voucher, []);
    pledgesOf.get(p.voucher).push(p);
  }

  // A tree a little wider than the window is drawn to fit it; a much wider one scrolls.
  const tree = drawTree(top, id, txs, pledgesOf, commitments);
  const natural = Number(tree.getAttribute("width"));
  const room = Math.max(600, window.innerWidth - 80);
  const fitButton = el("button", { class: "button quiet", type: "button", id: "tree-fit" });
  const setFit = (on) => {
    tree.classList.toggle("fit", on);
    fitButton.textContent = on ? T("实际大小", "Actual size") : T("适应宽度", "Fit to width");
  };
  setFit(natural > room && room / natural >= 0.6);
  fitButton.addEventListener("click", () => setFit(!tree.classList.contains("fit")));
  const treeTools = natural > room ? el("div", { class: "toolbar" }, fitButton) : null;

  const originRecord = voucher.origin_record;
  add(view,
    el("h1", {}, L("凭证谱系", "Voucher lineage")),
    el("p", { class: "lead" },
      "从签发经拆分、转让、质押、抵付到在途部分的全过程；每一步附时间与签名方。 ",
      el("span", { class: "en", text: "From the issue through splits, transfers, pledges and redemptions to its live parts; each step with its time and signers." })),
    el("div", { class: "two" },
      el("div", { class: "panel" }, el("dl", { class: "facts", id: "voucher-facts" },
        fact(T("凭证编号", "Voucher id"), el("span", { class: "mono", id: "voucher-id", text: voucher.id })),
        fact(T("状态", "Status"), statusChip(voucher.status)),
        fact(T("金额", "Amount"), yuan(voucher.amount_fen)),
        fact(T("持有人", "Holder"), who(voucher.holder)),
        fact(T("债务人", "Debtor"), who(voucher.debtor)),
        fact(T("清偿期限", "Due"), cstDate(voucher.due_ms)),
        fact(T("基础合同", "Basis contract"), voucher.basis_ref),
      )),
      el("div", { class: "panel" }, el("dl", { class: "facts" },
        fact(T("签发凭证", "Issued voucher"), voucherLink(origin, origin.slice(0, 16) + "…")),
        fact(T("票面金额", "Face value"), yuan(originRecord.face_fen)),
        fact(T("已抵付", "Redeemed"), yuan(originRecord.redeemed_fen)),
        fact(T("已抵销", "Set off"), yuan(originRecord.setoff_fen)),
        fact(T("在途部分", "Live parts"), String(originRecord.live_parts)),
        fact(T("展期次数", "Extensions"), String(originRecord.extensions)),
        fact(T("逾期", "Overdue"), originRecord.overdue_since_ms === null ? T("否", "No") : T("自", "since") + " " + cst(originRecord.overdue_since_ms)),
      )),
    ),
    el("h2", {}, L("谱系树", "Lineage tree"),
      el("span", { class: "en", text: ` · ${total} ${T("个凭证状态", "voucher states")}` })),
    el("div", { class: "key-row" },
      el("span", { class: "k-active", text: T("在途", "live part") }),
      el("span", { class: "k-consumed", text: T("已流转", "consumed (passed on)") }),
      el("span", { class: "k-cancelled", text: T("注销", "cancelled (settled)") }),
      el("span", { class: "k-end", text: T("终结步骤", "closing step") }),
      el("span", { class: "k-focus", text: T("所查凭证", "the voucher looked up") })),
    treeTools,
    el("div", { class: "tree-wrap", id: "tree" }, tree),
    cut || lineage.truncated ? el("p", { class: "muted", text: T(`树过大，仅显示前 ${MAX_TREE_NODES} 个状态`, `The tree is larger: the first ${MAX_TREE_NODES} states are shown`) }) : null,
    el("h2", {}, L("步骤", "Steps")),
    el("div", { class: "panel", id: "steps" }, stepsTable(states, application, pledges.pledges, commitments, txs, id)),
  );
  return id;
}

function fact(label, value) {
  return [el("dt", { text: label }), el("dd", {}, value)];
}

function signerNames(tx) {
  return tx ? tx.signers.map(shortName).join(", ") : "—";
}

const BOX_W = 250, BOX_H = 116, END_H = 70, COL_W = 320, ROW_H = 132, PAD = 16;

function drawTree(top, focus, txs, pledgesOf, commitments) {
  // Closing steps of cancelled states become leaves of their own.
  walk(top, (n) => {
    if (n.voucher && n.voucher.status === "cancelled" && n.voucher.ended_by) {
      n.children.push({ end: txs.get(n.voucher.ended_by) || { id: n.voucher.ended_by }, voucher: null, children: [], depth: n.depth + 1 });
    }
  });
  let leaves = 0;
  let depth = 0;
  (function place(n) {
    depth = Math.max(depth, n.depth);
    if (!n.children.length) {
      n.y = leaves++ * ROW_H;
    } else {
      n.children.forEach(place);
      n.y = (n.children[0].y + n.children[n.children.length - 1].y) / 2;
    }
    n.x = n.depth * COL_W;
  })(top);
  const width = (depth + 1) * COL_W - (COL_W - BOX_W) + 2 * PAD;
  const height = Math.max(1, leaves) * ROW_H - (ROW_H - BOX_H) + 2 * PAD;
  const root = svg("svg", { class: "tree", width, height, viewBox: `0 0 ${width} ${height}`,
    role: "img", "aria-label": T("凭证谱系树", "Voucher lineage tree") });
  const edges = svg("g", { class: "edges" });
  const nodes = svg("g", { class: "nodes" });
  root.append(edges, nodes);
  walk(top, (n) => {
    const h = n.end ? END_H : BOX_H;
    for (const c of n.children) {
      const ch = c.end ? END_H : BOX_H;
      const x1 = PAD + n.x + BOX_W, y1 = PAD + n.y + h / 2;
      const x2 = PAD + c.x, y2 = PAD + c.y + ch / 2;
      const mid = (x1 + x2) / 2;
      edges.append(svg("path", { class: "edge", d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` }));
    }
    nodes.append(n.end ? endNode(n) : voucherNode(n, focus, txs, pledgesOf, commitments));
  });
  return root;
}

function voucherNode(n, focus, txs, pledgesOf, commitments) {
  const v = n.voucher;
  const tx = txs.get(v.created_by);
  const [zh, en] = CAUSES[v.cause] || [v.cause, ""];
  const [szh, sen] = STATUS[v.status] || [v.status, ""];
  const x = PAD + n.x, y = PAD + n.y;
  const g = svg("g", { class: `node voucher ${v.status}${v.id === focus ? " focus" : ""}`,
    "data-voucher": v.id, transform: `translate(${x},${y})` });
  const link = svg("a", { href: "#/voucher/" + v.id });
  link.append(
    svg("title", { text: `${v.id}\n${T("持有人", "Holder")}: ${memberName(v.holder)}\n${T("签名", "Signed by")}: ${tx ? tx.signers.map(memberName).join(", ") : "—"}` }),
    svg("rect", { class: "box", width: BOX_W, height: BOX_H, rx: 7 }),
    svg("text", { class: "t-title", x: 10, y: 18, text: `${zh} ${en}` }),
    svg("text", { class: "t-amount", x: 10, y: 38, text: yuan(v.amount_fen) }),
    svg("text", { class: "t-status", x: BOX_W - 10, y: 37, "text-anchor": "end", text: `${szh} ${sen}` }),
    svg("text", { class: "t-line", x: 10, y: 55, text: fit(`${T("持有", "Holder")}: ${shortName(v.holder)}`, 44) }),
    svg("text", { class: "t-line", x: 10, y: 70, text: `${cst(v.created_at_ms)} · #${v.created_height}` }),
    svg("text", { class: "t-faint", x: 10, y: 85, text: fit(`${T("签名", "Signed")}: ${signerNames(tx)}`, 46) }),
  );
  const badges = [];
  for (const p of pledgesOf.get(v.id) || []) {
    badges.push(p.status === "active" ? ["pledged", `质押 ${p.registration_no}`] : ["released", `质押${STATUS[p.status][0]}`]);
  }
  for (const c of v.commitments) {
    const found = commitments.get(c);
    if (found && found.status === "open") badges.push(["commitment", `收购承诺 ${found.price_per_10000_fen / 100}%`]);
  }
  if (v.overdue_since_ms !== null) badges.push(["overdue", "逾期 Overdue"]);
  if (v.extensions_used > 0) badges.push(["extended", `展期 ×${v.extensions_used}`]);
  if (v.reserved_by) badges.push(["reserved", "待抵付 Reserved"]);
  if (v.settled_fen > 0n) {
    const [zh] = operationLabel(txs.get(v.ended_by)) || ["清偿"];
    badges.unshift(["settled", `${zh} −${yuan(v.settled_fen)}`]);
  }
  let bx = 10;
  for (const [cls, text] of badges.slice(0, 3)) {
    const w = 14 + [...text].reduce((t, ch) => t + (/[\u2e80-\uffef]/.test(ch) ? 11 : 6.2), 0);
    link.append(svg("g", { class: "badge " + cls, transform: `translate(${bx},${BOX_H - 24})` },
      svg("rect", { width: w, height: 17 }), svg("text", { x: 7, y: 12.5, text })));
    bx += w + 5;
  }
  g.append(link);
  return g;
}

function endNode(n) {
  const tx = n.end;
  const label = operationLabel(tx) || ["注销", "Cancelled"];
  const g = svg("g", { class: "node end", transform: `translate(${PAD + n.x},${PAD + n.y})` });
  g.append(
    svg("title", { text: `${T("交易", "Transaction")} ${tx.id}` }),
    svg("rect", { class: "box", width: BOX_W, height: END_H, rx: 7 }),
    svg("text", { class: "t-title", x: 10, y: 18, text: `${label[0]} ${label[1]} → 注销` }),
    svg("text", { class: "t-line", x: 10, y: 36, text: tx.time_ms ? `${cst(tx.time_ms)} · #${tx.height}` : short(tx.id) }),
    svg("text", { class: "t-faint", x: 10, y: 53, text: fit(`${T("签名", "Signed")}: ${signerNames(tx.signers ? tx : null)}`, 46) }),
  );
  return g;
}

function stepsTable(states, application, pledges, commitments, txs, focus) {
  const steps = [];
  const add = (time_ms, height, label, voucher, amount, signers, txId) =>
    steps.push({ time_ms, height, label, voucher, amount, signers, txId });
  if (application) {
    add(application.applied_at_ms, application.applied_height, ["申请", "Applied"], null,
      application.terms.amount_fen, [application.creditor], application.id);
    if (application.confirmed_at_ms !== null) {
      add(application.confirmed_at_ms, null, ["确权", "Confirmed by the debtor"], null, null,
        [application.terms.debtor], null);
    }
  }
  for (const v of states) {
    const tx = txs.get(v.created_by);
    const label = v.cause === "issue" ? ["签发", "Issued"] : (CAUSES[v.cause] || [v.cause, ""]);
    add(v.created_at_ms, v.created_height, label, v.id, v.amount_fen, tx ? tx.signers : null, v.created_by);
    if (v.settled_fen > 0n) {
      const end = txs.get(v.ended_by);
      const [zh, en] = operationLabel(end) || ["清偿", "Settled"];
      const cancelled = v.status === "cancelled";
      add(end ? end.time_ms : null, end ? end.height : null,
        [zh + (cancelled ? " → 注销" : ""), en + (cancelled ? ", cancelled" : "")], v.id,
        v.settled_fen, end ? end.signers : null, v.ended_by);
    }
  }
  // Overdue marking is the ledger's own end-of-block step: a time, no signer.
  const overdueSeen = new Set();
  for (const v of states) {
    if (v.overdue_since_ms !== null && !overdueSeen.has(v.overdue_since_ms)) {
      overdueSeen.add(v.overdue_since_ms);
      add(v.overdue_since_ms, null, ["逾期（账本规则）", "Overdue (ledger rule)"], v.id, v.amount_fen, [], null);
    }
  }
  for (const p of pledges) {
    add(p.registered_at_ms, null, ["质押登记 " + p.registration_no, "Pledge registered"], p.voucher,
      p.secured_fen, [p.pledgor, p.bank], p.id);
    if (p.status !== "active") {
      const end = txs.get(p.ended_by);
      add(p.ended_at_ms, end ? end.height : null, STATUS[p.status][0] === "已解除" ? ["解除质押", "Pledge released"] : ["质押实现", "Pledge enforced"],
        p.voucher, null, end ? end.signers : [p.bank], p.ended_by);
    }
  }
  for (const c of commitments.values()) {
    add(c.committed_at_ms, null, ["收购承诺", "Acquisition commitment"], c.voucher, null,
      txs.get(c.id) ? txs.get(c.id).signers : [c.acquirer], c.id);
  }
  for (const s of steps) {
    if (s.height === null && s.txId && txs.get(s.txId)) s.height = txs.get(s.txId).height;
  }
  // By time; steps of one block keep the order they happened in (apply, confirm, issue, ...).
  steps.forEach((step, i) => { step.seq = i; });
  steps.sort((a, b) => (a.time_ms ?? 0) - (b.time_ms ?? 0) || a.seq - b.seq);
  return table([
    ["时间", "Time", (s) => cst(s.time_ms, true), "when"],
    ["高度", "Height", (s) => (s.height === null || s.height === undefined ? "—" : count(s.height)), "num"],
    ["步骤", "Step", (s) => L(s.label[0], s.label[1])],
    ["凭证", "Voucher", (s) => (s.voucher ? voucherLink(s.voucher) : "—")],
    ["金额", "Amount", (s) => (s.amount === null ? "" : yuan(s.amount)), "num"],
    ["签名方", "Signers", (s) => (s.signers && s.signers.length ? s.signers.map(memberName).join("; ") : "—")],
    ["交易", "Transaction", (s) => (s.txId ? el("span", { class: "mono", title: s.txId, text: short(s.txId) }) : "—")],
  ], steps, (s) => (s.voucher === focus ? "focus" : null));
}

// ------------------------------------------------------------------ page: pledges

async function pagePledges(view) {
  await loadMembers();
  const paged = pagedTable([
    ["登记编号", "Registration no", (p) => el("strong", { text: p.registration_no })],
    ["凭证", "Voucher", (p) => voucherLink(p.voucher)],
    ["出质人", "Pledgor", (p) => who(p.pledgor)],
    ["质权银行", "Bank", (p) => who(p.bank)],
    ["担保金额", "Secured", (p) => yuan(p.secured_fen), "num"],
    ["贷款本金", "Loan", (p) => yuan(p.loan_fen), "num"],
    ["年利率", "Rate", (p) => percent(p.loan_rate_bp), "num"],
    ["贷款到期", "Loan due", (p) => cstDate(p.loan_due_ms), "when"],
    ["贷款合同", "Loan contract", (p) => p.loan_ref],
    ["中登网登记", "Filed at 中登网", (p) => filing(p.filing)],
    ["变更 / 续贷", "Amended / renewed", (p) => `${p.amendments} / ${p.renewals}`, "num"],
    ["已部分解除", "Released in part", (p) => (p.released_fen === "0" || p.released_fen === 0 ? "—" : yuan(p.released_fen)), "num"],
    ["状态", "Status", (p) => statusChip(p.status, "pledge")],
    ["登记时间", "Registered", (p) => cst(p.registered_at_ms), "when"],
    ["结束", "Ended", (p) => (p.ended_at_ms === null ? "—" : cst(p.ended_at_ms)), "when"],
  ], (after, status) => get("/registry/pledges" + query({ status, limit: PAGE, after })),
  "pledges", (rows) => rows.sort((a, b) => b.registered_at_ms - a.registered_at_ms), null,
  ["active", "released", "enforced"]);
  add(view,
    el("h1", {}, L("质押登记簿", "Pledge registry")),
    el("p", { class: "lead" }, "每一笔凭证质押登记：出质人、质权银行、担保金额、贷款到期日与状态。 ",
      el("span", { class: "en", text: "Every pledge of a voucher: pledgor, bank, secured amount, loan due date and status." })),
    el("div", { class: "panel" }, paged.node));
  await paged.load();
  return "pledges";
}

function percent(bp) {
  return `${(Number(bp) / 100).toFixed(2)}%`;
}

// 中登网 filing: its number and the registration period it chose, or a dash.
function filing(f) {
  if (!f) return "—";
  return el("span", {}, el("strong", { text: f.number }),
    el("span", { class: "muted", text: ` ${cstDate(f.from_ms)} – ${cstDate(f.until_ms)}` }));
}

// ------------------------------------------------------------------ page: financing

const PRODUCT_KIND = { pledge_loan: ["应收账款质押贷款", "Pledge loan"], factoring: ["保理", "Factoring"] };
const REQUEST_KIND = { pledge_loan: ["质押融资", "Pledge loan"], sale: ["转让融资", "Sale"] };

async function pageFinancing(view) {
  await loadMembers();
  const holder = el("div", {});
  const paged = pagedTable([
    ["产品", "Product", (p) => el("strong", { text: p.name })],
    ["机构", "Funder", (p) => who(p.funder)],
    ["种类", "Kind", (p) => (PRODUCT_KIND[p.kind] || [p.kind, ""]).join(" ")],
    ["期限（天）", "Term (days)", (p) => `${p.terms.min_term_days}–${p.terms.max_term_days}`, "num"],
    ["价格", "Price", (p) => `${percent(p.terms.min_price_bp)}–${percent(p.terms.max_price_bp)}`, "num"],
    ["金额", "Amount", (p) => el("span", {}, yuan(p.terms.min_amount_fen), " – ", yuan(p.terms.max_amount_fen)), "num"],
    ["追索", "Recourse", (p) => (p.terms.recourse === null ? "—" : p.terms.recourse ? T("有追索", "With recourse") : T("无追索", "Without recourse"))],
    ["状态", "Status", (p) => statusChip(p.status)],
    ["发布", "Published", (p) => cst(p.published_at_ms), "when"],
  ], (after) => get("/products" + query({ limit: PAGE, after })),
  "products", (rows) => rows.sort((a, b) => b.published_at_ms - a.published_at_ms));
  holder.replaceChildren(paged.node);
  const filling = [];  // the answers' reads under way, awaited before the page is ready
  const requests = pagedTable([
    ["申请人", "Holder", (r) => who(r.holder)],
    ["凭证", "Voucher", (r) => voucherLink(r.voucher)],
    ["债务人", "Debtor", (r) => who(r.debtor)],
    ["金额", "Amount", (r) => yuan(r.amount_fen), "num"],
    ["种类", "Kind", (r) => (REQUEST_KIND[r.kind] || [r.kind, ""]).join(" ")],
    ["期限（天）", "Term (days)", (r) => String(r.term_days), "num"],
    ["推送至", "Sent to", (r) => (r.funders.length ? el("span", {}, ...r.funders.map((f) => el("div", {}, who(f)))) : T("全部资金方", "Every funder"))],
    ["报价与答复", "Quotes and refusals", (r) => answersCell(r, filling)],
    ["有效至", "Open until", (r) => cst(r.open_until_ms), "when"],
    ["状态", "Status", (r) => statusChip(r.status)],
    ["结果", "Outcome", (r) => (r.outcome ? el("span", { class: "mono", title: r.outcome, text: short(r.outcome) }) : "—")],
  ], (after, status) => get("/registry/financing" + query({ status, limit: PAGE, after })),
  "requests", (rows) => rows.sort((a, b) => b.created_at_ms - a.created_at_ms), null,
  ["open", "accepted", "withdrawn", "lapsed"]);
  const sales = pagedTable([
    ["卖方", "Seller", (x) => who(x.seller)],
    ["买方", "Buyer", (x) => who(x.buyer)],
    ["债务人", "Debtor", (x) => who(x.debtor)],
    ["标的", "Claim", (x) => (x.kind === "voucher" ? voucherLink(x.sold) : el("span", { class: "mono", title: x.sold, text: T("应付 ", "Obligation ") + short(x.sold) }))],
    ["面值", "Face", (x) => yuan(x.face_fen), "num"],
    ["价格", "Price", (x) => yuan(x.price_fen), "num"],
    ["贴现率", "Discount", (x) => `${percent(x.rate_bp)} · ${x.days} ${T("天", "days")}`, "num"],
    ["追索", "Recourse", (x) => (x.recourse ? T("有追索", "With recourse") : T("无追索", "Without recourse"))],
    ["合同", "Contract", (x) => x.contract_ref],
    ["中登网登记", "Filed at 中登网", (x) => filing(x.filing)],
    ["状态", "Status", (x) => statusChip(x.status)],
    ["时间", "Sold", (x) => cst(x.sold_at_ms), "when"],
  ], (after, status) => get("/registry/sales" + query({ status, limit: PAGE, after })),
  "sales", (rows) => rows.sort((a, b) => b.sold_at_ms - a.sold_at_ms), null,
  ["sold", "recourse_exercised"]);
  add(view,
    el("h1", {}, L("融资", "Financing")),
    el("p", { class: "lead" }, "资金方的产品、持有人推送的融资需求及其结果、向资金方转让的债权（保理）。 ",
      el("span", { class: "en", text: "Funders' products, the financing requests holders sent and what came of them, and claims sold to funders (factoring)." })),
    el("h2", {}, L("融资产品", "Financing products")),
    el("div", { class: "panel", id: "products" }, holder),
    el("h2", {}, L("融资需求", "Financing requests")),
    el("div", { class: "panel", id: "requests" }, requests.node),
    el("h2", {}, L("债权转让（保理）", "Sales of claims")),
    el("div", { class: "panel", id: "sales" }, sales.node));
  await Promise.all([paged.load(), requests.load(), sales.load()]);
  await Promise.all(filling);
  return "financing";
}

const ANSWER_STATUS = {
  offered: ["有效", "Offered"], replaced: ["已替换", "Replaced"], accepted: ["已接受", "Accepted"],
  lapsed: ["已失效", "Lapsed"], declined: ["已拒绝", "Declined"],
};

// A request's quotes and refusals (GET /v1/financing/requests/{id}): each funder, its
// figures or its reason, and the status; filled in once read.
function answersCell(request, filling) {
  const cell = el("div", { class: "answers", text: request.answered ? "…" : "—" });
  if (!request.answered) return cell;
  filling.push(get("/financing/requests/" + request.id).then((found) => {
    cell.replaceChildren(...found.answers.map((a) => {
      const [zh, en] = ANSWER_STATUS[a.status] || [a.status, ""];
      const figures = a.status === "declined" ? a.reason
        : `${yuan(a.amount_fen)} · ${percent(a.rate_bp)}` + (a.term_days ? ` · ${a.term_days} ${T("天", "days")}` : "")
          + (String(a.price_fen) !== "0" ? ` · ${T("价格", "price")} ${yuan(a.price_fen)}` : "")
          + (String(a.interest_fen) !== "0" ? ` · ${T("利息", "interest")} ${yuan(a.interest_fen)}` : "");
      return el("div", { class: "answer" }, who(a.funder), " ", chip(`${zh} ${en}`, a.status), el("div", { class: "muted", text: figures }));
    }));
    cell.dataset.loaded = "1";
  }).catch((e) => { cell.textContent = `(${e.code || "error"})`; }));
  return cell;
}

// ------------------------------------------------------------------ page: commitments

async function pageCommitments(view) {
  await loadMembers();
  const paged = pagedTable([
    ["收购方", "Acquirer", (c) => who(c.acquirer)],
    ["凭证", "Voucher", (c) => voucherLink(c.voucher)],
    ["收购价格", "Price", (c) => `${yuan(c.price_per_10000_fen)} / ¥100.00`, "num"],
    ["锁定期至", "Locked until", (c) => cstDate(c.lock_until_ms), "when"],
    ["有效期至", "Expires", (c) => cstDate(c.expires_ms), "when"],
    ["状态", "Status", (c) => statusChip(c.status)],
    ["可行权", "Exercisable", (c) => (c.exercisable ? chip("是 Yes", "live") : chip("否 No"))],
    ["已收购债权", "Claim bought", (c) => yuan(c.exercised_fen), "num"],
    ["应付价款", "Price owed", (c) => yuan(c.paid_fen), "num"],
    ["协议", "Terms", (c) => c.terms_ref],
  ], (after, status) => get("/registry/commitments" + query({ status, limit: PAGE, after })), "commitments",
  (rows) => rows.sort((a, b) => b.committed_at_ms - a.committed_at_ms), null, ["open", "withdrawn"]);
  add(view,
    el("h1", {}, L("收购承诺", "Acquisition commitments")),
    el("p", { class: "lead" }, "收购方承诺在锁定期后按约定价格收购债权；承诺随债权流转及拆分。 ",
      el("span", { class: "en", text: "Acquirers' commitments to buy a claim after a lock period at a set price; they travel with the claim and its parts." })),
    el("div", { class: "panel" }, paged.node));
  await paged.load();
  return "commitments";
}

// ------------------------------------------------------------------ page: overdue and extended

async function pageOverdue(view) {
  await loadMembers();
  const columns = (extra) => [
    ["凭证", "Voucher", (v) => voucherLink(v.id)],
    ["债务人", "Debtor", (v) => who(v.debtor)],
    ["持有人", "Holder", (v) => who(v.holder)],
    ["金额", "Amount", (v) => yuan(v.amount_fen), "num"],
    ["清偿期限", "Due", (v) => cstDate(v.due_ms), "when"],
    ...extra,
  ];
  const overdue = pagedTable(columns([
    ["逾期自", "Overdue since", (v) => cst(v.overdue_since_ms), "when"],
    ["展期", "Extensions", (v) => `${v.extensions_used}/${v.extension_max}`, "num"],
  ]), (after) => get("/vouchers" + query({ standing: "overdue", limit: PAGE, after })), "vouchers");
  const extended = pagedTable(columns([
    ["已展期", "Extensions used", (v) => `${v.extensions_used}/${v.extension_max}`, "num"],
    ["每次展期", "Days each", (v) => `${v.extension_days} 天 days`, "num"],
  ]), (after) => get("/vouchers" + query({ standing: "extended", limit: PAGE, after })), "vouchers");
  add(view,
    el("h1", {}, L("逾期与展期凭证", "Overdue and extended vouchers")),
    el("p", { class: "lead" }, "到期未清偿且无展期余额的在途凭证为逾期；按展期条款顺延的为展期。 ",
      el("span", { class: "en", text: "Live parts whose due date passed with no extension left are overdue; those moved on by their extension clause are extended." })),
    el("h2", {}, L("逾期凭证", "Overdue")), el("div", { class: "panel", id: "overdue-list" }, overdue.node),
    el("h2", {}, L("展期凭证", "Extended")), el("div", { class: "panel", id: "extended-list" }, extended.node));
  await Promise.all([overdue.load(), extended.load()]);
  return "overdue";
}

// ------------------------------------------------------------------ page: debtors

function lateness(r) {
  return r.overdue_vouchers * 1000000 + r.late_confirmations * 1000 + r.extended_vouchers;
}

async function pageDebtors(view) {
  await loadMembers();
  const paged = pagedTable([
    ["债务人", "Debtor", (r) => who(r.debtor)],
    ["签发凭证", "Vouchers issued", (r) => count(r.vouchers_issued), "num"],
    ["签发金额", "Issued", (r) => yuan(r.issued_fen), "num"],
    ["未清偿", "Outstanding", (r) => yuan(r.outstanding_fen), "num"],
    ["已抵付", "Redeemed", (r) => yuan(r.redeemed_fen), "num"],
    ["按时确权", "Confirmations", (r) => count(r.confirmations), "num"],
    ["平均确权用时", "Average delay", (r) => duration(r.average_confirmation_delay_ms), "num"],
    ["逾期未确权", "Late confirmations", (r) => (r.late_confirmations ? chip(count(r.late_confirmations), "late") : "0"), "num"],
    ["展期", "Extended", (r) => count(r.extended_vouchers), "num"],
    ["逾期", "Overdue", (r) => (r.overdue_vouchers ? chip(count(r.overdue_vouchers), "overdue") : "0"), "num"],
  ], (after) => get("/registry/debtors" + query({ limit: PAGE, after })), "debtors",
  (rows) => rows.sort((a, b) => lateness(b) - lateness(a) ||
    (BigInt(b.outstanding_fen) > BigInt(a.outstanding_fen) ? 1 : BigInt(b.outstanding_fen) < BigInt(a.outstanding_fen) ? -1 : 0)),
  (r) => (r.overdue_vouchers || r.late_confirmations ? "flag" : null));
  add(view,
    el("h1", {}, L("债务人记录", "Debtors' records")),
    el("p", { class: "lead" }, "迟付名单的依据：逾期凭证、30 天内未确权（逾期未确权）、展期与平均确权用时。标色行有逾期或迟延确权。 ",
      el("span", { class: "en", text: "The inputs for a late-payer list: overdue vouchers, confirmations missed within 30 days, extensions and the average confirmation delay. Highlighted rows have overdue vouchers or late confirmations." })),
    el("div", { class: "panel", id: "debtor-table" }, paged.node));
  await paged.load();
  return "debtors";
}

// ------------------------------------------------------------------ page: set-off

async function pageSetoff(view) {
  await loadMembers();
  const [totals, first] = await Promise.all([get("/setoff/totals"), get("/registry/rounds" + query({ limit: 1000 }))]);
  const rounds = first.rounds.slice().sort((a, b) => a.proposed_at_ms - b.proposed_at_ms);
  add(view,
    el("h1", {}, L("闭环抵销", "Set-off rounds")),
    el("p", { class: "lead" }, "每轮抵销清偿的债务，及其与净内部债务下限（任何抵销都不能低于此值）的距离。 ",
      el("span", { class: "en", text: "What each round cleared, what remained of the agency's debt graph, and the net internal debt below which no set-off can go." })),
    el("div", { class: "cards" },
      card(T("已提出轮次", "Rounds proposed"), count(totals.rounds_proposed ?? rounds.length)),
      card(T("已执行轮次", "Rounds executed"), count(totals.rounds_executed)),
      card(T("累计清偿", "Cleared in all"), yuan(totals.cleared_fen), "setoff-cleared")),
    el("h2", {}, L("每轮清偿与下限", "Cleared per round against the bound")),
    el("div", { class: "panel", id: "setoff-chart" },
      legend([["k-cleared", T("本轮清偿", "Cleared")], ["k-gap", T("剩余可抵销", "Remaining above the bound")],
        ["k-bound", T("净内部债务下限", "Net internal debt (bound)")]]),
      rounds.length ? stackedRows({
        label: T("每轮清偿与下限", "Cleared per round against the bound"),
        rows: rounds.map((r) => ({
          label: `${r.round_no} · ${STATUS[r.status] ? STATUS[r.status].join(" ") : r.status}`,
          segments: [
            { value: Number(r.cleared_fen), cls: "bar-cleared", name: T("清偿", "cleared") + " " + yuan(r.cleared_fen) },
            { value: Math.max(0, Number(r.gap_fen)), cls: "bar-gap", name: T("剩余可抵销", "gap") + " " + yuan(r.gap_fen) },
            { value: Number(r.bound_fen), cls: "bar-bound", name: T("下限", "bound") + " " + yuan(r.bound_fen) },
          ],
          round: r,
        })),
        width: 1150, right: 400,
        valueText: (row) => `${T("清偿", "cleared")} ${yuan(row.round.cleared_fen)} / ${yuan(row.round.graph_total_fen)}` +
          ` · ${T("下限", "bound")} ${yuan(row.round.bound_fen)}`,
      }) : el("p", { class: "empty", text: T("尚无抵销轮次", "No set-off round yet") }),
      first.next ? el("p", { class: "muted", text: T("仅显示前 1000 轮", "The first 1,000 rounds are shown") }) : null),
    el("h2", {}, L("轮次明细", "Rounds")),
    el("div", { class: "panel", id: "round-table" }, table([
      ["轮次", "Round", (r) => el("strong", { text: r.round_no })],
      ["状态", "Status", (r) => statusChip(r.status)],
      ["提出时间", "Proposed", (r) => cst(r.proposed_at_ms), "when"],
      ["参与方", "Members", (r) => r.members.map(shortName).join(", ")],
      ["本轮清偿", "Cleared", (r) => yuan(r.cleared_fen), "num"],
      ["债务图合计", "Debt in the graph", (r) => yuan(r.graph_total_fen), "num"],
      ["剩余", "Remaining", (r) => yuan(r.remaining_fen), "num"],
      ["下限", "Bound", (r) => yuan(r.bound_fen), "num"],
      ["距下限", "Gap", (r) => yuan(r.gap_fen), "num"],
      ["抵销项", "Legs", (r) => el("details", { class: "legs", open: r.legs.length <= 6 },
        el("summary", { text: `${r.legs.length} ${T("项", "legs")}` }),
        el("ul", {}, r.legs.map((leg) => el("li", {},
          `${leg.kind === "voucher" ? "凭证 voucher" : "债务 obligation"}: ${shortName(leg.debtor)} → ${shortName(leg.creditor)} ${yuan(leg.amount_fen)}`))))],
      ["待同意", "Waiting for", (r) => (r.waiting_for.length ? r.waiting_for.map(shortName).join(", ") : "—")],
    ], rounds.slice().reverse())));
  return "setoff";
}

// ------------------------------------------------------------------ page: fees

async function pageFees(view) {
  await loadMembers();
  const [schedule, first] = await Promise.all([get("/fees"), get("/registry/fees" + query({ limit: 1000 }))]);
  const accounts = first.accounts;
  const owed = sumFen(accounts.map((a) => a.owed_fen));
  const charged = sumFen(accounts.map((a) => a.charged_fen));
  const paid = sumFen(accounts.map((a) => a.paid_fen));
  const rate = (bp) => `${bp} bp (${(bp / 100).toFixed(2)}%)`;
  add(view,
    el("h1", {}, L("系统服务费", "Service fees")),
    el("p", { class: "lead" }, "每次转让、商户支付、收购与质押按费率计收；缴费在链外完成，由服务机构登记。 ",
      el("span", { class: "en", text: "Charged on each transfer, merchant payment, acquisition and pledge; paid outside the ledger and recorded by the agency." })),
    el("div", { class: "cards" },
      card(T("转让费率", "Transfer rate"), rate(schedule.transfer_bp)),
      card(T("质押费率", "Pledge rate"), rate(schedule.pledge_bp)),
      card(T("应收合计", "Charged"), yuan(charged)),
      card(T("已缴合计", "Paid"), yuan(paid)),
      card(T("欠费合计", "Owed"), yuan(owed), "fees-owed", false, owed > 0n)),
    el("h2", {}, L("各成员欠费", "Fees owed per member")),
    el("div", { class: "panel", id: "fee-table" }, table([
      ["成员", "Member", (a) => who(a.member)],
      ["应收", "Charged", (a) => yuan(a.charged_fen), "num"],
      ["已缴", "Paid", (a) => yuan(a.paid_fen), "num"],
      ["欠费", "Owed", (a) => yuan(a.owed_fen), "num"],
    ], accounts.slice().sort((a, b) => (BigInt(b.owed_fen) > BigInt(a.owed_fen) ? 1 : BigInt(b.owed_fen) < BigInt(a.owed_fen) ? -1 : 0)))),
    first.next ? el("p", { class: "muted", text: T("仅统计前 1000 个账户", "The first 1,000 accounts are counted") }) : null);
  return "fees";
}

// ------------------------------------------------------------------ page: reports

const GROUPS = {
  total: ["合计", "Total"], debtor: ["按债务人", "By debtor"], bank: ["按资金方", "By bank"],
  region: ["按地区", "By region"], month: ["按月", "By month"],
};

// This month in China time: "YYYY-MM".
function thisMonth() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 7);
}

async function pageReports(view) {
  await loadMembers();
  const form = el("form", { class: "toolbar report-form", id: "report-form" });
  const period = el("input", { id: "report-period", name: "period", value: sessionStorage.getItem("report-period") || thisMonth(),
    placeholder: "2026-11 / 2026-Q4 / 2026 / 2026-annual", size: 18, spellcheck: "false" });
  const by = el("select", { id: "report-by", name: "by" },
    Object.entries(GROUPS).map(([k, names]) => el("option", { value: k, text: names.join(" ") })));
  by.value = sessionStorage.getItem("report-by") || "debtor";
  const member = el("input", { id: "report-member", name: "member", placeholder: T("成员地址（可选）", "Member address (optional)"), size: 30, spellcheck: "false" });
  const csv = el("a", { id: "report-csv", class: "button quiet", download: "" }, T("下载 CSV", "Download CSV"));
  const xlsx = el("a", { id: "report-xlsx", class: "button quiet", download: "" }, T("下载 XLSX", "Download XLSX"));
  add(form, L("期间", "Period"), period, L("分组", "Group"), by, L("成员", "Member"), member,
    el("button", { type: "submit", class: "button", id: "report-go" }, T("查询", "Show")), csv, xlsx);
  const holder = el("div", { class: "panel", id: "report-table" });
  const heading = el("p", { class: "muted", id: "report-heading" });
  let latest = 0; // a slower earlier answer never replaces a later one's
  async function load() {
    const mine = ++latest;
    const params = { period: period.value.trim(), by: by.value, member: member.value.trim().toLowerCase() };
    sessionStorage.setItem("report-period", params.period);
    sessionStorage.setItem("report-by", params.by);
    csv.href = API + "/reports" + query({ ...params, format: "csv" });
    xlsx.href = API + "/reports" + query({ ...params, format: "xlsx" });
    const report = await get("/reports" + query(params));
    if (mine !== latest) return;
    const p = report.period;
    heading.textContent = `${p.name} · ${p.kind} · ${cstDate(p.start_ms + 1)} – ${cstDate(p.end_ms)} (UTC+8) · ` +
      `${T("依据", "per")} ${p.seed}` + (p.due ? ` · ${T("报送截止", "due")} ${p.due}` : "") +
      ` · ${T("区块", "blocks")} ${report.from_height}–${report.height}` +
      (report.complete ? "" : ` · ${T("统计中，请稍后再次查询", "still counting: ask again")}`);
    const named = report.by === "debtor" || report.by === "bank";
    const columns = [
      [report.key_header.zh, report.key_header.en, (r) => (named && /^[0-9a-f]{64}$/.test(r.key) ? who(r.key) : r.key)],
      ...report.figures.flatMap((f) => [
        [f.zh + "笔数", f.en + " (count)", (r) => count(r[f.key].count), "num"],
        [f.zh + "金额", f.en + " (amount)", (r) => yuan(r[f.key].amount_fen), "num"],
      ]),
    ];
    const total = { key: T("合计", "Total"), ...report.total };
    holder.replaceChildren(table(columns, report.rows.length ? [...report.rows, total] : [], (r) => (r === total ? "total" : null),
      { name: `claimledger-report-${p.name}-${report.by}-shown` }));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch((e) => holder.replaceChildren(el("p", { class: "error", id: "report-error" }, `(${e.code}) ${e.message}`)));
  });
  add(view,
    el("h1", {}, L("期间报表", "Period reports")),
    el("p", { class: "lead" }, "按月（按月通报，§004-(六)）、按季、按年及年度报告（每年1月31日前报送上年度情况，§000-四(二)）统计开具、流转、融资、质押、抵付、抵销、展期、逾期与逾期未确权的笔数和金额；期间按北京时间划分。 ",
      el("span", { class: "en", text: "Counts and amounts issued, transferred, financed, pledged, redeemed, set off, extended, overdue and left unconfirmed, per month (§004-(六)), quarter, year and the annual report due by 31 January (§000-四(二)); periods are China Standard Time calendar periods." })),
    form, heading, holder);
  await load();
  return "reports";
}

// ------------------------------------------------------------------ page: alerts

// How an alert's fields show; a source's own fields not named here show as text.
const ALERT_FIELDS = {
  share_bp: ["占比", "Share", (v) => percent(v), "num"],
  outstanding_fen: ["债务人未清偿", "Debtor outstanding", (v) => yuan(v), "num"],
  role: ["角色", "Role", (v) => ({ holder: "持有人 Holder", bank: "质权银行 Bank" })[v] || v],
  due_ms: ["清偿期限", "Due", (v) => cstDate(v), "when"],
  height: ["区块", "Block", (v) => count(v), "num"],
  dispute: ["异议编号", "Dispute", (v) => el("span", { class: "mono", title: v, text: short(v) })],
  dispute_kind: ["异议标的", "Disputed", (v) => (DISPUTE_KIND[v] || [v, ""]).join(" ")],
  reason: ["理由", "Reason", (v) => v],
  age_days: ["已持续", "Open for", (v) => `${count(v)} 天 days`, "num"],
  voucher: ["冻结凭证", "Frozen voucher", (v) => voucherLink(v)],
  authority: ["冻结机关", "Authority", (v) => who(v)],
  order_ref: ["法院文书", "Court order", (v) => v],
};
const DISPUTE_KIND = {
  application: ["开具申请", "Application"], voucher: ["凭证", "Voucher"], obligation: ["应付债务", "Obligation"],
};
const ALERT_COMMON = new Set(["kind", "subject", "debtor", "member", "amount_fen", "since_ms"]);

function alertColumns(source) {
  const extra = [];
  for (const a of source.alerts) for (const k of Object.keys(a)) if (!ALERT_COMMON.has(k) && !extra.includes(k)) extra.push(k);
  return [
    ["编号", "Subject", (a) => (source.kind === "overdue" || a.dispute_kind === "voucher" ? voucherLink(a.subject)
      : el("span", { class: "mono", title: a.subject, text: short(a.subject) }))],
    ["债务人", "Debtor", (a) => who(a.debtor)],
    ["相关成员", "Member", (a) => who(a.member)],
    ["金额", "Amount", (a) => yuan(a.amount_fen), "num"],
    ["起始", "Since", (a) => (a.since_ms ? cst(a.since_ms) : "—"), "when"],
    ...extra.map((k) => {
      const [zh, en, show, cls] = ALERT_FIELDS[k] || [k, k, (v) => String(v)];
      return [zh, en, (a) => (a[k] === undefined || a[k] === null ? "—" : show(a[k])), cls];
    }),
  ];
}

async function pageAlerts(view) {
  await loadMembers();
  const threshold = el("input", { id: "alert-threshold", type: "number", min: 1, max: 100, value: sessionStorage.getItem("alert-threshold") || 50, size: 4 });
  const holder = el("div", { id: "alert-sources" });
  async function load() {
    sessionStorage.setItem("alert-threshold", threshold.value);
    const answer = await get("/alerts" + query({ threshold_pct: threshold.value, limit: 1000 }));
    holder.replaceChildren(...answer.sources.map((source) => el("section", { class: "alert-source", id: "alerts-" + source.kind, "data-count": source.alerts.length },
      el("h2", {}, L(source.zh, source.en), " ", chip(count(source.alerts.length), source.alerts.length ? "overdue" : "")),
      source.complete ? null : el("p", { class: "muted", text: T("仅显示部分", "Only part is shown (a bound was reached)") }),
      el("div", { class: "panel" }, table(alertColumns(source), source.alerts, null, { name: `claimledger-alerts-${source.kind}` })))));
  }
  threshold.addEventListener("change", () => load().catch(showError));
  add(view,
    el("h1", {}, L("预警", "Alerts")),
    el("p", { class: "lead" }, "逾期凭证、超过 30 天未确权的申请、单一持有人或银行占某债务人未清偿债权的比例超过阈值、未处理的异议及有效的冻结令。 ",
      el("span", { class: "en", text: "Overdue vouchers, applications left unconfirmed past 30 days, a holder's or bank's share of one debtor's outstanding claims above the threshold, open disputes and freeze orders in force." })),
    el("div", { class: "toolbar" }, L("集中度阈值 %", "Concentration threshold %"), threshold),
    holder);
  await load();
  return "alerts";
}

// ------------------------------------------------------------------ page: supervision

// used / limit as a percentage, by integer arithmetic (hundredths of a percent).
function usePercent(usedFen, limitFen) {
  const limit = BigInt(limitFen);
  if (limit === 0n) return BigInt(usedFen) > 0n ? "∞" : "0.00%";
  return percent(Number((BigInt(usedFen) * 10000n) / limit));
}

async function pageSupervision(view) {
  const [criteria, status] = await Promise.all([get("/credit/criteria"), get("/status"), loadMembers()]);
  const now = status.time_ms;
  const listings = pagedTable([
    ["债务人", "Debtor", (l) => who(l.debtor)],
    ["状态", "Status", (l) => statusChip(l.status, "listing")],
    ["列入时间", "Listed since", (l) => cst(l.listed_at_ms), "when"],
    ["列入原因", "Reason", (l) => l.reason],
    ["期间内逾期", "Overdue in period", (l) => count(l.overdue_in_period), "num"],
    ["期间内逾期未确权", "Late in period", (l) => count(l.late_in_period), "num"],
    ["期间（天）", "Period (days)", (l) => count(l.period_days), "num"],
    ["列入次数", "Times listed", (l) => count(l.times_listed), "num"],
    ["移出", "Delisted", (l) => (l.delisted_at_ms === null ? "—" : `${cst(l.delisted_at_ms)} · ${l.delist_reason}`)],
  ], (after, s) => get("/credit/blacklist" + query({ status: s || "any", limit: PAGE, after })), "listings",
  (rows) => rows.sort((a, b) => b.listed_at_ms - a.listed_at_ms), (l) => (l.status === "listed" ? "flag" : null),
  [["listed", "已列入", "Listed"], "delisted"], { initial: "listed", name: "claimledger-blacklist" });
  const limits = pagedTable([
    ["债务人", "Debtor", (c) => who(c.debtor)],
    ["授信额度", "Limit", (c) => yuan(c.limit.limit_fen), "num"],
    ["未清偿", "Outstanding", (c) => yuan(c.outstanding_fen), "num"],
    ["待签发", "Pending", (c) => yuan(c.pending_fen), "num"],
    ["已用", "Used", (c) => yuan(c.used_fen), "num"],
    ["可用", "Available", (c) => yuan(c.available_fen), "num"],
    ["使用率", "Use", (c) => usePercent(c.used_fen, c.limit.limit_fen), "num"],
    ["依据授信银行", "Bank's credit line", (c) => who(c.limit.bank)],
    ["依据", "Reference", (c) => c.limit.reference || "—"],
    ["设定时间", "Set", (c) => cst(c.limit.set_at_ms), "when"],
    ["期间内逾期 / 逾期未确权", "Overdue / late in period", (c) => `${c.standing.overdue_in_period} / ${c.standing.late_in_period}`, "num"],
    ["失信名单", "Blacklist", (c) => (c.listing ? statusChip(c.listing.status, "listing") : "—")],
  ], (after) => get("/credit/limits" + query({ limit: PAGE, after })), "limits", null,
  (c) => (BigInt(c.used_fen) > BigInt(c.limit.limit_fen) || (c.listing && c.listing.status === "listed") ? "flag" : null),
  null, { name: "claimledger-issuance-limits" });
  const freezes = pagedTable([
    ["冻结令", "Order", (o) => el("span", { class: "mono", title: o.id, text: short(o.id) })],
    ["凭证", "Voucher", (o) => voucherLink(o.voucher)],
    ["持有人", "Holder", (o) => who(o.holder)],
    ["债务人", "Debtor", (o) => who(o.debtor)],
    ["冻结金额", "Amount", (o) => yuan(o.amount_fen), "num"],
    ["冻结机关", "Authority", (o) => who(o.authority)],
    ["法院文书", "Court order", (o) => o.order_ref],
    ["冻结自", "Since", (o) => cst(o.frozen_at_ms), "when"],
    ["高度", "Height", (o) => count(o.frozen_height), "num"],
  ], (after) => get("/freezes" + query({ limit: PAGE, after })), "freezes",
  (rows) => rows.sort((a, b) => a.frozen_at_ms - b.frozen_at_ms), null, null, { name: "claimledger-freezes" });
  const disputes = pagedTable([
    ["异议编号", "Dispute", (d) => el("span", { class: "mono", title: d.id, text: short(d.id) })],
    ["标的", "Disputed", (d) => (DISPUTE_KIND[d.kind] || [d.kind, ""]).join(" ")],
    ["标的编号", "Subject", (d) => (d.kind === "voucher" ? voucherLink(d.subject) : el("span", { class: "mono", title: d.subject, text: short(d.subject) }))],
    ["提出方", "Raised by", (d) => who(d.raised_by)],
    ["相关方", "Parties", (d) => d.parties.map(shortName).join(", ")],
    ["理由", "Reason", (d) => d.reason],
    ["状态", "Status", (d) => statusChip(d.status, "dispute")],
    ["提出时间", "Raised", (d) => cst(d.raised_at_ms), "when"],
    ["持续", "Open for", (d) => duration((d.resolved_at_ms ?? now) - d.raised_at_ms), "num"],
    ["处理结果", "Resolution", (d) => (d.resolved_at_ms === null ? "—"
      : `${cst(d.resolved_at_ms)} · ${memberName(d.resolved_by)} · ${d.resolution}`)],
  ], (after, s) => get("/disputes" + query({ status: s || "any", limit: PAGE, after })), "disputes",
  (rows) => rows.sort((a, b) => b.raised_at_ms - a.raised_at_ms), (d) => (d.status === "open" ? "flag" : null),
  [["open", "处理中", "Open"], "upheld", "dismissed"], { name: "claimledger-disputes" });
  add(view,
    el("h1", {}, L("监管措施", "Supervision")),
    el("p", { class: "lead" }, "失信名单及其列入标准、债务人授信额度及其使用、有效的司法冻结令、未处理与已处理的异议。 ",
      el("span", { class: "en", text: "The blacklist and its criteria, debtors' issuance limits and their use, court freeze orders in force, and open and resolved disputes." })),
    el("h2", {}, L("失信名单", "Blacklist")),
    el("div", { class: "panel", id: "blacklist-criteria" }, el("dl", { class: "facts" },
      fact(T("列入标准：逾期凭证", "Criteria: overdue vouchers"), `≥ ${criteria.overdue_vouchers}`),
      fact(T("或逾期未确权", "or late confirmations"), `≥ ${criteria.late_confirmations}`),
      fact(T("统计期间", "Within the last"), `${criteria.period_days} 天 days`),
      fact(T("标准设定于", "Criteria set"), `${cst(criteria.set_at_ms)} · #${criteria.set_height}`))),
    el("div", { class: "panel", id: "blacklist" }, listings.node),
    el("h2", {}, L("授信额度", "Issuance limits")),
    el("div", { class: "panel", id: "credit-limits" }, limits.node),
    el("h2", {}, L("有效冻结令", "Freeze orders in force")),
    el("div", { class: "panel", id: "freezes" }, freezes.node),
    el("h2", {}, L("异议", "Disputes")),
    el("div", { class: "panel", id: "disputes" }, disputes.node));
  await Promise.all([listings.load(), limits.load(), freezes.load(), disputes.load()]);
  return "supervision";
}

// ------------------------------------------------------------------ page: members

const PERSON_TYPE = {
  legal_person: ["法人", "Legal person"], natural_person: ["自然人", "Natural person"],
  other_organisation: ["其他组织", "Other organisation"],
};
const ROLE_NAMES = {
  acquirer: "收购方 acquirer", agency: "服务机构 agency", bank: "银行 bank", enterprise: "企业 enterprise",
  factor: "保理 factor", merchant: "商户 merchant", microlender: "小贷 microlender", regulator: "监管 regulator",
};

async function pageMembers(view) {
  await loadMembers();
  const rows = [...members.values()].sort((a, b) => a.admitted_height - b.admitted_height || (a.name < b.name ? -1 : 1));
  const id = (m) => m.identity || {};
  add(view,
    el("h1", {}, L("成员名录", "Members")),
    el("p", { class: "lead" }, "经服务机构审核的成员及其实名信息：主体类型、统一社会信用代码、地区、行业，以及签名密钥的更换。 ",
      el("span", { class: "en", text: "Members as the agency reviewed them: the kind of person, the unified social credit code, region, industry, and when the signing key was changed." })),
    el("div", { class: "panel", id: "member-table" }, table([
      ["名称", "Name", (m) => el("strong", { text: m.name })],
      ["地址", "Address", (m) => el("span", { class: "mono", title: m.address, text: short(m.address) })],
      ["角色", "Roles", (m) => m.roles.map((r) => ROLE_NAMES[r] || r).join(", ")],
      ["状态", "Status", (m) => statusChip(m.status, "member")],
      ["主体类型", "Type", (m) => (id(m).person_type ? (PERSON_TYPE[id(m).person_type] || [id(m).person_type, ""]).join(" ") : "—")],
      ["统一社会信用代码", "Credit code", (m) => el("span", { class: "mono", text: id(m).credit_code || "—" })],
      ["地区", "Region", (m) => id(m).region || "—"],
      ["行业", "Industry", (m) => id(m).industry || "—"],
      ["入会", "Admitted", (m) => `${cst(m.admitted_at_ms)} · #${m.admitted_height}`, "when"],
      ["密钥更换", "Key rotated", (m) => (m.key !== m.address
        ? el("span", { title: m.key }, `${T("高度", "height")} ${count(m.key_since_height)}`) : "—")],
    ], rows, (m) => (m.status !== "active" ? "flag" : null), { name: "claimledger-members" })));
  return "members";
}

// ------------------------------------------------------------------ search

async function search(text) {
  const id = text.trim().toLowerCase();
  const message = document.getElementById("search-message");
  message.hidden = true;
  if (!/^[0-9a-f]{64}$/.test(id)) {
    say(message, T("请输入 64 位十六进制的凭证编号", "Enter a voucher id: 64 hex digits"));
    return;
  }
  if (await getOrNull("/vouchers/" + id)) {
    location.hash = "#/voucher/" + id;
    document.getElementById("search").value = "";
    return;
  }
  // Not a voucher: a pledge or commitment id leads to its voucher, a transaction to what it made.
  const pledge = await getOrNull("/pledges/" + id);
  if (pledge) {
    location.hash = "#/voucher/" + pledge.voucher;
    return;
  }
  const commitment = await getOrNull("/commitments/" + id);
  if (commitment) {
    location.hash = "#/voucher/" + commitment.voucher;
    return;
  }
  const tx = await getOrNull("/txs/" + id);
  const made = tx && (tx.events || []).find((e) => e.kind.startsWith("voucher."));
  if (made) {
    location.hash = "#/voucher/" + made.subject;
    return;
  }
  say(message, T("未找到该编号的凭证", "No voucher with this id") + ": " + id);
}

function say(node, text) {
  node.textContent = text;
  node.hidden = false;
}

// ------------------------------------------------------------------ routing

const PAGES = {
  overview: pageOverview, voucher: pageVoucher, pledges: pagePledges, financing: pageFinancing,
  commitments: pageCommitments,
  overdue: pageOverdue, debtors: pageDebtors, setoff: pageSetoff, fees: pageFees,
  reports: pageReports, alerts: pageAlerts, supervision: pageSupervision, members: pageMembers,
};
let renderCount = 0;

function showError(e) {
  const view = document.getElementById("view");
  const code = e instanceof ApiError ? e.code : "explorer.error";
  if (e instanceof ApiError && e.status === 401) {
    // No session (or it ended): only the agency and regulators sign in, from their wallet.
    add(view, el("div", { class: "signin", id: "signin" },
      el("h2", {}, T("请先登录", "Sign in first")),
      el("p", {}, T("浏览器仅对服务机构和监管机构开放。请在钱包中运行以下命令，并在一分钟内打开它打印的一次性链接：",
                    "The explorer is open to the agency and regulators only. Run this in your wallet and open the one-time link it prints within a minute:")),
      el("pre", {}, "claimledger-wallet explorer"),
      el("p", { class: "error", id: "error" }, `(${code}) ${e.message}`)));
    return;
  }
  add(view, el("p", { class: "error", id: "error" }, `${T("出错", "Error")} (${code}): ${e.message}`));
}

async function route() {
  const [, name = "overview", arg] = (location.hash || "#/overview").split("/");
  const page = PAGES[name] ? name : "overview";
  const token = ++renderCount;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
  const view = document.getElementById("view");
  const fresh = el("main", { id: "view", class: "view", "aria-live": "polite", "data-page": page });
  fresh.append(el("p", { class: "loading", text: T("加载中…", "Loading…") }));
  view.replaceWith(fresh);
  const body = el("div", {});
  try {
    const ready = await PAGES[page](body, arg ? decodeURIComponent(arg) : undefined);
    if (token !== renderCount) return;
    fresh.replaceChildren(...body.childNodes);
    fresh.dataset.ready = page;
    fresh.dataset.key = ready || "";
    document.title = `${document.querySelector(`#nav a[data-page="${page}"]`)?.textContent || "凭证谱系 Lineage"} · Claimledger`;
  } catch (e) {
    if (token !== renderCount) return;
    fresh.replaceChildren();
    showError(e);
    fresh.dataset.ready = page;
    fresh.dataset.error = e instanceof ApiError ? e.code : "explorer.error";
  }
}

async function nodeInfo() {
  const status = await get("/status");
  const role = status.role === "observer" ? "观察节点 Observer (read-only)" : "验证节点 Validator";
  document.getElementById("node-info").textContent = `${status.chain_id} · ${status.node} · ${role}`;
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search(document.getElementById("search").value).catch((e) =>
      say(document.getElementById("search-message"), e.message));
  });
  window.addEventListener("hashchange", route);
  nodeInfo().catch(() => {});
  route();
});
