import { webcrypto, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/** A TLS key and certificate, PEM. */
export interface TlsPair {
  keyPem: string;
  certPem: string;
}

// The library's parameter types stand in for the DOM's Crypto types, which this build does not load.
type WebCrypto = NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>;
type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

const TEN_YEARS_MS = 10 * 365.25 * 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/**
 * A self-signed ECDSA P-256 certificate for the agent listener, valid ten years from `now`.
 * Agents pin it by hash (the enrollment token carries it), so no CA is involved; the names
 * only help tools that look at the certificate. The first name becomes the CN.
 */
export async function createSelfSignedTls(names: readonly string[], now: number): Promise<TlsPair> {
  const crypto = webcrypto as unknown as WebCrypto;
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as KeyPair;
  const unique = [...new Set(names.filter((n) => n.length > 0))];
  const cn = (unique[0] ?? 'quell-agent-listener').replace(/[,=+<>#;"\\]/g, '');
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      // A positive serial: the top bit cleared so DER does not read it as negative.
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      name: `CN=${cn}, O=Quell`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + TEN_YEARS_MS),
      signingAlgorithm: alg,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          unique.map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n })),
        ),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: pem('PRIVATE KEY', pkcs8), certPem: cert.toString('pem') + '\n' };
}
