import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { loadConfig } from '../../src/config.js';
import { buildContainer } from '../../src/container.js';
import { createApp } from '../../src/app.js';
import type { Container } from '../../src/container.js';
import { createLogger } from '../../src/shared/logger.js';
import { FixedClock, systemClock, type Clock } from '../../src/shared/clock.js';
import type { Db } from '../../src/db/knex.js';
import { createTestDb } from './db.js';

export { FixedClock, systemClock };

const varDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-var-'));

export type TestApp = { app: Express; deps: Container; db: Db; close: () => Promise<void> };

/** createApp() on a fresh test database with the development IdP; keys are made once per test file. */
export async function createTestApp(
  opts: { env?: Record<string, string>; clock?: Clock; db?: Db } = {},
): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://localhost:3000',
    SESSION_SECRET: 'test-secret-test-secret-test-secret-0123',
    VAR_DIR: varDir,
    ...opts.env,
  });
  const owned = opts.db ? null : await createTestDb();
  const db = opts.db ?? owned!.db;
  const deps = await buildContainer(config, createLogger('silent'), { db, clock: opts.clock });
  const app = createApp(deps);
  return { app, deps, db, close: async () => owned?.cleanup() };
}
