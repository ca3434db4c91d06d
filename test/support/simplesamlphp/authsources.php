<?php

/*
 * Authentication sources for the loopback test IdP: one exampleauth:UserPass source ("users") with the
 * username/password pairs and attributes listed in <runtime>/harness.json.
 */

$harness = json_decode((string) file_get_contents(dirname(__DIR__) . '/harness.json'), true, 512, JSON_THROW_ON_ERROR);

$users = ['exampleauth:UserPass'];
foreach ($harness['users'] as $user) {
    $users[$user['username'] . ':' . $user['password']] = $user['attributes'];
}

$config = [
    'admin' => ['core:AdminPassword'],
    'users' => $users,
];
