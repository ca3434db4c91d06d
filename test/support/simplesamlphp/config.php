<?php

/*
 * SimpleSAMLphp 1.19 main configuration for the loopback test IdP.
 *
 * This file is copied into <runtime>/config/ and reads every per-instance value from <runtime>/harness.json,
 * which test/support/simplesamlphp.ts writes before php -S starts.
 */

$harness = json_decode((string) file_get_contents(dirname(__DIR__) . '/harness.json'), true, 512, JSON_THROW_ON_ERROR);
$runtime = $harness['runtimeDir'];

/*
 * SimpleSAMLphp 1.19 renders its error page with HTTP 200 (the status code is set on the template but never sent).
 * This page renderer runs after SimpleSAML\Error\Error::show() has set the real code (400, 403, 500, ...), so
 * refusals are visible as such to HTTP clients. The page itself is the stock errors template.
 */
if (!class_exists('LoopbackIdpErrorPage', false)) {
    final class LoopbackIdpErrorPage
    {
        public static function show(\SimpleSAML\Configuration $config, array $data): void
        {
            $t = new \SimpleSAML\XHTML\Template($config, 'error.php', 'errors');
            $t->data = array_merge($t->data, $data);
            $t->show();
        }
    }
}

$config = [
    'baseurlpath' => $harness['baseUrl'] . '/',
    'certdir' => $runtime . '/cert/',
    'loggingdir' => $runtime . '/log/',
    'datadir' => $runtime . '/data/',
    'tempdir' => $runtime . '/tmp',
    'metadatadir' => $runtime . '/metadata/',
    'metadata.sources' => [['type' => 'flatfile', 'directory' => $runtime . '/metadata/']],

    'technicalcontact_name' => 'Test Administrator',
    'technicalcontact_email' => 'na@example.org',
    'timezone' => 'UTC',
    'secretsalt' => $harness['secretSalt'],
    'auth.adminpassword' => $harness['adminPassword'],
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,

    // Redirect targets (SLO ReturnTo / RelayState) must be on one of these host[:port] values or on the IdP itself.
    'trusted.url.domains' => $harness['trustedUrlDomains'],

    'debug' => ['saml' => false, 'backtraces' => true, 'validatexml' => false],
    'showerrors' => true,
    'errors.show_function' => ['LoopbackIdpErrorPage', 'show'],
    'errorreporting' => false,
    'production' => false,

    'logging.level' => SimpleSAML\Logger::NOTICE,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'logging.processname' => 'simplesamlphp',

    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'enable.adfs-idp' => false,

    'module.enable' => [
        'exampleauth' => true,
        'core' => true,
        'saml' => true,
    ],

    // Sessions: PHP's own session files, kept inside the runtime directory; cookies usable over plain http.
    'store.type' => 'phpsession',
    'session.duration' => 8 * 60 * 60,
    'session.datastore.timeout' => 4 * 60 * 60,
    'session.state.timeout' => 60 * 60,
    'session.cookie.name' => 'SimpleSAMLSessionID',
    'session.cookie.lifetime' => 0,
    'session.cookie.path' => '/',
    'session.cookie.domain' => null,
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.phpsession.cookiename' => 'SimpleSAML',
    'session.phpsession.savepath' => $runtime . '/sessions',
    'session.phpsession.httponly' => true,
    'session.authtoken.cookiename' => 'SimpleSAMLAuthToken',
    'session.rememberme.enable' => false,

    'language.available' => ['en', 'da'],
    'language.default' => 'en',
    'language.cookie.secure' => false,
    'language.cookie.samesite' => null,

    'theme.use' => 'default',
    'usenewui' => false,
    'template.auto_reload' => false,

    // No consent or attribute mapping: the authsource's attributes go out as they are.
    'authproc.idp' => [],
    'authproc.sp' => [],

    'metadata.sign.enable' => false,
];
