// Privacy before storage (issue 2, Done-when 7): secrets and <private> spans added through
// the MCP tools never reach a raw file of the store.
//
// Through one stdio server with the debug log on: add_memory with text holding an AWS
// key, a GitHub token, a password= assignment and a <private> span, and metadata holding
// another secret; add_memory with `messages` holding a token; update_memory to a text
// with two more secrets (so history holds old and new text); a search whose query is a
// secret.  After the server exits, no planted string occurs in any file under MEM0_HOME
// (data.mdb, lock.mdb, hooks.log, anything else), while the ordinary words around them
// and the "[REDACTED:" placeholder do.
import fs from 'node:fs';
import { HOME, Server, check, done, filesUnder, show } from './_lib.mjs';

const secrets = {
  aws: 'AKIAQ7XZ3B5N8M2K4P6R', // AKIA + 16
  aws_meta: 'AKIAJ2H4K6M8P0R2T4V6',
  github: 'ghp_' + 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A', // ghp_ + 36
  github_msg: 'ghp_' + 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8N',
  password: 'Hunter2-integ-pw-9931',
  private_span: 'secret-span-XYZ',
  slack: 'xoxb-2417-integ-9f8e7d6c5b4a',
  openai: 'sk-integTESTabcdefghijklmnop1234567890',
};
// Ordinary words beside the secrets, which must survive.
const kept = ['deploy notes for integ-redaction', 'rotated credentials for integ-redaction', 'ask the ops channel'];

const server = new Server({ env: { MEM0_DEBUG: '1' } });
try {
  await server.initialize();

  const add = await server.callTool('add_memory', {
    text:
      `deploy notes for integ-redaction: aws key ${secrets.aws}, github ${secrets.github}, ` +
      `password=${secrets.password} and <private>${secrets.private_span}</private> then ask the ops channel`,
    metadata: { type: 'environmental', aws_key: secrets.aws_meta },
    infer: false,
  });
  const id = add.body?.results?.[0]?.id;
  check('add_memory with planted secrets returns an ADD with an id', typeof id === 'string' && add.body.results[0].event === 'ADD', add.response);

  const got = await server.callTool('get_memory', { memory_id: id });
  const text = got.body?.memory ?? '';
  check('get_memory shows the placeholder', text.includes('[REDACTED:'), got.body);
  check('get_memory keeps the ordinary words', text.includes(kept[0]) && text.includes(kept[2]), text);
  check('get_memory shows no planted secret', !Object.values(secrets).some((s) => JSON.stringify(got.body).includes(s)), got.body);

  const viaMessages = await server.callTool('add_memory', {
    messages: [
      { role: 'system', content: 'ignored system text' },
      { role: 'user', content: `the CI token is ${secrets.github_msg}, keep it safe` },
    ],
    infer: true,
  });
  check('add_memory with messages holding a token is stored', viaMessages.body?.results?.length >= 1, viaMessages.response);

  const upd = await server.callTool('update_memory', {
    memory_id: id,
    text: `rotated credentials for integ-redaction: slack ${secrets.slack} and openai ${secrets.openai}`,
  });
  check('update_memory to a text with secrets succeeds', upd.body && !upd.body.error && !upd.response.error, upd.response);

  const search = await server.callTool('search_memories', { query: `where is ${secrets.aws} used` });
  check('search_memories with a secret in the query answers', Array.isArray(search.body?.results), search.response);
} finally {
  const exit = await server.close();
  check('server exits cleanly at EOF', exit.code === 0, exit);
}

// Every raw file of the store, byte by byte.
const files = filesUnder(HOME);
const names = files.map((f) => f.slice(HOME.length + 1));
check('the store holds data.mdb, lock.mdb and hooks.log', ['data.mdb', 'lock.mdb', 'hooks.log'].every((n) => names.includes(n)), names);
const blobs = files.map((f) => [f.slice(HOME.length + 1), fs.readFileSync(f)]);
for (const [kind, secret] of Object.entries(secrets)) {
  const where = blobs.filter(([, b]) => b.includes(secret)).map(([n]) => n);
  check(`planted ${kind} secret is in no file of the store`, where.length === 0, `found in ${where.join(', ')}`);
}
const data = blobs.find(([n]) => n === 'data.mdb')?.[1] ?? Buffer.alloc(0);
for (const words of kept) check(`data.mdb holds "${words}"`, data.includes(words));
check('data.mdb holds the "[REDACTED:" placeholder', data.includes('[REDACTED:'));
const log = blobs.find(([n]) => n === 'hooks.log')?.[1]?.toString() ?? '';
check('hooks.log has lines (the debug log was on)', log.split('\n').filter(Boolean).length > 0, show(log));
done();
