// Export then import through the CLI (issue 2, Done-when 6): an empty store that imports
// an export gives the same results on every page, the same history and trash, and a
// byte-identical export; importing the same file twice adds nothing.
//
// The source store holds several hundred memories of three users across agents, apps and
// runs, plus the awkward ones: metadata, an expired and a future expiration date, an
// updated memory, a deleted one (in the trash), a deleted-then-restored one, identical
// texts stored twice with infer=false, non-ASCII text and a redacted secret.
import fs from 'node:fs';
import path from 'node:path';
import { SCRATCH, HOME, Server, check, cli, cliJson, done, run, show, storeCheck, tool } from './_lib.mjs';

const A = HOME;
const B = path.join(SCRATCH, 'imported');
const FILE = path.join(SCRATCH, 'export.jsonl');
const at = (home) => ({ env: { MEM0_HOME: home } });

// ---- The source store ------------------------------------------------------------------
const bulk = [
  ['--count', '110', '--prefix', 'alpha note', '--user', 'alice', '--app', 'proj-a'],
  ['--count', '80', '--prefix', 'beta note', '--user', 'bob', '--agent', 'agent-b', '--run', 'run-b'],
  ['--count', '60', '--prefix', 'local note'],
];
for (const args of bulk) {
  const r = run([...args, '--quiet'], { program: tool('writer'), ...at(A) });
  check(`writer ${args.join(' ')}`, r.status === 0, r.stderr);
}

const server = new Server(at(A));
await server.initialize();
const add = async (args) => {
  const { body, response } = await server.callTool('add_memory', { infer: false, ...args });
  const id = body?.results?.[0]?.id;
  check(`add_memory ${show(args).slice(0, 80)}`, typeof id === 'string', response);
  return id;
};
await add({ text: 'we ship with make release', metadata: { type: 'decision', weight: 3, tags: ['ci', 'release'] }, app_id: 'proj-a' });
// Expired two days ago: hidden, but inside the grace period, so no sweep purges it
// between the exports (which would rightly change the store).
const twoDaysAgo = new Date(Date.now() - 2 * 86400e3).toISOString().slice(0, 10);
await add({ text: 'snapshot from an old session', expiration_date: twoDaysAgo, metadata: { type: 'session_state' } });
await add({ text: 'snapshot of this session', expiration_date: '2099-12-31', metadata: { type: 'session_state' } });
await add({ text: 'café ☕ naïve 日本語 — unicode survives', user_id: 'carol' });
await add({ text: 'the same text twice' });
await add({ text: 'the same text twice' });
await add({ text: 'deploy key AKIAQ7XZ3B5N8M2K4P6R is in the vault' });
const updated = await add({ text: 'the parser uses recursion' });
const u = await server.callTool('update_memory', { memory_id: updated, text: 'the parser uses an explicit stack', metadata: { type: 'convention' } });
check('update_memory', u.body?.memory === 'the parser uses an explicit stack' || u.body?.id === updated, u.response);
const deleted = await add({ text: 'a memory that was deleted' });
const d = await server.callTool('delete_memory', { memory_id: deleted });
check('delete_memory', !d.body?.error && !d.response.error, d.response);
const restored = await add({ text: 'a memory that was deleted then restored' });
await server.callTool('delete_memory', { memory_id: restored });
check('restore', run(['restore', restored], at(A)).status === 0);
check('source server exits cleanly', (await server.close()).code === 0);

// ---- Export, import into an empty store ------------------------------------------------
cli(['export', '--output', FILE], at(A));
check('the export file is private (0600)', (fs.statSync(FILE).mode & 0o777) === 0o600, (fs.statSync(FILE).mode & 0o777).toString(8));
const exported = fs.readFileSync(FILE);
const lines = exported.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const kinds = (k) => lines.filter((l) => l.type === k).length;
console.log(`# export: ${kinds('memory')} memories, ${kinds('trash')} trash, ${kinds('history')} history lines`);
check('the export holds memories, trash and history', kinds('memory') > 250 && kinds('trash') === 1 && kinds('history') > kinds('memory'), { memory: kinds('memory'), trash: kinds('trash'), history: kinds('history') });

const imp = cliJson(['import', '--json', FILE], at(B));
// memories_added counts the trash entries too (they are memories, restorable).
check('import into an empty store adds every memory and rejects nothing', imp.memories_added === kinds('memory') + kinds('trash') && imp.lines_rejected === 0, imp);

