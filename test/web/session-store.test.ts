import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { SessionData } from 'express-session';
import { createTestDb } from '../support/db.js';
import { migrateLatest, type Db } from '../../src/db/knex.js';
import { SessionStore } from '../../src/web/session-store.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { loginThroughDevIdp } from '../support/saml.js';

const HOUR = 3600_000;
let db: Db;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ db, cleanup } = await createTestDb());
  await migrateLatest(db);
});
afterAll(async () => cleanup());

const sessionAt = (now: number): SessionData =>
  ({
    cookie: { originalMaxAge: 8 * HOUR, maxAge: 8 * HOUR, expires: new Date(now + 8 * HOUR) },
  }) as unknown as SessionData;
const storedExpiry = async (sid: string) => {
  const row = await db('sessions').where({ sid }).first('expired');
  return row ? new Date(row.expired).getTime() : null;
};
const call = (fn: (cb: (err?: unknown) => void) => unknown) =>
  new Promise<void>((resolve, reject) => void fn((err) => (err ? reject(err) : resolve())));

describe('session store', () => {
  it('when a session is touched again within the window, then its stored expiry is not rewritten; after the window it is extended', async () => {
    let now = Date.now();
    const store = new SessionStore({ db, cleanupInterval: 0, touchAfterMs: 60_000, now: () => now });
    await call((cb) => store.set('s-window', sessionAt(now), cb));
    const first = await storedExpiry('s-window');
    expect(first).not.toBeNull();

    now += 30_000;
    await call((cb) => store.touch('s-window', sessionAt(now), cb));
    expect(await storedExpiry('s-window')).toBe(first);

    now += 31_000;
    await call((cb) => store.touch('s-window', sessionAt(now), cb));
    const extended = await storedExpiry('s-window');
    expect(extended).toBeGreaterThanOrEqual(first! + 60_000);
  });

  it('when another process wrote the session, then this process touches it on its first request and then only once per window', async () => {
    let now = Date.now();
    const other = new SessionStore({ db, cleanupInterval: 0, touchAfterMs: 60_000, now: () => now });
    await call((cb) => other.set('s-shared', sessionAt(now), cb));
    const written = await storedExpiry('s-shared');
    const store = new SessionStore({ db, cleanupInterval: 0, touchAfterMs: 60_000, now: () => now });
    now += 5_000;
    await call((cb) => store.touch('s-shared', sessionAt(now), cb));
    const touched = await storedExpiry('s-shared');
    expect(touched).toBeGreaterThan(written!);
    now += 5_000;
    await call((cb) => store.touch('s-shared', sessionAt(now), cb));
    expect(await storedExpiry('s-shared')).toBe(touched);
  });

  it('when a session is destroyed, then it is gone and its id can be stored again and read back', async () => {
    const now = Date.now();
    const store = new SessionStore({ db, cleanupInterval: 0, touchAfterMs: 60_000, now: () => now });
    await call((cb) => store.set('s-gone', { ...sessionAt(now), flash: 'hej' } as SessionData, cb));
    await call((cb) => store.destroy('s-gone', cb));
    expect(await storedExpiry('s-gone')).toBeNull();
    const read = await new Promise<SessionData | null | undefined>(
      (resolve, reject) => void store.get('s-gone', (err, s) => (err ? reject(err) : resolve(s))),
    );
    expect(read).toBeNull();
  });
});

describe('sessions over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('when a logged-in user makes many requests, then each response renews the cookie but the session row is written at most once a minute', async () => {
    const agent = request.agent(t.app);
    expect(
      (
        await loginThroughDevIdp(agent, {
          municipality: 751,
          roles: ['projektleder'],
          email: 'pl@aarhus.example.dk',
        })
      ).status,
    ).toBe(303);
    const rows = await t.db('sessions').select('sid', 'expired');
    const before = new Map(rows.map((r) => [r.sid, new Date(r.expired).getTime()]));
    for (let i = 0; i < 5; i++) {
      const res = await agent.get('/kommune').expect(200);
      expect(String(res.headers['set-cookie'])).toMatch(/^parat\.sid=.*Expires=/);
    }
    const after = await t.db('sessions').select('sid', 'expired');
    expect(new Map(after.map((r) => [r.sid, new Date(r.expired).getTime()]))).toEqual(before);
  });
});
