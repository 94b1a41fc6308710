// The concurrent-writers scenario (issue 2, Done-when 5), shared by the cases
// 01-concurrency-cli.mjs (the writer lanes are CLI processes) and
// 01-concurrency-helper.mjs (the writer lanes are long-lived tests/tools/writer processes).
//
// One store that begins with a 1 MiB map (MEM0_MAP_SIZE=1048576).  At the same time:
//   - the MCP server adds PER_WRITER memories through tools/call add_memory (infer=false),
//     one request at a time;
//   - 3 writer lanes add PER_WRITER memories each (one write transaction per memory);
//   - readers loop until the writers are done: a second MCP server (get_memories over
//     every user, search_memories) and CLI processes (list over every user, search).
// Then: every write was acknowledged, exactly 2,000 records and 2,000 history items,
// the acknowledged ids are exactly the stored ones, every index entry present for every
// record (tests/tools/store_check), reader counts never went down, the map grew mid-run
// (data.mdb and the reported map size beyond 1 MiB), and the store reopens clean
// (doctor passes, a fresh add then get works).
import fs from 'node:fs';
import path from 'node:path';
import { HOME, Server, check, cli, done, run, runAsync, show, stats, storeCheck, tool } from './_lib.mjs';

const PER_WRITER = 500;
const LANES = 3;
const TOTAL = PER_WRITER * (LANES + 1);
const MAP = 1 << 20;
const env = { MEM0_MAP_SIZE: String(MAP) };
const ALL = JSON.stringify({ user_id: '*' });

// A CLI lane: PER_WRITER `mem0-mcp add` processes, one after another.
async function cliLane(lane) {
  const ids = [];
  const errors = [];
  for (let n = 1; n <= PER_WRITER; n++) {
    const r = await runAsync(
      ['add', '--no-infer', '--json', '--user', `lane-${lane}`, '--agent', `agent-${lane}`, `lane ${lane} note ${n}: the cache uses LMDB`],
      { env },
    );
    let id;
    try {
      id = JSON.parse(r.stdout).results[0].id;
    } catch {
      id = undefined;
    }
    if (r.status !== 0 || !id) errors.push(`#${n}: exit ${r.status}: ${r.stderr.trim()} ${r.stdout.trim()}`);
    else ids.push(id);
  }
  return { ids, errors };
}

// A helper lane: one process, PER_WRITER mem0_add calls.
async function helperLane(lane) {
  const r = await runAsync(['--count', String(PER_WRITER), '--prefix', `lane ${lane} note`, '--user', `lane-${lane}`, '--agent', `agent-${lane}`], {
    env,
    program: tool('writer'),
  });
  const ids = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[1]);
  const errors = r.status === 0 ? [] : [`writer exited ${r.status ?? r.signal}: ${r.stderr.trim()}`];
  return { ids, errors };
}

// The server lane: PER_WRITER add_memory calls, each awaited before the next.
async function serverLane(server) {
  const ids = [];
  const errors = [];
  for (let n = 1; n <= PER_WRITER; n++) {
    const { response, body } = await server.callTool('add_memory', {
      text: `server note ${n}: the release depends on Debian 12`,
      app_id: 'integ-app',
      infer: false,
    });
    const id = body?.results?.[0]?.id;
    if (!id || response.result?.isError) errors.push(`#${n}: ${show(response)}`);
    else ids.push(id);
  }
  return { ids, errors };
}

// Counts every user's memories (get_memories over user_id "*") until stop() says so;
// records each count, so the test can assert they never go down.
async function mcpReader(server, stopped) {
  const counts = [];
  const errors = [];
  let searches = 0;
  while (!stopped()) {
    const { response, body } = await server.callTool('get_memories', { filters: { user_id: '*' }, page_size: 1 });
    if (typeof body?.count !== 'number') errors.push(`get_memories: ${show(response)}`);
    else counts.push(body.count);
    const s = await server.callTool('search_memories', { query: 'cache LMDB release', filters: { user_id: '*' }, top_k: 5 });
    if (!Array.isArray(s.body?.results)) errors.push(`search_memories: ${show(s.response)}`);
    else searches++;
  }
  return { counts, errors, searches };
}

async function cliReader(stopped) {
  const counts = [];
  const errors = [];
  let searches = 0;
  while (!stopped()) {
    const r = await runAsync(['list', '--json', '--filters', ALL, '--page-size', '1'], { env });
    let count;
    try {
      count = JSON.parse(r.stdout).count;
    } catch {
      count = undefined;
    }
    if (r.status !== 0 || typeof count !== 'number') errors.push(`list: exit ${r.status}: ${r.stderr.trim()}`);
    else counts.push(count);
    const s = await runAsync(['search', '--json', '--user', '*', '--top-k', '5', 'release Debian'], { env });
    let results;
    try {
      results = JSON.parse(s.stdout).results;
    } catch {
      results = undefined;
    }
    if (s.status !== 0 || !Array.isArray(results)) errors.push(`search: exit ${s.status}: ${s.stderr.trim()}`);
    else searches++;
  }
  return { counts, errors, searches };
}

