#!/usr/bin/env node
// Protocol test runner: drives the real mem0-mcp binary over stdio with the JSON cases in
// a folder.  Plain Node (>= 18), no packages.
//
//   node tests/protocol/run.mjs --bin build/bin/mem0-mcp [--valgrind] [--jobs N]
//        [--only SUBSTRING] tests/protocol/cases
//
// A case file is data:
//   {"name", "description", "env"?: {VAR: value | null}, "home_files"?: {relpath: text},
//    "steps": [ step, ... ]}
// A step sends one thing and states what must come back:
//   send        an object or array, written as one JSON line
//   send_raw    a string written as is plus "\n" ("encoding": "latin1" turns \u0080-\u00ff
//               into single bytes, for invalid UTF-8); send_b64: raw bytes in base64
//   send_big    {"bytes": N}: one request line of N bytes (a ping padded with a long string)
//   signal      "SIGTERM" | "SIGINT": sent to the server; the case then checks a clean exit
//   close_stdin true: end the server's input after sending (later steps only read)
//   no_ping     true: skip the liveness ping after this step (to split a line across writes)
//   expect      pattern for the next message (see match() for the $ matchers)
//   expect_raw  pattern (usually {"$regex"}) for the raw text of the next line
//   expect_many [pattern, ...] for that many next messages, in order
//   expect_none true: nothing may come back (checked with the ping that follows)
//   file        {"path": "hooks.log", "match": pattern}: a file under MEM0_HOME, as text
//   save        {"var": "path.to.value"}; a path segment "$json" parses a string as JSON
//   repeat      N: the step runs N times with ${i} = 1..N
// Strings may use ${var} (saved values, ${i}, ${user}, ${home}); an object
// {"$repeat": "text", "times": N, "prefix"?: "..."} in a send becomes the prefix and the text
// repeated N times.
// Every case runs a fresh server with a scratch MEM0_HOME (MEM0_USER_ID=test-user,
// MEM0_PROJECT_ID=test-project unless the case sets them); after each step the server
// must answer a ping; at the end stdin is closed and the server must exit 0 with every
// stdout line valid UTF-8 JSON.  Prints one line per case and "N passed, M failed".

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
let bin = null;
let valgrind = false;
let jobs = Math.max(1, Math.min(8, os.cpus().length));
let only = null;
let dir = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--bin") bin = args[++i];
  else if (a === "--valgrind") valgrind = true;
  else if (a === "--jobs") jobs = Math.max(1, parseInt(args[++i], 10) || 1);
  else if (a === "--only") only = args[++i];
  else if (a.startsWith("--")) usage(`unknown option ${a}`);
  else dir = a;
}
if (!bin || !dir) usage("--bin and a cases folder are required");

function usage(msg) {
  console.error(`run.mjs: ${msg}\nusage: node run.mjs --bin PATH [--valgrind] [--jobs N] [--only TEXT] CASES_DIR`);
  process.exit(2);
}

const TIMEOUT_MS = valgrind ? 60000 : 10000;
const TEST_USER = "test-user";
const TEST_PROJECT = "test-project";
const decoder = new TextDecoder("utf-8", { fatal: true });

// ---- Matching ------------------------------------------------------------------------

function typeOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function isMatcher(p) {
  return p && typeof p === "object" && !Array.isArray(p) &&
    Object.keys(p).length > 0 && Object.keys(p).every((k) => k.startsWith("$"));
}

// Returns null when `actual` matches `pattern`, else a text saying where it does not.
// Objects match partially (keys not in the pattern are ignored), arrays element by element
// with the same length, other values exactly.  Matchers: $any, $absent (as an object
// member), $type, $regex, $json, $contains, $each, $length, $minlen, $maxlen, $gte, $lte,
// $gt, $lt, $eq, $not, $ne.
function match(actual, pattern, where = "$") {
  if (isMatcher(pattern)) {
    for (const [op, arg] of Object.entries(pattern)) {
      const err = matchOp(actual, op, arg, where);
      if (err) return err;
    }
    return null;
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return `${where}: expected an array, got ${brief(actual)}`;
    if (actual.length !== pattern.length)
      return `${where}: expected ${pattern.length} elements, got ${actual.length}: ${brief(actual)}`;
    for (let i = 0; i < pattern.length; i++) {
      const err = match(actual[i], pattern[i], `${where}[${i}]`);
      if (err) return err;
    }
    return null;
  }
  if (pattern && typeof pattern === "object") {
    if (!actual || typeof actual !== "object" || Array.isArray(actual))
      return `${where}: expected an object, got ${brief(actual)}`;
    for (const [k, p] of Object.entries(pattern)) {
      if (isMatcher(p) && p.$absent) {
        if (Object.prototype.hasOwnProperty.call(actual, k))
          return `${where}.${k}: expected absent, got ${brief(actual[k])}`;
        continue;
      }
      if (!Object.prototype.hasOwnProperty.call(actual, k))
        return `${where}.${k}: missing (object is ${brief(actual)})`;
      const err = match(actual[k], p, `${where}.${k}`);
      if (err) return err;
    }
    return null;
  }
  if (actual !== pattern) return `${where}: expected ${JSON.stringify(pattern)}, got ${brief(actual)}`;
  return null;
}

