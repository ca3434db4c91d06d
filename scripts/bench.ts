/**
 * Throughput benchmark: `npm run bench`.
 *
 * Baselines (a bare Express "hello" and a raw Knex insert on SQLite with Parat's own createDb) and then
 * Parat itself, each a separate child process, loaded by autocannon from this process at 64 connections:
 * the survey page (GET, with a session), the final survey submit (POST with session and CSRF token, each
 * request a distinct respondent whose answer is stored), and the project leader's dashboard (GET).
 *
 * Parat runs as `npm start` runs it in production: compiled (`npm run build`, then `node dist/src/server.js`),
 * NODE_ENV=production, LOG_LEVEL=info (one pino line per request, written to a log file as a process
 * manager would), its scheduler and mail worker running, and SAML against an external IdP (this script)
 * configured through SAML_IDP_METADATA. Everything the measured requests need (the municipality's plan and
 * open round, participants, personal links, sessions, drafts, CSRF tokens) is prepared through HTTP first.
 *
 * Environment: BENCH_SECONDS (default 8) per GET run, BENCH_SUBMITS (default 2000) submits,
 * BENCH_BUILD=0 skips the build (uses the existing dist/), BENCH_KEEP=1 keeps the temporary directory (SQLite
 * file, Parat's log), BENCH_NODE_ARGS passes options to Parat's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import knexFactory from 'knex';
import { generateKeyPair } from '../src/auth/saml/keys.js';
import { elementsOf, loadInstruments } from '../src/surveys/instrument.js';
import { SURVEY_GROUPS } from '../src/surveys/groups.js';
import { BenchIdp, Client, closeConnections, encodeForm, hidden, type Persona } from './bench-client.js';

const CONNECTIONS = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 2000);
const SETTLE_SECONDS = 10;
const WARMUP_SECONDS = 2;
const MUNICIPALITY = { code: 751, name: 'Aarhus', cvr: '19751000' };
const KOMBIT_CVR = '19435075';
const ROLE_BASE = 'http://parat.kombit.dk/roles/usersystemrole';
const root = path.resolve(import.meta.dirname, '..');

type Measured = {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  statuses: Record<string, number>;
  errors: number;
  cpuMs: number;
};

/** When each load ran, on the monotonic clock that V8's CPU profiles use (for BENCH_NODE_ARGS=--cpu-prof). */
const phases: Array<{ name: string; startUs: number; endUs: number }> = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secondsSince = (t: bigint) => (Number(process.hrtime.bigint() - t) / 1e9).toFixed(1);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(port: number, pathname: string, child: ChildProcess): Promise<void> {
  const c = new Client(port);
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null)
      throw new Error(`server exited with code ${child.exitCode} before it was ready`);
    try {
      if ((await c.get(pathname)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server on port ${port} did not answer ${pathname}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Resident set size (and its peak) of a process, in MB, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms. */
function cpuOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

/** One autocannon run against the server process `pid`; `next` builds each request (cookie, body) when given. */
async function load(
  name: string,
  port: number,
  pid: number,
  opts: {
    method?: 'GET' | 'POST';
    path: string;
    body?: string;
    headers?: Record<string, string>;
    next?: () => { path?: string; headers: Record<string, string>; body?: string };
    amount?: number;
    seconds?: number;
  },
): Promise<Measured> {
  const statuses: Record<string, number> = {};
  const cpuBefore = cpuOf(pid);
  const startedUs = process.hrtime.bigint() / 1000n;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    pipelining: 1,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds ?? SECONDS }),
    timeout: 30,
    requests: [
      {
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: opts.headers,
        body: opts.body,
        setupRequest: (req) => {
          if (!opts.next) return req;
          const n = opts.next();
          return {
            ...req,
            path: n.path ?? req.path,
            headers: { ...req.headers, ...n.headers },
            body: n.body ?? req.body,
          };
        },
        onResponse: (status) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
        },
      },
    ],
  });
  phases.push({ name, startUs: Number(startedUs), endUs: Number(process.hrtime.bigint() / 1000n) });
  return {
    name,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    statuses,
    errors: result.errors + result.timeouts,
    cpuMs: (cpuOf(pid) - cpuBefore) / Math.max(1, result.requests.total),
  };
}

/** Runs a few thousand async jobs with bounded concurrency. */
async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** A source address on loopback per ten respondents: the personal-link rate limit is per client address. */
const addressOf = (i: number) => {
  const j = Math.floor(i / 10);
  return `127.20.${1 + Math.floor(j / 250)}.${1 + (j % 250)}`;
};

