import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';
import { BppError, parseBpp, type BppConstraint } from './saml/bpp.js';
import type { TokenIdentity } from './saml/attributes.js';
import { isRole, MUNICIPAL_ROLES, NATIONAL_ROLES, type Role, type SessionUser } from './roles.js';
import { usersRepository } from './users.repository.js';

/** A token that is valid SAML but cannot give access to Parat; the message is shown to the user, the reason goes to the audit log. */
export class LoginRefused extends Error {
  constructor(
    message: string,
    public readonly reason: string,
  ) {
    super(message);
  }
}

type Deps = {
  db: Db;
  clock: Clock;
  roleBase: string;
  kombitCvr: string;
  /** Told of every accepted login and every refusal (with the audit log's reason), for counting. */
  onOutcome?: (outcome: 'accepted' | 'refused', reason?: string) => void;
};

/** Turns a validated token into a Parat user: roles and municipality from the OIO-BPP privileges. */
export function createLoginService({ db, clock, roleBase, kombitCvr, onOutcome }: Deps) {
  const base = roleBase.toLowerCase() + '/';

  function roleFromPrivilege(uri: string): Role | null {
    const lower = uri.trim().toLowerCase();
    if (!lower.startsWith(base)) return null;
    const [name] = lower.slice(base.length).split('/');
    return name && isRole(name) ? name : null;
  }

  return {
    async login(identity: TokenIdentity): Promise<SessionUser> {
      if (!identity.persistentUuid)
        throw new LoginRefused('Dit login mangler en bruger-id (persistent uuid).', 'no-uuid');
      if (!identity.privilegesBpp)
        throw new LoginRefused('Dit login indeholder ingen rettigheder til Parat.', 'no-bpp');
      let groups;
      try {
        groups = parseBpp(identity.privilegesBpp);
      } catch (err) {
        if (err instanceof BppError)
          throw new LoginRefused('Rettighederne i dit login kunne ikke læses.', `bpp: ${err.message}`);
        throw err;
      }
      const national = new Set<Role>();
      const nationalConstraints: BppConstraint[] = [];
      const municipal = new Map<number, { name: string; roles: Set<Role>; constraints: BppConstraint[] }>();
      let unknownCvr = false;
      for (const group of groups) {
        const roles = group.privileges.map(roleFromPrivilege).filter((r): r is Role => r !== null);
        if (!roles.length) continue;
        if (group.cvr === kombitCvr) {
          roles
            .filter((r) => (NATIONAL_ROLES as readonly string[]).includes(r))
            .forEach((r) => national.add(r));
          nationalConstraints.push(...group.constraints);
          continue;
        }
        const m = await municipalitiesRepository.byCvr(db, group.cvr);
        if (!m) {
          unknownCvr = true;
          continue;
        }
        const entry = municipal.get(m.code) ?? { name: m.name, roles: new Set<Role>(), constraints: [] };
        roles
          .filter((r) => (MUNICIPAL_ROLES as readonly string[]).includes(r))
          .forEach((r) => entry.roles.add(r));
        entry.constraints.push(...group.constraints);
        if (entry.roles.size) municipal.set(m.code, entry);
      }
      if (municipal.size > 1) {
        throw new LoginRefused(
          'Dit login giver roller i flere kommuner. Kontakt din brugeradministrator.',
          'several-municipalities',
        );
      }
      const [muni] = [...municipal.entries()];
      const roles: Role[] = [...national, ...(muni ? [...muni[1].roles] : [])];
      if (!roles.length) {
        throw new LoginRefused(
          unknownCvr
            ? 'Dit login er udstedt til en organisation (CVR), som ikke er en kommune i Parat.'
            : 'Dit login giver ingen rolle i Parat. Kontakt din brugeradministrator.',
          unknownCvr ? 'unknown-cvr' : 'no-role',
        );
      }
      const now = clock.now();
      const municipalityCode = muni ? muni[0] : null;
      const id = await db.transaction(async (trx) => {
        const userId = await usersRepository.upsertFromToken(trx, {
          persistentUuid: identity.persistentUuid,
          name: identity.fullName,
          email: identity.email ? identity.email.toLowerCase() : null,
          municipalityCode,
          loa: identity.loa,
          roles,
          at: now,
        });
        await audit(trx, {
          actorUserId: userId,
          action: 'login',
          subject: municipalityCode ? `kommune:${municipalityCode}` : 'national',
          at: now,
        });
        return userId;
      });
      onOutcome?.('accepted');
      return {
        id,
        name: identity.fullName,
        email: identity.email ? identity.email.toLowerCase() : null,
        roles,
        municipalityCode,
        municipalityName: muni ? muni[1].name : null,
        constraints: [...nationalConstraints, ...(muni ? muni[1].constraints : [])],
      };
    },

    /** Writes the audit line of a refused login: the reason only, never the token or who it named. */
    async refused(reason: string): Promise<void> {
      onOutcome?.('refused', reason);
      await audit(db, {
        actorUserId: null,
        action: 'login-refused',
        subject: reason.slice(0, 200),
        at: clock.now(),
      });
    },
  };
}
export type LoginService = ReturnType<typeof createLoginService>;