// ---- Same results ----------------------------------------------------------------------
const statsA = cliJson(['stats', '--json'], at(A));
const statsB = cliJson(['stats', '--json'], at(B));
for (const k of ['memories', 'expired', 'trash', 'history', 'entities'])
  check(`stats ${k} equal (${statsA[k]})`, statsA[k] === statsB[k], { a: statsA[k], b: statsB[k] });

// Every page of the CLI listing, with and without expired memories, every user and one.
function pages(home, extra, pageSize) {
  const out = [];
  for (let page = 1; page < 1000; page++) {
    const p = cli(['list', '--json', '--page', String(page), '--page-size', String(pageSize), ...extra], at(home));
    out.push(p.trim());
    if (JSON.parse(p).next == null) break;
  }
  return out;
}
for (const [extra, label] of [
  [['--user', '*', '--show-expired'], 'every user, expired shown'],
  [['--user', '*'], 'every user'],
  [['--user', 'alice'], 'alice'],
  [['--filters', '{"agent_id":"agent-b"}', '--user', '*'], 'agent-b'],
]) {
  for (const size of [100, 7]) {
    const pa = pages(A, extra, size);
    const pb = pages(B, extra, size);
    const same = pa.length === pb.length && pa.every((p, i) => p === pb[i]);
    check(`list --json (${label}, page size ${size}): ${pa.length} identical pages`, same, same ? '' : { a: pa.find((p, i) => p !== pb[i]), b: pb.find((p, i) => p !== pa[i]) });
  }
}

// Every page of get_memories over MCP, with show_expired.
async function mcpPages(home) {
  const s = new Server(at(home));
  await s.initialize();
  const out = [];
  for (let page = 1; page < 100; page++) {
    const { response, body } = await s.callTool('get_memories', { filters: { user_id: '*' }, show_expired: true, page, page_size: 100 });
    out.push(response.result?.content?.[0]?.text);
    if (!body?.next) break;
  }
  const ents = await s.callTool('list_entities', {});
  await s.close();
  const entities = (ents.body?.results ?? []).map((e) => `${e.type}:${e.name}:${e.total_memories}`).sort();
  return { out, entities };
}
const ma = await mcpPages(A);
const mb = await mcpPages(B);
check(`get_memories (show_expired, every user): ${ma.out.length} identical pages`, ma.out.length > 1 && ma.out.length === mb.out.length && ma.out.every((p, i) => p === mb.out[i]));
check('list_entities gives the same entities and counts', JSON.stringify(ma.entities) === JSON.stringify(mb.entities), { a: ma.entities, b: mb.entities });

// Same history (updated, deleted, restored) and the same trash.
for (const [id, what] of [
  [updated, 'updated'],
  [deleted, 'deleted'],
  [restored, 'restored'],
]) {
  const ha = run(['get', '--history', '--json', id], at(A));
  const hb = run(['get', '--history', '--json', id], at(B));
  check(`get --history of the ${what} memory is identical`, ha.status === hb.status && ha.stdout === hb.stdout && ha.stdout.length > 0, { a: ha.stdout + ha.stderr, b: hb.stdout + hb.stderr });
}
const ta = cli(['restore', '--json'], at(A));
const tb = cli(['restore', '--json'], at(B));
check('the trash lists identically', ta === tb && ta.includes(deleted), { a: ta, b: tb });

// ---- Byte-identical second export; importing twice adds nothing -------------------------
const FILE2 = path.join(SCRATCH, 'export2.jsonl');
cli(['export', '--output', FILE2], at(B));
check('a second export (from the imported store) is byte-identical', Buffer.compare(exported, fs.readFileSync(FILE2)) === 0);

const again = cliJson(['import', '--json', FILE], at(B));
check('importing the same file again adds nothing', again.memories_added === 0 && again.history_added === 0 && again.lines_rejected === 0, again);
const statsB2 = cliJson(['stats', '--json'], at(B));
check('stats unchanged after the second import', ['memories', 'trash', 'history', 'entities'].every((k) => statsB2[k] === statsB[k]), statsB2);
const FILE3 = path.join(SCRATCH, 'export3.jsonl');
cli(['export', '--output', FILE3], at(B));
check('the export after the second import is still byte-identical', Buffer.compare(exported, fs.readFileSync(FILE3)) === 0);
const back = cliJson(['import', '--json', FILE2], at(A));
check('importing the copy back into the source adds nothing', back.memories_added === 0 && back.history_added === 0, back);

const sc = storeCheck(B, ['--no-entities']);
check('store_check: the imported store has every index entry', sc.status === 0, sc.problems || sc.summary);
done();
