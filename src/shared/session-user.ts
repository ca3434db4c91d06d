/**
 * The user-system roles and the logged-in user as the session keeps them. They live on the shared floor
 * because web/ (requireRole, the session's type) needs them and may import no feature; auth/roles.ts
 * re-exports them beside the role labels and rules.
 */

/** The municipal user-system role names of PRODUCT.md "People and roles". */
export const MUNICIPAL_ROLES = [
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'informationssoegende',
  'leder-ydelsescenter',
  'leder-jobcenter',
  'superbruger',
  'projektleder',
] as const;
/** The national roles, held under KOMBIT's CVR. */
export const NATIONAL_ROLES = ['kombit', 'administrator'] as const;
/** Every role Parat knows. */
export const ALL_ROLES = [...MUNICIPAL_ROLES, ...NATIONAL_ROLES] as const;
/** One user-system role. */
export type Role = (typeof ALL_ROLES)[number];

/** The logged-in user as kept in the session. */
export type SessionUser = {
  id: number;
  name: string;
  email: string | null;
  roles: Role[];
  municipalityCode: number | null;
  municipalityName: string | null;
  /** The OIO-BPP Constraints (KLE, sensitivity, …) of the privilege groups that gave the roles. */
  constraints?: Array<{ name: string; value: string }>;
};
