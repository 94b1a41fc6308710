#!/usr/bin/env node
// Guard test runner: runs the real mem0-guard binary on each case in a folder and checks
// that it allows or blocks.  Plain Node (>= 18), no packages.
//
//   node tests/guard/run.mjs [--bin build/bin/mem0-guard] [--only TEXT] [--valgrind]
//        [--jobs N] [CASES_DIR]      (default: tests/guard/cases)
//
// A case file is data:
//   {"name", "description",
//    "expect": "block" | "allow",
//    "tool_name": "Write", "tool_input": {...}     (a PreToolUse payload is built around
//                                                  them, with "cwd" defaulting to ${repo}),
//    "cwd"?: "...", "payload"?: {...}             (a whole payload instead),
//    "stdin_raw"?: "..."                          (bytes sent as they are, for garbage),
//    "setup"?: {"dirs": [...], "files": {path: text}, "symlinks": {link: target}},
//    "env"?: {VAR: value | null},
//    "reason_path"?: "..."                        (the path the block reason must name),
//    "log_outcome"?: "block"                      (runs with MEM0_DEBUG=1 and checks the
//                                                  one line the hook logs)}
// Strings may use ${root}, ${home} (the isolated $HOME) and ${repo} (the working folder);
// an object {"$repeat": "text", "times": N, "prefix"?: "...", "suffix"?: "..."} becomes
// that string.  Every case runs in a fresh folder with HOME=${home}, MEM0_HOME=${root}/mem0
// and the process in ${repo}.  Checks: exit 0 (allow) or 2 (block); nothing on stdout;
// allow is silent on stderr, block names add_memory on stderr; the store is never
// opened (MEM0_HOME holds nothing but the debug log).  Hooks run with MEM0_DEBUG=1; a run
// that the hook logs as a missed deadline (a saturated machine) is retried up to 4 times.
// Prints one line per case, then "N passed, M failed".

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let bin = path.resolve(here, "../../build/bin/mem0-guard");
let dir = path.join(here, "cases");
let only = null;
let valgrind = false;
let jobs = Math.max(1, Math.min(8, os.cpus().length));
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--bin") bin = path.resolve(args[++i] ?? "");
  else if (a === "--only") only = args[++i];
  else if (a === "--valgrind") valgrind = true;
  else if (a === "--jobs") jobs = Math.max(1, parseInt(args[++i], 10) || 1);
  else if (a.startsWith("--")) usage(`unknown option ${a}`);
  else dir = path.resolve(a);
}

function usage(msg) {
  console.error(`run.mjs: ${msg}\nusage: node run.mjs [--bin PATH] [--only TEXT] [--valgrind] [--jobs N] [CASES_DIR]`);
  process.exit(2);
}

if (!fs.existsSync(bin)) usage(`no binary at ${bin} (build it with make)`);
const TIMEOUT_MS = valgrind ? 60000 : 10000;
const MAX_RETRIES = 4; // runs the hook logged as a missed deadline

// ---- Case data ---------------------------------------------------------------------------

function expand(value, vars) {
  if (typeof value === "string")
    return value.replace(/\$\{(root|home|repo)\}/g, (_, k) => vars[k]);
  if (Array.isArray(value)) return value.map((v) => expand(v, vars));
  if (value && typeof value === "object") {
    if (typeof value.$repeat === "string") {
      const text = expand(value.$repeat, vars).repeat(value.times ?? 1);
      return expand(value.prefix ?? "", vars) + text + expand(value.suffix ?? "", vars);
    }
    const out = {};
    for (const [k, v] of Object.entries(value)) out[expand(k, vars)] = expand(v, vars);
    return out;
  }
  return value;
}

function payloadOf(c, vars) {
  if (c.payload) return expand(c.payload, vars);
  const sid = "6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b";
  return {
    session_id: sid,
    transcript_path: `${vars.home}/.claude/projects/-repo/${sid}.jsonl`,
    cwd: expand(c.cwd ?? "${repo}", vars),
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: c.tool_name,
    tool_input: expand(c.tool_input ?? {}, vars),
    tool_use_id: "toolu_01GuardCase0000000000000",
  };
}

function setUp(c, vars) {
  for (const d of ["home", "repo", "mem0"]) fs.mkdirSync(path.join(vars.root, d), { recursive: true });
  const s = expand(c.setup ?? {}, vars);
  // Setup only ever writes inside the case's own folder.
  const inside = (p) => {
    if (!path.isAbsolute(p) || !path.resolve(p).startsWith(vars.root + path.sep))
      throw new Error(`setup path outside the case folder: ${p}`);
    return p;
  };
  for (const d of s.dirs ?? []) fs.mkdirSync(inside(d), { recursive: true });
  for (const [f, text] of Object.entries(s.files ?? {})) {
    fs.mkdirSync(path.dirname(inside(f)), { recursive: true });
    fs.writeFileSync(f, text);
  }
  for (const [link, target] of Object.entries(s.symlinks ?? {})) {
    fs.mkdirSync(path.dirname(inside(link)), { recursive: true });
    fs.symlinkSync(target, link);
  }
}

// ---- Running ---------------------------------------------------------------------------

