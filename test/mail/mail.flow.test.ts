import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import ExcelJS from 'exceljs';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { addParticipant, answerAll, roundId } from '../surveys/support.js';
import { headerAddresses, startSmtpSink, toAddresses, type SmtpSink } from './support.js';
import { createMailWorker, type MailWorker } from '../../src/mail/mail.worker.js';
import { readinessCsvBuffer } from '../../src/reporting/readiness.export.js';

// Aarhus (751) alone in wave 6: go-live 1 June 2027, so round 1/3 runs 1–22 December 2026.
const CODE = 751;
const WAVE = 6;
const KOMBIT = 'kombit.parat@kombit.example.dk';
const clock = new FixedClock(new Date('2026-11-27T08:00:00Z'));
let t: TestApp;
let sink: SmtpSink;
let worker: MailWorker;
let round: number;
const participants = new Map<string, { id: number; group: string }>();
const ITEMS = ['opm', 'mot', 'vid', 'sto', 'ane'];

const users = [
  { email: 'projektleder@aarhus.example.dk', role: 'projektleder', code: CODE },
  { email: 'leder.yc@aarhus.example.dk', role: 'leder-ydelsescenter', code: CODE },
  { email: 'jobcenterchef@aarhus.example.dk', role: 'leder-jobcenter', code: CODE },
  { email: 'projektleder@odense.example.dk', role: 'projektleder', code: 461 },
];

async function addUser(u: { email: string; role: string; code: number }) {
  const [row] = await t
    .db('users')
    .insert({
      persistent_uuid: crypto.randomUUID(),
      name: u.email,
      email: u.email,
      municipality_code: u.code,
    })
    .returning('id');
  const id = Number(typeof row === 'object' ? row.id : row);
  await t.db('user_roles').insert({ user_id: id, role: u.role });
}

/** An anonymous response with one score for every item of each element, and the participant marked as answered. */
async function respond(email: string, scores: number[]) {
  const p = participants.get(email)!;
  const answers = Object.fromEntries(
    ITEMS.flatMap((prefix, i) => [1, 2, 3, 4].map((n) => [`${prefix}${n}`, scores[i]!])),
  );
  await t.db('survey_responses').insert({
    id: crypto.randomUUID(),
    round_id: round,
    municipality_code: CODE,
    round_no: 1,
    survey_group: p.group,
    instrument_version: 1,
    answers: JSON.stringify(answers),
  });
  await t.db('survey_participation').insert({ round_id: round, participant_id: p.id, submitted: true });
}

const mailsTo = (address: string) => sink.messages.filter((m) => toAddresses(m).includes(address));
const linkIn = (text: string) => /http:\/\/localhost:3000(\/l\/[A-Za-z0-9_-]+)/.exec(text)?.[1];

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ clock, env: { SMTP_URL: sink.url, KOMBIT_EMAIL: KOMBIT } });
  worker = createMailWorker(t.deps);
  for (const u of users) await addUser(u);
  await t.db('municipalities').where({ code: CODE }).update({ results_email: 'KSD@aarhus.example.dk' });
  const add = async (email: string, group: string) =>
    participants.set(email, {
      id: await addParticipant(t, CODE, { email, group, name: `Deltager ${email.split('@')[0]}` }),
      group,
    });
  for (let i = 1; i <= 6; i++) await add(`sb${i}@aarhus.example.dk`, 'sagsbehandler-ydelsescenter');
  for (let i = 1; i <= 5; i++) await add(`ud${i}@aarhus.example.dk`, 'sagsbehandler-udenfor');
  for (let i = 1; i <= 2; i++) await add(`lj${i}@aarhus.example.dk`, 'leder-jobcenter');
  for (let i = 1; i <= 2; i++) await add(`info${i}@aarhus.example.dk`, 'informationssoegende');
  await t.deps.surveys.rounds.setPlan(CODE, { wave: WAVE, goLive: '2027-06-01' }, null);
  round = await roundId(t, CODE, 1);
});
afterAll(async () => {
  worker.close();
  await sink.close();
  await t.close();
});

