// The vector-index part of the scale benchmark (run by scripts/bench-scale.sh).
//
//   node scripts/bench-vindex.mjs --tool BENCH_VINDEX --npm-dir build/npm-bench --work DIR
//        [--sizes 10000,100000,1000000] [--queries 1000] [--kinds clustered,random]
//        [--expansions 16,32,64,128,256]
//
// For each size and kind: tests/tools/bench_vindex writes seeded, L2-normalised 384-dim
// vectors, queries and their exact top 10 (float dot product) and times the exact float
// scan on one core; then the core index (core/vindex.h) is built and searched on the same
// files (bench_vindex vindex); then npm usearch (HNSW, prebuilt) is built on the same
// vectors with f32 and with i8 storage (connectivity 16, expansion_add 128, every core)
// and searched single-threaded at several expansion_search values, so its queries per
// second can be read at the core index's recall.  recall@10 = mean |found ∩ exact| / 10.
// Prints markdown tables.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const a = { sizes: '10000,100000,1000000', queries: 1000, kinds: 'clustered', expansions: '16,32,64,128,256' };
for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
if (!a.tool || !a.work || !a['npm-dir']) {
  console.error('usage: bench-vindex.mjs --tool BENCH_VINDEX --npm-dir DIR --work DIR [--sizes N,N] [--queries Q] [--kinds clustered,random] [--expansions 16,64]');
  process.exit(2);
}
const sizes = String(a.sizes).split(',').map(Number).filter((n) => n > 0);
const kinds = String(a.kinds).split(',');
const expansions = String(a.expansions).split(',').map(Number);
const DIM = 384, K = 10;
const usearch = createRequire(path.join(path.resolve(a['npm-dir']), 'package.json'))('usearch');
const usearchVersion = JSON.parse(fs.readFileSync(path.join(path.resolve(a['npm-dir']), 'node_modules/usearch/package.json'), 'utf8')).version;
const threads = os.cpus().length;

function tool(cmd, dir, extra = []) {
  const r = spawnSync(a.tool, [cmd, '--dir', dir, ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench_vindex ${cmd} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
const f32 = (file) => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const i32 = (file) => {
  const b = fs.readFileSync(file);
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

function recall(keys, truth, q) {
  let hit = 0;
  const want = new Set();
  for (let j = 0; j < K; j++) want.add(truth[q * K + j]);
  for (let j = 0; j < Math.min(K, keys.length); j++) if (want.has(Number(keys[j]))) hit++;
  return hit / K;
}

function runUsearch(dir, n, quantization, queries, truth, nq) {
  const base = f32(path.join(dir, 'base.f32'));
  const keys = new BigUint64Array(n);
  for (let i = 0; i < n; i++) keys[i] = BigInt(i);
  const cfg = { dimensions: DIM, metric: 'ip', quantization, connectivity: 16, expansion_add: 128 };
  const built = new usearch.Index({ ...cfg, expansion_search: 64 });
  const t0 = process.hrtime.bigint();
  built.add(keys, base, threads);
  const buildSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  const file = path.join(dir, `usearch-${quantization}.bin`);
  built.save(file);
  const rows = [];
  for (const e of expansions) {
    const idx = new usearch.Index({ ...cfg, expansion_search: e });
    idx.view(file);
    idx.search(queries.subarray(0, DIM * Math.min(nq, 50)), K, 1); // warm the mapping
    const t1 = process.hrtime.bigint();
    const res = idx.search(queries, K, 1);
    const secs = Number(process.hrtime.bigint() - t1) / 1e9;
    let r = 0;
    for (let q = 0; q < nq; q++) r += recall(res.keys.subarray(q * K, q * K + K), truth, q);
    rows.push({ e, recall: r / nq, qps: nq / secs });
  }
  fs.rmSync(file, { force: true });
  return { buildSecs, rows };
}

const out = [];
const extra = []; // core index facts printed after the main table
const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? 'unknown';
out.push(`Vectors: ${DIM}-dim float32, L2-normalised, seeded; ${a.queries} queries each; "clustered" = centres plus a shared 24-dim subspace plus noise (the shape of text embeddings), "random" = isotropic (pathological for graphs and quantization). Exact float and core index searched on one core; usearch ${usearchVersion} built on ${threads} threads (connectivity 16, expansion_add 128), searched on one thread. Machine: nproc ${threads}, ${cpu}.`);
out.push('');
out.push('| vectors | kind | index | build (s) | setting | recall@10 | queries/s (1 core) |');
out.push('|---:|---|---|---:|---|---:|---:|');
for (const n of sizes) {
  for (const kind of kinds) {
    const dir = path.join(a.work, `${kind}-${n}`);
    fs.mkdirSync(dir, { recursive: true });
    process.stderr.write(`bench-vindex: ${kind} ${n}: vectors and exact top 10\n`);
    const g = tool('gen', dir, ['--n', String(n), '--queries', String(a.queries), '--kind', kind]);
    const nq = g.queries;
    const fmtN = n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
    out.push(`| ${fmtN} | ${kind} | exact float scan (harness) | - | - | 1.000 | ${g.exact_qps.toFixed(1)} |`);
    process.stderr.write(`bench-vindex: ${kind} ${n}: core vindex\n`);
    const v = tool('vindex', dir);
    if (v.vindex === 'not built')
      out.push(`| ${fmtN} | ${kind} | core vindex | - | NOT READY: core/vindex.h not built yet | - | - |`);
    else {
      for (const r of v.rows ?? [v])
        out.push(`| ${fmtN} | ${kind} | core vindex${r.name ? ` (${r.name})` : ''} | ${(v.build_secs ?? 0).toFixed(2)} | ${r.setting ?? '-'} | ${r.recall.toFixed(3)} | ${r.qps.toFixed(1)} |`);
      extra.push({ fmtN, kind, v });
    }
    const queries = f32(path.join(dir, 'query.f32'));
    const truth = i32(path.join(dir, 'truth.i32'));
    for (const quant of ['f32', 'i8']) {
      process.stderr.write(`bench-vindex: ${kind} ${n}: usearch ${quant}\n`);
      const u = runUsearch(dir, n, quant, queries, truth, nq);
      for (const r of u.rows)
        out.push(`| ${fmtN} | ${kind} | usearch HNSW ${quant} | ${u.buildSecs.toFixed(1)} | expansion_search ${r.e} | ${r.recall.toFixed(3)} | ${r.qps.toFixed(1)} |`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
out.push('');
if (extra.length) {
  out.push('Core index: size, kernels, and the cold path (a fresh process that opens the store and searches once, as a hook does, next to the same binary exiting at once).');
  out.push('');
  out.push('| vectors | kind | index bytes per vector | SIMD = scalar hits | cold mode | cold runs | cold wall p50 (ms) | empty process p50 (ms) | open p50 (ms) | search p50 (ms) |');
  out.push('|---:|---|---:|---|---|---:|---:|---:|---:|---:|');
  const f = (x) => (typeof x === 'number' ? x.toFixed(2) : '-');
  for (const { fmtN, kind, v } of extra) {
    const c = v.cold ?? {};
    out.push(`| ${fmtN} | ${kind} | ${v.bytes && v.live ? Math.round(v.bytes / v.live) : '-'} | ${v.identical_kernels === undefined ? '-' : v.identical_kernels ? 'yes' : 'NO'} | ${c.mode ?? '-'} | ${c.runs ?? '-'} | ${f(c.wall_ms_p50)} | ${f(c.empty_ms_p50)} | ${f(c.open_ms_p50)} | ${f(c.search_ms_p50)} |`);
  }
  out.push('');
}
console.log(out.join('\n'));
