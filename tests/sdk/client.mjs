// Drives mem0-mcp through the official MCP TypeScript SDK client (Client +
// StdioClientTransport), the way an MCP host would, and checks the values that
// come back: add -> search -> update -> get -> delete -> get -> list_entities.
//
// Run by scripts/run-sdk.sh, which copies this file next to the SDK's
// node_modules (build/npm) so the imports below resolve.  Environment:
//   BIN        path to mem0-mcp (required)
//   MEM0_HOME  scratch store for this run (required)
// Prints one "ok - ..." or "FAIL - ..." line per check; exits 1 if any failed.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const BIN = process.env.BIN;
const HOME = process.env.MEM0_HOME;
const USER = 'sdk-user';
const CALL_TIMEOUT_MS = 15000;

let failed = 0;
function check(name, cond, detail) {
  if (cond) {
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`FAIL - ${name}${detail === undefined ? '' : ': ' + detail}`);
  }
  return cond;
}
const show = (v) => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 400 ? s.slice(0, 400) + '...' : s;
};

// Every mem0 tool answers with one text block holding a JSON document.
function payload(res) {
  const text = res?.content?.find((c) => c.type === 'text')?.text;
  if (typeof text !== 'string') throw new Error(`no text content in ${show(res)}`);
  return JSON.parse(text);
}

async function call(client, name, args) {
  const res = await client.callTool({ name, arguments: args }, undefined, {
    timeout: CALL_TIMEOUT_MS,
  });
  const body = payload(res);
  return { res, body };
}

const resultsOf = (body) => (Array.isArray(body) ? body : body?.results);

async function main() {
  if (!BIN || !HOME) throw new Error('BIN and MEM0_HOME must be set');
  const transport = new StdioClientTransport({
    command: BIN,
    args: [],
    env: { MEM0_HOME: HOME, MEM0_USER_ID: USER, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'mem0-sdk-test', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport, { timeout: CALL_TIMEOUT_MS });
  try {
    check('initialize names the server', !!client.getServerVersion()?.name, show(client.getServerVersion()));

    const tools = (await client.listTools(undefined, { timeout: CALL_TIMEOUT_MS })).tools.map((t) => t.name);
    const nine = ['add_memory', 'search_memories', 'get_memories', 'get_memory', 'update_memory',
      'delete_memory', 'delete_all_memories', 'delete_entities', 'list_entities'];
    check('tools/list has the nine tools', nine.every((n) => tools.includes(n)), show(tools));

    // add: the memory the rest follows, plus one that stays so the entity keeps a count.
    const textA = 'The user prefers espresso over drip coffee in the morning';
    const textB = 'The project stores its data in LMDB and tests with cmocka';
    const addA = await call(client, 'add_memory', { text: textA, user_id: USER, infer: false });
    const addedA = resultsOf(addA.body) ?? [];
    const id = addedA[0]?.id ?? addA.body?.id;
    check('add_memory returns an ADD event with an id',
      !addA.res.isError && typeof id === 'string' && id.length > 0 &&
        (addedA.length === 0 || addedA[0].event === undefined || addedA[0].event === 'ADD'),
      show(addA.body));
    const addB = await call(client, 'add_memory', { text: textB, user_id: USER, infer: false });
    const idB = (resultsOf(addB.body) ?? [])[0]?.id ?? addB.body?.id;
    check('second add_memory gives a different id', typeof idB === 'string' && idB !== id, show(addB.body));

    // search: the added memory ranks first for a query about it.
    const search = await call(client, 'search_memories', {
      query: 'espresso coffee',
      filters: { user_id: USER },
    });
    const hits = resultsOf(search.body) ?? [];
    check('search_memories ranks the added memory first', hits[0]?.id === id,
      `expected ${id}, got ${show(search.body)}`);
    check('search score is in 0..1',
      typeof hits[0]?.score === 'number' && hits[0].score >= 0 && hits[0].score <= 1, show(hits[0]));

    // update, then get returns the new text under the same id.
    const newText = 'The user switched from espresso to green tea';
    const upd = await call(client, 'update_memory', { memory_id: id, text: newText });
    check('update_memory succeeds', !upd.res.isError && !upd.body?.error, show(upd.body));
    const got = await call(client, 'get_memory', { memory_id: id });
    check('get_memory returns the id from add', got.body?.id === id, show(got.body));
    check('get_memory returns the updated text', got.body?.memory === newText, show(got.body));
    check('get_memory keeps the user', got.body?.user_id === USER, show(got.body));

    // delete, then get is the not-found error result (a normal result, not isError).
    const del = await call(client, 'delete_memory', { memory_id: id });
    check('delete_memory succeeds', !del.res.isError && !del.body?.error, show(del.body));
    const gone = await call(client, 'get_memory', { memory_id: id });
    check('get_memory after delete is the not-found error result',
      !gone.res.isError && typeof gone.body?.error === 'string' && gone.body.error.length > 0 &&
        gone.body.status === null && gone.body.payload === null,
      show(gone.body));

    // list_entities: the user is listed with the one memory left.
    const ents = await call(client, 'list_entities', {});
    const list = resultsOf(ents.body) ?? [];
    const me = list.find((e) => (e.type === undefined || e.type === 'user') && (e.name ?? e.id) === USER);
    check('list_entities lists the user', !!me, show(ents.body));
    check('list_entities counts the user\'s live memories (1)', me?.total_memories === 1, show(me));
  } finally {
    await client.close();
  }
}

const guard = setTimeout(() => {
  console.log('FAIL - client finished in time: gave up after 90 s');
  process.exit(1);
}, 90000);
try {
  await main();
} catch (e) {
  failed++;
  console.log(`FAIL - unexpected error: ${e?.stack ?? e}`);
}
clearTimeout(guard);
process.exit(failed ? 1 : 0);
