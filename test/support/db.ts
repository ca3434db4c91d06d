import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { createDb, type Db } from '../../src/db/knex.js';

export type TestDbKind = 'sqlite' | 'postgres';

/** Which database the general suites run on: TEST_DB=postgres uses TEST_DATABASE_URL. */
export function testDbKind(): TestDbKind {
  return process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
}

export const postgresUrl = process.env.TEST_DATABASE_URL || undefined;

/** A fresh, empty database: a real SQLite file, or a private schema on a real PostgreSQL server. */
export async function createTestDb(
  kind: TestDbKind = testDbKind(),
): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  if (kind === 'postgres') {
    if (!postgresUrl) throw new Error('TEST_DB=postgres needs TEST_DATABASE_URL');
    const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: postgresUrl, pool: { min: 0, max: 1 } });
    await admin.raw('create schema ??', [schema]);
    const db = createDb({ client: 'pg', url: postgresUrl, searchPath: schema });
    return {
      db,
      cleanup: async () => {
        await db.destroy();
        await admin.raw('drop schema ?? cascade', [schema]);
        await admin.destroy();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-test-'));
  const db = createDb({ client: 'sqlite3', filename: path.join(dir, 'test.sqlite') });
  return {
    db,
    cleanup: async () => {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
