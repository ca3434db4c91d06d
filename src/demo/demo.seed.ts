import type { AppDeps } from '../app.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';

/** Go-live per wave, spread around today so municipalities are in every phase. */
const WAVE_GO_LIVE: Record<number, string> = {
  1: '2026-02-02',
  2: '2026-04-06',
  3: '2026-06-01',
  4: '2026-09-07',
  5: '2026-12-07',
  6: '2027-03-01',
  7: '2027-06-07',
  8: '2027-10-04',
};

/** Demo waves and go-live dates (idempotent: only fills municipalities that have none). */
export async function seedDemoData({ db }: Pick<AppDeps, 'db'>): Promise<void> {
  const municipalities = await municipalitiesRepository.list(db);
  if (municipalities.some((m) => m.wave !== null)) return;
  await db.transaction(async (trx) => {
    let pilotIndex = 0;
    let index = 0;
    for (const m of municipalities) {
      const wave = m.pilot ? 1 + (pilotIndex++ % 2) : 3 + (index++ % 5);
      await municipalitiesRepository.setPlan(trx, m.code, { wave, goLive: WAVE_GO_LIVE[wave] ?? null });
    }
    for (const [wave, date] of Object.entries(WAVE_GO_LIVE)) {
      await trx('waves').where({ number: Number(wave) }).update({ planned_go_live: date });
    }
  });
}
