// The store part of the scale benchmark (run by scripts/bench-scale.sh; not part of make test).
//
//   node scripts/bench-scale.mjs --bin MEM0_MCP --echo ECHO_LINE --add-tool BENCH_ADD
//        --work DIR [--sizes 10000,100000,1000000] [--calls 1000] [--warmup 100]
//        [--budget 60] [--cold-runs 30] [--adds 200] [--keep 0]
//
// For each size N, in a fresh store under DIR:
// 1. Generates N memories as JSONL (seeded, so every run builds the same store): varied
//    coding-memory texts from templates with a long-tailed vocabulary, identifiers, paths,
//    versions and numbers; five users (half of the memories belong to the searching user
//    "bench"), forty projects (app_id), sessions of ~30 memories (run_id) on a timeline
//    (created_at), metadata.type.  Imports it with `mem0-mcp import` (batched transactions)
//    and reports the import rate and data.mdb bytes per memory.
// 2. Warm search: one persistent `mem0-mcp` server over stdio; after a warm-up, times
//    search_memories round trips (one in flight; 2-4 word queries from the same vocabulary;
//    the server scopes them to the user) until `calls` are done or `budget` seconds pass.
//    Then reads the server's /proc/PID/smaps_rollup: Rss and Anonymous (the memory that is
//    not the store's mapped file).  The same round trip against tests/tools/echo_line is the
//    floor of pipes and this client, measured in the same run.
// 3. Add throughput through the MCP tool: add_memory (infer=false, a durable commit each)
//    in the same warm server.
// 4. Cold process: `mem0-mcp search --json QUERY` (open the store, search, print, close,
//    exit), one process at a time, next to the empty C process echo_line (stdin at EOF) in
//    the same run; hyperfine is used when it is installed, else spawnSync timings.
// 5. Add throughput through the C API: tests/tools/bench_add (mem0_add, infer=false).
// Prints markdown tables; the stores are removed unless --keep 1.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function parseArgs(argv) {
  const a = { sizes: '10000,100000,1000000', calls: 1000, warmup: 100, budget: 60, 'cold-runs': 30, adds: 200, keep: 0 };
  for (let i = 2; i < argv.length; i += 2) a[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['calls', 'warmup', 'budget', 'cold-runs', 'adds', 'keep']) a[k] = Number(a[k]);
  a.sizes = String(a.sizes).split(',').map(Number).filter((n) => n > 0);
  if (!a.bin || !a.echo || !a['add-tool'] || !a.work || !a.sizes.length) {
    console.error('usage: bench-scale.mjs --bin MEM0_MCP --echo ECHO_LINE --add-tool BENCH_ADD --work DIR [--sizes N,N] [--calls N] [--warmup N] [--budget S] [--cold-runs N] [--adds N] [--keep 0|1]');
    process.exit(2);
  }
  return a;
}
const args = parseArgs(process.argv);
const USER = 'bench';