describe('survey mail from invitation to results', () => {
  it('when the scheduler opens the round, then every participant gets an invitation over SMTP and its personal link opens the survey', async () => {
    clock.set(new Date('2026-12-01T06:00:00Z'));
    const events = await t.deps.surveys.rounds.tick();
    expect(events.filter((e) => e.municipalityCode === CODE).map((e) => e.type)).toEqual(['opened']);
    expect(
      Number(
        (await t.db('outbox').where({ kind: 'invitation', status: 'pending' }).count({ n: '*' }).first())!.n,
      ),
    ).toBe(15);

    expect(await worker.runOnce()).toEqual({ sent: 15, retried: 0, failed: 0 });
    expect(sink.messages.length).toBe(15);
    const [mail] = mailsTo('sb1@aarhus.example.dk');
    expect(mail!.subject).toBe('Invitation: Spørgeskema om parathed til KSD (1/3)');
    expect(mail!.text).toContain('Kære Deltager sb1');
    expect(mail!.html).toContain('<html lang="da">');
    expect(mail!.text).toContain('lukker den 22. december 2026');
    expect(mail!.text).toContain('grupper med mindst 5 besvarelser');

    // The personal link: /l/<token> → 303 → /undersoegelse/<round> → 303 → the first page, 200.
    const path = linkIn(mail!.text!)!;
    expect(mail!.html).toContain(`http://localhost:3000${path}`);
    const agent = request.agent(t.app);
    const opened = await agent.get(path).expect(303);
    expect(opened.headers.location).toBe(`/undersoegelse/${round}`);
    const first = await agent.get(opened.headers.location as string).expect(303);
    const page = await agent.get(first.headers.location as string).expect(200);
    expect(page.text).toContain('Side 1 af 6');

    // sb1 answers through the link: 4, 3, 2, 4, 5 per element.
    await answerAll(agent, round, (id) => String([4, 3, 2, 4, 5][ITEMS.indexOf(id.slice(0, 3))]));
    expect(
      await t
        .db('survey_participation')
        .where({ round_id: round, participant_id: participants.get('sb1@aarhus.example.dk')!.id })
        .first(),
    ).toMatchObject({ submitted: expect.anything() });

    // A second pass sends nothing more, and the sent invitation no longer holds the link.
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
    const row = await t.db('outbox').where({ kind: 'invitation', status: 'sent' }).first();
    expect(row.html).toBeNull();
    expect(row.text).toBeNull();
  });

  it('when a reminder is due, then only participants who have not submitted get it', async () => {
    for (let i = 2; i <= 6; i++) await respond(`sb${i}@aarhus.example.dk`, [4, 3, 2, 4, 5]);
    for (let i = 1; i <= 5; i++) await respond(`ud${i}@aarhus.example.dk`, [5, 4, 4, 4, 4]);
    for (let i = 1; i <= 2; i++) await respond(`lj${i}@aarhus.example.dk`, [2, 2, 2, 2, 2]);
    // info1 has started (a draft) but not submitted: still a non-respondent.
    await t.db('survey_participation').insert({
      round_id: round,
      participant_id: participants.get('info1@aarhus.example.dk')!.id,
      submitted: false,
      draft: '{}',
    });

    clock.set(new Date('2026-12-08T06:00:00Z'));
    await t.deps.surveys.rounds.tick();
    const before = sink.messages.length;
    expect(await worker.runOnce()).toEqual({ sent: 2, retried: 0, failed: 0 });
    const reminders = sink.messages.slice(before);
    expect(reminders.map((m) => toAddresses(m)[0]).sort()).toEqual([
      'info1@aarhus.example.dk',
      'info2@aarhus.example.dk',
    ]);
    // A personal message names its one recipient in the To header.
    for (const m of reminders) expect(headerAddresses(m)).toEqual(toAddresses(m));
    expect(reminders[0]!.subject).toBe('Påmindelse: Spørgeskema om parathed til KSD (1/3)');
    // A fresh personal link that works too.
    const res = await request.agent(t.app).get(linkIn(reminders[0]!.text!)!).expect(303);
    expect(res.headers.location).toBe(`/undersoegelse/${round}`);
  });

  it('when the round closes, then the results mail reaches project leader, head of the benefits centre and the results address with the right numbers and the CSV', async () => {
    clock.set(new Date('2026-12-22T06:00:00Z'));
    const events = await t.deps.surveys.rounds.tick();
    expect(events.filter((e) => e.municipalityCode === CODE).map((e) => e.type)).toEqual(['closed']);
    const before = sink.messages.length;
    expect(await worker.runOnce()).toEqual({ sent: 2, retried: 0, failed: 0 });
    const results = sink.messages.slice(before).find((m) => m.subject?.startsWith('Resultater'))!;
    expect(results.subject).toBe('Resultater: Parathedsundersøgelse 1/3 – Aarhus Kommune');
    expect(toAddresses(results).sort()).toEqual([
      'ksd@aarhus.example.dk',
      'leder.yc@aarhus.example.dk',
      'projektleder@aarhus.example.dk',
    ]);
    // The recipients do not see each other's addresses.
    expect(headerAddresses(results)).toEqual([]);

    const html = results.html as string;
    const text = results.text!;
    // Six caseworkers, all 4/3/2/4/5: Motivation 3,0 is the barrier although Viden is lower.
    expect(html).toMatch(/<th scope="row"[^>]*>Sagsbehandler i Ydelsescentret<\/th>\s*<td[^>]*>6<\/td>/);
    expect(html).toContain('3,0 (indsatsområde) <strong>– barriere</strong>');
    expect(text).toContain('Sagsbehandler i Ydelsescentret – 6 besvarelser');
    expect(text).toMatch(
      /Opmærksomhed: 4,0 \(OK\)\n\s+Motivation: 3,0 \(indsatsområde\) – barriere\n\s+Viden\/Færdigheder: 2,0 \(indsatsområde\)\n\s+Støtte: 4,0 \(OK\)\n\s+Anerkendelse: 5,0 \(OK\)/,
    );
    // Two job-centre leaders (< 5) are pooled with the smallest visible group (5 outside the centre): 7 respondents,
    // Opmærksomhed (2·2 + 5·5)/7 = 4,1, the rest (2·2 + 5·4)/7 = 3,4.
    expect(text).toContain(
      'Øvrige grupper (Leder af Jobcenteret, Sagsbehandler uden for Ydelsescentret) – 7 besvarelser',
    );
    expect(text).toMatch(/Øvrige grupper[^\n]*\n\s+Opmærksomhed: 4,1 \(OK\)\n\s+Motivation: 3,4 \(følg op\)/);
    expect(text).not.toMatch(/^Leder af Jobcenteret – /m);
    // All 13: Viden (6·2 + 2·2 + 5·4)/13 = 2,8 is the first element ≤ 3,0.
    expect(text).toMatch(
      /Alle grupper – 13 besvarelser\n\s+Opmærksomhed: 4,1 \(OK\)\n\s+Motivation: 3,2 \(følg op\)\n\s+Viden\/Færdigheder: 2,8 \(indsatsområde\) – barriere/,
    );
    expect(text).toContain(
      '- Sagsbehandler i Ydelsescentret: Motivation. Forklar, hvorfor KSD er nødvendigt',
    );
    // Response rates: 13 of 15; the information seekers 0 of 2.
    expect(text).toContain('- Informationssøgende medarbejder: 0 / 2 (0 %)');
    expect(text).toContain('- I alt: 13 / 15 (87 %)');
    expect(text).toContain(`http://localhost:3000/kommune/resultater/${round}`);
    expect(html).toContain(`href="http://localhost:3000/kommune/resultater/${round}"`);

    expect(results.attachments.map((a) => a.filename)).toEqual(['parathed-kommune-751.csv']);
    const expected = await readinessCsvBuffer(t.deps, { municipalityCode: CODE });
    expect(Buffer.compare(results.attachments[0]!.content, expected)).toBe(0);
  });

  it('when the round has closed for every municipality of the wave, then KOMBIT gets the combined result with CSV and XLSX', async () => {
    const kombit = mailsTo(KOMBIT);
    expect(kombit.length).toBe(1);
    const mail = kombit[0]!;
    expect(mail.subject).toBe('Samlet resultat: Parathedsundersøgelse 1/3 – bølge 6');
    const text = mail.text!;
    // From published cells only: the caseworker cell, the pool and the total, as in the municipality's mail.
    expect(text).toMatch(
      /BØLGE 6\n+Sagsbehandler i Ydelsescentret – 6 besvarelser\n\s+Opmærksomhed: 4,0 \(OK\)\n\s+Motivation: 3,0 \(indsatsområde\) – barriere/,
    );
    expect(text).not.toMatch(/^Leder af Jobcenteret – /m);
    expect(text).toMatch(/Øvrige grupper – 7 besvarelser/);
    expect(text).toContain('- Aarhus Kommune: 13 / 15 (87 %), barrierepunkt: Viden/Færdigheder');
    expect(mail.attachments.map((a) => a.filename)).toEqual([
      'parathed-bolge-6-runde-1.csv',
      'parathed-bolge-6-runde-1.xlsx',
    ]);
    expect(
      Buffer.compare(
        mail.attachments[0]!.content,
        await readinessCsvBuffer(t.deps, { wave: WAVE, roundNo: 1 }),
      ),
    ).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(mail.attachments[1]!.content as unknown as ArrayBuffer);
    expect(wb.worksheets[0]!.getRow(1).getCell(1).value).toBe('kommunekode');
  });

  it('when the scheduler ticks again, then no mail is written or sent twice', async () => {
    const rows = await t.db('outbox').count({ n: '*' }).first();
    await t.deps.surveys.rounds.tick();
    expect(await t.db('outbox').count({ n: '*' }).first()).toEqual(rows);
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(sink.messages.length);
  });
});
