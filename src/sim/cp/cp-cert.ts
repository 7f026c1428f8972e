/**
 * A self-signed certificate for the Client Portal simulator, made at start with the system `openssl`
 * (an EC P-256 key, CN=localhost, SAN localhost + 127.0.0.1, valid 30 days), and its SHA-256
 * fingerprint as clients pin it ("AB:CD:…", node's `X509Certificate.fingerprint256`).
 * The key never leaves a private temporary directory, which is removed at once.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM key pair and the certificate's SHA-256 fingerprint. */
export interface SelfSignedCert {
  readonly key: string;
  readonly cert: string;
  readonly fingerprint256: string;
}

/** Generates a fresh self-signed certificate; throws with one sentence when openssl is missing or fails. */
export function generateSelfSignedCert(): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 'cp-sim-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const key = readFileSync(keyFile, 'utf8');
    const cert = readFileSync(certFile, 'utf8');
    return { key, cert, fingerprint256: new X509Certificate(cert).fingerprint256 };
  } catch (e) {
    throw new Error(`cannot make a self-signed certificate with openssl (${(e as Error).message.split('\n')[0] ?? ''}); use --http`, { cause: e });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
