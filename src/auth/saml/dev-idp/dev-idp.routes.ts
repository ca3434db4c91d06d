import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { Router } from 'express';
import { DOMParser } from '@xmldom/xmldom';
import { z } from 'zod';
import type { Db } from '../../../db/knex.js';
import { municipalitiesRepository } from '../../../municipalities/municipalities.repository.js';
import { ValidationError } from '../../../shared/errors.js';
import { handle, parseInput } from '../../../web/http.js';
import { MUNICIPAL_ROLES, NATIONAL_ROLES, ROLE_LABELS, type Role } from '../../roles.js';
import { buildBpp } from '../bpp.js';
import { certBody, type KeyPair } from '../keys.js';
import { buildSignedEncryptedResponse, personaAttributes } from './token.js';

type Deps = {
  db: Db;
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

const ssoRequestSchema = z.object({ SAMLRequest: z.string().min(1), RelayState: z.string().optional() });

/** Reads the AuthnRequest of an HTTP-Redirect and checks the SP's RSA-SHA256 signature on it. */
function readRedirectRequest(
  rawQuery: string,
  spCert: string,
): { id: string; issuer: string; acs: string | null } {
  const params = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const [k, v = ''] = part.split('=');
    if (k) params.set(k, v);
  }
  const samlRequest = params.get('SAMLRequest');
  const sigAlg = params.get('SigAlg');
  const signature = params.get('Signature');
  if (!samlRequest || !sigAlg || !signature) throw new ValidationError('AuthnRequest er ikke signeret.');
  if (decodeURIComponent(sigAlg) !== 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256') {
    throw new ValidationError('AuthnRequest skal signeres med RSA-SHA256.');
  }
  const signed = ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((k) => params.has(k))
    .map((k) => `${k}=${params.get(k)}`)
    .join('&');
  const ok = crypto.verify(
    'RSA-SHA256',
    Buffer.from(signed),
    spCert,
    Buffer.from(decodeURIComponent(signature), 'base64'),
  );
  if (!ok) throw new ValidationError('Signaturen på AuthnRequest er ugyldig.');
  const xml = zlib.inflateRawSync(Buffer.from(decodeURIComponent(samlRequest), 'base64')).toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new ValidationError('AuthnRequest må ikke indeholde DTD.');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  const id = root?.getAttribute('ID');
  const issuer =
    root?.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0]?.textContent ?? '';
  if (!root || root.localName !== 'AuthnRequest' || !id) throw new ValidationError('Ugyldig AuthnRequest.');
  return { id, issuer, acs: root.getAttribute('AssertionConsumerServiceURL') };
}

const personaSchema = z.object({
  requestId: z.string().min(1).max(200),
  relayState: z.string().max(500).optional().default(''),
  municipality: z.coerce.number().int().optional(),
  roles: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.enum([...MUNICIPAL_ROLES, ...NATIONAL_ROLES])).min(1, 'Vælg mindst én rolle')),
  firstName: z.string().trim().min(1, 'Skriv et fornavn').max(100),
  lastName: z.string().trim().min(1, 'Skriv et efternavn').max(100),
  email: z.email('Skriv en gyldig e-mailadresse').max(320),
});

const PRESETS = [
  {
    label: 'Projektleder, Aarhus Kommune',
    municipality: 751,
    roles: ['projektleder'],
    firstName: 'Mette',
    lastName: 'Projektleder',
    email: 'mette.projektleder@aarhus.example.dk',
  },
  {
    label: 'Sagsbehandler og superbruger, København',
    municipality: 101,
    roles: ['sagsbehandler-ydelsescenter', 'superbruger'],
    firstName: 'Anette',
    lastName: 'Sagsbehandler',
    email: 'anette.sagsbehandler@kk.example.dk',
  },
  {
    label: 'Leder af ydelsescentret, Odense',
    municipality: 461,
    roles: ['leder-ydelsescenter'],
    firstName: 'Lars',
    lastName: 'Leder',
    email: 'lars.leder@odense.example.dk',
  },
  {
    label: 'KOMBIT-konsulent',
    municipality: undefined,
    roles: ['kombit'],
    firstName: 'Karen',
    lastName: 'Konsulent',
    email: 'karen.konsulent@kombit.example.dk',
  },
  {
    label: 'Administrator',
    municipality: undefined,
    roles: ['administrator'],
    firstName: 'Adam',
    lastName: 'Administrator',
    email: 'adam.admin@kombit.example.dk',
  },
];

