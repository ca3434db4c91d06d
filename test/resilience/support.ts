import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import knexFactory from 'knex';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createDb, migrateLatest, type Db } from '../../src/db/knex.js';
import { hashToken } from '../../src/links/links.service.js';
import { createRoundsService } from '../../src/surveys/rounds.service.js';
import { currentVersion, elementsOf, loadInstruments } from '../../src/surveys/instrument.js';
import { addMonths, isoDay, systemClock } from '../../src/shared/clock.js';
import { postgresUrl, type TestDbKind } from '../support/db.js';
import { freePort, tempDir } from '../support/server-process.js';

// ---------------------------------------------------------------- database shared with server processes

export type SharedDb = {
  kind: TestDbKind;
  /** The test's own connection, for setting up and for checking what the servers wrote. */
  db: Db;
  /** What a server process needs to open the same database. */
  env: Record<string, string>;
  /** The SQLite file, when kind is sqlite. */
  file?: string;
  cleanup: () => Promise<void>;
};

/** A migrated database that server processes can open too: a SQLite file, or a private schema on PostgreSQL. */
export async function sharedDb(kind: TestDbKind, url: string | undefined = postgresUrl): Promise<SharedDb> {
  if (kind === 'postgres') {
    if (!url) throw new Error('PostgreSQL needs TEST_DATABASE_URL');
    const schema = `r_${crypto.randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await admin.raw('create schema ??', [schema]);
    const db = createDb({ client: 'pg', url, searchPath: schema });
    await migrateLatest(db);
    return {
      kind,
      db,
      env: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
      cleanup: async () => {
        await db.destroy();
        await admin.raw('drop schema ?? cascade', [schema]);
        await admin.destroy();
      },
    };
  }
  const dir = tempDir('parat-resilience-');
  const file = path.join(dir, 'parat.sqlite');
  const db = createDb({ client: 'sqlite3', filename: file });
  await migrateLatest(db);
  return {
    kind,
    db,
    file,
    env: { SQLITE_FILE: file },
    cleanup: async () => {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const instruments = loadInstruments();
const instrument = instruments.get(currentVersion(instruments))!;
/** Every item of the current instrument, in page order. */
export const itemIds: string[] = elementsOf(instrument).flatMap((e) => e.items.map((i) => i.id));
export const answerPages = elementsOf(instrument).length + 1;
/** The answer every virtual respondent gives: 1–5 round robin, and "ved ikke" for every seventh item. */
export const answerFor = (itemId: string): string => {
  const i = itemIds.indexOf(itemId);
  return i % 7 === 6 ? 'vedikke' : String((i % 5) + 1);
};
export const expectedAnswers: Record<string, number | null> = Object.fromEntries(
  itemIds.map((id) => [id, answerFor(id) === 'vedikke' ? null : Number(answerFor(id))]),
);

/** The go-live that makes round 1/3 open today. */
export const goLiveOpeningToday = (): string => addMonths(isoDay(new Date()), 6);

/** Plans a municipality so its round 1/3 is due today; with `open`, opens it here (without invitations). */
export async function planRound(db: Db, code: number, opts: { open: boolean }): Promise<number> {
  const rounds = createRoundsService({
    db,
    clock: systemClock,
    windowDays: 21,
    instrumentVersion: currentVersion(instruments),
  });
  await rounds.setPlan(code, { wave: 1, goLive: goLiveOpeningToday() }, null);
  if (opts.open) await rounds.tick();
  const r = await db('survey_rounds').where({ municipality_code: code, round_no: 1 }).first('id');
  return Number(r.id);
}

/** Participants with email addresses `<prefix>-<i>@<domain>` in one municipality; returns their ids. */
export async function addParticipants(
  db: Db,
  code: number,
  n: number,
  prefix: string,
): Promise<Array<{ id: number; email: string }>> {
  const rows = Array.from({ length: n }, (_, i) => ({
    municipality_code: code,
    name: `Deltager ${prefix} ${i}`,
    email: `${prefix}-${i}@k${code}.example.dk`,
    survey_group: i % 2 ? 'sagsbehandler-ydelsescenter' : 'sagsbehandler-jobcenter',
    superuser: false,
    created_at: new Date(),
  }));
  await db.batchInsert('participants', rows, 200);
  const saved = await db('participants')
    .where({ municipality_code: code })
    .whereIn(
      'email',
      rows.map((r) => r.email),
    )
    .orderBy('id')
    .select('id', 'email');
  return saved.map((r) => ({ id: Number(r.id), email: String(r.email) }));
}

/** Personal survey links for these participants; returns the tokens (only their hashes are stored). */
export async function issueLinks(
  db: Db,
  code: number,
  roundId: number,
  participantIds: number[],
): Promise<string[]> {
  const tokens = participantIds.map(() => crypto.randomBytes(32).toString('base64url'));
  const now = new Date();
  await db.batchInsert(
    'personal_links',
    participantIds.map((pid, i) => ({
      token_hash: hashToken(tokens[i]!),
      purpose: 'survey',
      municipality_code: code,
      participant_id: pid,
      round_id: roundId,
      expires_at: new Date(now.getTime() + 7 * 86_400_000),
      created_at: now,
    })),
    200,
  );
  return tokens;
}

/** An open round with `n` respondents, each with a personal link. */
export async function respondents(
  db: Db,
  code: number,
  n: number,
): Promise<{ roundId: number; tokens: string[] }> {
  const roundId = await planRound(db, code, { open: true });
  const people = await addParticipants(db, code, n, 'svar');
  return {
    roundId,
    tokens: await issueLinks(
      db,
      code,
      roundId,
      people.map((p) => p.id),
    ),
  };
}

/**
 * What must hold whatever happened: per round, as many anonymous responses as participants marked as
 * having answered; every response carries the full set of answers; no submitted participation keeps a draft.
 */
export async function consistency(db: Db): Promise<{
  responses: number;
  submitted: number;
  incomplete: number;
  draftsLeft: number;
  perRoundMismatch: number;
}> {
  const responses = await db('survey_responses').select('round_id', 'answers');
  const submittedByRound = (await db('survey_participation')
    .where({ submitted: true })
    .groupBy('round_id')
    .select('round_id')
    .count({ n: '*' })) as Array<{ round_id: number; n: number | string }>;
  const responsesByRound = new Map<number, number>();
  let incomplete = 0;
  for (const r of responses) {
    responsesByRound.set(Number(r.round_id), (responsesByRound.get(Number(r.round_id)) ?? 0) + 1);
    const answers = JSON.parse(String(r.answers)) as Record<string, number | null>;
    const complete =
      Object.keys(answers).length === itemIds.length &&
      itemIds.every((id) => answers[id] === expectedAnswers[id]);
    if (!complete) incomplete += 1;
  }
  let perRoundMismatch = 0;
  const rounds = new Set([...responsesByRound.keys(), ...submittedByRound.map((s) => Number(s.round_id))]);
  for (const id of rounds) {
    const s = Number(submittedByRound.find((x) => Number(x.round_id) === id)?.n ?? 0);
    if (s !== (responsesByRound.get(id) ?? 0)) perRoundMismatch += 1;
  }
  const drafts = await db('survey_participation')
    .where({ submitted: true })
    .whereNotNull('draft')
    .count({ n: '*' })
    .first();
  return {
    responses: responses.length,
    submitted: submittedByRound.reduce((s, x) => s + Number(x.n), 0),
    incomplete,
    draftsLeft: Number(drafts?.n ?? 0),
    perRoundMismatch,
  };
}

// ---------------------------------------------------------------- a small HTTP client with a cookie jar

export type HttpResult = { status: number; location: string | null; retryAfter: string | null; text: string };

/** One browser: its own cookies, its own connections, optionally from its own source address. */
export class Browser {
  private cookies = new Map<string, string>();
  private readonly agent: http.Agent;

  constructor(
    private readonly base: string,
    private readonly localAddress?: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** Sends to this browser's base URL (or another instance's, for the same cookies). */
  request(
    method: 'GET' | 'POST',
    pathOrUrl: string,
    form?: Record<string, string | string[]>,
    base = this.base,
  ): Promise<HttpResult> {
    const url = new URL(pathOrUrl, base);
    const body = form
      ? new URLSearchParams(
          Object.entries(form).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]])),
        ).toString()
      : undefined;
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise<HttpResult>((resolve, reject) => {
      const req = http.request(
        {
          method,
          hostname: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          headers,
          agent: this.agent,
          localAddress: this.localAddress,
          timeout: 60_000,
        },
        (res) => {
          for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
            const [pair = ''] = c.split(';');
            const eq = pair.indexOf('=');
            if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          }
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              location: (res.headers.location as string | undefined) ?? null,
              retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
              text,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  get = (p: string, base?: string) => this.request('GET', p, undefined, base);
  post = (p: string, form: Record<string, string | string[]>, base?: string) =>
    this.request('POST', p, form, base);

  close(): void {
    this.agent.destroy();
  }
}

export function hiddenValue(html: string, name: string): string {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!m) throw new Error(`no input ${name} in page`);
  return m[1]!.replace(/&#34;/g, '"').replace(/&amp;/g, '&');
}

// ---------------------------------------------------------------- one respondent, and many

/** A request that did not get the answer the flow expects. */
export class FlowError extends Error {
  /** When it happened (ms since the epoch). */
  readonly at = Date.now();

  constructor(
    message: string,
    readonly kind: 'connection' | 'status',
    readonly status: number | null,
    /** The failing request was the final submit, so whether the response was stored is not known here. */
    readonly atSubmit: boolean,
    readonly result?: HttpResult,
  ) {
    super(message);
  }
}

async function step(
  b: Browser,
  method: 'GET' | 'POST',
  p: string,
  expected: number,
  form: Record<string, string> | undefined,
  atSubmit: boolean,
): Promise<HttpResult> {
  let res: HttpResult;
  try {
    res = await b.request(method, p, form);
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw new FlowError(`${method} ${p.replace(/\/l\/.*/, '/l/…')}: ${code}`, 'connection', null, atSubmit);
  }
  if (res.status !== expected)
    throw new FlowError(
      `${method} ${p.replace(/\/l\/.*/, '/l/…')}: ${res.status}`,
      'status',
      res.status,
      atSubmit,
      res,
    );
  return res;
}

/** A respondent: opens the personal link, answers every page (GET for the form and token, POST) and submits. */
export async function respond(base: string, token: string, localAddress?: string): Promise<void> {
  const b = new Browser(base, localAddress);
  try {
    const opened = await step(b, 'GET', `/l/${token}`, 303, undefined, false);
    const start = await step(b, 'GET', opened.location!, 303, undefined, false);
    let next = start.location!;
    for (let page = 1; page <= answerPages; page++) {
      const form = await step(b, 'GET', next, 200, undefined, false);
      const ids = [...form.text.matchAll(/name="([a-z]{3}\d)" value="1"/g)].map((m) => m[1]!);
      const last = page === answerPages;
      const body: Record<string, string> = {
        _csrf: hiddenValue(form.text, '_csrf'),
        handling: last ? 'indsend' : 'naeste',
      };
      for (const id of ids) body[id] = answerFor(id);
      if (last) body.comment = '';
      const posted = await step(b, 'POST', next, 303, body, last);
      next = posted.location!;
    }
    if (!next.endsWith('/tak')) throw new FlowError(`submit ended at ${next}`, 'status', 303, true);
  } finally {
    b.close();
  }
}

/** Whether a respondent's answer is stored: following the link again leads to the thank-you page. */
export async function hasAnswered(base: string, token: string, localAddress?: string): Promise<boolean> {
  const b = new Browser(base, localAddress);
  try {
    const opened = await b.get(`/l/${token}`);
    if (opened.status !== 303) throw new Error(`link: ${opened.status}`);
    const start = await b.get(opened.location!);
    if (start.status !== 303) throw new Error(`survey: ${start.status}`);
    return start.location!.endsWith('/tak');
  } finally {
    b.close();
  }
}

let addressCounter = 0;
/**
 * A fresh loopback source address (127.1.x.y) for each respondent: each real respondent comes from their
 * own address, so the per-address limit on opening links applies to each of them, not to the test as one.
 */
export function nextSourceAddress(): string {
  const n = addressCounter++ % 62_500;
  return `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

export type LoadResult = {
  /** Submits the server acknowledged (303 to the thank-you page). */
  submitted: number;
  /** Tokens whose final submit got no answer (connection lost, or a 5xx): stored or not is checked afterwards. */
  unknown: string[];
  errors: FlowError[];
  /** Respondents started (tokens used). */
  started: number;
  elapsedMs: number;
};

/**
 * `vus` virtual respondents, each answering one survey after another until `durationMs` is up (or `stop()`
 * resolves, or the tokens run out). Each token is used once.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return startLoad(opts).done;
}

type LoadOptions = {
  base: () => string;
  tokens: string[];
  vus: number;
  durationMs: number;
  stop?: Promise<void>;
  /** Respondents arrive spread over this long instead of all at once, so they are at every step at any moment. */
  rampMs?: number;
};

/** Like runLoad, with the counts readable while it runs. */
export function startLoad(opts: LoadOptions): { live: LoadResult; done: Promise<LoadResult> } {
  const result: LoadResult = { submitted: 0, unknown: [], errors: [], started: 0, elapsedMs: 0 };
  return { live: result, done: load(opts, result) };
}

async function load(opts: LoadOptions, result: LoadResult): Promise<LoadResult> {
  const started = Date.now();
  const end = started + opts.durationMs;
  let stopped = false;
  void opts.stop?.then(() => (stopped = true));
  let next = 0;
  const vu = async (i: number) => {
    if (opts.rampMs) await new Promise((r) => setTimeout(r, (i * opts.rampMs!) / opts.vus));
    while (!stopped && Date.now() < end && next < opts.tokens.length) {
      const token = opts.tokens[next++]!;
      result.started += 1;
      try {
        await respond(opts.base(), token, nextSourceAddress());
        result.submitted += 1;
      } catch (err) {
        if (!(err instanceof FlowError)) throw err;
        result.errors.push(err);
        if (err.atSubmit) result.unknown.push(token);
        // A respondent who met an error comes back a little later, as a person would.
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.vus }, (_, i) => vu(i)));
  result.elapsedMs = Date.now() - started;
  return result;
}

/** Counts errors by kind and status for messages and reports. */
export function summarize(errors: FlowError[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of errors) {
    const key = e.kind === 'connection' ? `connection:${e.message.split(': ').pop()}` : `status:${e.status}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

// ---------------------------------------------------------------- a real SMTP server

export type Sink = {
  url: string;
  /** Messages the server acknowledged (250 after DATA). */
  messages: ParsedMail[];
  /** Envelope recipients of each acknowledged message. */
  recipients: string[][];
  /** 'hold' keeps every sender waiting at RCPT TO (nothing is accepted) until the mode changes. */
  mode: 'ok' | 'hold';
  /** RCPT TO commands held so far. */
  held: number;
  close: () => Promise<void>;
};

export async function startSink(): Promise<Sink> {
  const port = await freePort();
  const waiting: Array<() => void> = [];
  const sink: Sink = {
    url: `smtp://127.0.0.1:${port}`,
    messages: [],
    recipients: [],
    mode: 'ok',
    held: 0,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: 50,
    onRcptTo(_address, _session, callback) {
      if (sink.mode === 'ok') return callback();
      sink.held += 1;
      waiting.push(() => callback());
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          sink.messages.push(mail);
          sink.recipients.push(session.envelope.rcptTo.map((r) => r.address.toLowerCase()));
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return sink;
}

/** Waits until `check` returns true, polling; throws with `what` after the timeout. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per recipient address, how many acknowledged messages it got. */
export function deliveriesByRecipient(sink: Sink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const list of sink.recipients) for (const a of list) counts.set(a, (counts.get(a) ?? 0) + 1);
  return counts;
}