async function baselines(dir: string): Promise<{ hello: Measured; insert: Measured }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'scripts/bench-baseline.ts'),
      String(port),
      path.join(dir, 'baseline.sqlite'),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const pid = child.pid!;
  try {
    await waitFor(port, '/hello', child);
    await load('warm-up', port, pid, { path: '/hello', seconds: WARMUP_SECONDS });
    const hello = await load('bare Express hello', port, pid, { path: '/hello' });
    const body = encodeForm(
      Object.fromEntries([
        ...Array.from({ length: 20 }, (_, i) => [`q${i}`, String(1 + (i % 5))]),
        ['comment', ''],
      ]),
    );
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await load('warm-up', port, pid, {
      method: 'POST',
      path: '/insert',
      headers: form,
      body,
      seconds: WARMUP_SECONDS,
    });
    const insert = await load('raw Knex insert', port, pid, {
      method: 'POST',
      path: '/insert',
      headers: form,
      body,
    });
    return { hello, insert };
  } finally {
    await stop(child);
  }
}

type Respondent = { client: Client; csrf: string };

async function main() {
  const started = process.hrtime.bigint();
  if (process.env.BENCH_BUILD !== '0') {
    const t = process.hrtime.bigint();
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
    console.log(`build: ${secondsSince(t)} s`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-bench-'));
  console.log(
    `${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${CONNECTIONS} connections; files in ${dir}`,
  );

  // ---- Baselines
  const { hello, insert } = await baselines(dir);

  // ---- Parat in production mode
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const spKeys = await generateKeyPair('Parat bench SP');
  const idpKeys = await generateKeyPair('Bench IdP');
  fs.writeFileSync(path.join(dir, 'sp-key.pem'), spKeys.key, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'sp-cert.pem'), spKeys.cert);
  const idp = new BenchIdp(
    'https://idp.bench.example.dk',
    idpKeys,
    { entityId: `${publicUrl}/saml/metadata`, acsUrl: `${publicUrl}/saml/acs`, cert: spKeys.cert },
    ROLE_BASE,
  );
  fs.writeFileSync(path.join(dir, 'idp-metadata.xml'), idp.metadataXml('https://idp.bench.example.dk/sso'));
  const sqliteFile = path.join(dir, 'parat.sqlite');
  const logFile = path.join(dir, 'parat.log');
  const logFd = fs.openSync(logFile, 'w');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    SQLITE_FILE: sqliteFile,
    VAR_DIR: dir,
    SESSION_SECRET: crypto.randomBytes(32).toString('hex'),
    SAML_SP_KEY: path.join(dir, 'sp-key.pem'),
    SAML_SP_CERT: path.join(dir, 'sp-cert.pem'),
    SAML_IDP_METADATA: path.join(dir, 'idp-metadata.xml'),
    SAML_ROLE_BASE: ROLE_BASE,
    KOMBIT_CVR,
    LOG_LEVEL: 'info',
  };
  const extraArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const server = spawn(process.execPath, [...extraArgs, path.join(root, 'dist/src/server.js')], {
    cwd: root,
    env,
    stdio: ['ignore', logFd, logFd],
  });
  const pid = server.pid!;
  let results: Measured[];
  let memory: { rss: number; peak: number } | null;
  let settled: { rss: number; peak: number } | null;
  let submitsOk: number;
  try {
    await waitFor(port, '/healthz', server);
    const idle = memoryOf(pid);
    console.log(`Parat started: resident memory ${idle?.rss.toFixed(0)} MB`);
    const t = process.hrtime.bigint();
    const instrument = [...loadInstruments().values()].sort((a, b) => b.version - a.version)[0]!;
    const pages = elementsOf(instrument);

    // KOMBIT: go-live for the municipality (its rounds are planned), then open round 1/3 by hand.
    const kombit = new Client(port);
    const kombitPersona: Persona = {
      roles: ['kombit'],
      cvr: KOMBIT_CVR,
      orgName: 'KOMBIT A/S',
      firstName: 'Karen',
      lastName: 'Konsulent',
      email: 'karen.konsulent@kombit.example.dk',
    };
    await idp.login(kombit, kombitPersona);
    const municipalityPage = `/national/kommuner/${MUNICIPALITY.code}`;
    const goLive = new Date(Date.now() + 300 * 86_400_000).toISOString().slice(0, 10);
    let page = await kombit.expect(200, 'GET', municipalityPage);
    await kombit.expect(303, 'POST', `${municipalityPage}/plan`, {
      _csrf: hidden(page.body),
      wave: '4',
      goLive,
    });
    page = await kombit.expect(200, 'GET', municipalityPage);
    const roundIds = [...page.body.matchAll(/\/national\/runder\/(\d+)\/aabn/g)].map((m) => Number(m[1]));
    if (roundIds.length < 2) throw new Error('expected the planned rounds on the KOMBIT municipality page');
    const [round1, round2] = roundIds as [number, number];
    await kombit.expect(303, 'POST', `/national/runder/${round1}/aabn`, { _csrf: hidden(page.body) });

    // Project leader: participants (CSV import) and a personal link for each.
    const leader = new Client(port);
    await idp.login(leader, {
      roles: ['projektleder'],
      cvr: MUNICIPALITY.cvr,
      orgName: `${MUNICIPALITY.name} Kommune`,
      firstName: 'Mette',
      lastName: 'Projektleder',
      email: 'mette.projektleder@aarhus.example.dk',
    });
    const people = SUBMITS + 2 * CONNECTIONS;
    for (let from = 0; from < people; from += 5000) {
      const lines = ['navn;email;gruppe;superbruger'];
      for (let i = from; i < Math.min(people, from + 5000); i++)
        lines.push(
          `Deltager ${i};deltager${i}@aarhus.example.dk;${SURVEY_GROUPS[i % 10 === 0 ? i % 4 : 2 + (i % 3)]};nej`,
        );
      const form = await leader.expect(200, 'GET', '/kommune/deltagere');
      await leader.expect(303, 'POST', '/kommune/deltagere/import', {
        _csrf: hidden(form.body),
        csv: lines.join('\r\n'),
      });
    }
    const municipality = await leader.expect(200, 'GET', '/kommune');
    const linksCsv = await leader.expect(200, 'POST', `/kommune/runder/${round1}/links`, {
      _csrf: hidden(municipality.body),
    });
    const links = linksCsv.body
      .split('\r\n')
      .slice(1)
      .map((line) => line.split(';').at(-1)!)
      .filter(Boolean)
      .map((url) => new URL(url).pathname);
    if (links.length !== people) throw new Error(`expected ${people} links, got ${links.length}`);

    // Respondents: open the link (a session), take the CSRF token, answer pages 1–5; the submit is measured.
    const answer = (i: number, item: number) =>
      (i * 7 + item * 3) % 11 === 0 ? 'vedikke' : String(1 + ((i + item) % 5));
    const readers: Respondent[] = [];
    const submitters: Respondent[] = [];
    await pool(links, 32, async (link, i) => {
      const client = new Client(port, addressOf(i));
      await client.expect(303, 'GET', link);
      const first = await client.expect(200, 'GET', `/undersoegelse/${round1}/side/1`);
      const csrf = hidden(first.body);
      if (i < CONNECTIONS) return void readers.push({ client, csrf });
      for (const [p, element] of pages.entries()) {
        const form: Record<string, string> = { _csrf: csrf, handling: 'naeste' };
        element.items.forEach((item, n) => (form[item.id] = answer(i, n)));
        await client.expect(303, 'POST', `/undersoegelse/${round1}/side/${p + 1}`, form);
      }
      submitters.push({ client, csrf });
    });
    console.log(
      `prepared through HTTP in ${secondsSince(t)} s (not measured): plan, round, ${people} participants and links, ${readers.length} reading and ${submitters.length} submitting respondents`,
    );

    // ---- Measured: survey page GET
    let r = 0;
    const surveyPath = `/undersoegelse/${round1}/side/3`;
    const reader = () => ({ headers: { cookie: readers[r++ % readers.length]!.client.cookie! } });
    await load('warm-up', port, pid, { path: surveyPath, next: reader, seconds: WARMUP_SECONDS });
    const surveyGet = await load('survey page GET', port, pid, { path: surveyPath, next: reader });

    // ---- Measured: survey submit POST, one distinct respondent per request
    let s = 0;
    const submitPath = `/undersoegelse/${round1}/side/${pages.length + 1}`;
    const submitter = () => {
      const x = submitters[s++];
      if (!x) throw new Error('ran out of prepared respondents');
      return {
        headers: { cookie: x.client.cookie!, 'content-type': 'application/x-www-form-urlencoded' },
        body: encodeForm({
          _csrf: x.csrf,
          handling: 'indsend',
          comment: s % 3 ? '' : 'Vi mangler mere tid til oplæring.',
        }),
      };
    };
    const submit = await load('survey submit POST', port, pid, {
      method: 'POST',
      path: submitPath,
      next: submitter,
      amount: submitters.length - CONNECTIONS,
    });
    submitsOk = submit.statuses['303'] ?? 0;

    // The round closes (its published aggregate is stored) and the next opens: the dashboard shows both.
    page = await kombit.expect(200, 'GET', municipalityPage);
    await kombit.expect(303, 'POST', `/national/runder/${round1}/luk`, { _csrf: hidden(page.body) });
    await kombit.expect(303, 'POST', `/national/runder/${round2}/aabn`, { _csrf: hidden(page.body) });

    // ---- Measured: the project leader's dashboard
    await leader.expect(200, 'GET', '/kommune/dashboard');
    const dashboardHeaders = { cookie: leader.cookie! };
    await load('warm-up', port, pid, {
      path: '/kommune/dashboard',
      headers: dashboardHeaders,
      seconds: WARMUP_SECONDS,
    });
    const dashboard = await load('dashboard GET', port, pid, {
      path: '/kommune/dashboard',
      headers: dashboardHeaders,
    });
    results = [surveyGet, submit, dashboard];
    memory = memoryOf(pid);
    // The same process a little later, with no requests: what it holds once V8 has tidied up after the load.
    await sleep(SETTLE_SECONDS * 1000);
    settled = memoryOf(pid);
  } finally {
    closeConnections();
    await stop(server);
    fs.closeSync(logFd);
  }

  // Verification straight from the file: every accepted submit stored exactly one anonymous response.
  const db = knexFactory({ client: 'sqlite3', connection: { filename: sqliteFile }, useNullAsDefault: true });
  const responses = await db('survey_responses').count<{ n: number }[]>({ n: '*' });
  const submitted = await db('survey_participation')
    .where({ submitted: true })
    .count<{ n: number }[]>({ n: '*' });
  await db.destroy();
  const stored = { responses: Number(responses[0]?.n), submitted: Number(submitted[0]?.n) };

  const [surveyGet, submit, dashboard] = results as [Measured, Measured, Measured];
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
  const rows = [
    ['bare Express hello', hello, '', ''],
    ['raw Knex insert (SQLite)', insert, '', ''],
    ['survey page GET', surveyGet, pct(surveyGet.rps, hello.rps), 'of hello'],
    ['survey submit POST', submit, pct(submit.rps, insert.rps), 'of insert'],
    ['dashboard GET', dashboard, pct(dashboard.rps, hello.rps), 'of hello'],
  ] as const;
  console.log('');
  console.log(
    `${'endpoint'.padEnd(26)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'requests'.padStart(9)} ${'CPU ms/req'.padStart(10)}  ratio            statuses`,
  );
  for (const [label, m, ratio, of] of rows) {
    const statuses =
      Object.entries(m.statuses)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ') + (m.errors ? ` errors×${m.errors}` : '');
    console.log(
      `${label.padEnd(26)} ${m.rps.toFixed(0).padStart(8)} ${m.p50.toFixed(1).padStart(7)} ${m.p99.toFixed(1).padStart(7)} ${String(m.requests).padStart(9)} ${m.cpuMs.toFixed(2).padStart(10)}  ${`${ratio} ${of}`.padEnd(16)} ${statuses}`,
    );
  }
  const mb = (m: { rss: number } | null) => (m ? `${m.rss.toFixed(0)} MB` : 'unknown');
  console.log(
    `Parat server resident memory: ${mb(memory)} right after the last load, ${mb(settled)} ${SETTLE_SECONDS} s later; peak ${settled ? settled.peak.toFixed(0) : '?'} MB`,
  );
  console.log(
    `stored: ${stored.responses} anonymous responses, ${stored.submitted} participations marked submitted, ${submitsOk} submits answered 303`,
  );
  console.log('');

  const okOnly = (m: Measured, status: string) =>
    m.errors === 0 && Object.keys(m.statuses).every((k) => k === status);
  const checks: Array<[string, boolean]> = [
    [
      `survey submit ≥ 40 % of raw insert req/s (${pct(submit.rps, insert.rps)})`,
      submit.rps >= 0.4 * insert.rps,
    ],
    [
      `survey submit p99 ≤ 100 ms at ${CONNECTIONS} connections (${submit.p99.toFixed(1)} ms)`,
      submit.p99 <= 100,
    ],
    [
      `dashboard ≥ 25 % of bare hello req/s (${pct(dashboard.rps, hello.rps)})`,
      dashboard.rps >= 0.25 * hello.rps,
    ],
    [
      `resident memory ≤ 200 MB after the run (${mb(settled)}, ${SETTLE_SECONDS} s after the last request)`,
      settled !== null && settled.rss <= 200,
    ],
    [
      `every request answered as expected (hello/insert/GET 200/201/200, submit 303, dashboard 200)`,
      okOnly(hello, '200') &&
        okOnly(insert, '201') &&
        okOnly(surveyGet, '200') &&
        okOnly(submit, '303') &&
        okOnly(dashboard, '200'),
    ],
    [
      `one stored response per accepted submit (${stored.responses} = ${submitsOk} = ${stored.submitted})`,
      stored.responses === submitsOk && stored.submitted === submitsOk,
    ],
  ];
  for (const [label, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${label}`);
  fs.writeFileSync(path.join(dir, 'phases.json'), JSON.stringify(phases));
  if (process.env.BENCH_KEEP === '1')
    console.log(`\nkept ${dir} (Parat's log: ${logFile}, load phases: phases.json)`);
  else fs.rmSync(dir, { recursive: true, force: true });
  console.log(`\ntotal ${secondsSince(started)} s`);
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
