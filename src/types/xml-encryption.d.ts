declare module 'xml-encryption' {
  export type EncryptOptions = {
    rsa_pub: string | Buffer;
    pem: string | Buffer;
    encryptionAlgorithm: string;
    keyEncryptionAlgorithm: string;
    keyEncryptionDigest?: string;
    disallowEncryptionWithInsecureAlgorithm?: boolean;
    warnInsecureAlgorithm?: boolean;
  };
  export function encrypt(
    content: string,
    options: EncryptOptions,
    cb: (err: Error | null, result: string) => void,
  ): void;
  export function decrypt(
    xml: string,
    options: { key: string | Buffer },
    cb: (err: Error | null, result: string) => void,
  ): void;
}
