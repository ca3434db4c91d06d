<?php

/*
 * The one SAML 2.0 SP this IdP serves (the application under test), from <runtime>/harness.json.
 *
 * - Signed AuthnRequests are required and checked against the SP signing certificate (validate.authnrequest).
 * - Assertions are signed and encrypted to the SP encryption certificate (the signing one unless given apart).
 *   SimpleSAMLphp 1.19 always encrypts with aes128-cbc and transports the key with rsa-oaep-mgf1p when the key
 *   comes from a certificate; 'sharedkey_algorithm' only applies to a pre-shared symmetric key ('sharedkey'),
 *   which is not used here.
 * - Logout messages are signed both ways and incoming ones are checked.
 * - The persistent NameID is the value of the user's professional UUID attribute.
 */

$harness = json_decode((string) file_get_contents(dirname(__DIR__) . '/harness.json'), true, 512, JSON_THROW_ON_ERROR);
$sp = $harness['sp'];

$metadata[$sp['entityId']] = [
    'AssertionConsumerService' => [
        [
            'index' => 0,
            'isDefault' => true,
            'Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
            'Location' => $sp['acsUrl'],
        ],
    ],
    'SingleLogoutService' => [
        [
            'Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
            'Location' => $sp['sloUrl'],
        ],
    ],
    'keys' => [
        ['type' => 'X509Certificate', 'signing' => true, 'encryption' => false, 'X509Certificate' => $sp['signingCert']],
        ['type' => 'X509Certificate', 'signing' => false, 'encryption' => true, 'X509Certificate' => $sp['encryptionCert']],
    ],
    'validate.authnrequest' => true,
    'validate.logout' => true,
    'sign.logout' => true,
    'assertion.encryption' => true,
    'nameid.encryption' => false,
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    'authproc' => [
        10 => [
            'class' => 'saml:AttributeNameID',
            'attribute' => $harness['nameIdAttribute'],
            'Format' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        ],
    ],
];
