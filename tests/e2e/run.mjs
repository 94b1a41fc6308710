// End-to-end runner: drives the real Claude Code CLI (`claude -p`) with this repository
// loaded as a plugin, against the scripted Messages API of fake-api.mjs, one case file at a
// time (tests/e2e/cases/*.json; the format is described in tests/e2e/README.md).
//
//   node tests/e2e/run.mjs --bin BUILD/bin [--tools BUILD/tests] [--claude PATH]
//                          [--record tests/fixtures/hooks/recorded] [--keep] [--verbose] [CASE...]
//
// Each case gets a scratch HOME, MEM0_HOME and project folder, its own fake API on
// 127.0.0.1, and bounded time.  The plugin's binaries come from --bin: the runner places
// them where the plugin's launchers look for this plugin version (a pre-built
// ${CLAUDE_PLUGIN_DATA}/build/<version>), except in cases that install the plugin from a
// fresh clone, where the launchers build it themselves.  Prints one line per case and
// ends with "N passed, M failed" (", K skipped" when a case needs a binary not built).
// Exit 1 if any case failed.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startFakeApi, textReply } from "./fake-api.mjs";
import { startGitHttp } from "./git-http.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../..");

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
    const o = { cases: [], record: null, keep: false, verbose: false, bin: null, tools: null, claude: null };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) throw new Error(`missing value for ${a}`);
            return argv[++i];
        };
        if (a === "--bin") o.bin = path.resolve(val());
        else if (a === "--tools") o.tools = path.resolve(val());
        else if (a === "--claude") o.claude = path.resolve(val());
        else if (a === "--record") o.record = path.resolve(val());
        else if (a === "--keep") o.keep = true;
        else if (a === "--verbose" || a === "-v") o.verbose = true;
        else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
        else o.cases.push(a);
    }
    if (!o.bin) throw new Error("--bin BUILD/bin is required");
    return o;
}

const opts = parseArgs(process.argv.slice(2));
const NPM = process.env.NPM_DIR || path.join(REPO, "build/npm");
const CLAUDE = opts.claude || path.join(NPM, "node_modules/.bin/claude");
const NODE_BIN = path.join(NPM, "node_modules/node/bin");
const PLUGIN_VERSION = JSON.parse(fs.readFileSync(path.join(REPO, ".claude-plugin/plugin.json"), "utf8")).version;
const MARKETPLACE = JSON.parse(fs.readFileSync(path.join(REPO, ".claude-plugin/marketplace.json"), "utf8")).name;
const TOOL_PREFIX = "mcp__plugin_mem0_mem0__";

// ---------------------------------------------------------------- small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function textOf(content) {
    if (content == null) return "";
    if (typeof content === "string") return content;
    if (Array.isArray(content)) return content.map(textOf).join("\n");
    if (typeof content === "object") {
        if (content.type === "text") return content.text || "";
        if (content.type === "tool_result") return textOf(content.content);
        if (content.type === "tool_use") return JSON.stringify(content.input || {});
        return "";
    }
    return String(content);
}

/** What an assertion looks at, from one request body. */
function view(body, where) {
    const msgs = (body && body.messages) || [];
    switch (where) {
    case "system":
        return textOf(body && body.system);
    case "messages":
        return msgs.map((m) => textOf(m.content)).join("\n");
    case "last_user": {
        const u = [...msgs].reverse().find((m) => m.role === "user");
        return u ? textOf(u.content) : "";
    }
    case "context":
        return textOf(body && body.system) + "\n" + msgs.map((m) => textOf(m.content)).join("\n");
    case "tool_result": {
        const u = [...msgs].reverse().find((m) => m.role === "user");
        const blocks = u && Array.isArray(u.content) ? u.content.filter((b) => b.type === "tool_result") : [];
        return blocks;
    }
    case "tools":
        return ((body && body.tools) || []).map((t) => t.name);
    default: {
        // "hook:<Event>": what hooks of that event added to the context, as Claude Code
        // renders it ("<Event> hook additional context: <text>" in a system reminder).
        const m = /^hook:(\w+)$/.exec(where);
        if (!m) break;
        const all = msgs.map((x) => textOf(x.content)).join("\n");
        const re = new RegExp(`${m[1]} hook additional context: ([\\s\\S]*?)(?:</system-reminder>|$)`, "g");
        return [...all.matchAll(re)].map((x) => x[1]).join("\n");
    }
    }
    throw new Error(`unknown assertion target "${where}"`);
}

