// A writer killed mid-way (kill -9), and a reader killed inside a read transaction, leave
// a store that opens clean: the next writer is not blocked by the dead one's lock, every
// acknowledged add is there with all its index entries, the dead reader's slot is
// cleared when the next process opens the store (mdb_reader_check), doctor passes.
//
// An MCP server keeps the store open throughout, so LMDB never gets the exclusive lock
// that would reset the reader table on its own: clearing the slot is the opener's work.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HOME, Server, check, childEnv, cliJson, done, run, show, storeCheck, tool } from './_lib.mjs';

const ROUNDS = 5;
const env = { MEM0_MAP_SIZE: String(1 << 20) };

// Starts a helper and resolves once it has printed `lines` lines (or exited).
function startUntil(program, args, lines) {
  const child = spawn(program, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      out.push(l);
      if (out.length === lines) resolve();
    });
    exited.then(resolve);
  });
  return { child, out, ready, exited, stderr: () => stderr };
}

const server = new Server({ env });
await server.initialize();
const first = await server.callTool('add_memory', { text: 'kept before the crash', infer: false });
check('the server adds before any crash', first.body?.results?.[0]?.event === 'ADD', first.response);

// Rounds of: a writer adds in a loop and is killed after a random number of acknowledged
// adds, most likely inside its next write transaction.
const acked = [];
for (let round = 1; round <= ROUNDS; round++) {
  const target = 50 + Math.floor(Math.random() * 250);
  const w = startUntil(tool('writer'), ['--prefix', `round ${round} note`, '--user', `killed-${round}`], target);
  await w.ready;
  w.child.kill('SIGKILL');
  const ex = await w.exited;
  const ids = w.out.map((l) => l.split(' ')[1]);
  check(`round ${round}: the writer was killed by SIGKILL after ${ids.length} acknowledged adds`, ex.signal === 'SIGKILL' && ids.length >= target, { ex, stderr: w.stderr() });
  acked.push(...ids);
  // The next writer must not wait on the dead one's write lock.
  const t0 = Date.now();
  const after = await Promise.race([
    server.callTool('add_memory', { text: `written after kill ${round}`, infer: false }),
    new Promise((r) => setTimeout(() => r(null), 10000)),
  ]);
  check(`round ${round}: the server writes at once after the kill`, after?.body?.results?.[0]?.event === 'ADD', after ? after.response : `no answer in 10 s (${Date.now() - t0} ms)`);
}

// A reader killed while its read transaction is open leaves a stale slot.
const h = startUntil(tool('hold_reader'), [HOME], 1);
await h.ready;
check('hold_reader opened a read transaction', /^holding \d+$/.test(h.out[0] ?? ''), h.stderr());
h.child.kill('SIGKILL');
await h.exited;
const before = JSON.parse(run(['--readers', HOME], { program: tool('store_check') }).stdout || 'null');
check('the killed reader left a stale reader slot', before?.stale >= 1, before);
const st = cliJson(['stats', '--json'], { env });
check('stats opens the store with a stale reader slot', typeof st.memories === 'number', st);
const afterOpen = JSON.parse(run(['--readers', HOME], { program: tool('store_check') }).stdout || 'null');
check('opening the store cleared the stale reader slot', afterOpen?.stale === 0, afterOpen);

// Every acknowledged add is stored.
let missing = 0;
for (const id of acked) {
  const { body } = await server.callTool('get_memory', { memory_id: id });
  if (body?.id !== id) missing++;
}
check(`all ${acked.length} adds acknowledged before the kills are stored`, missing === 0, `${missing} missing`);
const exit = await server.close();
check('the server exits cleanly at EOF', exit.code === 0, exit);

// At most one unacknowledged add per round may have committed before its kill.
const expectedMin = acked.length + 1 + ROUNDS;
const sc = storeCheck(HOME);
const n = sc.summary?.records;
check('store_check: every record has all its index entries and its history', sc.status === 0, sc.problems || sc.summary);
check(`records: ${expectedMin} acknowledged, at most ${ROUNDS} more committed unacknowledged`, n >= expectedMin && n <= expectedMin + ROUNDS, n);
check('history items match the records (one ADD each)', sc.summary?.history === n, sc.summary);
console.log(`# store_check ${show(sc.summary)}`);

const doc = run(['doctor'], { env });
check('doctor passes', doc.status === 0, doc.stdout + doc.stderr);
const fresh = cliJson(['add', '--no-infer', '--json', 'after the crash test'], { env });
const id = fresh?.results?.[0]?.id;
const got = id ? run(['get', '--json', id], { env }) : { status: -1, stdout: '' };
check('a fresh CLI add then get works', got.status === 0 && JSON.parse(got.stdout).memory === 'after the crash test', got.stdout + got.stderr);
done();
