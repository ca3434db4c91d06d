<?php

/*
 * The hosted SAML 2.0 IdP: RSA-SHA256 signatures with the key pair written to <runtime>/cert/, users from the
 * "users" authsource.
 */

$harness = json_decode((string) file_get_contents(dirname(__DIR__) . '/harness.json'), true, 512, JSON_THROW_ON_ERROR);

$metadata[$harness['idpEntityId']] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'users',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
];