// ---- A seeded generator of realistic, varied memories ------------------------------------
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const words = `account action adapter address agent alert allocation analysis anchor answer api archive
argument array artifact asset attempt audit backend backoff backup badge balance banner barrier
baseline batch benchmark billing binary blob block board body boundary branch bucket buffer bug
build bundle burst button cache calendar callback canary capacity card catalog certificate
channel chart checkout checksum chunk claim class client clock cluster code cohort column command
comment commit compiler component config connection console constraint container context contract
controller cookie copy counter coverage crash cron cursor customer dashboard database dataset date
deadline debug decoder default delay delta dependency deploy descriptor detail device diff digest
directory disk dispatch document domain download draft driver duration editor element email
encoder endpoint engine entity entry environment error event exception export extension failure
feature feed field file filter fixture flag folder font footer form format fragment frame function
gateway graph grid handler hash header heap history hook host icon image import incident index
input installer instance integration interface invoice issue item job journal kernel key label
language latency layer layout ledger library limit line link list listener loader locale lock log
lookup loop manifest map marker match matrix memory menu merge message metric middleware migration
mirror mode model module monitor mount namespace network node note notification object offset
option order origin output owner package packet page panel parameter parser partition patch path
payload payment peer permission pipeline pixel plan platform plugin pointer policy pool port
preference preview price printer probe process profile project prompt property protocol provider
proxy query queue quota range rate reader receipt record redirect reference region registry release
replica report repository request resolver resource response result retry review role rollback
route row rule runner runtime sample sandbox scanner schedule schema scope screen script search
secret section segment selector sensor sequence server service session setting shard signal
signature sitemap snapshot socket source span spec stack stage state status storage stream string
style subscription suite summary switch symbol sync table tag target task template tenant terminal
test thread threshold ticket timeline timeout timer token tool topic trace tracker transaction
transform trigger tunnel type upload user validator value variable vendor version view volume
warning webhook widget window worker workflow workspace zone`.split(/\s+/);
const techs = `PostgreSQL SQLite LMDB Redis Kafka RabbitMQ Elasticsearch OpenSearch ClickHouse DuckDB
MongoDB DynamoDB S3 GCS Terraform Pulumi Ansible Helm Kubernetes Docker Podman Nomad Consul Vault
Nginx Envoy Caddy Traefik Prometheus Grafana Loki Tempo Jaeger OpenTelemetry Sentry Datadog React
Vue Svelte Angular Next.js Remix Vite webpack esbuild Rollup Babel TypeScript Deno Bun Node.js
Python Django Flask FastAPI Celery pandas polars NumPy PyTorch Rust Tokio Axum serde clap Go gRPC
protobuf GraphQL REST OpenAPI Java Kotlin Spring Gradle Maven Swift SwiftUI Xcode Android Jetpack
Flutter Dart Ruby Rails Sidekiq PHP Laravel Elixir Phoenix Erlang Haskell OCaml Zig C11 CMake
Meson Bazel Ninja clang gcc valgrind cppcheck ASan libsodium cJSON xxHash zstd lz4 OpenSSL
WireGuard Tailscale Cloudflare Fastly Vercel Netlify Fly.io Heroku GitHub GitLab Jenkins
CircleCI Buildkite ArgoCD Flux Airflow dbt Snowflake BigQuery Redshift Spark Flink Beam`.split(/\s+/);
const people = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Yusuf'];
const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const exts = ['c', 'h', 'py', 'ts', 'tsx', 'rs', 'go', 'java', 'kt', 'rb', 'sql', 'yaml', 'json', 'toml', 'md', 'sh'];
const dirs = ['src', 'lib', 'core', 'server', 'app', 'cmd', 'internal', 'pkg', 'tests', 'scripts', 'docs', 'infra', 'deploy', 'web', 'api', 'tools'];
const types = ['decision', 'convention', 'anti_pattern', 'task_learning', 'user_preference', 'environmental', 'bug_fix', 'session_state'];
const users = [[USER, 0.5], ['alice', 0.125], ['bob', 0.125], ['carol', 0.125], ['dave', 0.125]];
const projNouns = ['ledger', 'pixel', 'trail', 'orbit', 'harbor', 'signal', 'atlas', 'beacon', 'cobalt', 'delta'];
const projKinds = ['api', 'web', 'cli', 'infra'];
const projects = projNouns.flatMap((n) => projKinds.map((k) => `${n}-${k}`));

const rand = rng(20240601);
const pick = (a) => a[Math.floor(rand() * a.length)];
// Zipf-like pick: low indices far more often, a long tail of rare ones.
const zipf = (a) => a[Math.min(a.length - 1, Math.floor(a.length * Math.pow(rand(), 2.2)))];
const camel = () => zipf(words) + pick(words).replace(/^./, (c) => c.toUpperCase());
const snake = () => `${zipf(words)}_${pick(words)}`;
const file = () => `${pick(dirs)}/${pick(words)}${rand() < 0.3 ? '_' + pick(words) : ''}.${pick(exts)}`;
const version = () => `${1 + Math.floor(rand() * 20)}.${Math.floor(rand() * 30)}${rand() < 0.5 ? '.' + Math.floor(rand() * 10) : ''}`;
const num = () => String(Math.floor(Math.pow(10, 1 + rand() * 4)));
const phrase = (n) => Array.from({ length: n }, () => zipf(words)).join(' ');
const templates = [
  (p) => `Decided to use ${pick(techs)} for the ${zipf(words)} ${zipf(words)} in ${p} instead of ${pick(techs)}, because the old ${zipf(words)} was too slow under load.`,
  (p) => `${p}: the ${zipf(words)} ${zipf(words)} must not call ${camel()}() directly; go through ${snake()} in ${file()}.`,
  (p) => `Fixed a ${zipf(words)} bug in ${file()}: ${camel()} returned a stale ${zipf(words)} after a ${zipf(words)} ${pick(['timeout', 'retry', 'restart', 'resize', 'rollback'])}; now it invalidates the ${zipf(words)} first.`,
  (p) => `User prefers ${zipf(words)} ${zipf(words)}s over ${zipf(words)} ${zipf(words)}s in ${p}, and wants ${pick(techs)} examples in reviews.`,
  (p) => `${p} CI runs ${pick(techs)} ${version()} with ${pick(techs)}; set ${snake().toUpperCase()}=${num()} or the ${zipf(words)} step fails.`,
  (p) => `Session state: user asked to ${pick(['add', 'fix', 'refactor', 'document', 'test', 'remove'])} the ${zipf(words)} ${zipf(words)}; files: ${file()}, ${file()}; ran make ${zipf(words)}.`,
  (p) => `${pick(people)} said the ${zipf(words)} review for ${p} moved to ${1 + Math.floor(rand() * 28)} ${pick(months)}; bring the ${zipf(words)} numbers.`,
  (p) => `Never ${pick(['log', 'cache', 'retry', 'commit', 'expose', 'hardcode'])} the ${zipf(words)} ${zipf(words)} in ${p}; it leaked a ${zipf(words)} once. Use ${camel()} with a ${zipf(words)} ${zipf(words)}.`,
  (p) => `Convention in ${p}: ${zipf(words)} names are snake_case like ${snake()}, and every ${zipf(words)} gets a ${zipf(words)} ${zipf(words)} test in ${file()}.`,
  (p) => `Upgraded ${pick(techs)} from ${version()} to ${version()} in ${p}; the ${zipf(words)} API changed, ${camel()} replaces ${camel()}.`,
  (p) => `The ${zipf(words)} ${zipf(words)} latency in ${p} is ${num()} ms at p99; budget is ${num()} ms. ${phrase(6)}.`,
  (p) => `Note: ${phrase(5 + Math.floor(rand() * 8))} (${p}, ${file()}).`,
];

