import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { parseParticipantCsv } from '../../src/participants/participants.csv.js';
import { loggedIn, tokenOf } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const leader = { municipality: 751, roles: ['projektleder'], email: 'pl@aarhus.example.dk' };

describe('participant CSV (Danish Excel dialect)', () => {
  it('when the file has a BOM, semicolons, æøå and Danish group names, then every row is read', () => {
    const csv =
      '\uFEFFnavn;email;gruppe;superbruger\r\nSøren Ærø;Soren@Aeroe.dk;Sagsbehandler i Ydelsescentret;ja\r\nÅse Øst;aase@oest.dk;informationssoegende;nej\r\n';
    const { rows, problems } = parseParticipantCsv(csv);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      {
        name: 'Søren Ærø',
        email: 'soren@aeroe.dk',
        surveyGroup: 'sagsbehandler-ydelsescenter',
        superuser: true,
        line: 2,
      },
      {
        name: 'Åse Øst',
        email: 'aase@oest.dk',
        surveyGroup: 'informationssoegende',
        superuser: false,
        line: 3,
      },
    ]);
  });

  it('when rows are bad, then each is reported by line number with its reason', () => {
    const csv =
      'navn;email;gruppe;superbruger\nA;a@x.dk;Leder af Jobcenteret;nej\n;b@x.dk;leder-jobcenter;nej\nC;ikke-mail;leder-jobcenter;nej\nD;d@x.dk;chef;nej\nE;a@x.dk;leder-jobcenter;måske\n';
    const { problems } = parseParticipantCsv(csv);
    expect(problems).toEqual([
      { line: 3, reason: 'navn mangler' },
      { line: 4, reason: 'e-mailadressen er ugyldig' },
      { line: 5, reason: 'ukendt gruppe "chef"' },
      {
        line: 6,
        reason: 'superbruger skal være ja eller nej, ikke "måske"; e-mailadressen står også på linje 2',
      },
    ]);
  });

  it('when a name holds a line break or starts with a formula character, then the row is refused', () => {
    const csv =
      'navn;email;gruppe;superbruger\n"=HYPERLINK(""x"")";a@x.dk;leder-jobcenter;nej\n"Anne\nHansen";b@x.dk;leder-jobcenter;nej\n+45 Jens;c@x.dk;leder-jobcenter;nej\n-Ole;d@x.dk;leder-jobcenter;nej\n@Bo;e@x.dk;leder-jobcenter;nej\nAnne-Marie;f@x.dk;leder-jobcenter;nej\n';
    const { rows, problems } = parseParticipantCsv(csv);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 5, 6, 7]);
    expect(problems[0]!.reason).toBe('navnet må ikke begynde med =, +, - eller @');
    expect(problems[1]!.reason).toBe('navnet må ikke indeholde linjeskift eller tabulatorer');
    expect(rows.map((r) => r.name)).toEqual(['Anne-Marie']);
  });

  it('when the header lacks a column, then line 1 says which', () => {
    expect(parseParticipantCsv('navn;mail\nA;a@x.dk\n').problems).toEqual([
      { line: 1, reason: expect.stringContaining('gruppe') },
    ]);
  });
});

