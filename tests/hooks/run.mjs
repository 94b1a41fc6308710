// Hook executables end to end, without Claude Code: each case feeds a recorded payload
// (tests/fixtures/hooks/*.json, transcript_path and cwd pointed at scratch copies) to a
// built hook and checks its exit status, stdout, wall time, the store and the debug log.
//
//   node tests/hooks/run.mjs --bin DIR --tools DIR [--only SUBSTRING]
//
// DIR holds mem0-<hook> and mem0-mcp (used to seed and read the store); --tools holds
// hold_writer.  Prints one line per case and "N passed, M failed"; exits 1 on a failure.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, "..", "fixtures", "hooks");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const BIN = path.resolve(opt("--bin", "build/bin"));
const TOOLS = path.resolve(opt("--tools", "build/tests"));
const ONLY = opt("--only", "");

// Documented deadlines (hooks/runtime.h), and the slack a deadline test allows.
const DEADLINE = {
  guard: 50, stop: 200, prompt: 300, "session-start": 500,
  "pre-compact": 2000, "capture-compact": 2000, "task-completed": 200, "add-metadata": 200,
};
const SLACK_MS = 1000;
const HOOKS = Object.keys(DEADLINE).filter((h) => fs.existsSync(path.join(BIN, `mem0-${h}`)));
const SID = "5b2f6c1e-8a4d-4f0e-9c3b-7d1a2e4f6a80";

// ---- Scratch world: a home, a project repository, a transcript ------------------------------

const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), "mem0-hooks-"));
let worldCount = 0;

function world(transcript = "transcript-work.jsonl") {
  const dir = path.join(scratchRoot, `w${++worldCount}`);
  const home = path.join(dir, "home");
  const proj = path.join(dir, "acme-api");
  fs.mkdirSync(path.join(proj, ".git"), { recursive: true });
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const tpath = path.join(dir, `${SID}.jsonl`);
  if (transcript) fs.copyFileSync(path.join(fixtures, transcript), tpath);
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    TMPDIR: process.env.TMPDIR || os.tmpdir(),
    MEM0_HOME: home,
    MEM0_USER_ID: "alice",
  };
  return { dir, home, proj, transcript: tpath, env };
}

function payload(w, name, patch = {}) {
  const p = JSON.parse(fs.readFileSync(path.join(fixtures, `${name}.json`), "utf8"));
  p.transcript_path = w.transcript;
  p.cwd = w.proj;
  return { ...p, ...patch };
}

function runHook(hook, input, w, extraEnv = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(path.join(BIN, `mem0-${hook}`), [], {
      cwd: w.proj,
      env: { ...w.env, ...extraEnv },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out = [], err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.stdin.on("error", () => {}); // a hook may exit before reading everything
    child.on("close", (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ code, signal, ms, pid: child.pid,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8") });
    });
    const data = input === undefined ? "" :
      Buffer.isBuffer(input) || typeof input === "string" ? input : JSON.stringify(input);
    child.stdin.end(data);
  });
}

