import { describe, expect, it } from 'vitest';
import { migrateLatest, migrateRollbackAll } from '../../src/db/knex.js';
import { createTestDb, postgresUrl, type TestDbKind } from '../support/db.js';

const kinds: TestDbKind[] = ['sqlite', ...(postgresUrl ? (['postgres'] as const) : [])];

describe.each(kinds)('migrations on %s', (kind) => {
  it('when migrated latest → rollback → latest, then the schema and the 98 municipalities are there', async () => {
    const { db, cleanup } = await createTestDb(kind);
    try {
      await migrateLatest(db);
      await migrateRollbackAll(db);
      expect(await db.schema.hasTable('municipalities')).toBe(false);
      await migrateLatest(db);
      const rows = await db('municipalities').orderBy('code');
      expect(rows).toHaveLength(98);
      const aarhus = rows.find((r) => r.code === 751);
      expect(aarhus).toMatchObject({ name: 'Aarhus', cvr: '19751000', region: 'Midtjylland' });
      expect(Number((await db('waves').count<{ n: number }[]>({ n: '*' }).first())?.n)).toBe(8);
      for (const table of [
        'users',
        'user_roles',
        'sessions',
        'saml_requests',
        'saml_used_responses',
        'audit_log',
      ]) {
        expect(await db.schema.hasTable(table)).toBe(true);
      }
    } finally {
      await cleanup();
    }
  });
});

if (!postgresUrl) {
  describe('migrations on PostgreSQL', () => {
    it.skip('skipped: TEST_DATABASE_URL is not set, so no PostgreSQL server is available (.ci/run starts one)', () => {});
  });
}
