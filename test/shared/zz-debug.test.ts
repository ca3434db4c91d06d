import { it } from 'vitest';
import ejs from 'ejs';
import { createTestApp } from '../support/app.js';
import { loggedIn, planAndTick } from '../surveys/support.js';
it('when debugging, then print', async () => {
  const t = await createTestApp();
  await planAndTick(t, 751, '2026-01-15', 3);
  t.app.use((err: unknown, _req: unknown, _res: unknown, next: (e: unknown) => void) => { console.log('ERR', err); next(err); });
  const agent = await loggedIn(t, { municipality: 751, roles: ['projektleder'], email: 'pl@aarhus.example.dk' });
  const res = await agent.get('/kommune/dashboard');
  console.log(res.status, res.text.slice(0, 3000));
  void ejs;
  await t.close();
});
