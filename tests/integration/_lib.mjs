// Shared helpers of the integration cases (not a case: the runner skips "_" files).
//
// Environment set by scripts/run-integration.sh: BIN, TOOLS, SCRATCH, MEM0_HOME.
// A case calls check() for each assertion (one "ok"/"not ok" line each) and ends with
// done(), which exits 1 if any check failed.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';

export const BIN = process.env.BIN;
export const TOOLS = process.env.TOOLS;
export const SCRATCH = process.env.SCRATCH;
export const HOME = process.env.MEM0_HOME;
if (!BIN || !TOOLS || !SCRATCH || !HOME) {
  console.error('BIN, TOOLS, SCRATCH and MEM0_HOME must be set (run through scripts/run-integration.sh)');
  process.exit(2);
}

export const tool = (name) => path.join(TOOLS, name);

let failures = 0;
export function check(name, cond, detail) {
  if (cond) console.log(`ok - ${name}`);
  else {
    failures++;
    console.log(`not ok - ${name}${detail === undefined ? '' : ': ' + show(detail)}`);
  }
  return !!cond;
}
export function done() {
  process.exit(failures ? 1 : 0);
}
export function show(v) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 600 ? s.slice(0, 600) + '...' : s;
}

// Environment of every child: the case's own plus the test user and settings.
export function childEnv(extra = {}) {
  return { ...process.env, MEM0_USER_ID: 'integ-user', ...extra };
}

// Runs mem0-mcp (or another program) to completion: {status, stdout, stderr}.
export function run(args, { env = {}, input, program = BIN, timeout = 120000 } = {}) {
  const r = spawnSync(program, args, {
    env: childEnv(env),
    input,
    encoding: 'utf8',
    timeout,
    maxBuffer: 256 << 20,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

// Runs a CLI subcommand that must succeed; returns stdout.
export function cli(args, opts) {
  const r = run(args, opts);
  if (r.status !== 0)
    throw new Error(`mem0-mcp ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()} ${r.stdout.trim()}`.slice(0, 2000));
  return r.stdout;
}
export const cliJson = (args, opts) => JSON.parse(cli(args, opts));

// The same, asynchronously (for processes that must run at the same time as others).
export function runAsync(args, { env = {}, program = BIN, input } = {}) {
  return new Promise((resolve) => {
    const child = spawn(program, args, { env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ status: null, stdout, stderr: stderr + String(e) }));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

// A mem0-mcp server over stdio.  request() sends one JSON-RPC request and resolves with
// its response (matched by id); callTool() unwraps the tool's JSON text.
export class Server {
  constructor({ env = {}, args = [], program = BIN } = {}) {
    this.child = spawn(program, args, { env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    this.nextId = 1;
    this.pending = new Map();
    this.lines = [];
    this.stderr = '';
    this.child.stderr.setEncoding('utf8').on('data', (d) => (this.stderr += d));
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.lines.push(line);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        this.badLines = (this.badLines ?? 0) + 1;
        return;
      }
      const waiter = this.pending.get(msg.id);
      if (waiter) {
        this.pending.delete(msg.id);
        waiter(msg);
      }
    });
    this.exited.then(() => {
      for (const [, waiter] of this.pending) waiter({ error: { code: 'exited', message: 'server exited' } });
      this.pending.clear();
    });
  }
  send(obj) {
    this.child.stdin.write(JSON.stringify(obj) + '\n');
  }
  request(method, params) {
    const id = this.nextId++;
    const p = new Promise((resolve) => this.pending.set(id, resolve));
    this.send({ jsonrpc: '2.0', id, method, params });
    return p;
  }
  notify(method, params) {
    this.send({ jsonrpc: '2.0', method, params });
  }
  async initialize() {
    const r = await this.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'mem0-integration', version: '1.0.0' },
    });
    if (!r.result) throw new Error(`initialize failed: ${show(r)}`);
    this.notify('notifications/initialized');
    return r.result;
  }
  // Resolves with {response, body}: body is the parsed JSON text of the result (or null).
  async callTool(name, args) {
    const response = await this.request('tools/call', { name, arguments: args });
    let body = null;
    const text = response.result?.content?.[0]?.text;
    if (typeof text === 'string') {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    return { response, body };
  }
  // Closes stdin (EOF) and waits for a clean exit.
  async close() {
    this.child.stdin.end();
    return this.exited;
  }
}

// Every file under dir (recursively), as absolute paths.
export function filesUnder(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

// The store checker (tests/tools/store_check.c): {status, summary, problems}.
export function storeCheck(home, args = []) {
  const r = run([...args, home], { program: tool('store_check') });
  let summary = null;
  try {
    summary = JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    summary = null;
  }
  return { status: r.status, summary, problems: r.stderr.trim() };
}

// `mem0-mcp stats --json`.
export const stats = (env) => cliJson(['stats', '--json'], { env });

