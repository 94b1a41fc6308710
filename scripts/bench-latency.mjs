// Round-trip latency of the MCP tools over stdio (run by scripts/bench-latency.sh).
//
//   node scripts/bench-latency.mjs --bin MEM0_MCP --echo ECHO_LINE --home DIR
//        [--memories 10000] [--calls 1000] [--warmup 200]
//
// 1. Fills the empty store in DIR with N memories: generated JSONL (short sentences from
//    a fixed vocabulary, a few projects and metadata types, seeded so every run builds the
//    same store) imported with `mem0-mcp import`.
// 2. Starts one persistent server and, after a warm-up, times `calls` round trips each of
//    search_memories (2-3 word queries from the same vocabulary) and add_memory
//    (infer=false, a new sentence each time), one request in flight at a time: from
//    writing the request line to reading the whole response line (process.hrtime.bigint).
// 3. Times the same round trip against tests/tools/echo_line (reads a line, writes a fixed
//    JSON line): the floor of pipes, scheduling and this client, measured in the same run.
// Prints a markdown table (p50, p99, mean; ratios to the floor) with the machine.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function parseArgs(argv) {
  const a = { memories: 10000, calls: 1000, warmup: 200 };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    a[k] = ['memories', 'calls', 'warmup'].includes(k) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!a.bin || !a.echo || !a.home) {
    console.error('usage: bench-latency.mjs --bin MEM0_MCP --echo ECHO_LINE --home DIR [--memories N] [--calls N] [--warmup N]');
    process.exit(2);
  }
  return a;
}
const args = parseArgs(process.argv);

// A small deterministic generator (mulberry32), so each run builds the same store.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = (a) => a[Math.floor(rand() * a.length)];

const subjects = ['the build', 'the parser', 'the release script', 'the cache layer', 'the CI job', 'the schema', 'the public API',
  'the search index', 'the deploy step', 'the test suite', 'the logger', 'the config loader', 'the auth module', 'the CLI',
  'the database migration', 'the docs site', 'the hook runner', 'the importer', 'the exporter', 'the scheduler'];
const verbs = ['uses', 'prefers', 'avoids', 'needs', 'was moved to', 'depends on', 'must not call', 'is generated from',
  'breaks without', 'was rewritten around', 'is tested with', 'caches'];
const objects = ['LMDB', 'clang-format', 'cmocka', 'a nightly run', 'tabs for indentation', 'Debian 12', 'page size 100',
  'JSONL files', 'libsodium', 'xxHash', 'a 30 second timeout', 'the staging cluster', 'Python 3.12', 'Node 22', 'valgrind',
  'ASan and UBSan', 'a feature flag', 'the main branch', 'semantic versioning', 'UTC timestamps', 'a retry with backoff',
  'the vendored fonts', 'an mmap of the file', 'the GitHub Actions cache', 'pre-commit hooks', 'a read-only replica'];
const reasons = ['because the old way was flaky', 'after the outage in March', 'so reviews stay small', 'to keep startup fast',
  'since the customer asked', 'to match production', 'for reproducible builds', 'until the upstream fix lands', '', ''];
const types = ['decision', 'convention', 'anti_pattern', 'task_learning', 'user_preference', 'environmental'];
const projects = ['acme-api', 'acme-web', 'mem0-c', 'tools', 'infra'];
const sentence = () => `${pick(subjects)} ${pick(verbs)} ${pick(objects)} ${pick(reasons)}`.trim();
const query = () => (rand() < 0.5 ? `${pick(subjects)} ${pick(objects)}` : pick(objects)).replace(/^the /, '');

const USER = 'bench';

// ---- 1. The store --------------------------------------------------------------------------
function buildStore() {
  const file = path.join(args.home, '..', 'bench-import.jsonl');
  const lines = [];
  for (let i = 0; i < args.memories; i++)
    lines.push(JSON.stringify({ memory: `${sentence()} (note ${i})`, user_id: USER, app_id: pick(projects), metadata: { type: pick(types) } }));
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(args.bin, ['import', '--json', file], { env: { ...process.env, MEM0_HOME: args.home, MEM0_USER_ID: USER }, encoding: 'utf8' });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(file, { force: true });
  if (r.status !== 0) throw new Error(`import failed (${r.status}): ${r.stderr}`);
  const st = JSON.parse(spawnSync(args.bin, ['stats', '--json'], { env: { ...process.env, MEM0_HOME: args.home }, encoding: 'utf8' }).stdout);
  if (st.memories !== args.memories) throw new Error(`the store holds ${st.memories} memories, not ${args.memories}`);
  return { importSecs: secs, stats: st };
}