/** The development IdP: mimics KOMBIT's Context Handler; never mounted in production. */
export function devIdpRoutes(deps: Deps): Router {
  const router = Router();

  router.get('/dev-idp/metadata', (_req, res) => {
    res
      .type('application/samlmetadata+xml')
      .send(
        `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${deps.idpEntityId}">` +
          `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">` +
          `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certBody(deps.idpKeys.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
          `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${deps.acsUrl.replace(/\/saml\/acs$/, '')}/dev-idp/sso"/>` +
          `</md:IDPSSODescriptor></md:EntityDescriptor>`,
      );
  });

  router.get(
    '/dev-idp/sso',
    handle(async (req, res) => {
      const query = parseInput(ssoRequestSchema, req.query, 'Login-anmodningen mangler.');
      const rawQuery = req.originalUrl.split('?')[1] ?? '';
      const request = readRedirectRequest(rawQuery, deps.spCert);
      if (request.issuer !== deps.spEntityId)
        throw new ValidationError('AuthnRequest kommer fra en ukendt tjenesteudbyder.');
      const municipalities = await municipalitiesRepository.list(deps.db);
      res.render('auth/dev-idp', {
        title: 'Udviklings-IdP: vælg persona',
        requestId: request.id,
        relayState: query.RelayState ?? '',
        municipalities,
        // The form starts as a project leader.
        roles: [...MUNICIPAL_ROLES, ...NATIONAL_ROLES].map((r) => ({
          value: r,
          label: ROLE_LABELS[r],
          checked: r === 'projektleder',
        })),
        presets: PRESETS,
        values: { municipality: 751, firstName: '', lastName: '', email: '' },
        errors: {},
      });
    }),
  );

  router.post(
    '/dev-idp/sso',
    handle(async (req, res) => {
      const input = parseInput(personaSchema, req.body, 'Personaen er ikke udfyldt korrekt.');
      const roles = input.roles as Role[];
      const national = roles.filter((r) => (NATIONAL_ROLES as readonly string[]).includes(r));
      const municipal = roles.filter((r) => (MUNICIPAL_ROLES as readonly string[]).includes(r));
      const muni = input.municipality
        ? await municipalitiesRepository.byCode(deps.db, input.municipality)
        : undefined;
      if (municipal.length && !muni)
        throw new ValidationError('Vælg en kommune til de kommunale roller.', {
          municipality: 'Vælg en kommune',
        });
      const groups = [
        ...(national.length
          ? [{ cvr: deps.kombitCvr, privileges: national.map((r) => `${deps.roleBase}/${r}/1`) }]
          : []),
        ...(municipal.length && muni
          ? [{ cvr: muni.cvr, privileges: municipal.map((r) => `${deps.roleBase}/${r}/1`) }]
          : []),
      ];
      const orgCvr = municipal.length && muni ? muni.cvr : deps.kombitCvr;
      const uuid = crypto.createHash('sha256').update(`${orgCvr}:${input.email.toLowerCase()}`).digest('hex');
      const persistentUuid = `urn:uuid:${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}`;
      const token = await buildSignedEncryptedResponse(
        {
          idpEntityId: deps.idpEntityId,
          spEntityId: deps.spEntityId,
          acsUrl: deps.acsUrl,
          inResponseTo: input.requestId,
          nameId: persistentUuid,
          attributes: personaAttributes({
            uuid: persistentUuid,
            firstName: input.firstName,
            lastName: input.lastName,
            email: input.email,
            cvr: orgCvr,
            orgName: municipal.length && muni ? `${muni.name} Kommune` : 'KOMBIT A/S',
            bppBase64: buildBpp(groups),
          }),
        },
        deps.idpKeys,
        deps.spEncCert,
      );
      res.render('auth/dev-idp-post', {
        title: 'Sender login til Parat',
        acsUrl: deps.acsUrl,
        samlResponse: token,
        relayState: input.relayState,
      });
    }),
  );

  return router;
}
