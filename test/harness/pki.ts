// Certificates for a throw-away control plane: one CA, the API server's serving certificate,
// client certificates for each component and for an admin user, and the ServiceAccount
// token signing key pair. Keys come from Node's crypto (native and fast); node-forge only
// assembles and signs the X.509 certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface ClientIdentity {
  /** Becomes the user name. */
  commonName: string;
  /** Become the user's groups. */
  organizations?: string[];
}

function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function newCertificate(publicPem: string, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  // Positive serial: a leading 0x00 byte keeps the DER integer from reading as negative.
  cert.serialNumber = '00' + randomBytes(16).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + validDays * 24 * 3600_000);
  return cert;
}

function subject(commonName: string, organizations: string[] = []): forge.pki.CertificateField[] {
  return [{ name: 'commonName', value: commonName }, ...organizations.map((o) => ({ name: 'organizationName', value: o }))];
}

export class CertificateAuthority {
  private constructor(
    readonly certPem: string,
    private readonly keyPem: string,
  ) {}

  static create(commonName = 'sluice-test-ca'): CertificateAuthority {
    const keys = rsaKeyPair();
    const cert = newCertificate(keys.publicPem, 30);
    cert.setSubject(subject(commonName));
    cert.setIssuer(subject(commonName));
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
    return new CertificateAuthority(forge.pki.certificateToPem(cert), keys.privatePem);
  }

  private issue(
    subjectFields: forge.pki.CertificateField[],
    extKeyUsage: { serverAuth?: boolean; clientAuth?: boolean },
    altNames: { dns?: string[]; ips?: string[] } = {},
  ): KeyPairPem {
    const keys = rsaKeyPair();
    const cert = newCertificate(keys.publicPem, 30);
    const caCert = forge.pki.certificateFromPem(this.certPem);
    cert.setSubject(subjectFields);
    cert.setIssuer(caCert.subject.attributes);
    const extensions: object[] = [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', ...extKeyUsage },
    ];
    const names = [
      ...(altNames.dns ?? []).map((value) => ({ type: 2, value })),
      ...(altNames.ips ?? []).map((ip) => ({ type: 7, ip })),
    ];
    if (names.length > 0) extensions.push({ name: 'subjectAltName', altNames: names });
    cert.setExtensions(extensions);
    cert.sign(forge.pki.privateKeyFromPem(this.keyPem), forge.md.sha256.create());
    return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
  }

  serverCertificate(commonName: string, dnsNames: string[], ips: string[]): KeyPairPem {
    return this.issue(subject(commonName), { serverAuth: true }, { dns: dnsNames, ips });
  }

  clientCertificate(identity: ClientIdentity): KeyPairPem {
    return this.issue(subject(identity.commonName, identity.organizations), { clientAuth: true });
  }
}

/** The key pair the API server signs ServiceAccount tokens with (and verifies them by). */
export function serviceAccountSigningKeys(): { privatePem: string; publicPem: string } {
  return rsaKeyPair();
}
