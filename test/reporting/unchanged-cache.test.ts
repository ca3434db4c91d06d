import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../support/db.js';
import { createDb, type Db } from '../../src/db/knex.js';
import { createUnchangedCache } from '../../src/reporting/unchanged-cache.js';

let db: Db;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ db, cleanup } = await createTestDb('sqlite'));
  await db.schema.createTable('figures', (t) => {
    t.increments('id');
    t.integer('n').notNullable();
  });
  await db('figures').insert({ n: 1 });
});
afterAll(async () => cleanup());

/** The sum of figures.n, counting how often it was computed. */
function summer() {
  let computed = 0;
  return {
    compute: async () => {
      computed++;
      const row = await db('figures').sum<{ s: number }[]>({ s: 'n' }).first();
      return Number(row?.s);
    },
    computed: () => computed,
  };
}

describe('figures reused while the database is unchanged (SQLite)', () => {
  it('when nothing was written, then the value is computed once; after a write through the app, it is computed again', async () => {
    const cache = createUnchangedCache(db);
    const s = summer();
    expect(await cache.get('sum', s.compute)).toBe(1);
    expect(await cache.get('sum', s.compute)).toBe(1);
    expect(s.computed()).toBe(1);
    await db('figures').insert({ n: 2 });
    expect(await cache.get('sum', s.compute)).toBe(3);
    expect(s.computed()).toBe(2);
    await db.transaction(async (trx) => trx('figures').where({ n: 2 }).update({ n: 5 }));
    expect(await cache.get('sum', s.compute)).toBe(6);
    await db('figures').where({ n: 5 }).delete();
    expect(await cache.get('sum', s.compute)).toBe(1);
    expect(s.computed()).toBe(4);
  });

  it('when another process writes to the same file, then the next read computes again', async () => {
    const cache = createUnchangedCache(db);
    const s = summer();
    const before = await cache.get('sum', s.compute);
    const filename = (db.client.config.connection as { filename: string }).filename;
    const other = createDb({ client: 'sqlite3', filename });
    try {
      await other('figures').insert({ n: 10 });
    } finally {
      await other.destroy();
    }
    expect(await cache.get('sum', s.compute)).toBe(before + 10);
    expect(s.computed()).toBe(2);
  });

  it('when keys differ or a computation fails, then nothing is shared or kept', async () => {
    const cache = createUnchangedCache(db);
    const s = summer();
    await cache.get('a', s.compute);
    await cache.get('b', s.compute);
    expect(s.computed()).toBe(2);
    await expect(cache.get('c', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await cache.get('c', s.compute)).toBeGreaterThan(0);
  });
});