function matchOp(actual, op, arg, where) {
  const len = actual != null && (typeof actual === "string" || Array.isArray(actual)) ? actual.length : undefined;
  switch (op) {
    case "$any":
      return actual === undefined ? `${where}: missing` : null;
    case "$absent":
      return actual === undefined ? null : `${where}: expected absent`;
    case "$type": {
      const t = typeOf(actual);
      const ok = t === arg || (arg === "number" && t === "integer");
      return ok ? null : `${where}: expected type ${arg}, got ${t} ${brief(actual)}`;
    }
    case "$regex":
      return typeof actual === "string" && new RegExp(arg, "s").test(actual)
        ? null : `${where}: ${brief(actual)} does not match /${arg}/`;
    case "$json": {
      if (typeof actual !== "string") return `${where}: expected a JSON string, got ${brief(actual)}`;
      let v;
      try { v = JSON.parse(actual); } catch (e) { return `${where}: not JSON: ${brief(actual)}`; }
      return match(v, arg, `${where}<json>`);
    }
    case "$contains": {
      if (!Array.isArray(actual)) return `${where}: expected an array, got ${brief(actual)}`;
      for (const p of arg) {
        if (!actual.some((a) => match(a, p) === null))
          return `${where}: no element matches ${JSON.stringify(p)} in ${brief(actual)}`;
      }
      return null;
    }
    case "$each": {
      if (!Array.isArray(actual)) return `${where}: expected an array, got ${brief(actual)}`;
      for (let i = 0; i < actual.length; i++) {
        const err = match(actual[i], arg, `${where}[${i}]`);
        if (err) return err;
      }
      return null;
    }
    case "$length":
      return len === arg ? null : `${where}: expected length ${arg}, got ${len} ${brief(actual)}`;
    case "$minlen":
      return len !== undefined && len >= arg ? null : `${where}: expected length >= ${arg}, got ${len}`;
    case "$maxlen":
      return len !== undefined && len <= arg ? null : `${where}: expected length <= ${arg}, got ${len}`;
    case "$gte": return typeof actual === "number" && actual >= arg ? null : `${where}: expected >= ${arg}, got ${brief(actual)}`;
    case "$lte": return typeof actual === "number" && actual <= arg ? null : `${where}: expected <= ${arg}, got ${brief(actual)}`;
    case "$gt": return typeof actual === "number" && actual > arg ? null : `${where}: expected > ${arg}, got ${brief(actual)}`;
    case "$lt": return typeof actual === "number" && actual < arg ? null : `${where}: expected < ${arg}, got ${brief(actual)}`;
    case "$eq":
      return JSON.stringify(actual) === JSON.stringify(arg) ? null : `${where}: expected exactly ${JSON.stringify(arg)}, got ${brief(actual)}`;
    case "$ne":
      return JSON.stringify(actual) !== JSON.stringify(arg) ? null : `${where}: expected anything but ${JSON.stringify(arg)}`;
    case "$not":
      return match(actual, arg, where) === null ? `${where}: unexpectedly matches ${JSON.stringify(arg)}` : null;
    default:
      return `${where}: unknown matcher ${op}`;
  }
}

function brief(v) {
  const s = v === undefined ? "undefined" : JSON.stringify(v);
  return s.length > 300 ? s.slice(0, 300) + "..." : s;
}

// ---- Substitution --------------------------------------------------------------------

function substitute(v, vars) {
  if (typeof v === "string") {
    const whole = /^\$\{([A-Za-z0-9_.]+)\}$/.exec(v);
    if (whole && whole[1] in vars) return vars[whole[1]];
    return v.replace(/\$\{([A-Za-z0-9_.]+)\}/g, (m, name) => {
      if (!(name in vars)) throw new Error(`unknown variable \${${name}}`);
      const val = vars[name];
      return typeof val === "string" ? val : JSON.stringify(val);
    });
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v && typeof v === "object") {
    if (typeof v.$repeat === "string" && Number.isInteger(v.times))
      return substitute(v.prefix ?? "", vars) + substitute(v.$repeat, vars).repeat(v.times);
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = substitute(x, vars);
    return out;
  }
  return v;
}

