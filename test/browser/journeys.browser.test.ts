import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { content } from '../elearning/support.js';
import {
  chromiumMissing,
  chromiumSkipReason,
  downloadOf,
  expectAccessible,
  focused,
  loginAs,
  loginWithPersona,
  startBrowserEnv,
  tabUntil,
  type BrowserEnv,
} from '../support/browser.js';
import { seedDemoData } from '../../src/demo/demo.seed.js';
import { elementsOf } from '../../src/surveys/instrument.js';
import { ELEMENTS, ELEMENT_LABELS, SURVEY_GROUPS, SURVEY_GROUP_LABELS } from '../../src/surveys/groups.js';

/** On a 320 px wide phone the page does not scroll sideways (then back to the desktop width). */
async function expectNoSidewaysScrollAt320(page: Page): Promise<void> {
  const desktop = page.viewportSize()!;
  await page.setViewportSize({ width: 320, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth), page.url()).toBeLessThanOrEqual(
    320,
  );
  await page.setViewportSize(desktop);
}

/**
 * The four journeys, done as people do them on demo data: by clicking links and buttons by their
 * accessible names, filling labelled fields, pressing keys, and with axe-core on every page visited.
 */
/** A journey visits up to twenty pages; on a busy two-core machine that can take a minute or more. */
const JOURNEY_TIMEOUT = 240_000;

