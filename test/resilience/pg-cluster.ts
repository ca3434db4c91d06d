import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/server-process.js';

/** Debian's PostgreSQL 15 server binaries (scripts/setup-postgres.sh and .ci/run install them). */
export const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Why a private PostgreSQL cluster cannot be made here, or null when it can. */
export function privateClusterUnavailable(): string | null {
  if (process.getuid?.() !== 0)
    return 'not running as root, so no private PostgreSQL cluster can be created as the postgres user (.ci/run runs as root)';
  for (const bin of ['initdb', 'pg_ctl', 'postgres']) {
    if (!fs.existsSync(path.join(PG_BIN, bin)))
      return `${PG_BIN}/${bin} is missing (apt-get install postgresql; .ci/run installs it)`;
  }
  if (spawnSync('id', ['postgres']).status !== 0)
    return 'there is no postgres user to run a private cluster as';
  return null;
}

export type PrivateCluster = {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication on loopback). */
  url: string;
  port: number;
  start: () => void;
  /** Stops the server the way an administrator's restart does: active connections are terminated. */
  stop: () => void;
  /** stop() and removal of the data directory. */
  destroy: () => void;
};

function asPostgres(command: string): void {
  const r = spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', command], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0)
    throw new Error(`${command.split(' ')[0]} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** A throw-away PostgreSQL cluster in a temporary directory on a free port, apart from the shared server. */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-pg-'));
  fs.chownSync(
    dir,
    Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
    Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
  );
  fs.chmodSync(dir, 0o700);
  const data = path.join(dir, 'data');
  const port = await freePort();
  asPostgres(`${PG_BIN}/initdb -D ${data} -A trust -U postgres --no-sync -E UTF8 >/dev/null`);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const cluster: PrivateCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () =>
      asPostgres(
        `${PG_BIN}/pg_ctl -D ${data} -l ${dir}/server.log -o "${options}" -w -t 60 start >/dev/null`,
      ),
    stop: () => asPostgres(`${PG_BIN}/pg_ctl -D ${data} -m fast -w -t 60 stop >/dev/null`),
    destroy: () => {
      try {
        if (fs.existsSync(path.join(data, 'postmaster.pid')))
          asPostgres(`${PG_BIN}/pg_ctl -D ${data} -m immediate -w stop >/dev/null`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  cluster.start();
  return cluster;
}
