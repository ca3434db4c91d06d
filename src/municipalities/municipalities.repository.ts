import type { DbOrTrx } from '../db/knex.js';

export type Municipality = {
  code: number;
  name: string;
  region: string;
  pilot: boolean;
  wave: number | null;
  goLive: string | null;
  cvr: string;
  resultsEmail: string | null;
};

type Row = {
  code: number;
  name: string;
  region: string;
  pilot: boolean | number;
  wave: number | null;
  go_live: string | null;
  cvr: string;
  results_email: string | null;
};

const toMunicipality = (r: Row): Municipality => ({
  code: Number(r.code),
  name: r.name,
  region: r.region,
  pilot: Boolean(r.pilot),
  wave: r.wave === null ? null : Number(r.wave),
  goLive: r.go_live,
  cvr: r.cvr,
  resultsEmail: r.results_email,
});

/** SQL for municipalities and waves. */
export const municipalitiesRepository = {
  async list(db: DbOrTrx): Promise<Municipality[]> {
    const rows = await db<Row>('municipalities').select('*').orderBy('code');
    return rows.map(toMunicipality);
  },
  async byCode(db: DbOrTrx, code: number): Promise<Municipality | undefined> {
    const row = await db<Row>('municipalities').where({ code }).first();
    return row ? toMunicipality(row) : undefined;
  },
  async byCvr(db: DbOrTrx, cvr: string): Promise<Municipality | undefined> {
    const row = await db<Row>('municipalities').where({ cvr }).first();
    return row ? toMunicipality(row) : undefined;
  },
  async setPlan(
    db: DbOrTrx,
    code: number,
    plan: { wave: number | null; goLive: string | null },
  ): Promise<void> {
    await db('municipalities').where({ code }).update({ wave: plan.wave, go_live: plan.goLive });
  },
  async setCvr(db: DbOrTrx, code: number, cvr: string): Promise<void> {
    await db('municipalities').where({ code }).update({ cvr });
  },
};