function countOf(hay, needle) {
    let n = 0;
    for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) n++;
    return n;
}

const asList = (x) => (x == null ? [] : Array.isArray(x) ? x : [x]);

/** Checks one assertion against a request body; returns a list of failure messages. */
function check(body, a) {
    const fails = [];
    const where = a.in || "context";
    const v = view(body, where);
    if (where === "tools") {
        for (const t of asList(a.has)) if (!v.includes(t)) fails.push(`tools lack ${t}`);
        for (const t of asList(a.lacks)) if (v.includes(t)) fails.push(`tools include ${t}`);
        return fails;
    }
    if (where === "tool_result") {
        if (v.length === 0) return [`no tool_result in the last user message`];
        const text = v.map((b) => textOf(b.content)).join("\n");
        for (const s of asList(a.contains)) if (!text.includes(s)) fails.push(`tool_result lacks "${s}": ${clip(text)}`);
        for (const s of asList(a.lacks)) if (text.includes(s)) fails.push(`tool_result has "${s}"`);
        if (a.is_error !== undefined) {
            const isErr = v.some((b) => b.is_error === true);
            if (isErr !== a.is_error) fails.push(`tool_result is_error=${isErr}, expected ${a.is_error}: ${clip(text)}`);
        }
        return fails;
    }
    for (const s of asList(a.contains)) if (!v.includes(s)) fails.push(`${where} lacks "${s}"`);
    for (const s of asList(a.lacks)) if (v.includes(s)) fails.push(`${where} has "${s}"`);
    if (a.count) {
        const n = countOf(v, a.count.text);
        if (a.count.equals !== undefined && n !== a.count.equals)
            fails.push(`${where} has "${a.count.text}" ${n} times, expected ${a.count.equals}`);
    }
    return fails;
}

const clip = (s, n = 300) => (s.length > n ? s.slice(0, n) + "…" : s);

function subst(x, vars) {
    if (typeof x === "string") return x.replace(/\$\{([A-Za-z0-9_.[\]]+)\}/g, (m, k) => (k in vars ? vars[k] : m));
    if (Array.isArray(x)) return x.map((e) => subst(e, vars));
    if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, e]) => [k, subst(e, vars)]));
    return x;
}

function getPath(obj, dotted) {
    return dotted.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function run(cmd, args, { env, cwd, input, timeout = 60000 } = {}) {
    const r = spawnSync(cmd, args, { env, cwd, input, encoding: "utf8", timeout, maxBuffer: 64 << 20 });
    return { code: r.status, out: r.stdout || "", err: (r.stderr || "") + (r.error ? String(r.error) : "") };
}

/** run() without blocking the event loop (the servers of this process must keep serving). */
function runAsync(cmd, args, { env, cwd, timeout = 60000 } = {}) {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"], detached: true });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        const timer = setTimeout(() => {
            err += `\n(killed after ${timeout / 1000} s)`;
            try {
                process.kill(-child.pid, "SIGKILL");
            } catch {}
        }, timeout);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, out, err });
        });
    });
}

// ---------------------------------------------------------------- the scripted model

/**
 * A turn-by-turn script for one claude invocation.  Each "main" request (one carrying
 * tools: the agent loop) takes the next turn: its assertions are checked and its reply
 * sent.  Requests without tools (side queries) get a short text and count for nothing.
 * A main request arriving after the script has ended is a failure (e.g. a Stop hook loop).
 */
class Script {
    constructor(turns, vars) {
        this.turns = turns;
        this.vars = vars;
        this.next = 0;
        this.fails = [];
        this.waits = 0;
        this.toolSeq = 0;
        this.mainRequests = 0;
    }

    isMain(body, turn) {
        if (turn && turn.match) return check(body, turn.match).length === 0;
        return Array.isArray(body && body.tools) && body.tools.length > 0;
    }

