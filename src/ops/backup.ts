import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import { migrationSource } from '../../migrations/index.js';
import type { DatabaseConfig } from '../db/knex.js';

const run = promisify(execFile);

/** The manifest written beside every backup file (`<file>.json`): what it is, and how to know it is whole. */
export type BackupManifest = {
  format: 'parat-backup';
  version: 1;
  database: 'sqlite' | 'postgres';
  /** The PostgreSQL schema the dump holds (its tables go back into a schema of the same name). */
  schema: string | null;
  createdAt: string;
  /** The migrations applied in the backed-up database, oldest first. */
  migrations: string[];
  file: string;
  bytes: number;
  sha256: string;
};

/** A backup or restore that cannot be done; the message says why, in Danish, and nothing was changed. */
export class BackupError extends Error {}

const knownMigrations = async (): Promise<string[]> =>
  (await migrationSource.getMigrations([])).map((m) => migrationSource.getMigrationName(m));

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');
const BACKUP_NAME = /^parat-\d{8}-\d{6}Z\.(sqlite|pgdump)$/;

/** One connection to the configured database (or to another SQLite file), for the backup tools only. */
function openOne(cfg: DatabaseConfig, sqliteFile?: string): Knex {
  return cfg.client === 'pg' && !sqliteFile
    ? knexFactory({
        client: 'pg',
        connection: cfg.url,
        searchPath: cfg.searchPath ? [cfg.searchPath] : undefined,
        pool: { min: 0, max: 1 },
      })
    : knexFactory({
        client: 'sqlite3',
        connection: { filename: sqliteFile ?? (cfg as { filename: string }).filename },
        useNullAsDefault: true,
        pool: { min: 1, max: 1 },
      });
}

async function appliedMigrations(cfg: DatabaseConfig, filename?: string): Promise<string[]> {
  const db = openOne(cfg, filename);
  try {
    if (!(await db.schema.hasTable('knex_migrations'))) return [];
    return (await db('knex_migrations').orderBy('id').pluck('name')) as string[];
  } finally {
    await db.destroy();
  }
}

/**
 * Writes a consistent copy of the running database into `dir`, named by the time, with its manifest,
 * and keeps the newest `keep` backups. SQLite: `VACUUM INTO` (one read transaction, so writers go on).
 * PostgreSQL: `pg_dump --format=custom` of Parat's schema.
 */
export async function backupDatabase(opts: {
  database: DatabaseConfig;
  dir: string;
  keep: number;
  now?: Date;
}): Promise<{ file: string; manifest: BackupManifest }> {
  const now = opts.now ?? new Date();
  fs.mkdirSync(opts.dir, { recursive: true });
  const postgres = opts.database.client === 'pg';
  const file = path.join(opts.dir, `parat-${stamp(now)}.${postgres ? 'pgdump' : 'sqlite'}`);
  const partial = `${file}.partial`;
  let schema: string | null = null;
  if (opts.database.client === 'pg') {
    schema = opts.database.searchPath ?? 'public';
    try {
      await run('pg_dump', [
        '--format=custom',
        '--no-owner',
        '--no-privileges',
        `--schema=${schema}`,
        `--file=${partial}`,
        `--dbname=${opts.database.url}`,
      ]);
    } catch (err) {
      fs.rmSync(partial, { force: true });
      throw new BackupError(
        `pg_dump mislykkedes: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`,
      );
    }
  } else {
    const db = openOne(opts.database);
    try {
      await db.raw('PRAGMA busy_timeout = 10000');
      await db.raw('VACUUM INTO ?', [partial]);
    } finally {
      await db.destroy();
    }
  }
  const migrations = postgres
    ? await appliedMigrations(opts.database)
    : await appliedMigrations(opts.database, partial);
  fs.renameSync(partial, file);
  const manifest: BackupManifest = {
    format: 'parat-backup',
    version: 1,
    database: postgres ? 'postgres' : 'sqlite',
    schema,
    createdAt: now.toISOString(),
    migrations,
    file: path.basename(file),
    bytes: fs.statSync(file).size,
    sha256: await sha256Of(file),
  };
  fs.writeFileSync(`${file}.json`, JSON.stringify(manifest, null, 2) + '\n');
  const old = fs
    .readdirSync(opts.dir)
    .filter((f) => BACKUP_NAME.test(f))
    .sort()
    .reverse()
    .slice(opts.keep);
  for (const f of old) {
    fs.rmSync(path.join(opts.dir, f), { force: true });
    fs.rmSync(path.join(opts.dir, `${f}.json`), { force: true });
  }
  return { file, manifest };
}

