import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/knex.js';
import { migrationSource } from '../../migrations/index.js';
import { postgresUrl, testDbKind, type TestDbKind } from '../support/db.js';
import { baseServerEnv, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import {
  addParticipants,
  consistency,
  FlowError,
  hasAnswered,
  nextSourceAddress,
  planRound,
  respond,
  respondents,
  sharedDb,
  sleep,
  startSink,
  waitFor,
  type SharedDb,
  type Sink,
} from './support.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');

/** `npm run backup` / `npm run restore -- …` as an operator runs them (the same entry points, through tsx). */
async function cli(
  script: 'backup' | 'restore',
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', `src/ops/${script}.cli.ts`, ...args],
      {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      },
    );
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** A fresh, empty target: a new SQLite path, or a new PostgreSQL database (the dump brings its schema). */
async function emptyTarget(
  kind: TestDbKind,
  schema: string | undefined,
): Promise<{ env: Record<string, string>; open: () => Db; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = tempDir('parat-restore-');
    const file = path.join(dir, 'parat.sqlite');
    return {
      env: { SQLITE_FILE: file },
      open: () => createDb({ client: 'sqlite3', filename: file }),
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `parat_restore_${crypto.randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: postgresUrl, pool: { min: 0, max: 1 } });
  await admin.raw('create database ??', [name]);
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString(), DATABASE_SCHEMA: schema! },
    open: () => createDb({ client: 'pg', url: url.toString(), searchPath: schema }),
    drop: async () => {
      await admin.raw('drop database if exists ?? with (force)', [name]);
      await admin.destroy();
    },
  };
}

// The run on each database covers its kind (CI runs the suite once per database); without a server, SQLite only.
const kinds: TestDbKind[] = [testDbKind()];
if (!postgresUrl) {
  describe('backup and restore on postgres', () => {
    it.skip('skipped: TEST_DATABASE_URL is not set, so no PostgreSQL server is available (.ci/run starts one)', () => {});
  });
}

describe.each(kinds)('backup and restore on %s', (kind) => {
  let shared: SharedDb;
  let sinkA: Sink;
  let sinkB: Sink;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let varDir: string;
  let backupDir: string;
  let tokens: string[];
  let target: Awaited<ReturnType<typeof emptyTarget>>;
  let restored: Db | undefined;

  beforeAll(async () => {
    shared = await sharedDb(kind);
    sinkA = await startSink();
    sinkB = await startSink();
    varDir = tempDir('parat-var-');
    backupDir = tempDir('parat-backups-');
    ({ tokens } = await respondents(shared.db, 751, 2000));
    // A round due today in Odense: the scheduler opens it and its invitations go through the outbox during the load.
    await planRound(shared.db, 461, { open: false });
    await addParticipants(shared.db, 461, 150, 'inviteret');
    target = await emptyTarget(kind, shared.env.DATABASE_SCHEMA);
  }, 120_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await restored?.destroy();
    await sinkA?.close();
    await sinkB?.close();
    await target?.drop();
    await shared?.cleanup();
    for (const d of [varDir, backupDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it('when a backup is taken during the 64-respondent load and restored into an empty database, then every acknowledged answer is there, the outbox resumes without sending twice and migrations are up to date', async () => {
    const env = baseServerEnv({
      ...shared.env,
      VAR_DIR: varDir,
      SMTP_URL: sinkA.url,
      SCHEDULER_INTERVAL_SECONDS: '1',
      MAIL_WORKER_INTERVAL_SECONDS: '1',
    });
    a = await startServer({ name: 'A', env });
    const acked = new Map<string, number>();
    let next = 0;
    let stop = false;
    const vu = async () => {
      while (!stop && next < tokens.length) {
        const token = tokens[next++]!;
        try {
          await respond(a!.url, token, nextSourceAddress());
          acked.set(token, Date.now());
        } catch (err) {
          if (!(err instanceof FlowError)) throw err;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 64 }, vu));
    await waitFor('answers and mail under way', () => acked.size >= 100 && sinkA.messages.length > 0, 60_000);

    const backupStarted = Date.now();
    const ackedBefore = [...acked.entries()].filter(([, at]) => at < backupStarted).map(([t]) => t);
    const taken = await cli('backup', { ...shared.env, VAR_DIR: varDir, BACKUP_DIR: backupDir });
    expect(taken.code, taken.out).toBe(0);
    await sleep(2_000);
    stop = true;
    await load;
    await a.stop();
    a = undefined;

    const files = fs.readdirSync(backupDir);
    const dataFile = path.join(
      backupDir,
      files.find((f) => /^parat-\d{8}-\d{6}Z\.(sqlite|pgdump)$/.test(f))!,
    );
    expect(files).toContain(`${path.basename(dataFile)}.json`);
    expect(ackedBefore.length).toBeGreaterThanOrEqual(100);
    expect(acked.size).toBeGreaterThan(ackedBefore.length);

    const restoredRun = await cli('restore', { ...target.env, VAR_DIR: varDir }, [dataFile]);
    expect(restoredRun.code, restoredRun.out).toBe(0);
    expect(restoredRun.out).toContain('Gendannet fra');
    restored = target.open();
    expect((await restored.migrate.list({ migrationSource }))[1]).toEqual([]);
    const outboxAtRestore = await restored('outbox').select('message_id', 'status');
    const sentBefore = new Set(
      outboxAtRestore.filter((m) => m.status === 'sent').map((m) => String(m.message_id)),
    );
    const owed = outboxAtRestore.filter((m) => m.status !== 'sent');
    expect(sentBefore.size).toBeGreaterThan(0);

    b = await startServer({
      name: 'B',
      env: baseServerEnv({
        ...target.env,
        VAR_DIR: varDir,
        SMTP_URL: sinkB.url,
        SCHEDULER_INTERVAL_SECONDS: '1',
        MAIL_WORKER_INTERVAL_SECONDS: '1',
        MAIL_LEASE_SECONDS: '2',
      }),
    });
    for (const token of ackedBefore)
      expect(await hasAnswered(b.url, token, nextSourceAddress()), token).toBe(true);
    const c = await consistency(restored);
    expect([c.perRoundMismatch, c.incomplete, c.draftsLeft]).toEqual([0, 0, 0]);
    expect(c.submitted).toBeGreaterThanOrEqual(ackedBefore.length);

    await waitFor(
      'the restored outbox sent',
      async () =>
        Number((await restored!('outbox').whereNot({ status: 'sent' }).count({ n: '*' }).first())?.n) === 0,
      60_000,
    );
    const resent = sinkB.messages.map((m) => String(m.messageId).replace(/^<|>$/g, ''));
    const idsB = new Set(resent);
    expect(resent.length, 'each owed message once').toBe(idsB.size);
    expect(
      resent.filter((id) => sentBefore.has(id) || sentBefore.has(`<${id}>`)),
      'nothing sent before the backup is sent again',
    ).toEqual([]);
    expect(resent.length).toBe(owed.length);
  }, 300_000);

  it('when the file is not a Parat backup, is truncated, comes from a newer schema, or the database is not empty, then the restore refuses with a message and changes nothing', async () => {
    const files = fs.readdirSync(backupDir).filter((f) => /\.(sqlite|pgdump)$/.test(f));
    const good = path.join(backupDir, files[0]!);
    const scratch = tempDir('parat-bad-backups-');
    try {
      const stranger = path.join(scratch, 'noget.sqlite');
      fs.writeFileSync(stranger, 'SQLite format 3\u0000 but not really');
      const truncated = path.join(scratch, path.basename(good));
      fs.writeFileSync(truncated, fs.readFileSync(good).subarray(0, Math.floor(fs.statSync(good).size / 2)));
      fs.copyFileSync(`${good}.json`, `${truncated}.json`);
      const newerDir = tempDir('parat-newer-');
      const newer = path.join(newerDir, path.basename(good));
      fs.copyFileSync(good, newer);
      const manifest = JSON.parse(fs.readFileSync(`${good}.json`, 'utf8')) as { migrations: string[] };
      manifest.migrations.push('20991231000000_from_the_future');
      fs.writeFileSync(`${newer}.json`, JSON.stringify(manifest));

      const empty = await emptyTarget(kind, shared.env.DATABASE_SCHEMA);
      try {
        const cases: Array<[string, Record<string, string>, RegExp]> = [
          [stranger, empty.env, /ikke en sikkerhedskopi af Parat/],
          [truncated, empty.env, /beskadiget eller afkortet/],
          [newer, empty.env, /nyere version af Parat/],
          [good, shared.env, /ikke tom/],
        ];
        for (const [file, env, message] of cases) {
          const res = await cli('restore', { ...env, VAR_DIR: varDir }, [file]);
          expect(res.code, res.out).toBe(1);
          expect(res.out).toMatch(message);
        }
        // Nothing was written to the empty target.
        const db = empty.open();
        try {
          expect(await db.schema.hasTable('knex_migrations')).toBe(false);
        } finally {
          await db.destroy();
        }
      } finally {
        await empty.drop();
        fs.rmSync(newerDir, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});