function* generate(n) {
  let t = Date.UTC(2023, 0, 1);
  let left = 0, user = USER, project = projects[0], run = '';
  let runs = 0;
  for (let i = 0; i < n; i++) {
    if (left-- <= 0) {
      left = 5 + Math.floor(rand() * 50);
      let r = rand();
      user = users.find(([, w]) => (r -= w) < 0)?.[0] ?? USER;
      project = zipf(projects);
      run = `${project}-${(runs++).toString(16).padStart(6, '0')}`;
    }
    t += 1000 + Math.floor(rand() * 60000);
    yield JSON.stringify({
      memory: pick(templates)(project),
      user_id: user,
      app_id: project,
      run_id: run,
      metadata: { type: pick(types) },
      created_at: new Date(t).toISOString(),
    });
  }
}
const query = () => {
  const r = rand();
  if (r < 0.3) return `${zipf(words)} ${zipf(words)}`;
  if (r < 0.6) return `${pick(techs)} ${zipf(words)} ${zipf(words)}`;
  if (r < 0.8) return `${camel()} ${zipf(words)}`;
  return `${zipf(words)} ${pick(['bug', 'timeout', 'convention', 'decision'])} in ${zipf(projects)}`;
};

// ---- Helpers ------------------------------------------------------------------------------
const hr = () => process.hrtime.bigint();
const ms = (ns) => Number(ns) / 1e6;
function summary(ns) {
  const s = [...ns].sort((a, b) => a - b);
  const rank = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, p50: rank(0.5) / 1e6, p99: rank(0.99) / 1e6, mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) / 1e6 };
}

