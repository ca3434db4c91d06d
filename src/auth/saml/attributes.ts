/** OIOSAML 3 attribute names as KOMBIT's Context Handler issues them. */
export const ATTR = {
  specVersion: 'https://data.gov.dk/model/core/specVersion',
  kombitSpecVer: 'https://data.gov.dk/model/core/kombitSpecVer',
  kombitSpecVerLegacy: 'dk:gov:saml:attribute:KombitSpecVer',
  loa: 'https://data.gov.dk/concept/core/nsis/loa',
  cvr: 'https://data.gov.dk/model/core/eid/professional/cvr',
  cvrLegacy: 'dk:gov:saml:attribute:CvrNumberIdentifier',
  orgName: 'https://data.gov.dk/model/core/eid/professional/orgName',
  privileges: 'https://data.gov.dk/model/core/eid/privilegesIntermediate',
  privilegesLegacy: 'dk:gov:saml:attribute:Privileges_intermediate',
  email: 'https://data.gov.dk/model/core/eid/email',
  uuid: 'https://data.gov.dk/model/core/eid/professional/uuid/persistent',
  firstName: 'https://data.gov.dk/model/core/eid/firstName',
  lastName: 'https://data.gov.dk/model/core/eid/lastName',
  fullName: 'https://data.gov.dk/model/core/eid/fullName',
} as const;

export const ATTR_NAME_FORMAT_URI = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';

export type TokenIdentity = {
  persistentUuid: string;
  nameId: string;
  fullName: string;
  email: string | null;
  cvr: string | null;
  loa: string | null;
  privilegesBpp: string | null;
};

function first(profile: Record<string, unknown>, ...names: string[]): string | null {
  for (const name of names) {
    const v = profile[name];
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return null;
}

/** Reads the identity out of a validated node-saml profile. */
export function identityFromProfile(profile: Record<string, unknown>): TokenIdentity {
  const nameId = typeof profile.nameID === 'string' ? profile.nameID : '';
  const firstName = first(profile, ATTR.firstName);
  const lastName = first(profile, ATTR.lastName);
  const fullName =
    first(profile, ATTR.fullName) ?? ([firstName, lastName].filter(Boolean).join(' ') || 'Ukendt bruger');
  return {
    persistentUuid: first(profile, ATTR.uuid) ?? nameId,
    nameId,
    fullName,
    email: first(profile, ATTR.email),
    cvr: first(profile, ATTR.cvr, ATTR.cvrLegacy),
    loa: first(profile, ATTR.loa),
    privilegesBpp: first(profile, ATTR.privileges, ATTR.privilegesLegacy),
  };
}