describe('participants through HTTP', () => {
  it('when the project leader uploads a good file, then all rows are imported; a file with one bad row imports nothing', async () => {
    const agent = await loggedIn(t, leader);
    const csrf = await tokenOf(agent, '/kommune/deltagere');
    const good = Buffer.from(
      '\uFEFFnavn;email;gruppe;superbruger\r\nJørgen Ågård;jorgen@aarhus.example.dk;Sagsbehandler i Ydelsescentret;ja\r\nBente Ø;bente@aarhus.example.dk;Leder af Ydelsescentret;nej\r\n',
      'utf8',
    );
    const ok = await agent
      .post(`/kommune/deltagere/import?_csrf=${encodeURIComponent(csrf)}`)
      .attach('fil', good, 'deltagere.csv');
    expect(ok.status).toBe(303);
    const list = await agent.get('/kommune/deltagere').expect(200);
    expect(list.text).toContain('Importen lykkedes: 2 nye og 0 opdaterede deltagere.');
    expect(list.text).toContain('Jørgen Ågård');

    const bad = Buffer.from(
      'navn;email;gruppe;superbruger\nNy Person;ny@aarhus.example.dk;leder-jobcenter;nej\nUden Mail;;leder-jobcenter;nej\n',
      'utf8',
    );
    const refused = await agent
      .post(`/kommune/deltagere/import?_csrf=${encodeURIComponent(csrf)}`)
      .attach('fil', bad, 'deltagere.csv');
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Linje 3: e-mailadressen er ugyldig');
    expect(await t.db('participants').where({ email: 'ny@aarhus.example.dk' }).first()).toBeUndefined();
    expect(
      await t
        .db('participants')
        .where({ municipality_code: 751 })
        .count<{ n: number }[]>({ n: '*' })
        .first()
        .then((r) => Number(r?.n)),
    ).toBe(2);
  });

  it('when an upload has no CSRF token, then it is refused', async () => {
    const agent = await loggedIn(t, leader);
    const res = await agent
      .post('/kommune/deltagere/import')
      .attach('fil', Buffer.from('navn;email;gruppe\n'), 'x.csv');
    expect(res.status).toBe(403);
  });

  it('when the project leader adds, edits and removes one participant, then the list follows, and bad input gets a Danish 422', async () => {
    const agent = await loggedIn(t, leader);
    let csrf = await tokenOf(agent, '/kommune/deltagere');
    const bad = await agent
      .post('/kommune/deltagere')
      .type('form')
      .send({ _csrf: csrf, name: '', email: 'x', surveyGroup: 'nope' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Navn mangler');
    expect(bad.text).toContain('E-mailadressen er ugyldig');
    expect(bad.text).toContain('Vælg en gyldig gruppe');
    await agent
      .post('/kommune/deltagere')
      .type('form')
      .send({
        _csrf: csrf,
        name: 'Kaj Kofoed',
        email: 'kaj@aarhus.example.dk',
        surveyGroup: 'leder-jobcenter',
      })
      .expect(303);
    const row = await t.db('participants').where({ email: 'kaj@aarhus.example.dk' }).first();
    expect(row).toMatchObject({
      name: 'Kaj Kofoed',
      survey_group: 'leder-jobcenter',
      municipality_code: 751,
    });
    csrf = await tokenOf(agent, `/kommune/deltagere/${row.id}`);
    await agent
      .post(`/kommune/deltagere/${row.id}`)
      .type('form')
      .send({
        _csrf: csrf,
        name: 'Kaj K. Kofoed',
        email: 'kaj@aarhus.example.dk',
        surveyGroup: 'sagsbehandler-udenfor',
        superuser: 'ja',
      })
      .expect(303);
    expect(await t.db('participants').where({ id: row.id }).first()).toMatchObject({
      name: 'Kaj K. Kofoed',
      survey_group: 'sagsbehandler-udenfor',
    });
    await agent.post(`/kommune/deltagere/${row.id}/slet`).type('form').send({ _csrf: csrf }).expect(303);
    expect(await t.db('participants').where({ id: row.id }).first()).toBeUndefined();
  });

  it('when a project leader edits a participant of another municipality by id, then it is not found', async () => {
    const [row] = await t
      .db('participants')
      .insert({
        municipality_code: 101,
        name: 'K',
        email: 'k@kk.dk',
        survey_group: 'leder-jobcenter',
        superuser: false,
        created_at: new Date(),
      })
      .returning('id');
    const id = Number(typeof row === 'object' ? row.id : row);
    const agent = await loggedIn(t, leader);
    expect((await agent.get(`/kommune/deltagere/${id}`)).status).toBe(404);
    const csrf = await tokenOf(agent, '/kommune/deltagere');
    expect(
      (await agent.post(`/kommune/deltagere/${id}/slet`).type('form').send({ _csrf: csrf })).status,
    ).toBe(404);
    expect(await t.db('participants').where({ id }).first()).toBeTruthy();
  });

  it('when a head of the benefits centre or a caseworker opens the participant list, then access is refused', async () => {
    const head = await loggedIn(t, {
      municipality: 751,
      roles: ['leder-ydelsescenter'],
      email: 'h@aarhus.example.dk',
    });
    expect((await head.get('/kommune/deltagere')).status).toBe(403);
    const cw = await loggedIn(t, {
      municipality: 751,
      roles: ['sagsbehandler-ydelsescenter'],
      email: 'c@aarhus.example.dk',
    });
    expect((await cw.get('/kommune/deltagere')).status).toBe(403);
  });
});
