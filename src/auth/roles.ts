/** The user-system role names of PRODUCT.md "People and roles". */
export const MUNICIPAL_ROLES = [
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'informationssoegende',
  'leder-ydelsescenter',
  'leder-jobcenter',
  'superbruger',
  'projektleder',
] as const;
export const NATIONAL_ROLES = ['kombit', 'administrator'] as const;
export const ALL_ROLES = [...MUNICIPAL_ROLES, ...NATIONAL_ROLES] as const;
export type Role = (typeof ALL_ROLES)[number];

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

export const RESPONDENT_ROLES: readonly Role[] = [
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'informationssoegende',
  'leder-ydelsescenter',
  'leder-jobcenter',
  'superbruger',
];

export function isRole(value: string): value is Role {
  return (ALL_ROLES as readonly string[]).includes(value);
}

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
