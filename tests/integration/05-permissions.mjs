// Permissions: whatever the umask, the store folder is 0700 and everything the product
// writes in it (data.mdb, lock.mdb, hooks.log) is 0600; so are an export file and a
// backup.  A home left loose by an older install is tightened on the next open, and
// doctor reports one that is loose.
import fs from 'node:fs';
import path from 'node:path';
import { SCRATCH, HOME, Server, check, cli, done, filesUnder, run, tool } from './_lib.mjs';

process.umask(0); // children inherit it
const mode = (p) => fs.statSync(p).mode & 0o777;
const oct = (m) => '0' + m.toString(8);
const debug = { MEM0_DEBUG: '1' };

// Every writer the product has, on a home that does not exist yet, under umask 000.
const server = new Server({ env: debug });
await server.initialize();
const add = await server.callTool('add_memory', { text: 'written by the server under umask 000', infer: false });
check('the server adds under umask 000', add.body?.results?.[0]?.event === 'ADD', add.response);
check('the server exits cleanly', (await server.close()).code === 0);
check('the CLI adds under umask 000', run(['add', '--no-infer', 'written by the CLI under umask 000'], { env: debug }).status === 0);
check('the library adds under umask 000', run(['--count', '3', '--quiet'], { program: tool('writer'), env: debug }).status === 0);

check(`the home folder is 0700 (${oct(mode(HOME))})`, mode(HOME) === 0o700);
for (const f of ['data.mdb', 'lock.mdb', 'hooks.log']) {
  const p = path.join(HOME, f);
  check(`${f} exists and is 0600`, fs.existsSync(p) && mode(p) === 0o600, fs.existsSync(p) ? oct(mode(p)) : 'missing');
}
for (const p of filesUnder(HOME))
  check(`${path.relative(HOME, p)} is not open to group or others`, (mode(p) & 0o077) === 0, oct(mode(p)));
const doc = run(['doctor']);
check('doctor passes on the store', doc.status === 0, doc.stdout + doc.stderr);

// What the product writes outside the home holds memories too.
const exp = path.join(SCRATCH, 'out.jsonl');
cli(['export', '--output', exp]);
check(`export --output creates a 0600 file (${oct(mode(exp))})`, mode(exp) === 0o600);
const bk = path.join(SCRATCH, 'backup');
const b = run(['backup', bk]);
check('backup succeeds', b.status === 0, b.stderr);
if (fs.existsSync(bk)) {
  check(`the backup folder is 0700 (${oct(mode(bk))})`, mode(bk) === 0o700);
  for (const p of filesUnder(bk)) check(`backup ${path.relative(bk, p)} is 0600`, mode(p) === 0o600, oct(mode(p)));
}

// A home and store files left loose (an old install, a careless copy) get tightened.
const loose = path.join(SCRATCH, 'loose');
fs.mkdirSync(loose, { mode: 0o777 });
fs.chmodSync(loose, 0o777);
check('a store is created in a pre-existing 0777 folder', run(['add', '--no-infer', 'in a loose home'], { env: { MEM0_HOME: loose } }).status === 0);
check(`the pre-existing folder is tightened to 0700 (${oct(mode(loose))})`, mode(loose) === 0o700);
fs.chmodSync(path.join(loose, 'data.mdb'), 0o644);
fs.chmodSync(path.join(loose, 'lock.mdb'), 0o666);
fs.chmodSync(loose, 0o755);
const d2 = run(['doctor'], { env: { MEM0_HOME: loose } });
check('doctor fails on a loose home and loose files, and says how to fix it', d2.status === 1 && /chmod|700|600/.test(d2.stdout), d2.stdout + d2.stderr);
check('doctor changed nothing', mode(loose) === 0o755 && mode(path.join(loose, 'data.mdb')) === 0o644);
check('the next open succeeds', run(['list'], { env: { MEM0_HOME: loose } }).status === 0);
check(`the next open tightens the folder to 0700 (${oct(mode(loose))})`, mode(loose) === 0o700);
for (const f of ['data.mdb', 'lock.mdb'])
  check(`the next open tightens ${f} to 0600 (${oct(mode(path.join(loose, f)))})`, mode(path.join(loose, f)) === 0o600);
done();
