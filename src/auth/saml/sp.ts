import { Strategy as SamlStrategy, ValidateInResponseTo, type Profile, type VerifiedCallback } from '@node-saml/passport-saml';
import type { CacheProvider } from '@node-saml/node-saml';
import type { KeyPair } from './keys.js';
import type { IdpSettings } from './idp-metadata.js';

export type SpSettings = {
  entityId: string;
  acsUrl: string;
  keys: KeyPair;
};

/** The one place node-saml is configured: PRODUCT.md "Login" as options. */
export function createSamlStrategy(opts: {
  sp: SpSettings;
  idp: IdpSettings;
  cacheProvider: CacheProvider;
  verify: (profile: Profile) => Promise<Express.User>;
}): SamlStrategy {
  const { sp, idp } = opts;
  const signon = (profile: Profile | null, done: VerifiedCallback) => {
    if (!profile) return done(new Error('Intet SAML-profil'));
    // node-saml checks idpIssuer on logout messages only; the assertion's (signed) Issuer is checked here.
    if (profile.issuer !== idp.entityId) return done(new Error(`Unknown assertion issuer: ${String(profile.issuer)}`));
    opts.verify(profile).then(
      (user) => done(null, user as unknown as Record<string, unknown>),
      (err: unknown) => done(err as Error),
    );
  };
  return new SamlStrategy(
    {
      entryPoint: idp.ssoUrl,
      issuer: sp.entityId,
      callbackUrl: sp.acsUrl,
      idpCert: idp.signingCerts,
      idpIssuer: idp.entityId,
      audience: sp.entityId,
      privateKey: sp.keys.key,
      publicCert: sp.keys.cert,
      decryptionPvk: sp.keys.key,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: 60_000,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: 10 * 60_000,
      cacheProvider: opts.cacheProvider,
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      disableRequestedAuthnContext: true,
    },
    signon,
    signon,
  );
}
