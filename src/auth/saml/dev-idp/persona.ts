import crypto from 'node:crypto';
import { MUNICIPAL_ROLES, NATIONAL_ROLES, type Role } from '../../roles.js';
import { buildBpp } from '../bpp.js';
import type { KeyPair } from '../keys.js';
import { buildSignedEncryptedResponse, personaAttributes } from './token.js';
import type { PersonaInput } from './dev-idp.schemas.js';

/** What the development IdP signs and encrypts with, and whom it answers. */
export type DevIdpSettings = {
  idpEntityId: string;
  idpKeys: KeyPair;
  spEntityId: string;
  /** Checks the SP's AuthnRequest signature. */
  spCert: string;
  /** The assertion is encrypted to this one. */
  spEncCert: string;
  acsUrl: string;
  roleBase: string;
  kombitCvr: string;
};

/** The municipality a persona works in, as far as the token needs it. */
export type PersonaMunicipality = { code: number; name: string; cvr: string };

const isMunicipal = (r: string) => (MUNICIPAL_ROLES as readonly string[]).includes(r);

/** Whether the persona holds a municipal role, and so must work in a municipality. */
export const hasMunicipalRole = (roles: readonly string[]): boolean => roles.some(isMunicipal);

/** A stable persistent UUID per organisation and address, so the same persona is the same user each time. */
function persistentUuidOf(orgCvr: string, email: string): string {
  const uuid = crypto.createHash('sha256').update(`${orgCvr}:${email.toLowerCase()}`).digest('hex');
  return `urn:uuid:${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}`;
}

/**
 * The signed, encrypted SAML Response for a persona, shaped as KOMBIT's Context Handler shapes one:
 * national roles under KOMBIT's CVR, municipal roles under the municipality's.
 */
export async function personaResponse(
  s: DevIdpSettings,
  input: PersonaInput,
  muni: PersonaMunicipality | undefined,
): Promise<string> {
  const roles = input.roles as Role[];
  const national = roles.filter((r) => (NATIONAL_ROLES as readonly string[]).includes(r));
  const municipal = roles.filter(isMunicipal);
  const privileges = (list: Role[]) => list.map((r) => `${s.roleBase}/${r}/1`);
  const groups = [
    ...(national.length ? [{ cvr: s.kombitCvr, privileges: privileges(national) }] : []),
    ...(municipal.length && muni ? [{ cvr: muni.cvr, privileges: privileges(municipal) }] : []),
  ];
  const inMunicipality = municipal.length > 0 && muni !== undefined;
  const orgCvr = inMunicipality ? muni.cvr : s.kombitCvr;
  const persistentUuid = persistentUuidOf(orgCvr, input.email);
  const attributes = personaAttributes({
    uuid: persistentUuid,
    firstName: input.firstName,
    lastName: input.lastName,
    email: input.email,
    cvr: orgCvr,
    orgName: inMunicipality ? `${muni.name} Kommune` : 'KOMBIT A/S',
    bppBase64: buildBpp(groups),
  });
  const token = {
    idpEntityId: s.idpEntityId,
    spEntityId: s.spEntityId,
    acsUrl: s.acsUrl,
    inResponseTo: input.requestId,
    nameId: persistentUuid,
    attributes,
  };
  return buildSignedEncryptedResponse(token, s.idpKeys, s.spEncCert);
}