function startChild(program, argv, env) {
  const child = spawn(program, argv, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(line));
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return {
    pid: child.pid,
    send: (line) => child.stdin.write(line + '\n'),
    roundTrip(line) {
      return new Promise((resolve) => {
        const t0 = hr();
        waiting.push((resp) => resolve([Number(hr() - t0), resp]));
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
function toolBody(resp) {
  const msg = JSON.parse(resp);
  if (msg.error || msg.result?.isError) throw new Error(`tool call failed: ${resp.slice(0, 300)}`);
  return JSON.parse(msg.result.content[0].text);
}
// Times up to `calls` round trips (at least 5) within `budget` seconds, after `warmup`.
async function measure(child, make, check, calls, warmup) {
  const deadline = hr() + BigInt(Math.round(args.budget * 1e9));
  for (let i = 0; i < warmup && hr() < deadline; i++) check(...(await child.roundTrip(make())));
  const end = hr() + BigInt(Math.round(args.budget * 1e9));
  const ns = [];
  while (ns.length < calls && (ns.length < 5 || hr() < end)) {
    const [t, resp] = await child.roundTrip(make());
    check(t, resp);
    ns.push(t);
  }
  return ns;
}
function smaps(pid) {
  const txt = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k) => Number((txt.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) ?? [])[1] ?? NaN);
  return { rssMiB: kb('Rss') / 1024, anonMiB: kb('Anonymous') / 1024 };
}
function hyperfine() {
  return spawnSync('hyperfine', ['--version'], { encoding: 'utf8' }).status === 0;
}
// Wall time of one short-lived process per run: [median ms, mean ms, runs, how].
function coldRuns(cmds, env) {
  if (hyperfine()) {
    const out = path.join(args.work, 'hyperfine.json');
    const r = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(args['cold-runs']), '--export-json', out, ...cmds.map((c) => c.map((x) => `'${x.replace(/'/g, "'\\''")}'`).join(' '))], { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status === 0) {
      const res = JSON.parse(fs.readFileSync(out, 'utf8')).results;
      fs.rmSync(out, { force: true });
      return res.map((x) => ({ p50: x.median * 1000, mean: x.mean * 1000, n: x.times.length, how: 'hyperfine -N' }));
    }
  }
  return cmds.map((c) => {
    for (let i = 0; i < 3; i++) spawnSync(c[0], c.slice(1), { env: { ...process.env, ...env }, input: '' });
    const ns = [];
    for (let i = 0; i < args['cold-runs']; i++) {
      const t0 = hr();
      const r = spawnSync(c[0], c.slice(1), { env: { ...process.env, ...env }, input: '', maxBuffer: 1 << 26 });
      ns.push(Number(hr() - t0));
      if (r.status !== 0) throw new Error(`${c.join(' ')} failed (${r.status}): ${r.stderr}`);
    }
    const s = summary(ns);
    return { p50: s.p50, mean: s.mean, n: s.n, how: 'spawnSync from Node (includes its spawn cost)' };
  });
}

// ---- One size --------------------------------------------------------------------------------
async function runSize(n, floor) {
  const home = path.join(args.work, `store-${n}`);
  fs.rmSync(home, { recursive: true, force: true });
  const env = { MEM0_HOME: home, MEM0_USER_ID: USER };
  const jsonl = path.join(args.work, `gen-${n}.jsonl`);
  {
    const fd = fs.openSync(jsonl, 'w');
    let buf = [];
    for (const line of generate(n)) {
      buf.push(line);
      if (buf.length === 10000) {
        fs.writeSync(fd, buf.join('\n') + '\n');
        buf = [];
      }
    }
    if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
    fs.closeSync(fd);
  }
  const jsonlBytes = fs.statSync(jsonl).size;
  process.stderr.write(`bench-scale: importing ${n} memories (${(jsonlBytes / 1048576).toFixed(0)} MiB of JSONL)\n`);
  const t0 = hr();
  const imp = spawnSync(args.bin, ['import', '--json', jsonl], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const importSecs = ms(hr() - t0) / 1000;
  fs.rmSync(jsonl, { force: true });
  if (imp.status !== 0) throw new Error(`import failed (${imp.status}): ${imp.stderr.slice(0, 500)}`);
  const st = JSON.parse(spawnSync(args.bin, ['stats', '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout);
  if (st.memories !== n) throw new Error(`the store holds ${st.memories} memories, not ${n}`);
  const mdb = fs.statSync(path.join(home, 'data.mdb'));
  const row = { n, importSecs, jsonlBytes, fileBytes: mdb.size, diskBytes: mdb.blocks * 512 };

  // Warm server: search, memory, then adds.
  process.stderr.write(`bench-scale: warm search at ${n}\n`);
  const server = startChild(args.bin, [], env);
  const init = JSON.parse((await server.roundTrip(request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench-scale', version: '1' } })))[1]);
  if (!init.result) throw new Error('initialize failed');
  server.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  let hits = 0, searched = 0;
  const search = await measure(server, () => callLine('search_memories', { query: query() }), (t, resp) => {
    searched++;
    if (toolBody(resp).results.length) hits++;
  }, args.calls, args.warmup);
  row.search = summary(search);
  row.hitRate = hits / Math.max(1, searched);
  row.mem = smaps(server.pid);
  process.stderr.write(`bench-scale: add_memory at ${n}\n`);
  const addT0 = hr();
  const adds = await measure(server, () => callLine('add_memory', { text: `MCP bench add ${nextId}: ${pick(templates)(pick(projects))}`, infer: false }), (t, resp) => {
    if (toolBody(resp).results?.[0]?.event !== 'ADD') throw new Error(`add_memory did not add: ${resp.slice(0, 300)}`);
  }, args.adds, 0);
  row.mcpAdd = { ...summary(adds), perSec: adds.length / (ms(hr() - addT0) / 1000) };
  row.memAfterAdd = smaps(server.pid);
  await server.close();

  process.stderr.write(`bench-scale: cold processes at ${n}\n`);
  const q = 'retry backoff timeout in the release pipeline';
  const [cold, empty] = coldRuns([[args.bin, 'search', '--json', q], [args.echo]], env);
  row.cold = cold;
  row.empty = empty;

  process.stderr.write(`bench-scale: C API adds at ${n}\n`);
  const api = spawnSync(args['add-tool'], ['--home', home, '--count', String(args.adds)], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (api.status !== 0) throw new Error(`bench_add failed: ${api.stderr}`);
  row.apiAdd = JSON.parse(api.stdout);
  row.floor = floor;
  if (!args.keep) fs.rmSync(home, { recursive: true, force: true });
  return row;
}

async function main() {
  fs.mkdirSync(args.work, { recursive: true });
  const echo = startChild(args.echo, [], {});
  const floor = summary(await measure(echo, () => callLine('search_memories', { query: query() }), (t, resp) => JSON.parse(resp), args.calls, args.warmup));
  await echo.close();
  const rows = [];
  for (const n of args.sizes) rows.push(await runSize(n, floor));

  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const fsType = spawnSync('df', ['-T', args.work], { encoding: 'utf8' }).stdout.split('\n')[1]?.split(/\s+/)[1] ?? '?';
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(os.cpus().length);
  const ver = spawnSync(args.bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const f1 = (x) => x.toFixed(1), f2 = (x) => x.toFixed(2), f3 = (x) => x.toFixed(3);
  const fmtN = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
  const o = [];
  o.push(`Machine: nproc ${nproc}, ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ${os.type()} ${os.release()}; Node ${process.version}; stores on ${fsType}; ${ver}; ${new Date().toISOString().slice(0, 10)}.`);
  o.push(`Memories: generated (seeded) coding-memory texts, 5 users (half belong to the searching user), 40 projects, sessions of 5-55 memories; queries of 2-4 words from the same vocabulary.`);
  o.push('');
  o.push('#### Store size and import');
  o.push('');
  o.push('| memories | import (s) | import rate (memories/s) | JSONL in (MiB) | data.mdb (MiB) | bytes on disk per memory |');
  o.push('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) o.push(`| ${fmtN(r.n)} | ${f1(r.importSecs)} | ${Math.round(r.n / r.importSecs)} | ${f1(r.jsonlBytes / 1048576)} | ${f1(r.fileBytes / 1048576)} | ${Math.round(r.diskBytes / r.n)} |`);
  o.push('');
  o.push('#### Warm search_memories over stdio (one persistent server, one request in flight)');
  o.push('');
  o.push('| memories | calls | p50 (ms) | p99 (ms) | mean (ms) | results found | floor p50 / p99 (ms) | server RSS (MiB) | anonymous (MiB) |');
  o.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) o.push(`| ${fmtN(r.n)} | ${r.search.n} | ${f3(r.search.p50)} | ${f3(r.search.p99)} | ${f3(r.search.mean)} | ${Math.round(100 * r.hitRate)}% | ${f3(r.floor.p50)} / ${f3(r.floor.p99)} | ${f1(r.mem.rssMiB)} | ${f1(r.mem.anonMiB)} |`);
  o.push('');
  o.push('#### Cold process: open + search + close in one short-lived process');
  o.push('');
  o.push('| memories | runs | `mem0-mcp search --json` median (ms) | mean (ms) | empty C process median (ms) | difference (ms) | timed with |');
  o.push('|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) o.push(`| ${fmtN(r.n)} | ${r.cold.n} | ${f2(r.cold.p50)} | ${f2(r.cold.mean)} | ${f2(r.empty.p50)} | ${f2(r.cold.p50 - r.empty.p50)} | ${r.cold.how} |`);
  o.push('');
  o.push('#### Add throughput (infer=false: one durable commit per add)');
  o.push('');
  o.push('| memories in store | add_memory over stdio (adds/s) | p50 / p99 (ms) | mem0_add C API (adds/s) | p50 / p99 (ms) | server RSS / anonymous after adds (MiB) |');
  o.push('|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) o.push(`| ${fmtN(r.n)} | ${Math.round(r.mcpAdd.perSec)} | ${f3(r.mcpAdd.p50)} / ${f3(r.mcpAdd.p99)} | ${Math.round(r.apiAdd.per_sec)} | ${f3(r.apiAdd.p50_ms)} / ${f3(r.apiAdd.p99_ms)} | ${f1(r.memAfterAdd.rssMiB)} / ${f1(r.memAfterAdd.anonMiB)} |`);
  o.push('');
  console.log(o.join('\n'));
}

main().catch((e) => {
  console.error(`bench-scale: ${e.stack || e.message}`);
  process.exit(1);
});