    respond(body) {
        const turn = this.turns[this.next];
        if (!this.isMain(body, turn)) return textReply("ok");
        this.mainRequests++;
        if (!turn) {
            this.fails.push(`unexpected model request #${this.mainRequests} after the script ended: ` +
                clip(view(body, "last_user"), 400));
            return textReply("(end of script)");
        }
        const reply = subst(turn.reply || { text: "ok" }, this.vars);
        // A tool of an MCP server still connecting: wait for it, as a model would.
        const tools = view(body, "tools");
        if (reply.tool_use && reply.tool_use.name.startsWith("mcp__") && !tools.includes(reply.tool_use.name) &&
            tools.includes("WaitForMcpServers") && this.waits < 6) {
            this.waits++;
            return this.toolUse("WaitForMcpServers", {}, "Waiting for the memory server.");
        }
        this.next++;
        for (const a of asList(subst(turn.expect, this.vars))) {
            for (const f of check(body, a)) this.fails.push(`turn ${this.next}: ${f}`);
        }
        if (reply.tool_use) return this.toolUse(reply.tool_use.name, reply.tool_use.input || {}, reply.text);
        return textReply(reply.text ?? "ok");
    }

    toolUse(name, input, text) {
        this.toolSeq++;
        const content = [];
        if (text) content.push({ type: "text", text });
        content.push({ type: "tool_use", id: `toolu_e2e_${String(this.toolSeq).padStart(4, "0")}`, name, input });
        return { content, stop_reason: "tool_use" };
    }

    finish() {
        const needed = this.turns.filter((t) => !t.optional).length;
        if (this.next < needed)
            this.fails.push(`the script has ${needed} turns, Claude Code asked for ${this.next}`);
        return this.fails;
    }
}

// ---------------------------------------------------------------- one case

function prepareBuild(tmpRoot) {
    // The launchers use <data>/build/<version> once it holds a .built stamp: point that at
    // the binaries under test instead of building again in every case.
    const dir = path.join(tmpRoot, "prebuilt");
    fs.mkdirSync(dir, { recursive: true });
    const link = path.join(dir, "bin");
    if (!fs.existsSync(link)) fs.symlinkSync(opts.bin, link);
    fs.writeFileSync(path.join(dir, ".built"), "");
    return dir;
}

function baseEnv(c) {
    const env = {
        PATH: `${NODE_BIN}:${path.dirname(CLAUDE)}:${process.env.PATH}`,
        HOME: c.home,
        USER: "e2e",
        LANG: "C.UTF-8",
        TMPDIR: c.tmp,
        MEM0_HOME: c.mem0,
        ANTHROPIC_BASE_URL: `http://127.0.0.1:${c.port}`,
        ANTHROPIC_API_KEY: "sk-fake",
        ENABLE_TOOL_SEARCH: "false",
        DISABLE_AUTOUPDATER: "1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_TELEMETRY: "1",
    };
    for (const k of ["CC", "PKG_CONFIG_PATH", "TERM"]) if (process.env[k]) env[k] = process.env[k];
    return env;
}

function cli(c, args, extraEnv = {}) {
    return run(path.join(opts.bin, "mem0-mcp"), args, { env: { ...baseEnv(c), ...extraEnv }, cwd: c.proj });
}

/** Seeds the store: memories as JSONL through `mem0-mcp import`. */
function seed(c, setup) {
    const lines = [];
    for (const m of setup.memories || []) lines.push(JSON.stringify({ user_id: "e2e", ...m }));
    const g = setup.generate;
    if (g) {
        const topics = g.topics || ["gardening", "astronomy", "cooking", "sailing", "chess", "pottery", "birdwatching",
            "cycling", "origami", "beekeeping", "knitting", "archery"];
        for (let i = 0; i < g.count; i++) {
            const t = topics[i % topics.length];
            const text = (g.template || "Note {i} about {topic}: the {topic} club meets on day {d}.")
                .replaceAll("{i}", String(i)).replaceAll("{topic}", t).replaceAll("{d}", String((i % 28) + 1));
            lines.push(JSON.stringify({ memory: text, user_id: "e2e", metadata: { type: g.type || "user_preference" },
                ...(g.app_id ? { app_id: g.app_id } : {}) }));
        }
    }
    if (lines.length === 0) return null;
    const r = run(path.join(opts.bin, "mem0-mcp"), ["import", "-"], {
        env: baseEnv(c), cwd: c.proj, input: lines.join("\n") + "\n" });
    return r.code === 0 ? null : `seeding the store failed: ${r.err || r.out}`;
}

