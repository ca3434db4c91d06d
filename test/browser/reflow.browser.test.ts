import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  accessibilityViolations,
  chromiumMissing,
  chromiumSkipReason,
  loginAs,
  startBrowserEnv,
  type BrowserEnv,
  type Persona,
} from '../support/browser.js';
import { seedDemoData } from '../../src/demo/demo.seed.js';

/**
 * WCAG 2.1 1.4.10 Reflow, the check to keep for every future page: as every role, on demo data, crawl every
 * page reachable by links at 320 CSS px and fail on each one that scrolls sideways or has an axe finding.
 */

const WIDTH = 320;
/** Pages with the same shape (ids replaced) are visited at most this many times per role… */
const PER_SHAPE = 2;
/** …and no role visits more than this many pages. */
const PER_ROLE = 60;

/** About a minute on an idle two-core machine; several times that when the machine is busy. */
const CRAWL_TIMEOUT = 480_000;

type Role = { name: string; preset?: string; persona?: Persona };

/** A persona for the IdP's own-persona form; `municipality` as the form's option reads, e.g. "Aarhus (751)". */
const persona = (municipality: string, role: string, firstName: string): Persona => ({
  municipality,
  roles: [role],
  firstName,
  lastName: 'Reflow',
  email: `${firstName.toLowerCase()}.reflow@kommune${municipality.replace(/\D/g, '')}.example.dk`,
});

/** Every role: the development IdP's quick picks, and the persona form for the roles they do not cover. */
const ROLES: Role[] = [
  { name: 'anonym' },
  { name: 'projektleder (Aarhus)', preset: 'Projektleder, Aarhus Kommune' },
  { name: 'projektleder (København)', persona: persona('København (101)', 'projektleder', 'Pia') },
  { name: 'projektleder (Helsingør)', persona: persona('Helsingør (217)', 'projektleder', 'Hans') },
  { name: 'sagsbehandler og superbruger (København)', preset: 'Sagsbehandler og superbruger, København' },
  { name: 'leder af ydelsescentret (Odense)', preset: 'Leder af ydelsescentret, Odense' },
  {
    name: 'leder af jobcentret (København)',
    persona: persona('København (101)', 'leder-jobcenter', 'Jonas'),
  },
  {
    name: 'sagsbehandler uden for ydelsescentret (Aarhus)',
    persona: persona('Aarhus (751)', 'sagsbehandler-udenfor', 'Ulla'),
  },
  {
    name: 'informationssøgende (Odense)',
    persona: persona('Odense (461)', 'informationssoegende', 'Ivan'),
  },
  { name: 'KOMBIT', preset: 'KOMBIT-konsulent' },
  { name: 'administrator', preset: 'Administrator' },
];

/**
 * The own-persona form of the development IdP with exactly the persona's roles: the form comes with
 * "projektleder" ticked, which loginWithPersona (test/support/browser.ts) leaves ticked.
 */
