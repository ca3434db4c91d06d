import { it, expect } from 'vitest';
import { createTestApp } from '../support/app.js';
import { caseworkerAgent } from '../elearning/support.js';
it('smoke', async () => {
  const t = await createTestApp();
  const { agent } = await caseworkerAgent(t);
  for (const url of ['/e-laering', '/e-laering/moduler/introduktion', '/e-laering/moduler/hands-on', '/e-laering/oevelser/anette-poul', '/e-laering/oevelser/anette-poul/trin/1', '/e-laering/huskesedler/behandl-opgave', '/e-laering/test', '/evaluering/e-laering', '/evaluering', '/certifikat/verificer']) {
    const r = await agent.get(url);
    console.log(url, r.status, r.status >= 400 ? r.text.slice(0, 2000) : '');
  }
  await t.close();
});