function getPath(obj, p) {
  let cur = obj;
  for (const seg of p.split(".")) {
    if (seg === "$json") cur = JSON.parse(cur);
    else if (cur == null) throw new Error(`path ${p}: nothing at ${seg}`);
    else cur = cur[/^\d+$/.test(seg) && Array.isArray(cur) ? Number(seg) : seg];
  }
  if (cur === undefined) throw new Error(`path ${p}: no value`);
  return cur;
}

// ---- One server process --------------------------------------------------------------

class Server {
  constructor(env) {
    const cmd = valgrind ? "valgrind" : bin;
    const argv = valgrind
      ? ["-q", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect", bin]
      : [];
    this.proc = spawn(cmd, argv, { env, stdio: ["pipe", "pipe", "pipe"] });
    this.lines = [];        // {raw, msg} not yet consumed
    this.badLines = [];     // stdout lines that were not UTF-8 JSON
    this.waiters = [];
    this.pending = Buffer.alloc(0);
    this.stderr = "";
    this.exit = null;
    this.exitWaiters = [];
    this.proc.stdout.on("data", (b) => this.onData(b));
    this.proc.stderr.on("data", (b) => { this.stderr = (this.stderr + b.toString("utf8")).slice(-4000); });
    this.proc.stdin.on("error", () => {}); // EPIPE after the server went away is reported by the checks
    this.proc.on("error", (e) => { this.stderr += `\nspawn error: ${e.message}`; });
    this.proc.on("exit", (code, sig) => {
      this.exit = { code, sig };
      for (const w of this.exitWaiters) w();
      this.wake();
    });
  }

  onData(b) {
    this.pending = Buffer.concat([this.pending, b]);
    let nl;
    while ((nl = this.pending.indexOf(10)) >= 0) {
      const bytes = this.pending.subarray(0, nl);
      this.pending = this.pending.subarray(nl + 1);
      let raw = null;
      let msg;
      try {
        raw = decoder.decode(bytes);
        msg = JSON.parse(raw);
      } catch (e) {
        this.badLines.push(raw ?? bytes.toString("latin1"));
        continue;
      }
      this.lines.push({ raw, msg });
    }
    this.wake();
  }

  wake() {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  async next(what) {
    const deadline = Date.now() + TIMEOUT_MS;
    while (this.lines.length === 0) {
      if (this.exit) throw new Error(`server exited (${JSON.stringify(this.exit)}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`);
      await new Promise((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => { clearTimeout(t); res(); });
      });
    }
    return this.lines.shift();
  }

  async write(data) {
    if (this.exit) throw new Error(`server exited (${JSON.stringify(this.exit)}) before a write`);
    if (!this.proc.stdin.write(data))
      await new Promise((res) => this.proc.stdin.once("drain", res));
  }

  async waitExit() {
    if (!this.exit) {
      await new Promise((res) => {
        const t = setTimeout(res, TIMEOUT_MS);
        this.exitWaiters.push(() => { clearTimeout(t); res(); });
      });
    }
    if (!this.exit) {
      this.proc.kill("SIGKILL");
      throw new Error(`server did not exit within ${TIMEOUT_MS} ms`);
    }
    return this.exit;
  }
}

// ---- Running a case ------------------------------------------------------------------

function bigLine(bytes, id) {
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"ping","params":{"pad":"`;
  const tail = `"}}`;
  const n = Math.max(0, bytes - head.length - tail.length);
  return Buffer.concat([Buffer.from(head), Buffer.alloc(n, "x"), Buffer.from(tail + "\n")]);
}

async function runCase(file) {
  const spec = JSON.parse(fs.readFileSync(file, "utf8"));
  const name = spec.name || path.basename(file, ".json");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "mem0-proto-"));
  const vars = { user: TEST_USER, home };
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("MEM0_") || k.startsWith("CLAUDE_")) delete env[k];
  Object.assign(env, { MEM0_HOME: home, MEM0_USER_ID: TEST_USER, MEM0_PROJECT_ID: TEST_PROJECT });
  for (const [k, v] of Object.entries(spec.env || {})) {
    if (v === null) delete env[k];
    else env[k] = substitute(String(v), vars);
  }
  if (env.MEM0_USER_ID) vars.user = env.MEM0_USER_ID;
  for (const [rel, text] of Object.entries(spec.home_files || {})) {
    const p = path.join(home, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }

  const srv = new Server(env);
  let failure = null;
  let signalled = false;
  let stdinClosed = false;
  try {
    let pingNo = 0;
    for (const [si, step0] of (spec.steps || []).entries()) {
      const times = step0.repeat || 1;
      for (let rep = 1; rep <= times; rep++) {
        const label = `step ${si + 1}${times > 1 ? ` (#${rep})` : ""}${step0.note ? ` [${step0.note}]` : ""}`;
        vars.i = rep;
        const step = substitute(step0, vars);
        if (step.signal) {
          srv.proc.kill(step.signal);
          signalled = true;
          break;
        }
        if (step.send !== undefined) await srv.write(JSON.stringify(step.send) + "\n");
        else if (step.send_raw !== undefined)
          await srv.write(Buffer.from(step.send_raw + (step.no_newline ? "" : "\n"), step.encoding || "utf8"));
        else if (step.send_b64 !== undefined) await srv.write(Buffer.from(step.send_b64, "base64"));
        else if (step.send_big !== undefined) await srv.write(bigLine(step.send_big.bytes, step.send_big.id ?? "big"));
        if (step.close_stdin) {
          srv.proc.stdin.end();
          stdinClosed = true;
        }

        const checked = step.expect !== undefined || step.expect_raw !== undefined ||
          step.expect_many !== undefined || step.expect_none;
        for (const [k, pat] of (step.expect_many || []).entries()) {
          const got = await srv.next(`reply ${k + 1} to ${label}`);
          const err = match(got.msg, pat, `$<${k + 1}>`);
          if (err) throw new Error(`${label}: ${err}`);
        }
        if (step.expect !== undefined || step.expect_raw !== undefined) {
          const got = await srv.next(`the reply to ${label}`);
          if (step.expect_raw !== undefined) {
            const err = match(got.raw, step.expect_raw, "raw");
            if (err) throw new Error(`${label}: ${err}`);
          }
          if (step.expect !== undefined) {
            const err = match(got.msg, step.expect);
            if (err) throw new Error(`${label}: ${err}`);
          }
          for (const [v, p] of Object.entries(step.save || {})) {
            try { vars[v] = getPath(got.msg, p); } catch (e) { throw new Error(`${label}: save ${v}: ${e.message}`); }
          }
        }
        if (step.file !== undefined) {
          let text;
          try { text = fs.readFileSync(path.join(home, step.file.path), "utf8"); }
          catch (e) { throw new Error(`${label}: cannot read ${step.file.path}: ${e.message}`); }
          const err = match(text, step.file.match, step.file.path);
          if (err) throw new Error(`${label}: ${err}`);
        }
        // The server must still answer, and nothing unexpected may have come before that.
        if (step.no_ping || stdinClosed) continue;
        const pid = `__ping_${++pingNo}`;
        await srv.write(JSON.stringify({ jsonrpc: "2.0", id: pid, method: "ping" }) + "\n");
        for (;;) {
          const got = await srv.next(`the ping after ${label}`);
          if (got.msg && got.msg.id === pid) {
            const err = match(got.msg, { jsonrpc: "2.0", result: {} });
            if (err) throw new Error(`${label}: ping reply: ${err}`);
            break;
          }
          if (checked) throw new Error(`${label}: unexpected extra message ${brief(got.msg)}`);
        }
      }
      if (signalled) break;
    }
    if (!signalled && !stdinClosed) srv.proc.stdin.end();
    const ex = await srv.waitExit();
    if (ex.code !== 0) throw new Error(`server exit ${JSON.stringify(ex)}${ex.code === 99 ? " (valgrind errors)" : ""}`);
    if (srv.lines.length) throw new Error(`unexpected messages at the end: ${brief(srv.lines.map((l) => l.msg))}`);
    if (srv.pending.length) throw new Error(`stdout ends with an unterminated line: ${brief(srv.pending.toString("latin1"))}`);
  } catch (e) {
    failure = e.message;
    if (!srv.exit) srv.proc.kill("SIGKILL");
  }
  if (!failure && srv.badLines.length)
    failure = `stdout line(s) not UTF-8 JSON: ${brief(srv.badLines)}`;
  if (failure && srv.stderr.trim()) failure += `\n    stderr: ${srv.stderr.trim().split("\n").slice(-15).join("\n    stderr: ")}`;
  fs.rmSync(home, { recursive: true, force: true });
  return { name, file: path.basename(file), failure };
}

// ---- Main ----------------------------------------------------------------------------

const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
  .map((f) => path.join(dir, f))
  .filter((f) => !only || path.basename(f).includes(only));
if (files.length === 0) usage(`no cases in ${dir}`);

const results = new Array(files.length);
let printed = 0;
let nextIdx = 0;
function flush() {
  while (printed < files.length && results[printed]) {
    const r = results[printed++];
    console.log(r.failure ? `FAIL ${r.file}: ${r.failure}` : `ok   ${r.file}`);
  }
}
async function worker() {
  while (nextIdx < files.length) {
    const idx = nextIdx++;
    try {
      results[idx] = await runCase(files[idx]);
    } catch (e) {
      results[idx] = { file: path.basename(files[idx]), failure: `bad case: ${e.message}` };
    }
    flush();
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
const failed = results.filter((r) => r.failure).length;
console.log(`${files.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