async function loginAsPersona(page: Page, baseUrl: string, persona: Persona): Promise<void> {
  await page.goto(baseUrl + '/');
  await page.getByRole('link', { name: 'Log ind med din kommunes login' }).click();
  await page.waitForURL(/\/dev-idp\/sso/);
  await page.getByLabel('Kommune').selectOption({ label: persona.municipality });
  for (const box of await page.locator('input[type="checkbox"][name="roles"]').all()) {
    const value = (await box.getAttribute('value'))!;
    await box.setChecked(persona.roles.includes(value));
  }
  await page.getByLabel('Fornavn').fill(persona.firstName);
  await page.getByLabel('Efternavn').fill(persona.lastName);
  await page.getByLabel('E-mail').fill(persona.email);
  await page.getByRole('button', { name: 'Log ind', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/dev-idp') && !url.pathname.startsWith('/saml'));
}

/** Links a crawl must not follow: downloads, logging in or out, personal links (they change who is logged in), machine endpoints. */
const SKIP = [
  /\.(csv|xlsx|json|pdf|zip)$/i,
  /\/download\//,
  /\/data$/,
  /\/vedhaeftning\//,
  /^\/saml\//,
  /^\/dev-idp\//,
  /^\/l\//,
  /^\/(metrics|healthz|readyz)$/,
];

/** The page's shape: numeric segments and the values of query parameters replaced, so /x/12 and /x/13 are one shape. */
function shapeOf(url: URL): string {
  const path = url.pathname.replace(/\/\d+(?=\/|$)/g, '/:id');
  const keys = [...url.searchParams.keys()].sort().join('&');
  return keys ? `${path}?${keys}` : path;
}

type Visit = { url: string; status: number; width: number; violations: string[] };

/** Same-origin GET links on the page, without fragments, minus downloads and the ones in SKIP. */
async function linksOn(page: Page, origin: string): Promise<URL[]> {
  const hrefs = await page.$$eval('a[href]:not([download])', (as) =>
    as.map((a) => (a as HTMLAnchorElement).href),
  );
  const out: URL[] = [];
  for (const href of hrefs) {
    const url = new URL(href);
    if (url.origin !== origin) continue;
    url.hash = '';
    if (SKIP.some((re) => re.test(url.pathname))) continue;
    out.push(url);
  }
  return out;
}

/**
 * axe's findings for the page, run only when it shows something not yet checked: a page structure (what axe
 * judges is the elements, their attributes and styles and whether they hold text, not the words or numbers)
 * or a role's header and menu. So the same page seen by two learners, or a participant page for each of three
 * people, is checked once, and every role's header at least once.
 */
let axeRuns = 0;
async function axeOnce(page: Page, checked: Map<string, string[]>): Promise<string[]> {
  const { header, rest } = await page.evaluate(() => {
    const structure = (el: Element | null) => {
      if (!el) return '';
      const copy = el.cloneNode(true) as Element;
      for (const input of copy.querySelectorAll('input[type="hidden"]')) input.removeAttribute('value');
      for (const current of copy.querySelectorAll('[aria-current]')) current.removeAttribute('aria-current');
      return copy.outerHTML.replace(/>[^<]*\S[^<]*</g, '>T<').replace(/\d+/g, '#');
    };
    const body = document.body.cloneNode(true) as HTMLElement;
    body.querySelector('.site-header')?.remove();
    return { header: structure(document.querySelector('.site-header')), rest: structure(body) };
  });
  const hash = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
  const headerKey = hash('header\n' + header);
  const pageKey = hash(shapeOf(new URL(page.url())) + '\n' + rest);
  const known = checked.get(pageKey);
  if (known && checked.has(headerKey)) return known;
  const violations = await accessibilityViolations(page);
  axeRuns++;
  for (const k of [headerKey, pageKey]) if (!checked.has(k)) checked.set(k, violations);
  return violations;
}

/** Breadth-first from where the role lands, following links; each page measured at 320 px and checked by axe. */
async function crawl(
  page: Page,
  origin: string,
  start: string,
  checked: Map<string, string[]>,
): Promise<Visit[]> {
  const seen = new Set<string>();
  const perShape = new Map<string, number>();
  const queue: URL[] = [];
  const enqueue = (url: URL) => {
    const key = url.pathname + url.search;
    if (seen.has(key)) return;
    const shape = shapeOf(url);
    if ((perShape.get(shape) ?? 0) >= PER_SHAPE) return;
    seen.add(key);
    perShape.set(shape, (perShape.get(shape) ?? 0) + 1);
    queue.push(url);
  };
  enqueue(new URL(start));
  const visits: Visit[] = [];
  while (queue.length && visits.length < PER_ROLE) {
    const url = queue.shift()!;
    // A link that turns out to be a download is not a page.
    const response = await page.goto(url.href, { waitUntil: 'load' }).catch((e: unknown) => {
      if (/Download is starting/.test(String(e))) return 'download' as const;
      throw e;
    });
    if (response === 'download') continue;
    const status = response?.status() ?? 0;
    const landed = new URL(page.url());
    landed.hash = '';
    if (landed.origin !== origin || SKIP.some((re) => re.test(landed.pathname))) continue;
    // A redirect may land on a page already visited (e.g. / → /kommune).
    if (landed.href !== url.href) {
      if (seen.has(landed.pathname + landed.search)) continue;
      seen.add(landed.pathname + landed.search);
    }
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    const violations = await axeOnce(page, checked);
    visits.push({ url: landed.pathname + landed.search, status, width, violations });
    for (const link of await linksOn(page, origin)) enqueue(link);
  }
  return visits;
}

describe.skipIf(chromiumMissing)('browser: every page of every role reflows at 320 px', () => {
  let env: BrowserEnv;
  beforeAll(async () => {
    env = await startBrowserEnv();
    await seedDemoData(env.t.deps);
  });
  afterAll(async () => env?.close());

  it(
    'when every role follows every link at 320 px, then no page scrolls sideways and axe finds nothing',
    async () => {
      const origin = new URL(env.baseUrl).origin;
      const checked = new Map<string, string[]>();
      // Two roles at a time: on a two-core machine more only makes each page slower.
      const results: { role: string; visits: Visit[] }[] = [];
      const todo = [...ROLES];
      const worker = async () => {
        for (let role = todo.shift(); role; role = todo.shift()) {
          const context = await env.browser.newContext({ viewport: { width: WIDTH, height: 800 } });
          // Patient with a busy machine (the browser suites run side by side): slow is not wide.
          context.setDefaultTimeout(120_000);
          const page = await context.newPage();
          try {
            if (role.preset) await loginAs(page, env.baseUrl, role.preset);
            else if (role.persona) await loginAsPersona(page, env.baseUrl, role.persona);
            const start = role.preset || role.persona ? page.url() : `${env.baseUrl}/`;
            results.push({ role: role.name, visits: await crawl(page, origin, start, checked) });
          } catch (e) {
            throw new Error(`${role.name}, on ${page.url()}: ${String(e)}`, { cause: e });
          } finally {
            await context.close();
          }
        }
      };
      await Promise.all([worker(), worker()]);

      const wide: string[] = [];
      const inaccessible: string[] = [];
      const broken: string[] = [];
      for (const { role, visits } of results) {
        console.log(`reflow at ${WIDTH} px: ${role} visited ${visits.length} pages`);
        for (const v of visits) {
          if (v.status >= 500) broken.push(`${role}: ${v.url} answered ${v.status}`);
          if (v.width > WIDTH) wide.push(`${role}: ${v.url} is ${v.width} px wide`);
          for (const violation of v.violations) inaccessible.push(`${role}: ${v.url}: ${violation}`);
        }
      }
      const total = results.reduce((n, r) => n + r.visits.length, 0);
      console.log(
        `reflow at ${WIDTH} px: ${total} pages in all; axe ran on the ${axeRuns} that differ in structure`,
      );
      for (const { visits } of results) expect(visits.length).toBeGreaterThan(0);
      expect(broken, 'pages that answer with a server error').toEqual([]);
      expect(wide, `pages wider than ${WIDTH} px`).toEqual([]);
      expect(inaccessible, 'axe violations').toEqual([]);
    },
    CRAWL_TIMEOUT,
  );
});

if (chromiumMissing) {
  describe('browser: every page of every role reflows at 320 px', () => {
    it.skip(chromiumSkipReason, () => {});
  });
}
