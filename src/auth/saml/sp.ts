import crypto from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  Strategy as SamlStrategy,
  ValidateInResponseTo,
  type Profile,
  type VerifiedCallback,
} from '@node-saml/passport-saml';
import { SAML, type CacheProvider, type SamlConfig } from '@node-saml/node-saml';
import type { Strategy as PassportStrategy } from 'passport';
import type { KeyPair } from './keys.js';
import type { IdpSettings, IdpSource } from './idp-metadata.js';

export type SpSettings = {
  entityId: string;
  acsUrl: string;
  /** Where the IdP sends LogoutRequests and LogoutResponses (HTTP-Redirect). */
  sloUrl: string;
  /** Signs AuthnRequests and logout messages. */
  keys: KeyPair;
  /** The certificate the IdP encrypts assertions to, and its key; the signing pair unless configured apart. */
  encKeys: KeyPair;
  organization: { name: string; displayName: string; url: string };
  contact: { company: string; name: string | null; email: string | null };
};

/** A new SAML message id (an NCName: letter first). */
export const newSamlId = (): string => '_' + crypto.randomBytes(20).toString('hex');

/** Lets a route choose the id node-saml gives the next request, so the id can be bound to the browser. */
const chosenIds = new AsyncLocalStorage<string>();
export const withRequestId = <T>(id: string, fn: () => T): T => chosenIds.run(id, fn);

function samlOptions(sp: SpSettings, idp: IdpSettings, cacheProvider: CacheProvider): SamlConfig {
  return {
    entryPoint: idp.ssoUrl,
    logoutUrl: idp.sloUrl ?? idp.ssoUrl,
    logoutCallbackUrl: sp.sloUrl,
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    idpCert: idp.signingCerts,
    idpIssuer: idp.entityId,
    audience: sp.entityId,
    privateKey: sp.keys.key,
    publicCert: sp.keys.cert,
    decryptionPvk: sp.encKeys.key,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: 60_000,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: 10 * 60_000,
    cacheProvider,
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    disableRequestedAuthnContext: true,
    generateUniqueId: () => chosenIds.getStore() ?? newSamlId(),
  };
}

export type SamlSp = {
  /** The passport strategy and node-saml instance for the IdP settings in force (rebuilt when they change). */
  current(): { idp: IdpSettings; strategy: PassportStrategy; saml: SAML };
};

/** The one place node-saml is configured: PRODUCT.md "Login" as options. */
export function createSamlSp(opts: {
  sp: SpSettings;
  idp: IdpSource;
  cacheProvider: CacheProvider;
  verify: (profile: Profile) => Promise<Express.User>;
}): SamlSp {
  let built: ReturnType<SamlSp['current']> | null = null;
  const build = (idp: IdpSettings) => {
    const signon = (profile: Profile | null, done: VerifiedCallback) => {
      if (!profile) return done(new Error('Intet SAML-profil'));
      // node-saml checks idpIssuer on logout messages only; the assertion's (signed) Issuer is checked here.
      if (profile.issuer !== idp.entityId)
        return done(new Error(`Unknown assertion issuer: ${String(profile.issuer)}`));
      opts.verify(profile).then(
        (user) => done(null, user as unknown as Record<string, unknown>),
        (err: unknown) => done(err as Error),
      );
    };
    const options = samlOptions(opts.sp, idp, opts.cacheProvider);
    // passport-saml is typed against its own copy of @types/express; the strategy is passport's all the same.
    const strategy = new SamlStrategy(options, signon, signon) as unknown as PassportStrategy;
    return { idp, strategy, saml: new SAML(options) };
  };
  return {
    current() {
      const idp = opts.idp.current();
      if (!built || built.idp !== idp) built = build(idp);
      return built;
    },
  };
}
