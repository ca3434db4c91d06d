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

type PgConfig = Extract<DatabaseConfig, { client: 'pg' }>;
type SqliteConfig = Extract<DatabaseConfig, { client: 'sqlite3' }>;

/** The message of a failed pg_dump or pg_restore: its own words on stderr when it said any. */
const toolMessage = (err: unknown) => (err as { stderr?: string }).stderr?.trim() || (err as Error).message;

/** `pg_dump --format=custom` of Parat's schema into `partial`; returns the schema. A failed dump leaves no file. */
async function dumpPostgres(database: PgConfig, partial: string): Promise<string> {
  const schema = database.searchPath ?? 'public';
  try {
    await run('pg_dump', [
      '--format=custom',
      '--no-owner',
      '--no-privileges',
      `--schema=${schema}`,
      `--file=${partial}`,
      `--dbname=${database.url}`,
    ]);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw new BackupError(`pg_dump mislykkedes: ${toolMessage(err)}`);
  }
  return schema;
}

/** `VACUUM INTO` a consistent copy: one read transaction, so writers go on (waiting up to 10 s for a lock). */
async function vacuumSqlite(database: SqliteConfig, partial: string): Promise<void> {
  const db = openOne(database);
  try {
    await db.raw('PRAGMA busy_timeout = 10000');
    await db.raw('VACUUM INTO ?', [partial]);
  } finally {
    await db.destroy();
  }
}

/** Writes `<file>.json` beside the finished backup, with its size and checksum so a restore can tell it is whole. */
async function writeManifest(
  file: string,
  fields: Pick<BackupManifest, 'database' | 'schema' | 'createdAt' | 'migrations'>,
): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    format: 'parat-backup',
    version: 1,
    ...fields,
    file: path.basename(file),
    bytes: fs.statSync(file).size,
    sha256: await sha256Of(file),
  };
  fs.writeFileSync(`${file}.json`, JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Deletes all but the newest `keep` backups in `dir` (the names sort by time), each with its manifest. */
function pruneBackups(dir: string, keep: number): void {
  const old = fs
    .readdirSync(dir)
    .filter((f) => BACKUP_NAME.test(f))
    .sort()
    .reverse()
    .slice(keep);
  for (const f of old) {
    fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(path.join(dir, `${f}.json`), { force: true });
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
  // Written under another name and renamed when whole, so a half-written backup never looks like one.
  const partial = `${file}.partial`;
  let schema: string | null = null;
  if (opts.database.client === 'pg') schema = await dumpPostgres(opts.database, partial);
  else await vacuumSqlite(opts.database, partial);
  const migrations = postgres
    ? await appliedMigrations(opts.database)
    : await appliedMigrations(opts.database, partial);
  fs.renameSync(partial, file);
  const manifest = await writeManifest(file, {
    database: postgres ? 'postgres' : 'sqlite',
    schema,
    createdAt: now.toISOString(),
    migrations,
  });
  pruneBackups(opts.dir, opts.keep);
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

/** Refuses a backup of the other kind of database, or of another PostgreSQL schema than the configured one. */
function assertFitsTarget(target: DatabaseConfig, manifest: BackupManifest): void {
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
}

/** Refuses to overwrite a database that has Parat's tables unless `force` is given (one that cannot be opened counts as empty). */
async function assertEmptyUnlessForced(target: DatabaseConfig, force: boolean): Promise<void> {
  const applied = await appliedMigrations(target).catch(() => []);
  if (applied.length && !force) {
    throw new BackupError(
      'Databasen er ikke tom (den har Parats tabeller). Brug --force for at erstatte den.',
    );
  }
}

/** Makes room for the dump's schema: dropped under `force`, and created beforehand when the dump does not create it. */
async function prepareSchema(
  target: PgConfig,
  dataFile: string,
  schema: string,
  force: boolean,
): Promise<void> {
  // The dump creates its schema when it lists one; otherwise (public, on some versions) it must exist already.
  const { stdout: listing } = await run('pg_restore', ['--list', dataFile]);
  const createsSchema = new RegExp(`\\bSCHEMA - ${schema}\\b`).test(listing);
  const db = openOne({ client: 'pg', url: target.url });
  try {
    if (force) await db.raw('drop schema if exists ?? cascade', [schema]);
    // An empty schema of that name (made by a database administrator) is replaced; a non-empty one stops the restore.
    if (createsSchema) await db.raw('drop schema if exists ?? restrict', [schema]).catch(() => undefined);
    else await db.raw('create schema if not exists ??', [schema]);
  } finally {
    await db.destroy();
  }
}

/** `pg_restore` in one transaction, so a failed restore changes nothing. */
async function restorePostgres(target: PgConfig, dataFile: string): Promise<void> {
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
    throw new BackupError(`pg_restore mislykkedes; intet er ændret: ${toolMessage(err)}`);
  }
}

/** Checks the SQLite file's integrity, then puts a copy in place by rename; the old WAL and shared memory go with the old file. */
async function restoreSqlite(target: SqliteConfig, dataFile: string): Promise<void> {
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
  assertFitsTarget(target, manifest);
  await assertEmptyUnlessForced(target, opts.force);
  if (target.client === 'pg') {
    await prepareSchema(target, dataFile, manifest.schema!, opts.force);
    await restorePostgres(target, dataFile);
  } else {
    await restoreSqlite(target, dataFile);
  }
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