async function startHolder(c) {
    const tool = path.join(opts.tools || "", "hold_writer");
    if (!opts.tools || !fs.existsSync(tool)) return { err: "hold_writer not built (--tools)" };
    const child = spawn(tool, [c.mem0], { env: baseEnv(c), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    for (let i = 0; i < 100 && !out.includes("holding"); i++) await sleep(50);
    if (!out.includes("holding")) {
        child.kill("SIGKILL");
        return { err: `hold_writer did not take the lock: ${out}` };
    }
    return { child };
}

/** Runs one claude invocation under the fake API; returns {fails, json, script}. */
async function runSession(c, s, idx, vars) {
    const script = new Script(s.turns || [], vars);
    c.api.respondWith = (body) => script.respond(body);
    const args = ["-p", subst(s.prompt, vars)];
    if (!c.installed) args.push("--plugin-dir", REPO);
    if (opts.record) args.push("--plugin-dir", path.join(HERE, "recorder"));
    const allowed = asList(subst(s.allowed_tools, vars));
    if (allowed.length) args.push("--allowedTools", allowed.join(","));
    args.push(...asList(subst(s.flags, vars)));
    args.push("--output-format", "json", "--debug-file", path.join(c.root, `debug-${idx}.txt`));
    const env = { ...baseEnv(c), ...(opts.record ? { E2E_RECORD_DIR: c.recordDir } : {}), ...subst(s.env || {}, vars) };
    const timeout = (s.timeout_s || 90) * 1000;
    const t0 = Date.now();
    const child = spawn(CLAUDE, args, { env, cwd: c.proj, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    let timedOut = false;
    const timer = setTimeout(() => {
        timedOut = true;
        try {
            process.kill(-child.pid, "SIGKILL");
        } catch {}
    }, timeout);
    const code = await new Promise((r) => child.on("close", (cd) => r(cd)));
    clearTimeout(timer);
    // Every request Claude Code sent in this session, for reading when a case fails.
    fs.writeFileSync(path.join(c.root, `requests-${idx}.jsonl`),
        c.api.requests.splice(0).map((r) => JSON.stringify(r)).join("\n") + "\n");
    const ms = Date.now() - t0;
    const fails = script.finish();
    if (timedOut) fails.push(`claude did not finish within ${timeout / 1000} s`);
    let json = null;
    try {
        json = JSON.parse(out.trim().split("\n").pop());
    } catch {
        fails.push(`no JSON result on stdout (exit ${code}): ${clip(out + err, 600)}`);
    }
    const want = s.result || {};
    if (json) {
        if ((want.is_error ?? false) !== (json.is_error === true))
            fails.push(`result is_error=${json.is_error}: ${clip(String(json.result), 300)}`);
        for (const t of asList(subst(want.contains, vars)))
            if (!String(json.result).includes(t)) fails.push(`result lacks "${t}": ${clip(String(json.result))}`);
    }
    if (code !== (want.exit ?? 0) && !timedOut) fails.push(`claude exited ${code}: ${clip(err, 400)}`);
    return { fails: fails.map((f) => `session ${idx + 1}: ${f}`), json, ms };
}

/** Hook runs as Claude Code's debug log records them: [{event, hook, status, ms}]. */
function hookRuns(file) {
    if (!fs.existsSync(file)) return [];
    // Two forms: "Hooks: Stop [<cmd> stop] (plugin …) finished with status 0 (5ms)", and for
    // the compaction events "PreCompact:manual [<cmd> pre-compact] completed with status 0"
    // (no duration: ms is null).
    const re = /(?:Hooks: )?(\w+)(?::\S+)? \[\S*mem0-hook (\S+)\](?: \(plugin [^)]*\))? (?:finished|completed) with status (\d+)(?: \((\d+)ms\))?/;
    return fs.readFileSync(file, "utf8").split("\n").map((l) => l.match(re)).filter(Boolean)
        .map((m) => ({ event: m[1], hook: m[2], status: Number(m[3]), ms: m[4] === undefined ? null : Number(m[4]) }));
}

/** Lines of $MEM0_HOME/hooks.log: [{program, event, ms, outcome, detail}]. */
function debugLog(c) {
    const f = path.join(c.mem0, "hooks.log");
    if (!fs.existsSync(f)) return [];
    return fs.readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => {
        const p = l.split("\t");
        return { program: p[2], event: p[3], ms: Number(p[4]), outcome: p[5], detail: p[6] || "" };
    });
}

function checkStore(c, a, vars) {
    const fails = [];
    const args = a.search != null ? ["search", subst(a.search, vars)] : ["list", "--page-size", "100"];
    if (a.filters) args.push("--filters", JSON.stringify(subst(a.filters, vars)));
    if (a.show_expired) args.push("--show-expired");
    args.push("--json", "--user", a.user || "*");
    const r = cli(c, args);
    let res;
    try {
        res = JSON.parse(r.out).results;
    } catch {
        return [`store: mem0-mcp ${args.join(" ")} failed: ${clip(r.err || r.out)}`];
    }
    const label = `store ${a.search != null ? `search "${a.search}"` : "list"}${a.filters ? " " + JSON.stringify(a.filters) : ""}`;
    if (a.count !== undefined && res.length !== a.count)
        fails.push(`${label}: ${res.length} memories, expected ${a.count}: ${clip(res.map((m) => m.memory).join(" | "))}`);
    if (a.min_count !== undefined && res.length < a.min_count)
        fails.push(`${label}: ${res.length} memories, expected at least ${a.min_count}`);
    const texts = res.map((m) => m.memory);
    for (const t of asList(subst(a.contains, vars)))
        if (!texts.some((m) => m.includes(t))) fails.push(`${label}: no memory contains "${t}"`);
    for (const [k, want] of Object.entries(subst(a.each || {}, vars))) {
        for (const m of res) {
            if (k === "expires_in_days") {
                const days = m.expiration_date
                    ? Math.round((Date.parse(m.expiration_date + "T00:00:00Z") - Date.parse(new Date().toISOString().slice(0, 10) + "T00:00:00Z")) / 86400000)
                    : null;
                if (days !== want) fails.push(`${label}: ${m.id} expires in ${days} days (${m.expiration_date}), expected ${want}`);
                continue;
            }
            const got = getPath(m, k);
            if (JSON.stringify(got) !== JSON.stringify(want))
                fails.push(`${label}: ${m.id} ${k} = ${clip(JSON.stringify(got), 200)}, expected ${clip(JSON.stringify(want), 200)}`);
        }
    }
    return fails;
}

/**
 * Installs the plugin as a user would, from a fresh clone with no build outputs:
 * how = "directory": `git clone` into a scratch folder, `claude plugin marketplace add
 *        <clone>` (Claude Code then runs the plugin from that folder);
 * how = "git": the clone served over git's HTTP protocol on 127.0.0.1 and added by URL,
 *        as a hosted repository is (Claude Code clones it, then copies the plugin into
 *        ~/.claude/plugins/cache and runs it from there).
 * Then `claude plugin install mem0@<marketplace>`.
 */
async function installFromClone(c, how) {
    const env = baseEnv(c);
    // The working tree as it is now (tracked and untracked files, minus what git ignores)
    // as one commit: what a clone of the change will hold.  In CI it equals HEAD.
    const src = path.join(c.root, "src");
    const files = run("git", ["-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], { env }).out
        .split("\0").filter((f) => f && fs.existsSync(path.join(REPO, f)) && fs.statSync(path.join(REPO, f)).isFile());
    if (files.length === 0) return "git ls-files listed nothing";
    for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
        fs.copyFileSync(path.join(REPO, f), path.join(src, f));
        fs.chmodSync(path.join(src, f), fs.statSync(path.join(REPO, f)).mode);
    }
    const gitEnv = { ...env, GIT_AUTHOR_NAME: "e2e", GIT_AUTHOR_EMAIL: "e2e@localhost",
        GIT_COMMITTER_NAME: "e2e", GIT_COMMITTER_EMAIL: "e2e@localhost" };
    for (const step of [["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]]) {
        const r = run("git", step, { env: gitEnv, cwd: src });
        if (r.code !== 0) return `git ${step[0]} failed: ${r.err}`;
    }
    let source;
    let served = null;
    if (how === "git") {
        const bare = path.join(c.root, "served", "mem0.git");
        const r = run("git", ["clone", "-q", "--bare", src, bare], { env });
        if (r.code !== 0) return `git clone --bare failed: ${r.err}`;
        served = await startGitHttp(path.dirname(bare));
        source = `http://127.0.0.1:${served.port}/mem0.git`;
    } else {
        const clone = path.join(c.root, "clone");
        const r = run("git", ["clone", "-q", src, clone], { env });
        if (r.code !== 0) return `git clone failed: ${r.err}`;
        if (fs.existsSync(path.join(clone, "build"))) return "the clone holds build outputs";
        source = clone;
    }
    try {
        let r = await runAsync(CLAUDE, ["plugin", "marketplace", "add", source], { env, cwd: c.proj, timeout: 90000 });
        if (r.code !== 0) return `claude plugin marketplace add ${source} failed: ${clip(r.err + r.out)}`;
        r = await runAsync(CLAUDE, ["plugin", "install", `mem0@${MARKETPLACE}`], { env, cwd: c.proj, timeout: 90000 });
        if (r.code !== 0) return `claude plugin install failed: ${clip(r.err + r.out)}`;
    } finally {
        if (served) await served.close();
    }
    const installed = JSON.parse(fs.readFileSync(path.join(c.home, ".claude/plugins/installed_plugins.json"), "utf8"));
    const entry = (installed.plugins[`mem0@${MARKETPLACE}`] || [])[0];
    if (!entry) return "installed_plugins.json has no mem0 entry";
    c.installPath = entry.installPath;
    if (fs.existsSync(path.join(entry.installPath, "build"))) return "the installed plugin holds build outputs";
    c.installed = true;
    return null;
}

function recordFixtures(c) {
    const dir = c.recordDir;
    if (!fs.existsSync(dir)) return;
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
    for (const f of files) {
        let p;
        try {
            p = JSON.parse(fs.readFileSync(f, "utf8"));
        } catch {
            continue;
        }
        const ev = p.hook_event_name;
        if (p.tool_name === "WaitForMcpServers") continue; // the runner's own doing
        let variant = "";
        if (ev === "SessionStart") variant = p.source;
        else if (ev === "PreToolUse" || ev === "PostToolUse" || ev === "PostToolUseFailure")
            variant = String(p.tool_name || "").replace(/^mcp__.*__/, "");
        else if (ev === "Stop" && p.stop_hook_active) variant = "active";
        const name = `${ev}${variant ? "-" + variant : ""}.json`;
        const out = path.join(opts.record, name);
        if (c.recorded.has(name)) continue;
        c.recorded.add(name);
        // Scratch paths become stable placeholders.
        fs.writeFileSync(out, sanitise(c, JSON.stringify(p, null, 2) + "\n"));
    }
}

/** Sanitises scratch paths out of recorded text (see recordFixtures). */
function sanitise(c, text) {
    const enc = (p) => p.replace(/[^A-Za-z0-9]/g, "-");
    return text.split(enc(c.proj)).join("-home-user-proj").split(c.proj).join("/home/user/proj")
        .split(c.home).join("/home/user").split(c.root).join("/tmp/e2e");
}

/**
 * Keeps a case's session transcript as tests/fixtures/hooks/transcript-<name>.jsonl, for
 * the unit tests of the hooks that read transcripts.  Records that only repeat Claude
 * Code's own prompts (the system-prompt snapshots, the skill listing, the request shapes)
 * are left out to keep the file small; every other record is kept as written.
 */
function recordTranscript(c, name, sessionId) {
    const projects = path.join(c.home, ".claude/projects");
    if (!sessionId || !fs.existsSync(projects)) return;
    for (const d of fs.readdirSync(projects)) {
        const f = path.join(projects, d, `${sessionId}.jsonl`);
        if (!fs.existsSync(f)) continue;
        const keep = fs.readFileSync(f, "utf8").split("\n").filter((l) => {
            if (!l.trim()) return false;
            try {
                const r = JSON.parse(l);
                if (String(r.type).startsWith("api-request")) return false;
                const at = r.attachment && r.attachment.type;
                return !(r.type === "attachment" && (at === "prompt_snapshot" || at === "skill_listing"));
            } catch {
                return true;
            }
        });
        fs.writeFileSync(path.join(opts.record, `transcript-${name}.jsonl`), sanitise(c, keep.join("\n") + "\n"));
    }
}

async function runCase(file) {
    const spec = JSON.parse(fs.readFileSync(file, "utf8"));
    const name = spec.name || path.basename(file, ".json");
    for (const b of asList(spec.needs)) {
        if (!fs.existsSync(path.join(opts.bin, b)) && !(opts.tools && fs.existsSync(path.join(opts.tools, b))))
            return { name, skipped: `needs ${b}` };
    }
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mem0-e2e-"));
    const c = {
        root, home: path.join(root, "home"), mem0: path.join(root, "mem0"), proj: path.join(root, "project"),
        tmp: path.join(root, "tmp"), recordDir: path.join(root, "record"), installed: false, recorded: opts.recorded,
    };
    for (const d of [c.home, c.proj, c.tmp, c.recordDir]) fs.mkdirSync(d, { recursive: true });
    const fails = [];
    const api = await startFakeApi({ respond: (body) => (api.respondWith ? api.respondWith(body) : textReply("ok")) });
    c.api = api;
    c.port = api.port;
    let holder = null;
    const t0 = Date.now();
    const vars = { HOME: c.home, PROJECT: c.proj, MEM0_HOME: c.mem0, REPO, TOOL: TOOL_PREFIX, VERSION: PLUGIN_VERSION };
    try {
        const setup = spec.setup || {};
        for (const [rel, body] of Object.entries(subst(setup.files || {}, vars))) {
            const f = path.isAbsolute(rel) ? rel : path.join(c.proj, rel);
            fs.mkdirSync(path.dirname(f), { recursive: true });
            fs.writeFileSync(f, body);
        }
        if (setup.git) run("git", ["init", "-q", c.proj], { env: baseEnv(c) });
        const e = seed(c, setup);
        if (e) throw new Error(e);
        if (setup.install_from_clone) {
            const err = await installFromClone(c, setup.install_from_clone);
            if (err) throw new Error(err);
        } else {
            // --plugin-dir gives the plugin the data folder "<id>-inline".
            const data = path.join(c.home, ".claude/plugins/data/mem0-inline/build");
            fs.mkdirSync(data, { recursive: true });
            fs.symlinkSync(prepareBuild(root), path.join(data, PLUGIN_VERSION));
        }
        if (setup.hold_writer) {
            holder = await startHolder(c);
            if (holder.err) throw new Error(holder.err);
        }
        const sessions = spec.sessions || [];
        for (let i = 0; i < sessions.length; i++) {
            const r = await runSession(c, sessions[i], i, vars);
            fails.push(...r.fails);
            if (r.json && r.json.session_id) vars[`session[${i}]`] = r.json.session_id;
            if (opts.verbose) console.error(`  session ${i + 1}: ${r.ms} ms`);
        }
        for (const h of asList(spec.hooks)) {
            const runs = sessions.flatMap((_, i) => hookRuns(path.join(root, `debug-${i}.txt`))).filter((x) => x.hook === h.hook);
            if (h.min_runs !== undefined && runs.length < h.min_runs)
                fails.push(`hook ${h.hook}: ran ${runs.length} times, expected at least ${h.min_runs}`);
            for (const x of runs) {
                if (h.max_ms !== undefined && x.ms !== null && x.ms > h.max_ms) fails.push(`hook ${h.hook} (${x.event}) took ${x.ms} ms as Claude Code measured it, limit ${h.max_ms}`);
                if (h.status !== undefined && x.status !== h.status) fails.push(`hook ${h.hook} (${x.event}) exited ${x.status}, expected ${h.status}`);
            }
        }
        for (const d of asList(spec.debug_log)) {
            const lines = debugLog(c).filter((l) => l.program === d.program);
            if (d.min_lines !== undefined && lines.length < d.min_lines)
                fails.push(`hooks.log: ${lines.length} lines from ${d.program}, expected at least ${d.min_lines}`);
            for (const l of lines) {
                if (d.max_ms !== undefined && l.ms > d.max_ms) fails.push(`hooks.log: ${d.program} took ${l.ms} ms, limit ${d.max_ms}`);
                if (d.outcomes && !d.outcomes.includes(l.outcome)) fails.push(`hooks.log: ${d.program} outcome ${l.outcome} (${l.detail}), expected one of ${d.outcomes.join(", ")}`);
            }
        }
        if (holder && holder.child) {
            holder.child.kill("SIGTERM");
            holder = null;
        }
        for (const a of asList(spec.store)) fails.push(...checkStore(c, a, vars));
        for (const f of asList(subst(spec.files_exist, vars)))
            if (!fs.existsSync(path.isAbsolute(f) ? f : path.join(c.proj, f))) fails.push(`file ${f} was not written`);
        for (const f of asList(subst(spec.files_absent, vars)))
            if (fs.existsSync(path.isAbsolute(f) ? f : path.join(c.proj, f))) fails.push(`file ${f} was written`);
        if (opts.record) {
            recordFixtures(c);
            if (spec.record_transcript) recordTranscript(c, spec.record_transcript, vars[`session[${sessions.length - 1}]`]);
        }
    } catch (e) {
        fails.push(String(e && e.message ? e.message : e));
    } finally {
        if (holder && holder.child) holder.child.kill("SIGKILL");
        await api.close();
        if (c.installed) {
            // A build the launchers started detached may still run: let it finish before
            // the scratch folder goes.
            const lock = path.join(c.home, ".claude/plugins/data", `mem0@${MARKETPLACE}`.replace(/[^A-Za-z0-9_-]/g, "-"),
                "build", `${PLUGIN_VERSION}.lock`);
            if (fs.existsSync(lock)) await runAsync("flock", ["-w", "180", lock, "true"], { timeout: 190000 });
        }
    }
    const ms = Date.now() - t0;
    if (fails.length === 0 && !opts.keep) fs.rmSync(root, { recursive: true, force: true });
    return { name, fails, ms, root };
}

// ---------------------------------------------------------------- main

if (!fs.existsSync(CLAUDE)) {
    console.error(`e2e: no Claude Code CLI at ${CLAUDE}: run scripts/install-npm-tests.sh`);
    process.exit(1);
}
if (!fs.existsSync(path.join(opts.bin, "mem0-mcp"))) {
    console.error(`e2e: no mem0-mcp in ${opts.bin}: build first (make)`);
    process.exit(1);
}
opts.recorded = new Set();
if (opts.record) fs.mkdirSync(opts.record, { recursive: true });
// Cases: all of tests/e2e/cases, or those named (a file, or a part of a case file's name).
const all = fs.readdirSync(path.join(HERE, "cases")).filter((f) => f.endsWith(".json")).sort()
    .map((f) => path.join(HERE, "cases", f));
const files = opts.cases.length
    ? opts.cases.flatMap((a) => {
        if (fs.existsSync(a) && fs.statSync(a).isFile()) return [a];
        const hits = all.filter((f) => path.basename(f).includes(a));
        if (hits.length === 0) throw new Error(`no case matches "${a}"`);
        return hits;
    })
    : all;
let passed = 0;
let failed = 0;
let skipped = 0;
const t0 = Date.now();
for (const f of files) {
    const r = await runCase(f);
    if (r.skipped) {
        skipped++;
        console.log(`SKIP ${r.name} (${r.skipped})`);
    } else if (r.fails.length === 0) {
        passed++;
        console.log(`ok   ${r.name} (${(r.ms / 1000).toFixed(1)} s)`);
    } else {
        failed++;
        console.log(`FAIL ${r.name} (${(r.ms / 1000).toFixed(1)} s; kept ${r.root})`);
        for (const m of r.fails) console.log(`     ${m}`);
    }
}
console.log(`e2e: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed ? 1 : 0);