// stdin comes from a file, so the hook never waits on this process to fill a pipe.
function run(c, vars, stdinFile) {
  const env = {};
  for (const k of ["PATH", "LANG", "TMPDIR"]) if (process.env[k]) env[k] = process.env[k];
  env.HOME = vars.home;
  env.MEM0_HOME = path.join(vars.root, "mem0");
  env.MEM0_DEBUG = "1"; // the log tells a decision from a missed deadline
  for (const [k, v] of Object.entries(expand(c.env ?? {}, vars))) {
    if (v === null) delete env[k];
    else env[k] = String(v);
  }
  const cmd = valgrind ? "valgrind" : bin;
  const argv = valgrind ? ["-q", "--error-exitcode=99", "--leak-check=full",
    "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect", bin] : [];
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const fd = fs.openSync(stdinFile, "r");
    const child = spawn(cmd, argv, { cwd: vars.repo, env, stdio: [fd, "pipe", "pipe"] });
    fs.closeSync(fd);
    const out = [], err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code, signal,
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

function logLines(vars) {
  const log = path.join(vars.root, "mem0", "hooks.log");
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
}

function hitDeadline(vars) {
  return logLines(vars).some((l) => l.split("\t")[5] === "deadline");
}

function check(c, vars, r) {
  const problems = [];
  const want = c.expect === "block" ? 2 : 0;
  // Under valgrind the 50 ms watchdog may end the hook first (exit 0, fail open): then only
  // memory errors and the output rules are checked; the unit test covers the decisions.
  r.deadline = valgrind && hitDeadline(vars);
  if (r.code === 99 && valgrind) problems.push(`valgrind errors: ${r.stderr.slice(0, 2000)}`);
  if (r.deadline) {
    if (r.stdout !== "") problems.push(`stdout not empty: ${JSON.stringify(r.stdout.slice(0, 200))}`);
    return problems;
  }
  if (r.signal) problems.push(`killed by ${r.signal}`);
  else if (r.code !== want) problems.push(`exit ${r.code}, want ${want} (${c.expect})`);
  if (r.stdout !== "") problems.push(`stdout not empty: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  if (c.expect === "block") {
    if (!r.stderr.includes("add_memory")) problems.push(`stderr does not name add_memory: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    if (!r.stderr.startsWith("BLOCKED: Do not write to ")) problems.push(`stderr is not the block reason: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    if (c.reason_path) {
      const p = expand(c.reason_path, vars);
      if (!r.stderr.includes(`Do not write to ${p}. `)) problems.push(`reason does not name ${p}: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    }
  } else if (r.stderr !== "") {
    problems.push(`stderr not empty on allow: ${JSON.stringify(r.stderr.slice(0, 300))}`);
  }
  // The guard must never open (or create) the store.
  const home = path.join(vars.root, "mem0");
  const left = fs.existsSync(home) ? fs.readdirSync(home).filter((f) => f !== "hooks.log") : [];
  if (left.length) problems.push(`MEM0_HOME gained ${left.join(", ")}: the store was opened`);
  if (c.log_outcome) {
    const lines = logLines(vars);
    const f = lines.length === 1 ? lines[0].split("\t") : [];
    if (lines.length !== 1) problems.push(`hooks.log has ${lines.length} lines, want 1`);
    else if (f[2] !== "mem0-guard" || f[3] !== "PreToolUse" || f[5] !== c.log_outcome || !(Number(f[4]) >= 0))
      problems.push(`log line ${JSON.stringify(lines[0].slice(0, 300))} is not mem0-guard PreToolUse ... ${c.log_outcome}`);
  }
  return problems;
}

async function runCase(file) {
  const c = JSON.parse(fs.readFileSync(file, "utf8"));
  const name = c.name ?? path.basename(file, ".json");
  if (c.expect !== "block" && c.expect !== "allow") return { name, problems: [`bad "expect" in ${file}`] };
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mem0-guard-")));
  const vars = { root, home: path.join(root, "home"), repo: path.join(root, "repo") };
  try {
    setUp(c, vars);
    const stdin = c.stdin_raw !== undefined ? Buffer.from(expand(c.stdin_raw, vars), "utf8")
      : Buffer.from(JSON.stringify(payloadOf(c, vars)), "utf8");
    const stdinFile = path.join(vars.root, "stdin.json");
    fs.writeFileSync(stdinFile, stdin);
    // A machine too busy to run the hook within its 50 ms deadline makes it fail open
    // (logged as "deadline"); such a run says nothing about the decision, so it is retried.
    let r, retries = 0;
    for (;;) {
      r = await run(c, vars, stdinFile);
      if (valgrind || retries === MAX_RETRIES || !hitDeadline(vars)) break;
      retries++;
      fs.rmSync(path.join(vars.root, "mem0", "hooks.log"), { force: true });
    }
    return { name, ms: r.ms, retries, deadline: r.deadline, problems: check(c, vars, r) };
  } catch (e) {
    return { name, problems: [`runner error: ${e.stack ?? e}`] };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
  .filter((f) => !only || f.includes(only)).map((f) => path.join(dir, f));
const results = new Array(files.length);
let next = 0;
async function worker() {
  while (next < files.length) {
    const i = next++;
    results[i] = await runCase(files[i]);
  }
}
await Promise.all(Array.from({ length: jobs }, worker));

let passed = 0, failed = 0;
for (const r of results) {
  const ms = (r.ms !== undefined ? ` (${r.ms.toFixed(1)} ms)` : "") +
    (r.deadline ? " [deadline under valgrind: decision not checked]" : "") +
    (r.retries ? ` [retried ${r.retries}x after a missed deadline]` : "");
  if (r.problems.length === 0) {
    passed++;
    console.log(`ok    ${r.name}${ms}`);
  } else {
    failed++;
    console.log(`FAIL  ${r.name}${ms}`);
    for (const p of r.problems) console.log(`      ${p}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
