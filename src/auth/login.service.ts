import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { BppError, parseBpp, type BppConstraint, type PrivilegeGroup } from './saml/bpp.js';
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

/** The municipality a CVR number belongs to, as far as the login needs it. */
type MunicipalityRef = { code: number; name: string };

type Deps = {
  db: Db;
  clock: Clock;
  roleBase: string;
  kombitCvr: string;
  /** The municipality of a CVR number (the municipalities feature answers; auth does not read its table). */
  municipalityByCvr: (cvr: string) => Promise<MunicipalityRef | undefined>;
  /** Told of every accepted login and every refusal (with the audit log's reason), for counting. */
  onOutcome?: (outcome: 'accepted' | 'refused', reason?: string) => void;
};

type MunicipalGrant = { name: string; roles: Set<Role>; constraints: BppConstraint[] };
/** What the token's privilege groups give: national roles, roles per municipality, and whether a CVR was unknown. */
type Grants = {
  national: Set<Role>;
  nationalConstraints: BppConstraint[];
  municipal: Map<number, MunicipalGrant>;
  unknownCvr: boolean;
};

const isNational = (r: Role) => (NATIONAL_ROLES as readonly string[]).includes(r);
const isMunicipal = (r: Role) => (MUNICIPAL_ROLES as readonly string[]).includes(r);

/** The Parat role a privilege URI names under the role base, or null. */
function roleFromPrivilege(roleBase: string, uri: string): Role | null {
  const base = roleBase.toLowerCase() + '/';
  const lower = uri.trim().toLowerCase();
  if (!lower.startsWith(base)) return null;
  const [name] = lower.slice(base.length).split('/');
  return name && isRole(name) ? name : null;
}

/** The privilege groups of the token; a token without a user id or privileges, or with unreadable ones, is refused. */
function privilegeGroups(identity: TokenIdentity): PrivilegeGroup[] {
  if (!identity.persistentUuid)
    throw new LoginRefused('Dit login mangler en bruger-id (persistent uuid).', 'no-uuid');
  if (!identity.privilegesBpp)
    throw new LoginRefused('Dit login indeholder ingen rettigheder til Parat.', 'no-bpp');
  try {
    return parseBpp(identity.privilegesBpp);
  } catch (err) {
    if (err instanceof BppError)
      throw new LoginRefused('Rettighederne i dit login kunne ikke læses.', `bpp: ${err.message}`);
    throw err;
  }
}

/** National roles come only under KOMBIT's CVR, municipal roles only under a known municipality's CVR. */
async function collectGrants(deps: Deps, groups: PrivilegeGroup[]): Promise<Grants> {
  const grants: Grants = {
    national: new Set(),
    nationalConstraints: [],
    municipal: new Map(),
    unknownCvr: false,
  };
  for (const group of groups) {
    const roles = group.privileges
      .map((uri) => roleFromPrivilege(deps.roleBase, uri))
      .filter((r): r is Role => r !== null);
    if (!roles.length) continue;
    if (group.cvr === deps.kombitCvr) {
      roles.filter(isNational).forEach((r) => grants.national.add(r));
      grants.nationalConstraints.push(...group.constraints);
      continue;
    }
    const m = await deps.municipalityByCvr(group.cvr);
    if (!m) {
      grants.unknownCvr = true;
      continue;
    }
    const entry = grants.municipal.get(m.code) ?? { name: m.name, roles: new Set<Role>(), constraints: [] };
    roles.filter(isMunicipal).forEach((r) => entry.roles.add(r));
    entry.constraints.push(...group.constraints);
    if (entry.roles.size) grants.municipal.set(m.code, entry);
  }
  return grants;
}

/** The user's roles and municipality; refuses roles in several municipalities, and no role at all. */
function chooseRoles(grants: Grants): { roles: Role[]; muni: [number, MunicipalGrant] | undefined } {
  if (grants.municipal.size > 1) {
    throw new LoginRefused(
      'Dit login giver roller i flere kommuner. Kontakt din brugeradministrator.',
      'several-municipalities',
    );
  }
  const [muni] = [...grants.municipal.entries()];
  const roles: Role[] = [...grants.national, ...(muni ? [...muni[1].roles] : [])];
  if (!roles.length) {
    throw new LoginRefused(
      grants.unknownCvr
        ? 'Dit login er udstedt til en organisation (CVR), som ikke er en kommune i Parat.'
        : 'Dit login giver ingen rolle i Parat. Kontakt din brugeradministrator.',
      grants.unknownCvr ? 'unknown-cvr' : 'no-role',
    );
  }
  return { roles, muni };
}

/** Creates or updates the user and their roles, and audits the login, in one transaction. */
async function saveLogin(
  deps: Deps,
  identity: TokenIdentity,
  roles: Role[],
  municipalityCode: number | null,
): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
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
}

/** Turns a validated token into a Parat user, or refuses it with LoginRefused. */
async function login(deps: Deps, identity: TokenIdentity): Promise<SessionUser> {
  const grants = await collectGrants(deps, privilegeGroups(identity));
  const { roles, muni } = chooseRoles(grants);
  const municipalityCode = muni ? muni[0] : null;
  const id = await saveLogin(deps, identity, roles, municipalityCode);
  deps.onOutcome?.('accepted');
  return {
    id,
    name: identity.fullName,
    email: identity.email ? identity.email.toLowerCase() : null,
    roles,
    municipalityCode,
    municipalityName: muni ? muni[1].name : null,
    constraints: [...grants.nationalConstraints, ...(muni ? muni[1].constraints : [])],
  };
}

/** Turns a validated token into a Parat user: roles and municipality from the OIO-BPP privileges. */
export function createLoginService(deps: Deps) {
  return {
    login: (identity: TokenIdentity): Promise<SessionUser> => login(deps, identity),

    /** Writes the audit line of a refused login: the reason only, never the token or who it named. */
    async refused(reason: string): Promise<void> {
      deps.onOutcome?.('refused', reason);
      await audit(deps.db, {
        actorUserId: null,
        action: 'login-refused',
        subject: reason.slice(0, 200),
        at: deps.clock.now(),
      });
    },
  };
}
export type LoginService = ReturnType<typeof createLoginService>;
