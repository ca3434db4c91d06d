import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Knex } from 'knex';
import { createDb, type Db } from '../../src/db/knex.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDb } from '../support/db.js';
import { responseOf, signedAssertion, startLogin, tokenInput } from '../support/saml.js';

// A real outage, not a thrown look-alike: another connection takes the database away from the app at the
// moment the login is stored and the ACS goes on to mark the response used, and gives it back as soon as
// that insert has failed. On SQLite the other connection holds the write lock (the app's insert waits out
// its busy timeout and gets SQLITE_BUSY, as with a second process on the file); on PostgreSQL it locks the
// table, and the app's waiting connection is then terminated, as a server restart terminates it.

type Outage = { begin: () => Promise<void>; end: () => Promise<void> };

/** The write lock of the SQLite file, held by a second connection. */
function sqliteOutage(db: Db): Outage {
  const filename = (db.client.config.connection as { filename: string }).filename;
  const other = createDb({ client: 'sqlite3', filename });
  let locker: Knex.Transaction | null = null;
  return {
    async begin() {
      locker = await other.transaction();
      await locker('rate_limits').insert({ bucket: 'outage', count: 1, reset_at: 0 });
    },
    async end() {
      await locker?.rollback().catch(() => undefined);
      locker = null;
      await other.destroy();
    },
  };
}

/** saml_used_responses locked by a second connection; the app's connection waiting for it is terminated. */
function postgresOutage(db: Db): Outage {
  const other = createDb({
    client: 'pg',
    url: (db.client.config.connection as string) ?? '',
    searchPath: (db.client.config.searchPath as string[])[0],
  });
  let locker: Knex.Transaction | null = null;
  let terminating: Promise<void> = Promise.resolve();
  const terminateWaiting = async (trx: Knex.Transaction, lockerPid: number) => {
    for (let tries = 0; tries < 400; tries++) {
      const waiting = await other.raw(
        'select pid from pg_stat_activity where ? = any(pg_blocking_pids(pid))',
        [lockerPid],
      );
      const pid = (waiting.rows as Array<{ pid: number }>)[0]?.pid;
      if (pid) {
        await other.raw('select pg_terminate_backend(?)', [pid]);
        return;
      }
      if (trx.isCompleted()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return {
    async begin() {
      const trx = await other.transaction();
      locker = trx;
      await trx.raw('lock table saml_used_responses in access exclusive mode');
      const lockerPid = Number((await trx.raw('select pg_backend_pid() as pid')).rows[0].pid);
      terminating = terminateWaiting(trx, lockerPid);
    },
    async end() {
      await locker?.rollback().catch(() => undefined);
      locker = null;
      await terminating;
      await other.destroy();
    },
  };
}

/** After a terminated connection the pool hands it out once more before dropping it; reads wait for that. */
async function afterOutage<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

let owned: { db: Db; cleanup: () => Promise<void> };
let t: TestApp;
beforeAll(async () => {
  owned = await createTestDb();
  t = await createTestApp({ db: owned.db });
});
afterAll(async () => {
  await owned?.cleanup();
});

describe('a database outage at the ACS', () => {
  it('when the database goes away just as the ACS marks the response used, then the browser gets the 503 page with Retry-After, not "already used"', async () => {
    const pg = t.db.client.config.client === 'pg';
    const outage = pg ? postgresOutage(t.db) : sqliteOutage(t.db);
    let usedInsertFailed = false;
    let ended: Promise<void> | null = null;
    // The outage ends the moment the used-response insert has failed, so what follows in the request
    // (a refusal's audit line, on the old code) would find the database back.
    t.db.on('query-error', (_err: unknown, query: { sql?: string }) => {
      if (!/saml_used_responses/.test(query.sql ?? '') || usedInsertFailed) return;
      usedInsertFailed = true;
      ended = outage.end();
    });
    const refusalsCounted = async () =>
      ((await t.deps.metrics.registry.getSingleMetric('parat_logins_refused_total')?.get())?.values ?? [])
        .filter((v) => v.value > 0)
        .map((v) => v.labels.reason);
    const login = t.deps.login.login;
    t.deps.login.login = async (identity) => {
      const user = await login(identity);
      await outage.begin();
      return user;
    };
    try {
      const agent = request.agent(t.app);
      const { requestId } = await startLogin(agent);
      const input = tokenInput(t.deps, requestId);
      const res = await agent
        .post('/saml/acs')
        .type('form')
        .send({ SAMLResponse: await responseOf(t.deps, input, signedAssertion(t.deps, input)) });

      expect(usedInsertFailed).toBe(true);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.text).toContain('Parat er midlertidigt utilgængelig');
      expect(res.text).not.toContain('allerede brugt');
      // Not judged a replay at all: no refusal was counted, even where a refusal's own writes would fail too.
      expect(await refusalsCounted()).toEqual([]);
      expect(
        await afterOutage(() => t.db('audit_log').where({ action: 'login-refused' }).pluck('subject')),
      ).toEqual([]);
      expect(
        await afterOutage(() => t.db('saml_used_responses').where({ in_response_to: requestId }).first()),
      ).toBeUndefined();
    } finally {
      t.deps.login.login = login;
      await (ended ?? outage.end());
    }
  });
});
