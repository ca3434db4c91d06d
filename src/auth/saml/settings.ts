import type { Config } from '../../config.js';
import type { Logger } from '../../shared/logger.js';
import { certBody, loadOrCreateKeyPair, type KeyPair } from './keys.js';
import { loadIdpSource, staticIdpSource, type IdpSource } from './idp-metadata.js';
import type { SpSettings } from './sp.js';

/** The SP's keys and settings, the IdP, and the development IdP when one runs. */
export type SamlSettings = {
  sp: SpSettings;
  idp: IdpSource;
  devIdp: { entityId: string; keys: KeyPair } | null;
};

/** The IdP from its metadata; outside production, the development IdP when none is configured. */
async function idpOf(config: Config, logger: Logger): Promise<Pick<SamlSettings, 'idp' | 'devIdp'>> {
  if (config.saml.idpMetadata) {
    const idp = await loadIdpSource({
      location: config.saml.idpMetadata,
      refreshMinutes: config.saml.idpMetadataRefreshMinutes,
      logger,
    });
    return { idp, devIdp: null };
  }
  if (config.env === 'production')
    throw new Error('SAML_IDP_METADATA mangler, og udviklings-IdP må ikke køre i produktion');
  const keys = await loadOrCreateKeyPair({
    keyPath: undefined,
    certPath: undefined,
    varDir: config.varDir,
    name: 'dev-idp',
    allowGenerate: true,
  });
  const entityId = `${config.publicUrl}/dev-idp`;
  const idp = staticIdpSource({
    entityId,
    ssoUrl: `${config.publicUrl}/dev-idp/sso`,
    sloUrl: null,
    signingCerts: [certBody(keys.cert)],
    validUntil: null,
  });
  return { idp, devIdp: { entityId, keys } };
}

/** The SP's keys and the IdP's metadata; outside production, the development IdP when none is configured. */
export async function loadSamlSettings(config: Config, logger: Logger): Promise<SamlSettings> {
  const production = config.env === 'production';
  const spKeys = await loadOrCreateKeyPair({
    keyPath: config.saml.spKeyPath,
    certPath: config.saml.spCertPath,
    varDir: config.varDir,
    name: 'saml-sp',
    allowGenerate: !production,
  });
  const spEncKeys = config.saml.spEncKeyPath
    ? await loadOrCreateKeyPair({
        keyPath: config.saml.spEncKeyPath,
        certPath: config.saml.spEncCertPath,
        varDir: config.varDir,
        name: 'saml-sp-enc',
        allowGenerate: false,
      })
    : spKeys;
  const { idp, devIdp } = await idpOf(config, logger);
  return {
    sp: {
      entityId: config.saml.spEntityId,
      acsUrl: `${config.publicUrl}/saml/acs`,
      sloUrl: `${config.publicUrl}/saml/slo`,
      keys: spKeys,
      encKeys: spEncKeys,
      organization: { name: config.saml.organization, displayName: 'Parat', url: config.publicUrl },
      contact: {
        company: config.saml.organization,
        name: config.saml.contactName ?? null,
        email: config.saml.contactEmail ?? null,
      },
    },
    idp,
    devIdp,
  };
}