const nonDecreasing = (a) => a.every((v, i) => i === 0 || v >= a[i - 1]);

export async function concurrency({ lanes }) {
  const useCliLanes = lanes === 'cli';
  const writer = new Server({ env });
  const reader = new Server({ env });
  await Promise.all([writer.initialize(), reader.initialize()]);
  const st0 = stats(env);
  check('the store begins with a 1 MiB map', st0.map_size === MAP && st0.memories === 0, st0);

  let writersDone = false;
  const stopped = () => writersDone;
  const t0 = process.hrtime.bigint();
  const writes = Promise.all([
    serverLane(writer),
    ...Array.from({ length: LANES }, (_, i) => (useCliLanes ? cliLane(i + 1) : helperLane(i + 1))),
  ]).finally(() => (writersDone = true));
  const reads = Promise.all([mcpReader(reader, stopped), cliReader(stopped)]);
  const [lanesOut, [mcpRead, cliRead]] = await Promise.all([writes, reads]);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`# ${TOTAL} adds by 4 writers (${useCliLanes ? 'CLI processes' : 'writer helper processes'}) in ${secs.toFixed(1)}s`);

  const [serverOut, ...laneOuts] = lanesOut;
  check(`the server acknowledged ${PER_WRITER} add_memory calls`, serverOut.ids.length === PER_WRITER, serverOut.errors.slice(0, 3));
  laneOuts.forEach((o, i) => check(`writer lane ${i + 1} acknowledged ${PER_WRITER} adds`, o.ids.length === PER_WRITER, o.errors.slice(0, 3)));
  check('the MCP reader never failed', mcpRead.errors.length === 0, mcpRead.errors.slice(0, 3));
  check('the MCP reader read while the writers ran', mcpRead.counts.length > 0 && mcpRead.searches > 0, mcpRead);
  check('the MCP reader counts never went down', nonDecreasing(mcpRead.counts), mcpRead.counts);
  check('the CLI reader never failed', cliRead.errors.length === 0, cliRead.errors.slice(0, 3));
  check('the CLI reader read while the writers ran', cliRead.counts.length > 0 && cliRead.searches > 0, cliRead);
  check('the CLI reader counts never went down', nonDecreasing(cliRead.counts), cliRead.counts);
  console.log(`# reads during the run: ${mcpRead.counts.length} MCP get_memories + ${mcpRead.searches} searches, ${cliRead.counts.length} CLI list + ${cliRead.searches} CLI search`);

  // Every acknowledged id is stored, and nothing else: page through everything over MCP.
  const stored = new Set();
  for (let page = 1; ; page++) {
    const { body } = await reader.callTool('get_memories', { filters: { user_id: '*' }, page, page_size: 100 });
    for (const m of body?.results ?? []) stored.add(m.id);
    if (!body?.next) break;
  }
  const acked = new Set(lanesOut.flatMap((o) => o.ids));
  check(`${TOTAL} distinct ids were acknowledged`, acked.size === TOTAL, acked.size);
  check('get_memories over every user lists exactly the acknowledged ids', stored.size === acked.size && [...acked].every((id) => stored.has(id)), `${stored.size} listed`);

  const [w, r] = await Promise.all([writer.close(), reader.close()]);
  check('both servers exit cleanly at EOF', w.code === 0 && r.code === 0, { w, r });

  const sc = storeCheck(HOME, ['--records', String(TOTAL), '--history', String(TOTAL)]);
  check(`store_check: ${TOTAL} records, ${TOTAL} history items, every index entry present`, sc.status === 0, sc.problems || sc.summary);
  console.log(`# store_check ${show(sc.summary)}`);

  const st = stats(env);
  check(`stats --json: memories ${TOTAL}, history ${TOTAL}`, st.memories === TOTAL && st.history === TOTAL, st);
  const size = fs.statSync(path.join(HOME, 'data.mdb')).size;
  check('the map grew mid-run: data.mdb is larger than the 1 MiB it began with', size > MAP, size);
  check('the map grew mid-run: stats reports a map larger than 1 MiB', st.map_size > MAP, st.map_size);
  console.log(`# data.mdb ${size} bytes, map_size ${st.map_size}`);
  const listed = JSON.parse(cli(['list', '--json', '--filters', ALL, '--page-size', '1'], { env }));
  check(`CLI list over every user counts ${TOTAL}`, listed.count === TOTAL, listed.count);

  // Reopens clean.
  const doc = run(['doctor'], { env });
  check('doctor passes on the store afterwards', doc.status === 0, doc.stdout + doc.stderr);
  const after = new Server({ env });
  await after.initialize();
  const add = await after.callTool('add_memory', { text: 'after the storm: the index is intact', infer: false });
  const id = add.body?.results?.[0]?.id;
  const got = id ? await after.callTool('get_memory', { memory_id: id }) : { body: null };
  check('a fresh add then get works on the reopened store', got.body?.memory === 'after the storm: the index is intact', got.body ?? add.response);
  await after.close();
  const sc2 = storeCheck(HOME, ['--records', String(TOTAL + 1)]);
  check('store_check still clean after the fresh add', sc2.status === 0, sc2.problems || sc2.summary);
  done();
}
