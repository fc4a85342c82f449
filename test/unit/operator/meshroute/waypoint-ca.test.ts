import { generateKeyPairSync } from 'node:crypto';
import { caBundleProblem, waypointCaConfigMap } from '../../../../operator/meshroute/waypoint-ca.js';
import { WAYPOINT_LABELS } from '../../../../operator/meshroute/waypoint.js';
import { CertificateAuthority } from '../../../harness/pki.js';

const ca = CertificateAuthority.create('sluice-operator-ca');
const other = CertificateAuthority.create('another-ca');
const leaf = ca.serverCertificate('sluice-operator.sluice-system.svc', ['sluice-operator.sluice-system.svc'], []);
const key = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;

describe('waypoint CA bundle', () => {
  it('accepts one or more CA certificates (a rotation publishes old and new together)', () => {
    expect(caBundleProblem(ca.certPem)).toBeUndefined();
    expect(caBundleProblem(`${ca.certPem}\n${other.certPem}\n`)).toBeUndefined();
  });

  it.each([
    ['an empty file', '', 'no PEM certificate in it'],
    ['a private key', key, 'PEM block 1 is a PRIVATE KEY, not a CERTIFICATE'],
    ['a CA followed by its key', `${ca.certPem}${key}`, 'PEM block 2 is a PRIVATE KEY'],
    ['a serving certificate instead of its CA', leaf.certPem, 'certificate 1 (CN=sluice-operator.sluice-system.svc) is not a CA certificate'],
    ['a damaged certificate', ca.certPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n'), 'PEM block 1 is not a valid certificate'],
    ['stray text', `${ca.certPem}\nhello`, 'text outside the PEM blocks: "hello"'],
  ])('refuses %s', (_name, pem, problem) => {
    expect(caBundleProblem(pem)).toContain(problem);
  });

  it('becomes a ConfigMap labelled as a waypoint object, with the bundle under ca.crt', () => {
    expect(waypointCaConfigMap('shop', 'sluice-config-server-ca', `\n${ca.certPem}\n\n`, WAYPOINT_LABELS)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'sluice-config-server-ca', namespace: 'shop', labels: { ...WAYPOINT_LABELS } },
      data: { 'ca.crt': `${ca.certPem.trim()}\n` },
    });
  });
});
