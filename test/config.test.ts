import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('when nothing is set, then development defaults apply: port 3000, SQLite under var/, development IdP on', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.database.client).toBe('sqlite3');
    expect(c.saml.devIdpEnabled).toBe(true);
    expect(c.kombitCvr).toBe('19435075');
    expect(c.kThreshold).toBe(5);
  });

  it('when variables are bad, then every one is named in one error', () => {
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', K_THRESHOLD: '2' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('DATABASE_URL');
      expect(msg).toContain('K_THRESHOLD');
    }
  });

  it('when NODE_ENV=production lacks secrets, keys and IdP metadata, then it refuses and names each', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /SESSION_SECRET[\s\S]*SAML_SP_KEY[\s\S]*SAML_SP_CERT[\s\S]*SAML_IDP_METADATA/,
    );
  });

  it('when production is fully configured, then the development IdP is off and encrypted assertions are required', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      SAML_SP_KEY: '/k.pem',
      SAML_SP_CERT: '/c.pem',
      SAML_IDP_METADATA: '/idp.xml',
      PUBLIC_URL: 'https://parat.example.dk',
      DATABASE_URL: 'postgres://u:p@db/parat',
    });
    expect(c.saml.devIdpEnabled).toBe(false);
    expect(c.saml.requireEncryptedAssertions).toBe(true);
    expect(c.secureCookies).toBe(true);
    expect(c.database).toEqual({ client: 'pg', url: 'postgres://u:p@db/parat' });
  });

  it('when SAML_IDP_METADATA is set in development, then the development IdP is off', () => {
    expect(loadConfig({ SAML_IDP_METADATA: '/idp.xml' }).saml.devIdpEnabled).toBe(false);
  });

  it('when METRICS_ALLOW is not set, then only this host may read /metrics; a list of addresses and nets is read as given', () => {
    expect(loadConfig({}).metrics).toEqual({
      allow: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
      token: undefined,
    });
    const c = loadConfig({
      METRICS_ALLOW: '10.0.0.0/8, 192.168.1.20 ,fd00::/8',
      METRICS_TOKEN: 't'.repeat(32),
    });
    expect(c.metrics).toEqual({ allow: ['10.0.0.0/8', '192.168.1.20', 'fd00::/8'], token: 't'.repeat(32) });
  });

  it('when METRICS_ALLOW holds something that is not an IP address or CIDR net, then each bad entry is named with the variable', () => {
    try {
      loadConfig({ METRICS_ALLOW: '10.0.0.1,prometheus.local,10.0.0.0/33,300.1.1.1' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual(
        ['prometheus.local', '10.0.0.0/33', '300.1.1.1'].map(
          (bad) => `METRICS_ALLOW: "${bad}" er hverken en IP-adresse eller et CIDR-net (fx 10.0.0.0/8)`,
        ),
      );
    }
    expect(() => loadConfig({ METRICS_ALLOW: ' , ' })).toThrow(
      /METRICS_ALLOW: skal nævne mindst én IP-adresse/,
    );
  });

  it('when METRICS_TOKEN is shorter than 32 characters, then it is refused by name', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'kort-token' })).toThrow(
      /METRICS_TOKEN: skal være mindst 32 tegn/,
    );
  });
});

describe('log safety', () => {
  it('when a database error quotes an email address or a personal link, then the logged form masks them', async () => {
    const { safeError } = await import('../src/shared/logger.js');
    const err = Object.assign(
      new Error(
        `insert into "participants" ("email") values ('anne@aarhus.dk') - duplicate key; see http://x/l/${'a'.repeat(43)}`,
      ),
      { code: '23505' },
    );
    const logged = safeError(err);
    expect(logged.code).toBe('23505');
    expect(JSON.stringify(logged)).not.toContain('anne@aarhus.dk');
    expect(JSON.stringify(logged)).not.toContain('a'.repeat(43));
    expect(logged.message).toContain('[skjult]');
  });
});
