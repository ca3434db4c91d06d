import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Download,
  type Frame,
  type Page,
} from 'playwright-core';
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { createTestApp, type TestApp } from './app.js';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumMissing = !fs.existsSync(CHROMIUM);
export const chromiumSkipReason = `skipped: Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;

export type BrowserEnv = {
  t: TestApp;
  server: Server;
  baseUrl: string;
  browser: Browser;
  context: BrowserContext;
  close: () => Promise<void>;
};

/** Serves createApp() on a free port with PUBLIC_URL pointing at it, and starts headless Chromium. */
export async function startBrowserEnv(): Promise<BrowserEnv> {
  const holder = net.createServer().listen(0, '127.0.0.1');
  await new Promise<void>((r) => holder.once('listening', () => r()));
  const port = (holder.address() as AddressInfo).port;
  await new Promise<void>((r) => holder.close(() => r()));
  const t = await createTestApp({ env: { PUBLIC_URL: `http://127.0.0.1:${port}`, PORT: String(port) } });
  const server = t.app.listen(port, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
  const context = await browser.newContext();
  return {
    t,
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    browser,
    context,
    close: async () => {
      await context.close();
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      await t.close();
    },
  };
}

/** axe-core as @axe-core/playwright ships it, minified: injected once per document, not once per check. */
const fromAxePlaywright = createRequire(createRequire(import.meta.url).resolve('@axe-core/playwright'));
const axeSource = fs.readFileSync(fromAxePlaywright.resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

type Violation = { id: string; help: string; targets: string[] };

async function violationsIn(frame: Frame): Promise<Violation[]> {
  if (!(await frame.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object')))
    await frame.evaluate(axeSource);
  return frame.evaluate(async (tags) => {
    type AxeResult = { violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown[] }> }> };
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<AxeResult> } })
      .axe;
    // Each frame is checked on its own (below), so axe need not wait for frames to answer.
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
      iframes: false,
    });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  }, WCAG_21_AA);
}

/** axe-core's WCAG 2.1 A/AA violations on the page and its frames, one line each: "rule: help (targets)". */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.waitForLoadState('load');
  const violations = await violationsIn(page.mainFrame());
  for (const frame of page.frames().slice(1)) {
    // A sandboxed frame (e.g. a mail's HTML part) runs no script, so axe cannot run inside it; check such content on its own page.
    const sandboxed = await (
      await frame.frameElement()
    ).evaluate(
      (el) =>
        (el as Element).hasAttribute('sandbox') &&
        !/allow-scripts/.test((el as Element).getAttribute('sandbox') ?? ''),
    );
    if (!sandboxed) violations.push(...(await violationsIn(frame)));
  }
  return violations.map((v) => `${v.id}: ${v.help} (${v.targets.join(', ')})`);
}

/** Zero WCAG 2.1 A/AA violations allowed. */
export async function expectAccessible(page: Page): Promise<void> {
  expect(await accessibilityViolations(page), `axe violations on ${page.url()}`).toEqual([]);
}

/** The anonymous login pages look the same on every visit: checked once per server, not at every login. */
const checkedLoginPages = new Set<string>();
async function expectAccessibleOnce(page: Page): Promise<void> {
  const url = new URL(page.url());
  const key = url.origin + url.pathname;
  if (checkedLoginPages.has(key)) return;
  await expectAccessible(page);
  checkedLoginPages.add(key);
}

/** Logs in through the development IdP persona page, by clicking as a person would. */
export async function loginAs(page: Page, baseUrl: string, preset: string): Promise<void> {
  await page.goto(baseUrl + '/');
  await expectAccessibleOnce(page);
  await page.getByRole('link', { name: 'Log ind med din kommunes login' }).click();
  await page.waitForURL(/\/dev-idp\/sso/);
  await expectAccessibleOnce(page);
  await page.getByRole('button', { name: `Log ind som ${preset}` }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/dev-idp') && !url.pathname.startsWith('/saml'));
}

export type Persona = {
  municipality: string;
  /** role values, as in the SAML privilege */ roles: string[];
  firstName: string;
  lastName: string;
  email: string;
};

/** Logs in through the development IdP's own-persona form: a municipality, role check boxes and name fields, by label. */
export async function loginWithPersona(page: Page, baseUrl: string, persona: Persona): Promise<void> {
  await page.goto(baseUrl + '/');
  await expectAccessibleOnce(page);
  await page.getByRole('link', { name: 'Log ind med din kommunes login' }).click();
  await page.waitForURL(/\/dev-idp\/sso/);
  await expectAccessibleOnce(page);
  await page.getByLabel('Kommune').selectOption({ label: persona.municipality });
  // Each role's label ends with its value in brackets, e.g. "Superbruger (superbruger)".
  for (const role of persona.roles) await page.getByRole('checkbox', { name: `(${role})` }).check();
  await page.getByLabel('Fornavn').fill(persona.firstName);
  await page.getByLabel('Efternavn').fill(persona.lastName);
  await page.getByLabel('E-mail').fill(persona.email);
  await page.getByRole('button', { name: 'Log ind', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/dev-idp') && !url.pathname.startsWith('/saml'));
}

/** What has keyboard focus: enough to decide the next key press. */
export type Focused = { tag: string; type: string; id: string; name: string; checked: boolean; text: string };

export async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    return {
      tag: el?.tagName.toLowerCase() ?? '',
      type: el?.getAttribute('type') ?? '',
      id: el?.id ?? '',
      name: el?.getAttribute('name') ?? '',
      checked: Boolean(el?.checked),
      text: (el?.textContent ?? '').replace(/\s+/g, ' ').trim(),
    };
  });
}

/** Presses Tab (as a keyboard user does) until the focused element matches; fails after `limit` presses. */
export async function tabUntil(
  page: Page,
  matches: (f: Focused) => boolean,
  what: string,
  limit = 150,
): Promise<Focused> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (matches(f)) return f;
  }
  throw new Error(`Tab never reached ${what} on ${page.url()}`);
}

/** Starts a download by running `trigger` and returns the suggested file name and the bytes the browser saved. */
export async function downloadOf(
  page: Page,
  trigger: () => Promise<void>,
): Promise<{ name: string; body: Buffer; download: Download }> {
  const [download] = await Promise.all([page.waitForEvent('download'), trigger()]);
  const file = await download.path();
  return { name: download.suggestedFilename(), body: fs.readFileSync(file), download };
}
