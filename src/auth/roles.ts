import { ALL_ROLES, MUNICIPAL_ROLES, type Role } from '../shared/session-user.js';

// The role lists and the session's user type sit on the shared floor (web/ needs them); re-exported here
// so the auth feature stays the one place to look for roles.
export {
  ALL_ROLES,
  MUNICIPAL_ROLES,
  NATIONAL_ROLES,
  type Role,
  type SessionUser,
} from '../shared/session-user.js';

/** Each role's Danish name, as shown beside the user's name. */
export const ROLE_LABELS: Record<Role, string> = {
  'sagsbehandler-ydelsescenter': 'Sagsbehandler i ydelsescentret',
  'sagsbehandler-udenfor': 'Sagsbehandler uden for ydelsescentret',
  informationssoegende: 'Informationssøgende medarbejder',
  'leder-ydelsescenter': 'Leder af ydelsescentret',
  'leder-jobcenter': 'Leder af jobcentret',
  superbruger: 'Superbruger',
  projektleder: 'KSD-projektleder',
  kombit: 'KOMBIT',
  administrator: 'Administrator',
};

/** The roles that answer the readiness survey: every municipal role but the project leader's. */
export const RESPONDENT_ROLES: readonly Role[] = MUNICIPAL_ROLES.filter((r) => r !== 'projektleder');

/** Whether a string is one of Parat's role names. */
export function isRole(value: string): value is Role {
  return (ALL_ROLES as readonly string[]).includes(value);
}
