import { Router, type Request } from 'express';
import { ValidationError } from '../../../shared/errors.js';
import { handle, parseInput } from '../../../web/http.js';
import { MUNICIPAL_ROLES, NATIONAL_ROLES, ROLE_LABELS } from '../../roles.js';
import { certBody } from '../keys.js';
import { readRedirectRequest } from './authn-request.js';
import { PRESETS, personaSchema, ssoRequestSchema } from './dev-idp.schemas.js';
import {
  hasMunicipalRole,
  personaResponse,
  type DevIdpSettings,
  type PersonaMunicipality,
} from './persona.js';

type Deps = DevIdpSettings & {
  /** The municipalities a persona may work in (the municipalities feature answers). */
  municipalities: {
    list(): Promise<PersonaMunicipality[]>;
    byCode(code: number): Promise<PersonaMunicipality | undefined>;
  };
};

/** The IdP's metadata: its signing certificate and its HTTP-Redirect SSO endpoint. */
function metadataXml(deps: Deps): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${deps.idpEntityId}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">` +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certBody(deps.idpKeys.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${deps.acsUrl.replace(/\/saml\/acs$/, '')}/dev-idp/sso"/>` +
    `</md:IDPSSODescriptor></md:EntityDescriptor>`
  );
}

/** The signed AuthnRequest of the query; only our own SP may ask. */
function authnRequestOf(deps: Deps, req: Request) {
  const rawQuery = req.originalUrl.split('?')[1] ?? '';
  const request = readRedirectRequest(rawQuery, deps.spCert);
  if (request.issuer !== deps.spEntityId)
    throw new ValidationError('AuthnRequest kommer fra en ukendt tjenesteudbyder.');
  return request;
}

/** GET /dev-idp/sso: the persona page for a signed AuthnRequest. */
function registerPersonaPage(router: Router, deps: Deps): void {
  router.get(
    '/dev-idp/sso',
    handle(async (req, res) => {
      const query = parseInput(ssoRequestSchema, req.query, 'Login-anmodningen mangler.');
      const request = authnRequestOf(deps, req);
      res.render('auth/dev-idp', {
        title: 'Udviklings-IdP: vælg persona',
        requestId: request.id,
        relayState: query.RelayState ?? '',
        municipalities: await deps.municipalities.list(),
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
}

/** POST /dev-idp/sso: the chosen persona's signed, encrypted response, posted on to the ACS by the browser. */
function registerPersonaLogin(router: Router, deps: Deps): void {
  router.post(
    '/dev-idp/sso',
    handle(async (req, res) => {
      const input = parseInput(personaSchema, req.body, 'Personaen er ikke udfyldt korrekt.');
      const muni = input.municipality ? await deps.municipalities.byCode(input.municipality) : undefined;
      if (hasMunicipalRole(input.roles) && !muni)
        throw new ValidationError('Vælg en kommune til de kommunale roller.', {
          municipality: 'Vælg en kommune',
        });
      res.render('auth/dev-idp-post', {
        title: 'Sender login til Parat',
        acsUrl: deps.acsUrl,
        samlResponse: await personaResponse(deps, input, muni),
        relayState: input.relayState,
      });
    }),
  );
}

/** The development IdP: mimics KOMBIT's Context Handler; never mounted in production. */
export function devIdpRoutes(deps: Deps): Router {
  const router = Router();
  router.get('/dev-idp/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(metadataXml(deps));
  });
  registerPersonaPage(router, deps);
  registerPersonaLogin(router, deps);
  return router;
}
