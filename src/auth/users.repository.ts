import type { DbOrTrx } from '../db/knex.js';
import type { Role } from './roles.js';

export type UserUpsert = {
  persistentUuid: string;
  name: string;
  email: string | null;
  municipalityCode: number | null;
  loa: string | null;
  roles: Role[];
  at: Date;
};

/** SQL for users and their roles. */
export const usersRepository = {
  /** Creates or updates the user from the token and replaces their roles; returns the id. */
  async upsertFromToken(db: DbOrTrx, u: UserUpsert): Promise<number> {
    const existing = await db('users').where({ persistent_uuid: u.persistentUuid }).first('id');
    let id: number;
    const fields = {
      name: u.name,
      email: u.email,
      municipality_code: u.municipalityCode,
      loa: u.loa,
      last_login_at: u.at,
    };
    if (existing) {
      id = Number(existing.id);
      await db('users').where({ id }).update(fields);
    } else {
      const [row] = await db('users')
        .insert({ persistent_uuid: u.persistentUuid, created_at: u.at, ...fields })
        .returning('id');
      id = Number(typeof row === 'object' ? row.id : row);
    }
    await db('user_roles').where({ user_id: id }).delete();
    await db('user_roles').insert(u.roles.map((role) => ({ user_id: id, role })));
    return id;
  },

  /** Every user's `(id, name)`, as a query other owners join against (the audit log names its actors). */
  actorNames(db: DbOrTrx) {
    return db('users').select('id', 'name');
  },

  /** A user's address, or null when they have none (or are gone). */
  async emailOf(db: DbOrTrx, id: number): Promise<string | null> {
    const row = await db('users').where({ id }).first('email');
    return row?.email ? String(row.email) : null;
  },

  /** The addresses of a municipality's readers of results (project leaders, heads of the benefits centre), by user id. */
  async resultReaders(db: DbOrTrx, municipalityCode: number): Promise<string[]> {
    return (await db('users as u')
      .join('user_roles as r', 'r.user_id', 'u.id')
      .where('u.municipality_code', municipalityCode)
      .whereIn('r.role', ['projektleder', 'leder-ydelsescenter'])
      .whereNotNull('u.email')
      .orderBy('u.id')
      .pluck('u.email')) as string[];
  },
};