/** Reads and checks a backup before anything is touched: a Parat backup, whole, of a schema this version knows. */
export async function checkBackup(file: string): Promise<{ dataFile: string; manifest: BackupManifest }> {
  const dataFile = file.endsWith('.json') ? file.slice(0, -'.json'.length) : file;
  const manifestFile = `${dataFile}.json`;
  if (!fs.existsSync(dataFile)) throw new BackupError(`${dataFile} findes ikke.`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackupManifest;
  } catch {
    throw new BackupError(
      `${dataFile} er ikke en sikkerhedskopi af Parat (manifestet ${path.basename(manifestFile)} mangler eller kan ikke læses).`,
    );
  }
  if (manifest?.format !== 'parat-backup' || manifest.version !== 1 || !Array.isArray(manifest.migrations)) {
    throw new BackupError(`${dataFile} er ikke en sikkerhedskopi af Parat.`);
  }
  const bytes = fs.statSync(dataFile).size;
  if (bytes !== manifest.bytes || (await sha256Of(dataFile)) !== manifest.sha256) {
    throw new BackupError(
      `${dataFile} er beskadiget eller afkortet (${bytes} af ${manifest.bytes} byte, eller kontrolsummen passer ikke).`,
    );
  }
  const known = new Set(await knownMigrations());
  const unknown = manifest.migrations.filter((m) => !known.has(m));
  if (unknown.length) {
    throw new BackupError(
      `Sikkerhedskopien er fra en nyere version af Parat (ukendte migreringer: ${unknown.join(', ')}). Opgrader Parat først.`,
    );
  }
  return { dataFile, manifest };
}

/**
 * Restores a checked backup into the configured database, which must be empty (no Parat tables) unless
 * `force` is given. Stop every Parat instance first. SQLite: the file is copied into place.
 * PostgreSQL: `pg_restore` in one transaction into the schema the dump holds.
 */
export async function restoreDatabase(opts: {
  database: DatabaseConfig;
  file: string;
  force: boolean;
  /** Runs on the restored database before Parat starts on it (the outbox releases claims of instances that are gone). */
  afterRestore?: (db: Knex) => Promise<void>;
}): Promise<BackupManifest> {
  const { dataFile, manifest } = await checkBackup(opts.file);
  const target = opts.database;
  if ((target.client === 'pg') !== (manifest.database === 'postgres')) {
    throw new BackupError(
      `Sikkerhedskopien er af en ${manifest.database}-database, men Parat er sat op til ${target.client === 'pg' ? 'postgres' : 'sqlite'}.`,
    );
  }
  if (target.client === 'pg' && (target.searchPath ?? 'public') !== manifest.schema) {
    throw new BackupError(
      `Sikkerhedskopien holder skemaet "${manifest.schema}", men DATABASE_SCHEMA er "${target.searchPath ?? 'public'}".`,
    );
  }
  const applied = await appliedMigrations(target).catch(() => []);
  if (applied.length && !opts.force) {
    throw new BackupError(
      'Databasen er ikke tom (den har Parats tabeller). Brug --force for at erstatte den.',
    );
  }
  if (target.client === 'pg') {
    // The dump creates its schema when it lists one; otherwise (public, on some versions) it must exist already.
    const { stdout: listing } = await run('pg_restore', ['--list', dataFile]);
    const createsSchema = new RegExp(`\\bSCHEMA - ${manifest.schema}\\b`).test(listing);
    const db = openOne({ client: 'pg', url: target.url });
    try {
      if (opts.force) await db.raw('drop schema if exists ?? cascade', [manifest.schema!]);
      // An empty schema of that name (made by a database administrator) is replaced; a non-empty one stops the restore.
      if (createsSchema)
        await db.raw('drop schema if exists ?? restrict', [manifest.schema!]).catch(() => undefined);
      else await db.raw('create schema if not exists ??', [manifest.schema!]);
    } finally {
      await db.destroy();
    }
    try {
      await run('pg_restore', [
        '--no-owner',
        '--no-privileges',
        '--exit-on-error',
        '--single-transaction',
        `--dbname=${target.url}`,
        dataFile,
      ]);
    } catch (err) {
      throw new BackupError(
        `pg_restore mislykkedes; intet er ændret: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`,
      );
    }
    await afterwards(target, opts.afterRestore);
    return manifest;
  }
  const check = openOne(target, dataFile);
  try {
    const rows = (await check.raw('PRAGMA integrity_check')) as Array<Record<string, string>>;
    if (Object.values(rows[0] ?? {})[0] !== 'ok')
      throw new BackupError(`${dataFile} er beskadiget (SQLite integrity_check).`);
  } finally {
    await check.destroy();
  }
  fs.mkdirSync(path.dirname(target.filename), { recursive: true });
  const incoming = `${target.filename}.restoring`;
  fs.copyFileSync(dataFile, incoming);
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${target.filename}${suffix}`, { force: true });
  fs.renameSync(incoming, target.filename);
  await afterwards(target, opts.afterRestore);
  return manifest;
}

async function afterwards(
  target: DatabaseConfig,
  fn: ((db: Knex) => Promise<void>) | undefined,
): Promise<void> {
  if (!fn) return;
  const db = openOne(target);
  try {
    await fn(db);
  } finally {
    await db.destroy();
  }
}