// ---- 2./3. Round trips -------------------------------------------------------------------
// One child on pipes; roundTrip(line) resolves with [nanoseconds, response line].
function startChild(program, argv, env) {
  const child = spawn(program, argv, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
  });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return {
    send(line) {
      child.stdin.write(line + '\n');
    },
    roundTrip(line) {
      return new Promise((resolve) => {
        const t0 = process.hrtime.bigint();
        waiting.push((resp) => resolve([Number(process.hrtime.bigint() - t0), resp]));
        child.stdin.write(line + '\n');
      });
    },
    async close() {
      child.stdin.end();
      return exited;
    },
  };
}

let nextId = 1;
const request = (method, params) => JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params });
const callLine = (name, a) => request('tools/call', { name, arguments: a });

// Times `calls` round trips of make() after `warmup` untimed ones; check() validates each.
async function measure(child, make, check) {
  for (let i = 0; i < args.warmup; i++) check(...(await child.roundTrip(make())));
  const ns = [];
  for (let i = 0; i < args.calls; i++) {
    const [t, resp] = await child.roundTrip(make());
    check(t, resp);
    ns.push(t);
  }
  return ns;
}

function summary(ns) {
  const s = [...ns].sort((a, b) => a - b);
  const rank = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { n: s.length, p50: rank(0.5) / 1e6, p99: rank(0.99) / 1e6, mean: s.reduce((a, b) => a + b, 0) / s.length / 1e6 };
}

function toolBody(resp) {
  const msg = JSON.parse(resp);
  if (msg.error || msg.result?.isError) throw new Error(`tool call failed: ${resp.slice(0, 300)}`);
  return JSON.parse(msg.result.content[0].text);
}

async function main() {
  const built = buildStore();

  const echo = startChild(args.echo, [], {});
  const floor = await measure(echo, () => callLine('search_memories', { query: query() }), (t, resp) => JSON.parse(resp));
  await echo.close();

  const server = startChild(args.bin, [], { MEM0_HOME: args.home, MEM0_USER_ID: USER });
  const init = JSON.parse((await server.roundTrip(request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } })))[1]);
  if (!init.result) throw new Error('initialize failed');
  server.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })); // no response
  let hits = 0;
  const search = await measure(
    server,
    () => callLine('search_memories', { query: query() }),
    (t, resp) => {
      if (toolBody(resp).results.length) hits++;
    },
  );
  const add = await measure(
    server,
    () => callLine('add_memory', { text: `${sentence()} (bench add ${nextId})`, infer: false }),
    (t, resp) => {
      if (toolBody(resp).results?.[0]?.event !== 'ADD') throw new Error(`add_memory did not add: ${resp.slice(0, 300)}`);
    },
  );
  await server.close();

  const f = summary(floor);
  const rows = [
    ['empty-process floor (echo_line)', f],
    [`search_memories (${args.memories} memories, top_k 10)`, summary(search)],
    ['add_memory (infer=false, durable commit)', summary(add)],
  ];
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const fsType = spawnSync('df', ['-T', args.home], { encoding: 'utf8' }).stdout.split('\n')[1]?.split(/\s+/)[1] ?? '?';
  const fmt = (x) => x.toFixed(3);
  const out = [];
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(os.cpus().length);
  out.push(`Machine: nproc ${nproc}, ${cpu}; ${os.type()} ${os.release()}; Node ${process.version}; store on ${fsType}`);
  out.push(`Store: ${args.memories} memories imported in ${built.importSecs.toFixed(1)} s, data.mdb ${(built.stats.file_size / 1048576).toFixed(1)} MiB; ${args.calls} timed calls each after ${args.warmup} warm-up calls, one request in flight; ${hits}/${args.warmup + args.calls} searches returned results`);
  out.push('');
  out.push('| round trip over stdio | calls | p50 (ms) | p99 (ms) | mean (ms) | p50 / floor | p99 / floor |');
  out.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, s] of rows)
    out.push(`| ${name} | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.mean)} | ${(s.p50 / f.p50).toFixed(1)}x | ${(s.p99 / f.p99).toFixed(1)}x |`);
  console.log(out.join('\n'));
}

main().catch((e) => {
  console.error(`bench-latency: ${e.message}`);
  process.exit(1);
});
