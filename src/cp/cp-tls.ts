/**
 * Trust for the gateway's certificate: a CA file (normal chain and host-name verification), or a pinned
 * SHA-256 fingerprint. Pinning: one probe handshake reads the peer certificate without trusting it; if
 * its fingerprint is the pinned one, that certificate becomes the only trust anchor and every later
 * connection re-checks the fingerprint. Anything else is refused: there is no "accept anything".
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type PeerCertificate } from 'node:tls';

/** The TLS options of every request to the gateway. */
export interface CpTlsOptions {
  readonly ca: string;
  readonly checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
}

/** Normalizes "ab:cd…" / "ABCD…" to "AB:CD:…". */
export function normalizeFingerprint(f: string): string {
  const hex = f.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return (hex.match(/.{2}/g) ?? []).join(':');
}

function probePeer(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, servername: host === '127.0.0.1' ? 'localhost' : host, rejectUnauthorized: false }, () => {
      const raw = sock.getPeerCertificate(false).raw;
      sock.destroy();
      if (!raw) return reject(new Error(`the gateway at ${host}:${port} sent no certificate`));
      resolve(new X509Certificate(raw).toString());
    });
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no TLS handshake with ${host}:${port} within ${timeoutMs} ms`)));
    sock.on('error', reject);
  });
}

/** Resolves the trust options for a base URL, or throws one sentence saying why the gateway is not trusted. */
export async function resolveTls(baseUrl: URL, trust: { caFile: string | null; fingerprint: string | null }, timeoutMs = 5000): Promise<CpTlsOptions> {
  if (trust.caFile) return { ca: readFileSync(trust.caFile, 'utf8') };
  if (!trust.fingerprint) {
    throw new Error('clientPortal needs the gateway certificate pinned: set clientPortal.fingerprint (SHA-256) or clientPortal.caFile');
  }
  const want = normalizeFingerprint(trust.fingerprint);
  if (want.length !== 95) throw new Error('clientPortal.fingerprint must be a SHA-256 fingerprint (32 hex bytes)');
  const pem = await probePeer(baseUrl.hostname, Number(baseUrl.port || 443), timeoutMs);
  const got = new X509Certificate(pem).fingerprint256;
  if (got !== want) throw new Error(`the gateway's certificate (SHA-256 ${got}) is not the pinned one (${want}): refusing to talk to it`);
  return {
    ca: pem,
    checkServerIdentity: (_host, cert) => (cert.fingerprint256 === want ? undefined : new Error(`certificate ${cert.fingerprint256} is not the pinned one`)),
  };
}