describe.skipIf(chromiumMissing)('browser journeys', () => {
  let env: BrowserEnv;
  beforeAll(async () => {
    env = await startBrowserEnv();
    await seedDemoData(env.t.deps);
  });
  afterAll(async () => env?.close());

  const newPage = async () => (await env.browser.newContext()).newPage();
  const path = (page: Page) => new URL(page.url()).pathname;
  const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

  it(
    'when a caseworker logs in through the development IdP and answers the open survey by keyboard alone, then every page is accessible and the answer is stored once',
    async () => {
      const page = await newPage();
      await loginAs(page, env.baseUrl, 'Sagsbehandler og superbruger, København');
      expect(path(page)).toBe('/mine-opgaver');
      await expectAccessible(page);
      const round = await env.t
        .db('survey_rounds')
        .where({ municipality_code: 101, round_no: 2 })
        .first('id', 'state');
      expect(round.state).toBe('open');
      const responses = async () =>
        Number(
          (await env.t.db('survey_responses').where({ round_id: round.id }).count({ n: '*' }).first())!.n,
        );
      const before = await responses();

      // From here on the keyboard only: Tab to the task and follow it with Enter.
      await tabUntil(
        page,
        (f) => f.tag === 'a' && f.text.startsWith('2/3 – statusundersøgelse'),
        'the open survey',
      );
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/undersoegelse\/\d+\/side\/1$/);
      await expectAccessible(page);

      // "Næste" on an unanswered page shows the Danish error summary, accessibly.
      await tabUntil(page, (f) => f.text === 'Næste', 'Næste');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Svar på alle udsagn');
      await expectAccessible(page);

      const pages = Number((await page.locator('#fremdrift').textContent())!.match(/Side 1 af (\d+)/)![1]);
      expect(pages).toBeGreaterThan(2);
      const expected: Record<string, number> = {};
      for (let p = 1; p < pages; p++) {
        const items = await page
          .locator('fieldset.item input[type="radio"][value="1"]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('name')!));
        expect(items.length).toBeGreaterThan(0);
        // Tab enters each item's radio group on its first option; the arrow keys choose, Space picks the focused one.
        let f = await tabUntil(page, (x) => x.type === 'radio', 'the first statement');
        for (const [i, item] of items.entries()) {
          if (i > 0) {
            await page.keyboard.press('Tab');
            f = await focused(page);
          }
          expect(f.name).toBe(item);
          if (p === 2 && i === 0) {
            await page.keyboard.press('Space');
            expected[item] = 1;
          } else {
            for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowRight');
            expected[item] = 4;
          }
          expect((await focused(page)).checked).toBe(true);
        }
        // Enter in the form goes forward, as the keyboard user expects (not back to the previous page).
        await page.keyboard.press('Enter');
        await page.waitForURL(new RegExp(`/side/${p + 1}$`));
        if (p === 1 || p === pages - 1) await expectAccessible(page);
      }
      expect(await page.getByRole('progressbar').getAttribute('value')).toBe(
        String(Object.keys(expected).length),
      );

      // The same page open in a second tab, to try sending twice.
      const secondTab = await page.context().newPage();
      await secondTab.goto(page.url());

      await tabUntil(page, (f) => f.tag === 'textarea', 'the comment field');
      await page.keyboard.type('Godt forberedt – tak for introduktionen.');
      await tabUntil(page, (f) => f.text === 'Indsend', 'Indsend');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/tak$/);
      expect(await h1(page)).toBe('Tak for dit svar');
      await expectAccessible(page);

      await tabUntil(secondTab, (f) => f.text === 'Indsend', 'Indsend in the second tab');
      await secondTab.keyboard.press('Enter');
      await expect
        .poll(() => secondTab.locator('main').textContent())
        .toContain('Du har allerede besvaret denne undersøgelse');
      await expectAccessible(secondTab);

      // Stored once, anonymously, with exactly the keys pressed.
      expect(await responses()).toBe(before + 1);
      const rows = await env.t
        .db('survey_responses')
        .where({ round_id: round.id, comment: 'Godt forberedt – tak for introduktionen.' });
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0].answers)).toEqual(expected);
      expect(Object.keys(rows[0]).sort()).toEqual([
        'answers',
        'comment',
        'id',
        'instrument_version',
        'municipality_code',
        'round_id',
        'round_no',
        'survey_group',
      ]);

      await page.getByRole('link', { name: 'Tilbage til Mine opgaver' }).click();
      await page.waitForURL(/\/mine-opgaver$/);
      expect(await page.getByRole('link', { name: /2\/3 – statusundersøgelse/ }).count()).toBe(0);
      expect(
        await page
          .getByRole('listitem')
          .filter({ hasText: '2/3 – statusundersøgelse – tak for dit svar.' })
          .count(),
      ).toBe(1);
      await expectAccessible(page);
      await page.context().close();
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'when a learner does a module, fails the final test, passes it by keyboard alone and prints the certificate, then anyone can verify it and every page is accessible',
    async () => {
      const page = await newPage();
      const learner = {
        municipality: 'Aalborg (851)',
        roles: ['sagsbehandler-ydelsescenter'],
        firstName: 'Søren',
        lastName: 'Ærø-Østergaard',
        email: 'soeren.oestergaard@aalborg.example.dk',
      };
      await loginWithPersona(page, env.baseUrl, learner);
      await expectAccessible(page);
      await page
        .getByRole('navigation', { name: 'Hovedmenu' })
        .getByRole('link', { name: 'E-læring' })
        .click();
      await page.waitForURL(/\/e-laering$/);
      expect(await h1(page)).toBe('E-læring om KSD');
      await expectAccessible(page);

      // A module, read and marked as done.
      await page.getByRole('link', { name: 'Introduktion til KSD' }).first().click();
      await page.waitForURL(/\/e-laering\/moduler\/[a-z-]+$/);
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Marker modulet som gennemført' }).click();
      await expect.poll(() => page.getByText('Status: Gennemført').count()).toBe(1);
      await expectAccessible(page);

      // First attempt: one answer saved, then handed in: failed, with a module to revisit.
      await page
        .getByRole('navigation', { name: 'E-læring' })
        .getByRole('link', { name: 'Afsluttende test' })
        .click();
      await page.waitForURL(/\/e-laering\/test$/);
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Start testen' }).click();
      await page.waitForURL(/\/e-laering\/test\/forsoeg\/\d+$/);
      expect(await page.locator('fieldset.question').count()).toBe(5);
      expect(
        await page.getByRole('navigation', { name: 'Spørgsmål i testen' }).getByRole('listitem').count(),
      ).toBe(20);
      await expectAccessible(page);
      await expectNoSidewaysScrollAt320(page);
      await page.getByRole('radio').first().check();
      await page.getByRole('button', { name: 'Gem og fortsæt senere' }).click();
      await expect.poll(() => page.getByRole('status').textContent()).toContain('Dine svar er gemt');
      await page.getByRole('button', { name: 'Oversigt og aflevering' }).click();
      await page.waitForURL(/\/aflever$/);
      expect(await h1(page)).toBe('Aflever testen');
      expect(await page.getByText('19 spørgsmål er ikke besvaret').count()).toBe(1);
      await expectAccessible(page);
      await expectNoSidewaysScrollAt320(page);
      await page.getByRole('button', { name: 'Aflever testen' }).click();
      await page.waitForURL(/\/resultat$/);
      expect(await h1(page)).toBe('Resultat af testen');
      expect(await page.locator('.result-verdict').textContent()).toContain('Du har ikke bestået testen');
      expect(await page.locator('.review-item').count()).toBe(20);
      expect(await page.getByText('(rigtigt svar)').count()).toBe(0);
      await expectAccessible(page);
      await expectNoSidewaysScrollAt320(page);
      const revisit = page
        .getByRole('table', { name: 'Læringsmål, hvor du svarede forkert' })
        .getByRole('link')
        .first();
      const moduleHref = await revisit.getAttribute('href');
      await revisit.click();
      await page.waitForURL((url) => url.pathname === moduleHref);
      await expectAccessible(page);

      // Second attempt by keyboard alone, page by page; the key is the question bank's, as an examiner knows it.
      await page
        .getByRole('navigation', { name: 'E-læring' })
        .getByRole('link', { name: 'Afsluttende test' })
        .click();
      await page.waitForURL(/\/e-laering\/test$/);
      await tabUntil(page, (f) => f.text === 'Start et nyt forsøg', 'Start et nyt forsøg');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/e-laering\/test\/forsoeg\/\d+$/);
      const attemptId = Number(path(page).split('/').pop());
      const items = await env.t.db('quiz_attempt_items').where({ attempt_id: attemptId }).orderBy('position');
      // The page names options by place (q<position>-<n>); which place is right follows from the attempt's stored order.
      const correct = new Set(
        items.flatMap((item) => {
          const q = content.question(item.question_id)!;
          const order = JSON.parse(item.option_order) as string[];
          return order.flatMap((id, i) =>
            q.options.find((o) => o.id === id)!.correct ? [`q${item.position}-${i + 1}`] : [],
          );
        }),
      );
      for (let side = 1; side <= 4; side++) {
        const first = (side - 1) * 5 + 1;
        let f = await tabUntil(page, (x) => x.name === `q${first}`, `question ${first}`);
        for (let presses = 0; f.text !== 'Næste side' && f.text !== 'Gå til aflevering'; presses++) {
          expect(presses, 'key presses for a page of the test').toBeLessThan(120);
          if (f.type === 'checkbox' && correct.has(f.id) !== f.checked) await page.keyboard.press('Space');
          if (f.type === 'radio') {
            // Tab lands on the group's first option without choosing it; the arrow keys move and choose.
            if (correct.has(f.id) && !f.checked) await page.keyboard.press('Space');
            for (let k = 0; !correct.has(f.id) && k < 10; k++) {
              await page.keyboard.press('ArrowDown');
              f = await focused(page);
            }
          }
          await page.keyboard.press('Tab');
          f = await focused(page);
        }
        expect(await page.locator('input:checked').evaluateAll((els) => els.map((e) => e.id).sort())).toEqual(
          [...correct].filter((id) => Math.ceil(Number(/^q(\d+)-/.exec(id)![1]) / 5) === side).sort(),
        );
        await page.keyboard.press('Enter');
        await page.waitForURL(side < 4 ? new RegExp(`side=${side + 1}$`) : /\/aflever$/);
      }
      expect(await page.getByText('Alle spørgsmål er besvaret.').count()).toBe(1);
      await tabUntil(page, (x) => x.text === 'Aflever testen', 'Aflever testen');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/resultat$/);
      expect(await page.locator('.result-verdict').textContent()).toBe('Du har bestået testen.');
      expect(await page.locator('.result-score').textContent()).toBe('20 af 20 rigtige (100 %).');
      await expectAccessible(page);

      // The certificate, on screen and on paper.
      await page.getByRole('link', { name: 'Udskriv kursusbevis' }).click();
      await page.waitForURL(/\/e-laering\/certifikat$/);
      await expectAccessible(page);
      const certificate = page.locator('article.certificate');
      expect(await certificate.getByText('Søren Ærø-Østergaard').count()).toBe(1);
      expect(await certificate.textContent()).toContain('Aalborg Kommune');
      const code = (await certificate.locator('.code').textContent())!.trim();
      const verifyUrl = (await certificate.locator('dd').last().textContent())!.trim();
      expect(verifyUrl).toBe(`${env.baseUrl}/certifikat/verificer/${code.replace('-', '')}`);
      // The print button (shown by the script) opens the browser's print dialog; counted, as headless Chromium has none.
      await page.evaluate(() => {
        const w = window as unknown as { print: () => void; printed: number };
        w.printed = 0;
        w.print = () => void (w.printed += 1);
      });
      await tabUntil(page, (x) => x.text === 'Udskriv kursusbeviset', 'the print button');
      await page.keyboard.press('Enter');
      expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
      await page.emulateMedia({ media: 'print' });
      expect(await certificate.isVisible()).toBe(true);
      expect(await certificate.getByText(code).isVisible()).toBe(true);
      for (const hidden of [
        '.site-header nav',
        '.subnav',
        '.site-footer',
        '.skip-link',
        'button[data-print]',
      ]) {
        expect(await page.locator(hidden).first().isVisible(), `${hidden} on paper`).toBe(false);
      }
      await page.emulateMedia({ media: 'screen' });

      // Anyone who types the printed address sees that the certificate is genuine.
      const anyone = await newPage();
      await anyone.goto(verifyUrl);
      await expect.poll(() => anyone.getByRole('status').textContent()).toContain('Kursusbeviset er gyldigt');
      expect(await anyone.getByRole('status').textContent()).toContain('Søren Ærø-Østergaard');
      await expectAccessible(anyone);
      // Or opens the public verification page and types the code: a wrong one is refused, case does not matter.
      await anyone.goto(env.baseUrl + '/certifikat/verificer');
      await expectAccessible(anyone);
      await anyone.getByLabel('Kontrolkode').fill('ABCDE-FGH23');
      await anyone.getByRole('button', { name: 'Kontrollér' }).click();
      await expect
        .poll(() => anyone.getByRole('alert').textContent())
        .toContain('Der findes ikke et kursusbevis med koden ABCDE-FGH23');
      await expectAccessible(anyone);
      await anyone.getByLabel('Kontrolkode').fill(code.toLowerCase());
      await anyone.getByRole('button', { name: 'Kontrollér' }).click();
      await expect.poll(() => anyone.getByRole('status').textContent()).toContain('Kursusbeviset er gyldigt');
      await anyone.context().close();

      // Back on the overview, the learner is offered the course evaluation.
      await page.getByRole('link', { name: 'E-læring: oversigt' }).click();
      await page.waitForURL(/\/e-laering$/);
      await page.getByRole('link', { name: 'Evaluer e-læringen' }).first().click();
      await page.waitForURL(/\/evaluering\/e-laering$/);
      await expectAccessible(page);
      await page.context().close();
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'when a project leader imports participants from a Danish Excel CSV into an open round and sends their invitations, then they land in the mailbox, their links work, and the dashboard counts them',
    async () => {
      const page = await newPage();
      await loginAs(page, env.baseUrl, 'Projektleder, Aarhus Kommune');
      expect(path(page)).toBe('/kommune');
      expect(await h1(page)).toBe('Aarhus Kommune');
      await expectAccessible(page);
      await page.getByRole('link', { name: 'Administrér deltagere' }).click();
      await page.waitForURL(/\/kommune\/deltagere$/);
      await expectAccessible(page);
      const participants = async () =>
        Number(
          (await env.t.db('participants').where({ municipality_code: 751 }).count({ n: '*' }).first())!.n,
        );
      const before = await participants();

      // Round 2/3 opens (KOMBIT opens it by hand here; the scheduler does the same on its date): everyone on the list
      // then is invited.
      const kombit = await newPage();
      await loginAs(kombit, env.baseUrl, 'KOMBIT-konsulent');
      await kombit.getByRole('link', { name: 'Aarhus', exact: true }).click();
      await kombit.waitForURL(/\/national\/kommuner\/751$/);
      await expectAccessible(kombit);
      await kombit.getByRole('button', { name: 'Åbn nu 2/3' }).click();
      await expect.poll(() => kombit.getByRole('status').textContent()).toContain('Runden er åbnet.');
      await expectAccessible(kombit);
      await kombit.context().close();

      const people = [
        {
          name: 'Søren Ærø',
          email: 'soeren.aeroe@aarhus.example.dk',
          group: 'Sagsbehandler i Ydelsescentret',
          superuser: 'ja',
        },
        {
          name: 'Åse Bøgh',
          email: 'aase.boegh@aarhus.example.dk',
          group: 'Informationssøgende medarbejder',
          superuser: 'nej',
        },
        {
          name: 'Jørgen Østergård',
          email: 'joergen.oestergaard@aarhus.example.dk',
          group: 'Sagsbehandler uden for Ydelsescentret',
          superuser: 'nej',
        },
      ];
      const csv = (rows: typeof people) =>
        Buffer.from(
          '\uFEFF' +
            [
              'navn;email;gruppe;superbruger',
              ...rows.map((p) => `${p.name};${p.email};${p.group};${p.superuser}`),
            ].join('\r\n') +
            '\r\n',
          'utf8',
        );

      // A file with one bad line is refused as a whole, with the line number and reason.
      await page.getByLabel('CSV-fil').setInputFiles({
        name: 'deltagere.csv',
        mimeType: 'text/csv',
        buffer: csv([people[0]!, { ...people[1]!, email: 'aase.boegh(at)aarhus' }]),
      });
      await page.getByRole('button', { name: 'Importér' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Filen blev ikke importeret');
      expect(await page.getByRole('alert').textContent()).toContain('Linje 3: e-mailadressen er ugyldig');
      expect(await participants()).toBe(before);
      await expectAccessible(page);

      await page
        .getByLabel('CSV-fil')
        .setInputFiles({ name: 'deltagere.csv', mimeType: 'text/csv', buffer: csv(people) });
      await page.getByRole('button', { name: 'Importér' }).click();
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toContain('Importen lykkedes: 3 nye og 0 opdaterede deltagere.');
      const list = page.getByRole('table', { name: 'Deltagere i kommunens parathedsundersøgelser' });
      for (const p of people) {
        const row = list.getByRole('row', { name: new RegExp(p.name) });
        expect(await row.textContent()).toContain(p.email);
        expect(await row.textContent()).toContain(p.group);
      }
      expect(await participants()).toBe(before + 3);
      await expectAccessible(page);

      // The project leader sends the new people their invitations to the open round, from the municipality page.
      await page.getByRole('link', { name: 'Kommune', exact: true }).click();
      await page.waitForURL(/\/kommune$/);
      await expectAccessible(page);
      await page.getByRole('button', { name: 'Send invitation til 3 nye deltagere for 2/3' }).click();
      await expect
        .poll(() => page.getByRole('status').textContent())
        .toContain('3 invitationer er lagt i kø til afsendelse.');
      expect(await page.getByRole('button', { name: /Send invitation/ }).count()).toBe(0);
      await expectAccessible(page);

      // The development mailbox holds one invitation per participant, the new ones included.
      const mailbox = await newPage();
      await mailbox.goto(env.baseUrl + '/dev/postkasse');
      await expectAccessible(mailbox);
      const invitations = mailbox
        .getByRole('row')
        .filter({ hasText: 'Invitation: Spørgeskema om parathed til KSD (2/3)' });
      expect(await invitations.count()).toBe(before + 3);
      for (const p of people) expect(await invitations.filter({ hasText: p.email }).count()).toBe(1);
      await invitations.filter({ hasText: people[1]!.email }).getByRole('link').click();
      await mailbox.waitForURL(/\/dev\/postkasse\/\d+$/);
      await expectAccessible(mailbox);
      // The HTML part is shown in a sandbox that runs no script; checked on its own page.
      const html = await mailbox.request.get(mailbox.url() + '/html');
      expect(html.status()).toBe(200);
      const mailPage = await mailbox.context().newPage();
      await mailPage.setContent(await html.text());
      expect(await mailPage.getByRole('link').first().getAttribute('href')).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\//,
      );
      await expectAccessible(mailPage);
      const text = (await mailbox.locator('pre').textContent())!;
      expect(text).toContain('Åse Bøgh');
      const link = text.match(/http:\/\/127\.0\.0\.1:\d+\/\S+/)?.[0];
      expect(link).toBeDefined();
      await mailbox.context().close();

      // The invitee follows the link from the email, without logging in, straight into round 2/3.
      const invitee = await newPage();
      await invitee.goto(link!);
      await invitee.waitForURL(/\/undersoegelse\/\d+\/side\/1$/);
      expect(await invitee.locator('main').textContent()).toContain('2/3');
      await expectAccessible(invitee);
      await invitee.context().close();

      // Personal links for handing out by hand: a Danish Excel CSV the browser downloads.
      await page.getByRole('link', { name: 'Kommune', exact: true }).click();
      await page.waitForURL(/\/kommune$/);
      expect(await page.getByRole('row', { name: /2\/3/ }).textContent()).toContain('Åben');
      await expectAccessible(page);
      const links = await downloadOf(page, () =>
        page.getByRole('button', { name: 'Hent personlige links (CSV) for 2/3' }).click(),
      );
      expect(links.name).toBe('links-runde-2-af-3.csv');
      const lines = links.body.toString('utf8').split('\r\n');
      expect(lines[0]).toBe('\uFEFFnavn;email;gruppe;link');
      for (const p of people)
        expect(
          lines.find((l) => l.startsWith(`${p.name};${p.email};${p.group};${env.baseUrl}/`)),
        ).toBeDefined();

      // Results of the closed round 1/3, then the dashboard with the new participants counted as invited.
      await page.getByRole('link', { name: 'Se resultater for 1/3' }).click();
      await page.waitForURL(/\/kommune\/resultater\/\d+$/);
      await expectAccessible(page);
      await page.getByRole('link', { name: 'Dashboard' }).click();
      await page.waitForURL(/\/kommune\/dashboard$/);
      // Chart.js draws from the table: the canvas is shown once the script has run.
      await expect.poll(() => page.locator('canvas[data-chart-for]').first().isVisible()).toBe(true);
      const rates = page.getByRole('table', { name: 'Besvarede ud af inviterede' });
      const invited = await env.t
        .db('participants')
        .where({ municipality_code: 751, survey_group: 'informationssoegende' })
        .count({ n: '*' })
        .first();
      const row = (
        await rates
          .getByRole('row', { name: /Informationssøgende medarbejder/ })
          .getByRole('cell')
          .allTextContents()
      ).map((c) => c.trim());
      expect(row[0]).toBe(String(invited!.n));
      expect(row[2]).toBe('0 (0 %)');
      expect(row[3]).toBe('Ikke åbnet');
      await expectAccessible(page);
      await page.context().close();
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'when KOMBIT filters the national overview by wave, region and round and downloads the CSV and XLSX, then both hold exactly the published figures for that selection',
    async () => {
      const page = await newPage();
      await loginAs(page, env.baseUrl, 'KOMBIT-konsulent');
      expect(path(page)).toBe('/national');
      await expectAccessible(page);
      await page.getByLabel('Bølge').selectOption({ label: 'Bølge 5' });
      await page.getByLabel('Region').selectOption({ label: 'Midtjylland' });
      await page.getByLabel('Runde').selectOption({ label: '1/3' });
      await page.getByRole('button', { name: 'Vis' }).click();
      await page.waitForURL(/bolge=5/);
      await expectAccessible(page);

      const selected = await env.t
        .db('municipalities')
        .where({ wave: 5, region: 'Midtjylland' })
        .orderBy('code')
        .select('code', 'name');
      expect(selected.length).toBeGreaterThan(1);
      const matrix = await page.locator('table.matrix tbody th a').allTextContents();
      expect(matrix.sort()).toEqual(selected.map((m) => m.name).sort());

      // The oracle: the anonymous responses of the closed rounds 1/3 in the selection, scored here by hand.
      const k = env.t.deps.config.kThreshold;
      const rounds = await env.t
        .db('survey_rounds')
        .whereIn(
          'municipality_code',
          selected.map((m) => m.code),
        )
        .where({ round_no: 1, state: 'closed' })
        .select('id', 'municipality_code');
      expect(rounds.length).toBe(selected.length);
      const elementOf = new Map<string, string>();
      for (const inst of env.t.deps.instruments.values())
        for (const e of elementsOf(inst)) for (const i of e.items) elementOf.set(i.id, ELEMENT_LABELS[e.key]);
      const expected = new Map<string, { n: number; means: Map<string, number | null> }>();
      for (const r of rounds) {
        for (const g of SURVEY_GROUPS) {
          const rows = await env.t
            .db('survey_responses')
            .where({ round_id: r.id, survey_group: g })
            .select('answers');
          if (!rows.length) continue;
          const means = new Map<string, number | null>();
          for (const el of ELEMENTS.map((e) => ELEMENT_LABELS[e])) {
            const scores = rows
              .map((row) =>
                Object.entries(JSON.parse(row.answers) as Record<string, number | null>)
                  .filter(([id, v]) => elementOf.get(id) === el && typeof v === 'number')
                  .map(([, v]) => v!),
              )
              .filter((a) => a.length)
              .map((a) => a.reduce((s, v) => s + v, 0) / a.length);
            means.set(el, scores.length ? scores.reduce((s, v) => s + v, 0) / scores.length : null);
          }
          expected.set(`${r.municipality_code}|${SURVEY_GROUP_LABELS[g]}`, { n: rows.length, means });
        }
      }
      const checkRows = (rows: string[][]) => {
        const seen = new Set<string>();
        for (const [
          kode,
          kommune,
          region,
          bolge,
          runde,
          gruppe,
          element,
          besvarelser,
          gennemsnit,
          status,
        ] of rows) {
          expect(selected.find((m) => String(m.code) === kode)?.name).toBe(kommune);
          expect([region, bolge, runde]).toEqual(['Midtjylland', '5', '1/3']);
          if (gruppe === 'Øvrige grupper') continue;
          const cell = expected.get(`${kode}|${gruppe}`);
          expect(cell, `${kode} ${gruppe}`).toBeDefined();
          expect(Number(besvarelser)).toBe(cell!.n);
          seen.add(`${kode}|${gruppe}|${element}`);
          if (cell!.n < k) expect([gennemsnit, status]).toEqual(['', 'for få besvarelser']);
          const mean = cell!.means.get(element!);
          if (status === 'for få besvarelser' || mean === null) expect(gennemsnit).toBe('');
          else {
            expect(
              Math.abs(Number(gennemsnit!.replace(',', '.')) - mean!),
              `${kode} ${gruppe} ${element}`,
            ).toBeLessThanOrEqual(0.05 + 1e-9);
          }
        }
        expect(seen.size).toBe(expected.size * ELEMENTS.length);
      };

      const audits = async () =>
        Number(
          (await env.t
            .db('audit_log')
            .where('action', 'like', 'download.readiness.%')
            .count({ n: '*' })
            .first())!.n,
        );
      const auditsBefore = await audits();

      const csv = await downloadOf(page, () =>
        page.getByRole('link', { name: 'Parathed som CSV (Excel)' }).click(),
      );
      expect(csv.name).toMatch(/^parathed-\d{4}-\d{2}-\d{2}\.csv$/);
      const text = csv.body.toString('utf8');
      expect(text.startsWith('\uFEFF')).toBe(true);
      expect(text.endsWith('\r\n')).toBe(true);
      const csvRows = text
        .slice(1)
        .trimEnd()
        .split('\r\n')
        .map((l) => l.split(';'));
      expect(csvRows[0]).toEqual([
        'kommunekode',
        'kommune',
        'region',
        'bolge',
        'runde',
        'gruppe',
        'element',
        'besvarelser',
        'gennemsnit',
        'status',
      ]);
      checkRows(csvRows.slice(1));

      const xlsx = await downloadOf(page, () =>
        page.getByRole('link', { name: 'Parathed som Excel-ark (XLSX)' }).click(),
      );
      expect(xlsx.name).toMatch(/^parathed-\d{4}-\d{2}-\d{2}\.xlsx$/);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(xlsx.body as unknown as ArrayBuffer);
      const sheet = book.getWorksheet('Parathed')!;
      const sheetRows: Array<Array<string | number | null>> = [];
      sheet.eachRow((row) => sheetRows.push((row.values as Array<string | number | null>).slice(1)));
      // The sheet holds the same rows as the CSV, with numbers typed as numbers.
      expect(sheetRows.length).toBe(csvRows.length);
      const asCsv = (v: string | number | null | undefined, column: number) =>
        v === null || v === undefined
          ? ''
          : column === 8 && typeof v === 'number'
            ? v.toFixed(1).replace('.', ',')
            : String(v);
      for (const [i, r] of sheetRows.slice(1).entries()) {
        expect([typeof r[0], typeof r[3], typeof r[7]]).toEqual(['number', 'number', 'number']);
        expect(Array.from({ length: 10 }, (_, c) => asCsv(r[c], c))).toEqual(csvRows[i + 1]);
      }
      expect(await audits()).toBe(auditsBefore + 2);

      // Drill-down: a municipality of the selection, and its dashboard.
      await page.getByRole('link', { name: 'Aarhus', exact: true }).click();
      await page.waitForURL(/\/national\/kommuner\/751$/);
      await expectAccessible(page);
      await page.getByRole('link', { name: 'Se kommunens dashboard' }).click();
      await page.waitForURL(/\/national\/kommuner\/751\/dashboard$/);
      await expectAccessible(page);
      await page.context().close();
    },
    JOURNEY_TIMEOUT,
  );
});

if (chromiumMissing) {
  describe('browser journeys', () => {
    it.skip(chromiumSkipReason, () => {});
  });
}
