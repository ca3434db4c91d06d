import type { DbOrTrx } from '../db/knex.js';

/** A municipality as Parat knows it: its roll-out plan and the CVR number its logins are scoped to. */
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
  /** Every municipality, by code. */
  async list(db: DbOrTrx): Promise<Municipality[]> {
    const rows = await db<Row>('municipalities').select('*').orderBy('code');
    return rows.map(toMunicipality);
  },
  /** One municipality by its kommunekode. */
  async byCode(db: DbOrTrx, code: number): Promise<Municipality | undefined> {
    const row = await db<Row>('municipalities').where({ code }).first();
    return row ? toMunicipality(row) : undefined;
  },
  /** The municipality a CVR number belongs to (the scope of a login's privileges). */
  async byCvr(db: DbOrTrx, cvr: string): Promise<Municipality | undefined> {
    const row = await db<Row>('municipalities').where({ cvr }).first();
    return row ? toMunicipality(row) : undefined;
  },
  /** Sets the roll-out wave and go-live date. */
  async setPlan(
    db: DbOrTrx,
    code: number,
    plan: { wave: number | null; goLive: string | null },
  ): Promise<void> {
    await db('municipalities').where({ code }).update({ wave: plan.wave, go_live: plan.goLive });
  },
  /** Sets the CVR number logins are scoped to. */
  async setCvr(db: DbOrTrx, code: number, cvr: string): Promise<void> {
    await db('municipalities').where({ code }).update({ cvr });
  },
  /** The name of another municipality that already has this CVR number, or null. */
  async cvrTakenBy(db: DbOrTrx, cvr: string, exceptCode: number): Promise<string | null> {
    const row = await db('municipalities').where({ cvr }).whereNot({ code: exceptCode }).first('name');
    return row ? String(row.name) : null;
  },
  /** Code and name as a builder for other repositories to join (`.leftJoin(names(db).as('m'), …)`). */
  names(db: DbOrTrx) {
    return db('municipalities').select('code', 'name');
  },
};
