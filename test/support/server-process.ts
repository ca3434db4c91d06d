import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const holder = net.createServer().listen(0, '127.0.0.1');
  await new Promise<void>((r) => holder.once('listening', () => r()));
  const port = (holder.address() as AddressInfo).port;
  await new Promise<void>((r) => holder.close(() => r()));
  return port;
}

/** A fresh directory for keys, the session secret or a SQLite file; removed by the caller. */
export const tempDir = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** The environment every server process in the tests starts from: test mode, no demo data, warnings only. */
export function baseServerEnv(extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DEMO_DATA: 'false',
    LOG_LEVEL: 'warn',
    SESSION_SECRET: 'resilience-secret-resilience-secret-0123',
    SCHEDULER_INTERVAL_SECONDS: '0',
    ...extra,
  };
}

export type ServerProcess = {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:<port> — where the tests reach this instance directly. */
  readonly url: string;
  readonly pid: number;
  /** Everything the process wrote so far (pino JSON lines on stdout, anything else on stderr). */
  stdout(): string;
  stderr(): string;
  /** Parsed pino lines with the given msg. */
  logLines(msg: string): Array<Record<string, unknown>>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (kill -9) and wait for the exit: no shutdown code runs. */
  kill9(): Promise<void>;
  /** Whether the process has exited, and how. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
};

/**
 * Starts `node --import tsx src/server.ts` (the sources, so a fresh clone needs no build) on a free port
 * with the given environment (nothing inherited but PATH and HOME), and waits until /readyz answers 200 (migrated and serving).
 */
export async function startServer(opts: {
  name: string;
  env: Record<string, string>;
  port?: number;
  readyTimeoutMs?: number;
  /** What "started" means: `/readyz` (migrated and serving, the default) or `/healthz` (the port answers). */
  readyPath?: '/readyz' | '/healthz';
}): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      // The free port was taken by someone else before the server bound it: try another one.
      if (opts.port || attempt >= 3 || !(err instanceof PortTaken)) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startOnce(opts: {
  name: string;
  env: Record<string, string>;
  port?: number;
  readyTimeoutMs?: number;
  /** What "started" means: `/readyz` (migrated and serving, the default) or `/healthz` (the port answers). */
  readyPath?: '/readyz' | '/healthz';
}): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    PORT: String(port),
    ...opts.env,
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const proc: ServerProcess = {
    name: opts.name,
    port,
    url,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    logLines: (msg) =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        })
        .filter((l) => l.msg === msg),
    stop: async () => {
      if (exit) return;
      child.kill('SIGTERM');
      await exitedPromise;
    },
    kill9: async () => {
      if (exit) return;
      child.kill('SIGKILL');
      await exitedPromise;
    },
    exited: () => exit,
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (exit && out.includes('EADDRINUSE')) throw new PortTaken(`${opts.name}: port ${port} is taken`);
    if (exit)
      throw new Error(
        `${opts.name} exited before it was ready (${JSON.stringify(exit)}):\n${err.slice(-3000)}\n${out.slice(-3000)}`,
      );
    if (Date.now() > deadline) {
      await proc.kill9();
      throw new Error(
        `${opts.name} was not ready within the time limit:\n${err.slice(-3000)}\n${out.slice(-3000)}`,
      );
    }
    const ok = await fetch(`${url}${opts.readyPath ?? '/readyz'}`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return proc;
    await new Promise((r) => setTimeout(r, 200));
  }
}
