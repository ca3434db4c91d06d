import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl, testDbKind, type TestDbKind } from '../support/db.js';
import { baseServerEnv, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import { outboxRepository } from '../../src/mail/outbox.repository.js';
import {
  respondents,
  sharedDb,
  sleep,
  startLoad,
  startSink,
  summarize,
  waitFor,
  type SharedDb,
  type Sink,
} from './support.js';
import { parsePrometheus as parse, type Sample } from '../support/prometheus.js';

const VUS = 16;
const LOAD_MS = 8_000;
// The run on each database covers its kind (CI runs the suite once per database); without a server, SQLite only.
const kinds: TestDbKind[] = [testDbKind()];

/** The sum over the series of one metric whose labels pass `where`. */
const total = (samples: Sample[], name: string, where: (l: Record<string, string>) => boolean = () => true) =>
  samples.filter((s) => s.name === name && where(s.labels)).reduce((sum, s) => sum + s.value, 0);

async function scrape(server: ServerProcess): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  return { text, samples: parse(text) };
}

/** A database nobody has migrated yet: an empty SQLite file, or an empty schema on PostgreSQL. */
async function freshDb(
  kind: TestDbKind,
): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  if (kind === 'postgres') {
    const schema = `m_${crypto.randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: postgresUrl!, pool: { min: 0, max: 1 } });
    await admin.raw('create schema ??', [schema]);
    return {
      env: { DATABASE_URL: postgresUrl!, DATABASE_SCHEMA: schema },
      cleanup: async () => {
        await admin.raw('drop schema ?? cascade', [schema]);
        await admin.destroy();
      },
    };
  }
  const dir = tempDir('parat-fresh-');
  return {
    env: { SQLITE_FILE: path.join(dir, 'parat.sqlite') },
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

describe.each(kinds)('metrics and readiness of a running server on %s', (kind) => {
  let shared: SharedDb;
  let sink: Sink;
  let server: ServerProcess;
  let tokens: string[];

  beforeAll(async () => {
    shared = await sharedDb(kind);
    sink = await startSink();
    ({ tokens } = await respondents(shared.db, 751, 1_500));
    server = await startServer({
      name: 'parat',
      env: baseServerEnv({
        ...shared.env,
        VAR_DIR: tempDir('parat-var-'),
        SMTP_URL: sink.url,
        MAIL_WORKER_INTERVAL_SECONDS: '1',
        SCHEDULER_INTERVAL_SECONDS: '1',
      }),
    });
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
    await shared?.cleanup();
  });

  it('when respondents answer and mail goes out, then the request counter and the outbox series move between scrapes, and the server stays ready', async () => {
    await waitFor(
      'the server ready',
      async () => (await fetch(`${server.url}/readyz`)).status === 200,
      30_000,
    );
    // Runs at least LOAD_MS, and on until both scrapes are taken (on a busy machine that may be later).
    let stopLoad!: () => void;
    const stop = new Promise<void>((resolve) => (stopLoad = resolve));
    const startedAt = Date.now();
    const load = startLoad({
      base: () => server.url,
      tokens,
      vus: VUS,
      durationMs: 90_000,
      stop,
      rampMs: 1_000,
    });
    let loadEnded = false;
    void load.done.finally(() => (loadEnded = true));
    await waitFor('a first submits', () => load.live.submitted >= 5, 30_000, 50);
    const first = await scrape(server);

    // Mail written while the load runs, as the app writes it; the server's worker sends it.
    const now = new Date();
    for (let i = 0; i < 10; i++) {
      await outboxRepository.insert(
        shared.db,
        {
          idempotencyKey: `metrics-${kind}-${i}`,
          kind: 'test-passed',
          to: [`modtager-${i}@aarhus.example.dk`],
          subject: 'Du har bestået',
          html: '<p>Tillykke</p>',
          text: 'Tillykke',
          containsLink: false,
          messageId: `<metrics-${kind}-${i}@parat.test>`,
        },
        'pending',
        now,
      );
    }
    await waitFor('the mail delivered', () => sink.messages.length >= 10, 30_000, 100);
    await sleep(500);
    const second = await scrape(server);
    const readyDuringLoad = await fetch(`${server.url}/readyz`);
    expect(loadEnded, 'the second scrape came while the load ran').toBe(false);
    await sleep(startedAt + LOAD_MS - Date.now());
    stopLoad();
    const result = await load.done;
    expect(summarize(result.errors)).toEqual({});
    expect(readyDuringLoad.status).toBe(200);
    expect(await readyDuringLoad.json()).toEqual({ status: 'klar' });

    const survey = (l: Record<string, string>) =>
      l.route!.startsWith('/undersoegelse/') || l.route === '/l/:token';
    const requests = (s: Sample[]) => total(s, 'parat_http_requests_total', survey);
    expect(requests(second.samples)).toBeGreaterThan(requests(first.samples));
    const links = (s: Sample[]) =>
      total(s, 'parat_http_requests_total', (l) => l.route === '/l/:token' && l.status === '303');
    expect(links(second.samples)).toBeGreaterThan(links(first.samples));
    expect(
      total(
        second.samples,
        'parat_http_request_duration_seconds_count',
        (l) => l.route === '/undersoegelse/:roundId/side/:page',
      ),
    ).toBeGreaterThan(0);
    const routes = new Set(
      second.samples.filter((s) => s.name === 'parat_http_requests_total').map((s) => s.labels.route),
    );
    expect([...routes].every((r) => r === 'unmatched' || r === '/public' || /^\/[\w\-/:.]*$/.test(r!))).toBe(
      true,
    );
    expect(tokens.slice(0, result.started).some((token) => second.text.includes(token))).toBe(false);

    const sent = (s: Sample[]) => total(s, 'parat_outbox_messages', (l) => l.state === 'sent');
    expect(sent(second.samples) - sent(first.samples)).toBe(10);
    expect(total(second.samples, 'parat_outbox_messages', (l) => l.state === 'pending')).toBe(0);
    expect(total(second.samples, 'parat_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(total(second.samples, 'parat_rounds', (l) => l.state === 'open')).toBe(1);
    expect(total(second.samples, 'parat_scheduler_ticks_total', (l) => l.outcome === 'ok')).toBeGreaterThan(
      total(first.samples, 'parat_scheduler_ticks_total', (l) => l.outcome === 'ok'),
    );
    expect(total(second.samples, 'parat_scheduler_last_success_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 10,
    );
    expect(total(second.samples, 'parat_database_up')).toBe(1);
    expect(total(second.samples, 'parat_db_pool_max_connections')).toBe(kind === 'sqlite' ? 1 : 10);
    expect(second.samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(server.exited()).toBeNull();
    expect(server.stderr()).toBe('');
    console.log(
      `metrics (${kind}): ${result.submitted} submits; survey requests ${requests(first.samples)} → ${requests(second.samples)} between scrapes; ` +
        `sent ${sent(first.samples)} → ${sent(second.samples)}`,
    );
  }, 120_000);

  it('when a server starts on a database that is not migrated yet, then /readyz answers from the moment the port does, until it is ready', async () => {
    const fresh = await freshDb(kind);
    let starting: ServerProcess | undefined;
    try {
      // Returns once the port answers /healthz, which it does while migrating.
      starting = await startServer({
        name: 'fresh',
        readyPath: '/healthz',
        env: baseServerEnv({ ...fresh.env, VAR_DIR: tempDir('parat-var-'), SCHEDULER_INTERVAL_SECONDS: '1' }),
      });
      const seen: string[] = [];
      const started = Date.now();
      for (;;) {
        const res = await fetch(`${starting.url}/readyz`).catch((err: unknown) => err as Error);
        if (res instanceof Error)
          throw new Error(`/readyz did not answer after the port did: ${res.message}`);
        const body = (await res.json()) as { status: string; reasons?: string[] };
        const answer = res.status === 200 ? 'klar' : `${res.status} ${(body.reasons ?? []).join(', ')}`;
        if (seen.at(-1) !== answer) seen.push(answer);
        if (res.status === 200) break;
        expect(res.status).toBe(503);
        expect(body.status).toBe('ikke klar');
        expect(['migrerer', 'starter']).toContain(body.reasons?.[0]);
        expect(Date.now() - started).toBeLessThan(60_000);
        await sleep(20);
      }
      expect(seen.at(-1)).toBe('klar');
      console.log(`start-up readiness (${kind}): ${seen.join(' → ')} in ${Date.now() - started} ms`);
      expect(starting.stderr()).toBe('');
    } finally {
      await starting?.stop();
      await fresh.cleanup();
    }
  }, 120_000);
});