function cli(w, ...argv) {
  const r = spawnSync(path.join(BIN, "mem0-mcp"), argv, { env: w.env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mem0-mcp ${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function seed(w, text, app, metadata, extra = []) {
  const argv = ["add", text, "--no-infer"];
  if (app) argv.push("--app", app);
  if (metadata) argv.push("--metadata", JSON.stringify(metadata));
  const out = cli(w, ...argv, ...extra);
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(out);
  if (!m) throw new Error(`no id in: ${out}`);
  return m[1];
}

function memories(w) {
  if (!fs.existsSync(path.join(w.home, "data.mdb"))) return [];
  return cli(w, "export").split("\n").filter(Boolean).map((l) => JSON.parse(l))
    .filter((l) => l.type === "memory").map((l) => l.memory);
}

const ofType = (w, type) => memories(w).filter((m) => m.metadata && m.metadata.type === type);

function todayPlus(days) {
  const d = new Date(Date.now() + days * 86400000);
  return d.toISOString().slice(0, 10);
}

// ---- Assertions --------------------------------------------------------------------------------

class Fail extends Error {}
function ok(cond, msg) { if (!cond) throw new Fail(msg); }
function eq(a, b, msg) {
  if (JSON.stringify(a) !== JSON.stringify(b))
    throw new Fail(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}

function quiet(r, hook, what) {
  eq(r.code, 0, `${hook} ${what}: exit status`);
  eq(r.stdout, "", `${hook} ${what}: stdout`);
  ok(r.ms < DEADLINE[hook] + SLACK_MS, `${hook} ${what}: took ${r.ms.toFixed(0)} ms`);
}

// One JSON object on one line, as Claude Code reads it.
function jsonOut(r, hook) {
  eq(r.code, 0, `${hook}: exit status (stderr: ${r.stderr})`);
  ok(r.stdout.endsWith("\n") && r.stdout.indexOf("\n") === r.stdout.length - 1,
     `${hook}: stdout is not one line: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  return JSON.parse(r.stdout);
}

function context(r, hook, event) {
  const o = jsonOut(r, hook);
  eq(o.hookSpecificOutput.hookEventName, event, `${hook}: hookEventName`);
  const text = o.hookSpecificOutput.additionalContext;
  ok(typeof text === "string" && text.length > 0 && text.length < 10000,
     `${hook}: additionalContext length ${text && text.length}`);
  return text;
}

// ---- Cases -------------------------------------------------------------------------------------

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

// Garbage, empty and huge input: every hook exits 0, prints nothing, in time.
const bad = {
  empty: "",
  garbage: "this is { not json at all ]",
  binary: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
  "json array": "[1,2,3]",
  "json string": "\"SessionStart\"",
  "deep nesting": "[".repeat(100000),
  "truncated object": "{\"session_id\":\"x\",\"hook_event_name\":\"Stop\",",
  "huge (9 MiB)": JSON.stringify({ session_id: "x", hook_event_name: "Stop", pad: "x".repeat(9 << 20) }),
};
for (const hook of HOOKS)
  test(`${hook}: garbage, empty and huge input fail open`, async () => {
    const w = world();
    for (const [what, input] of Object.entries(bad)) quiet(await runHook(hook, input, w), hook, what);
  });

test("session-start: identity, rubric and the project's durable memories", async () => {
  const w = world();
  const dec = seed(w, "Deploys go through make release", "acme-api", { type: "decision" });
  seed(w, "Prefers tabs over spaces", null, { type: "user_preference" });
  seed(w, "Other project uses Postgres", "other", { type: "decision" });
  seed(w, "## Session State (pre-compaction)", "acme-api",
       { type: "session_state", session_id: SID }, ["--expires", todayPlus(90)]);
  const r = await runHook("session-start", payload(w, "session-start-startup"), w);
  const text = context(r, "session-start", "SessionStart");
  ok(text.includes("Active user_id: `alice`; project (app_id): `acme-api`"), "identity line");
  ok(text.includes('{"AND":[{"user_id":"alice"},{"metadata":{"type":"decision"}}]}'), "filter shape");
  ok(text.includes("infer=false"), "infer=false");
  ok(text.includes(`- [decision] Deploys go through make release (today) [mem0:${dec.slice(0, 8)}]`),
     `decision line in:\n${text}`);
  ok(text.includes("[user_preference] Prefers tabs"), "personal preference");
  ok(!text.includes("Postgres"), "another project's memory");
  ok(!text.includes("Session State"), "session noise");
});

test("session-start: resume, clear and a fresh install all work", async () => {
  const w = world();
  for (const p of ["session-start-resume", "session-start-clear", "session-start-startup"])
    context(await runHook("session-start", payload(w, p), w), "session-start", "SessionStart");
});

test("session-start: auto_search off leaves the memories out", async () => {
  const w = world();
  seed(w, "Deploys go through make release", "acme-api", { type: "decision" });
  fs.writeFileSync(path.join(w.home, "settings.json"), '{"auto_search": false}');
  const text = context(await runHook("session-start", payload(w, "session-start-startup"), w),
                       "session-start", "SessionStart");
  ok(text.includes("Active user_id"), "identity still there");
  ok(!text.includes("Deploys go through"), "memories left out");
});

test("compaction: SessionStart(compact) first, then PostCompact: stored once", async () => {
  const w = world("transcript-compact.jsonl");
  const summary = fs.readFileSync(path.join(fixtures, "compact-summary.txt"), "utf8");
  const r = await runHook("session-start", payload(w, "session-start-compact"), w);
  const text = context(r, "session-start", "SessionStart");
  let got = ofType(w, "compact_summary");
  eq(got.length, 1, "one compact_summary");
  eq(got[0].memory, summary, "summary text");
  eq(got[0].metadata, { type: "compact_summary", source: "session-start-compact", session_id: SID },
     "metadata");
  eq(got[0].expiration_date, todayPlus(90), "expiration");
  eq(got[0].app_id, "acme-api", "app_id");
  ok(text.startsWith("## Mem0 post-compaction recovery"), "recovery first");
  ok(text.includes(got[0].id), "recovery names the summary");
  quiet(await runHook("capture-compact", payload(w, "post-compact"), w), "capture-compact", "second path");
  eq(ofType(w, "compact_summary").length, 1, "still one compact_summary");
});

test("compaction: PostCompact first, then SessionStart(compact): stored once", async () => {
  const w = world("transcript-compact.jsonl");
  fs.writeFileSync(path.join(w.home, "settings.json"), '{"retention_session_days": 7}');
  quiet(await runHook("capture-compact", payload(w, "post-compact"), w), "capture-compact", "first");
  context(await runHook("session-start", payload(w, "session-start-compact"), w), "session-start",
          "SessionStart");
  const got = ofType(w, "compact_summary");
  eq(got.length, 1, "one compact_summary");
  eq(got[0].metadata.source, "post-compact", "source");
  eq(got[0].expiration_date, todayPlus(7), "retention_session_days");
});

test("compaction: auto_save off stores nothing", async () => {
  const w = world("transcript-compact.jsonl");
  fs.writeFileSync(path.join(w.home, "settings.json"), '{"auto_save": false}');
  quiet(await runHook("capture-compact", payload(w, "post-compact"), w), "capture-compact", "off");
  quiet(await runHook("pre-compact", payload(w, "pre-compact"), w), "pre-compact", "off");
  context(await runHook("session-start", payload(w, "session-start-compact"), w), "session-start",
          "SessionStart");
  eq(memories(w).length, 0, "nothing stored");
});

test("pre-compact: a session_state snapshot, silently, at most 20 per project", async () => {
  const w = world();
  const durable = seed(w, "Use LMDB for the store", "acme-api", { type: "decision" });
  for (let i = 0; i < 22; i++)
    quiet(await runHook("pre-compact", payload(w, i % 2 ? "pre-compact" : "pre-compact-auto"), w),
          "pre-compact", `run ${i}`);
  const got = ofType(w, "session_state");
  eq(got.length, 20, "snapshots kept");
  const s = got[0];
  ok(s.memory.startsWith("## Session State (pre-compaction)"), "markdown heading");
  ok(s.memory.includes("Add a retry with exponential backoff"), "what the user asked");
  ok(s.memory.includes("/home/user/proj/src/retry.h"), "files written");
  ok(s.memory.includes("make test"), "commands run");
  eq(s.metadata.source, "pre-compaction", "source");
  eq(s.metadata.session_id, SID, "session_id");
  eq(s.expiration_date, todayPlus(90), "expiration");
  ok(memories(w).some((m) => m.id === durable), "durable memory kept");
});

test("stop: reminds once per stretch of work, never in a loop or for subagents", async () => {
  const w = world();
  quiet(await runHook("stop", payload(w, "stop-active"), w), "stop", "stop_hook_active");
  quiet(await runHook("stop", payload(w, "stop-subagent"), w), "stop", "subagent");
  quiet(await runHook("task-completed", payload(w, "task-completed"), w), "task-completed", "record");
  const o = jsonOut(await runHook("stop", payload(w, "stop"), w), "stop");
  eq(o.decision, "block", "decision");
  ok(/add_memory/.test(o.reason) && /anti_pattern/.test(o.reason), `reason: ${o.reason}`);
  ok(o.reason.includes('"Add retry with backoff to net_get"'), "names the completed task");
  quiet(await runHook("stop", payload(w, "stop"), w), "stop", "same work again");
  quiet(await runHook("stop", payload(w, "stop-active"), w), "stop", "continuing");
  // The model stores something, then works again: stored, so nothing to say.
  const line = (name) => JSON.stringify({ type: "assistant", isSidechain: false,
    message: { role: "assistant", content: [{ type: "tool_use", id: "t", name, input: { file_path: "/x" } }] } }) + "\n";
  fs.appendFileSync(w.transcript, line("mcp__plugin_mem0_mem0__add_memory") + line("Edit"));
  quiet(await runHook("stop", payload(w, "stop"), w), "stop", "after add_memory");
  fs.appendFileSync(w.transcript, line("Write"));
  eq(jsonOut(await runHook("stop", payload(w, "stop"), w), "stop").decision, "block", "new stretch");
});

test("stop: a missing transcript fails open", async () => {
  const w = world(null);
  quiet(await runHook("stop", payload(w, "stop"), w), "stop", "no transcript");
});

test("add-metadata: session_id and app_id added, nothing the agent wrote changed", async () => {
  const w = world();
  const p = payload(w, "pre-tool-use-add-memory");
  const o = jsonOut(await runHook("add-metadata", p, w), "add-metadata");
  const h = o.hookSpecificOutput;
  eq(h.hookEventName, "PreToolUse", "event");
  eq(h.permissionDecision, "allow", "decision");
  eq(h.updatedInput, { ...p.tool_input, metadata: { ...p.tool_input.metadata, session_id: SID },
                       app_id: "acme-api" }, "updatedInput");
  // A preference with its own session_id: nothing to add.
  quiet(await runHook("add-metadata", payload(w, "pre-tool-use-add-memory-pref"), w),
        "add-metadata", "nothing to add");
  // Another tool: left alone.
  quiet(await runHook("add-metadata", payload(w, "pre-tool-use-add-memory",
                                              { tool_name: "mcp__mem0__search_memories" }), w),
        "add-metadata", "other tool");
});

test("prompt: relevant memories, not acknowledgements, never twice", async () => {
  const w = world();
  const id = seed(w, "The payment API client retries failed requests three times with backoff",
                  "acme-api", { type: "decision" });
  for (let i = 0; i < 40; i++)
    seed(w, `Unrelated note ${i} about the office coffee machine schedule`, "acme-api", null);
  quiet(await runHook("prompt", payload(w, "user-prompt-ack"), w), "prompt", "acknowledgement");
  const text = context(await runHook("prompt", payload(w, "user-prompt-submit"), w), "prompt",
                       "UserPromptSubmit");
  ok(text.includes(`[mem0:${id.slice(0, 8)}]`), `memory injected:\n${text}`);
  ok(!text.includes("coffee"), "irrelevant memories left out");
  ok(text.length < 2000, "small budget");
  quiet(await runHook("prompt", payload(w, "user-prompt-submit"), w), "prompt", "already injected");
  // What session-start injected is not repeated either.
  const w2 = world();
  seed(w2, "The payment API client retries failed requests three times with backoff",
       "acme-api", { type: "decision" });
  context(await runHook("session-start", payload(w2, "session-start-startup"), w2), "session-start",
          "SessionStart");
  quiet(await runHook("prompt", payload(w2, "user-prompt-submit"), w2), "prompt", "after start");
  fs.writeFileSync(path.join(w.home, "settings.json"), '{"auto_search": false}');
  quiet(await runHook("prompt", payload(w, "user-prompt-submit", { session_id: "other" }), w),
        "prompt", "auto_search off");
});

test("opt-out: MEM0_DISABLE and .mem0-disable silence every hook", async () => {
  const w = world("transcript-compact.jsonl");
  seed(w, "The payment API client retries failed requests", "acme-api", { type: "decision" });
  const all = [["session-start", "session-start-startup"], ["session-start", "session-start-compact"],
    ["capture-compact", "post-compact"], ["pre-compact", "pre-compact"], ["stop", "stop"],
    ["task-completed", "task-completed"], ["add-metadata", "pre-tool-use-add-memory"],
    ["prompt", "user-prompt-submit"]];
  const before = memories(w).length;
  for (const [hook, p] of all)
    quiet(await runHook(hook, payload(w, p), w, { MEM0_DISABLE: "1" }), hook, "MEM0_DISABLE=1");
  fs.writeFileSync(path.join(w.proj, ".mem0-disable"), "");
  for (const [hook, p] of all) quiet(await runHook(hook, payload(w, p), w), hook, ".mem0-disable");
  eq(memories(w).length, before, "nothing stored");
  // MEM0_DISABLE=0 is not an opt-out.
  fs.unlinkSync(path.join(w.proj, ".mem0-disable"));
  context(await runHook("session-start", payload(w, "session-start-startup"), w, { MEM0_DISABLE: "0" }),
          "session-start", "SessionStart");
});

test("large input under the cap is still read", async () => {
  const w = world();
  const p = payload(w, "session-start-startup", { pad: "y".repeat(7 << 20) });
  context(await runHook("session-start", p, w), "session-start", "SessionStart");
});

// MEM0_DEBUG=1: exactly one line per run, in the documented format (core/log.h).
// Payloads Claude Code itself sent during the e2e suite (tests/fixtures/hooks/recorded):
// each reaches the hook it is wired to and gets the answer Claude Code expects.
test("recorded payloads from real Claude Code runs", async () => {
  const dir = path.join(fixtures, "recorded");
  const rec = (name) => {
    const w = world("transcript-compact.jsonl");
    const p = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), "utf8"));
    p.transcript_path = w.transcript;
    p.cwd = w.proj;
    return { w, p };
  };
  for (const src of ["startup", "resume", "compact"]) {
    const { w, p } = rec(`SessionStart-${src}`);
    const text = context(await runHook("session-start", p, w), "session-start", "SessionStart");
    ok(text.includes("alice"), `session-start (${src}): the user id is named`);
  }
  {
    const { w, p } = rec("UserPromptSubmit");
    const r = await runHook("prompt", p, w);
    eq(r.code, 0, "prompt: exit status");
    if (r.stdout) eq(jsonOut(r, "prompt").hookSpecificOutput.hookEventName, "UserPromptSubmit", "prompt event");
  }
  {
    const { w, p } = rec("PreToolUse-Write"); // a Write into ~/.claude/projects/x/memory/MEMORY.md
    const r = await runHook("guard", p, w);
    eq(r.code, 2, "guard: blocks the recorded MEMORY.md write");
    ok(r.stderr.includes("add_memory"), "guard: the reason names add_memory");
    eq(r.stdout, "", "guard: stdout");
  }
  {
    const { w, p } = rec("PreToolUse-add_memory");
    const h = jsonOut(await runHook("add-metadata", p, w), "add-metadata").hookSpecificOutput;
    eq(h.permissionDecision, "allow", "add-metadata: decision");
    eq(h.updatedInput.metadata.session_id, p.session_id, "add-metadata: session id added");
    eq(h.updatedInput.text, p.tool_input.text, "add-metadata: text unchanged");
  }
  {
    const { w, p } = rec("PreCompact");
    quiet(await runHook("pre-compact", p, w), "pre-compact", "recorded");
  }
  {
    const { w, p } = rec("PostCompact");
    quiet(await runHook("capture-compact", p, w), "capture-compact", "recorded");
    const stored = ofType(w, "compact_summary");
    eq(stored.length, 1, "capture-compact: one compact_summary");
    ok(stored[0].memory.startsWith("Primary Request and Intent:") && !stored[0].memory.includes("<analysis>"),
       "capture-compact: the <summary> content is stored, not the raw reply");
  }
  {
    const { w, p } = rec("Stop-active");
    quiet(await runHook("stop", p, w), "stop", "stop_hook_active");
  }
  {
    const { w, p } = rec("Stop");
    const r = await runHook("stop", p, w);
    eq(r.code, 0, "stop: exit status");
    if (r.stdout) eq(jsonOut(r, "stop").decision, "block", "stop: the only output is a block");
  }
});

test("MEM0_DEBUG=1 logs exactly one line per hook run", async () => {
  const w = world("transcript-compact.jsonl");
  const log = path.join(w.home, "hooks.log");
  const runs = [["session-start", "session-start-startup", "SessionStart"],
    ["session-start", "session-start-compact", "SessionStart"],
    ["capture-compact", "post-compact", "PostCompact"], ["pre-compact", "pre-compact", "PreCompact"],
    ["stop", "stop", "Stop"], ["stop", "stop-active", "Stop"],
    ["task-completed", "task-completed", "TaskCompleted"],
    ["add-metadata", "pre-tool-use-add-memory", "PreToolUse"],
    ["prompt", "user-prompt-submit", "UserPromptSubmit"], ["prompt", "user-prompt-ack", "UserPromptSubmit"]];
  for (const [hook, p, event] of runs) {
    const before = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "";
    const r = await runHook(hook, payload(w, p), w, { MEM0_DEBUG: "1" });
    eq(r.code, 0, `${hook} exit`);
    const added = fs.readFileSync(log, "utf8").slice(before.length);
    const lines = added.split("\n");
    eq(lines.length, 2, `${hook} (${p}) log lines: ${JSON.stringify(added)}`);
    eq(lines[1], "", "line ends with a newline");
    const f = lines[0].split("\t");
    eq(f.length, 7, `${hook} fields in ${JSON.stringify(lines[0])}`);
    ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(f[0]), `time ${f[0]}`);
    ok(Math.abs(Date.parse(f[0]) - Date.now()) < 60000, "time is now");
    eq(Number(f[1]), r.pid, "pid");
    eq(f[2], `mem0-${hook}`, "program");
    eq(f[3], event, "event");
    ok(/^\d+\.\d\d$/.test(f[4]) && Number(f[4]) <= r.ms + 1, `duration ${f[4]} (wall ${r.ms})`);
    ok(/^[a-z-]+$/.test(f[5]), `outcome ${f[5]}`);
    ok(!/[\t\n\r]/.test(f[6]), "detail is one field");
  }
  // Off: nothing logged.
  const size = fs.statSync(log).size;
  await runHook("stop", payload(w, "stop-active"), w);
  await runHook("stop", "garbage", w, { MEM0_DEBUG: "0" });
  eq(fs.statSync(log).size, size, "no line without MEM0_DEBUG");
  // Bad input is logged too, as one line.
  await runHook("prompt", "garbage", w, { MEM0_DEBUG: "1" });
  const last = fs.readFileSync(log, "utf8").trimEnd().split("\n").pop().split("\t");
  eq([last[2], last[5]], ["mem0-prompt", "bad-input"], "bad input logged");
});

// Another process holds the store's LMDB write lock past every deadline.
test("a held write lock: every hook exits within its deadline", async () => {
  const w = world("transcript-compact.jsonl");
  seed(w, "The payment API client retries failed requests", "acme-api", { type: "decision" });
  const holder = spawn(path.join(TOOLS, "hold_writer"), [w.home], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise((resolve, reject) => {
      holder.stdout.once("data", (d) => (String(d).startsWith("holding") ? resolve() : reject(new Error(String(d)))));
      holder.once("exit", (c) => reject(new Error(`hold_writer exited ${c}`)));
    });
    const runs = [["session-start", "session-start-startup"], ["session-start", "session-start-compact"],
      ["capture-compact", "post-compact"], ["pre-compact", "pre-compact"], ["stop", "stop"],
      ["task-completed", "task-completed"], ["add-metadata", "pre-tool-use-add-memory"],
      ["prompt", "user-prompt-submit"]];
    if (HOOKS.includes("guard"))
      runs.push(["guard", null]);
    for (const [hook, p] of runs) {
      const input = p ? payload(w, p, { session_id: `lock-${hook}-${p}` }) :
        { session_id: "g", cwd: w.proj, hook_event_name: "PreToolUse", tool_name: "Write",
          tool_input: { file_path: path.join(w.proj, "README.md"), content: "x" } };
      const r = await runHook(hook, input, w, { MEM0_DEBUG: "1" });
      eq(r.code, 0, `${hook} (${p}) exit status`);
      ok(r.ms < DEADLINE[hook] + SLACK_MS, `${hook} (${p}) took ${r.ms.toFixed(0)} ms`);
      // Hooks that must write print nothing; readers never wait on the writer, and
      // session-start writes its context before its housekeeping waits.
      if (["capture-compact", "pre-compact"].includes(hook) || p === "session-start-compact")
        eq(r.stdout, "", `${hook} (${p}) stdout`);
      else if (r.stdout) jsonOut(r, hook);
    }
    const log = fs.readFileSync(path.join(w.home, "hooks.log"), "utf8");
    for (const hook of ["capture-compact", "pre-compact"])
      ok(new RegExp(`\\tmem0-${hook}\\t[A-Za-z]+\\t[\\d.]+\\tdeadline\\t`).test(log), `${hook} logged deadline`);
  } finally {
    holder.kill("SIGKILL");
  }
  // Once the holder is gone, the next capture goes through.
  quiet(await runHook("pre-compact", payload(w, "pre-compact"), w), "pre-compact", "after the lock");
  eq(ofType(w, "session_state").length, 1, "snapshot stored after the lock");
});

// ---- Runner ------------------------------------------------------------------------------------

let passed = 0, failed = 0;
for (const c of cases) {
  if (ONLY && !c.name.includes(ONLY)) continue;
  try {
    await c.fn();
    passed++;
    console.log(`ok    ${c.name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${c.name}\n      ${e instanceof Fail ? e.message : e.stack}`);
  }
}
fs.rmSync(scratchRoot, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
