/**
 * The HTTPS transport to the Client Portal gateway: JSON requests under the base URL, every one paced by
 * the shared `CpPacer` (waiting in line; refused before sending when the wait is too long, e.g. in the
 * penalty box), a 429 feeding Retry-After back into the pacer, and bounded timeouts. A transport
 * failure after a request may have left is a `CpTransportError`: for an order that means "unknown",
 * never "not sent".
 */
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { BrokerUnavailableError } from '../execution/broker-port.js';
import type { CpPacer } from './cp-pacer.js';
import type { CpTlsOptions } from './cp-tls.js';

/** An HTTP answer from the gateway. */
export interface CpResponse {
  readonly status: number;
  readonly body: unknown;
}

/** The request may or may not have reached the gateway (reset, timeout, no answer). */
export class CpTransportError extends Error {
  constructor(message: string, readonly sent: boolean) {
    super(message);
    this.name = 'CpTransportError';
  }
}

/** Options of one request. */
export interface CpRequestOptions {
  readonly timeoutMs?: number;
  /** refuse (BrokerUnavailableError, nothing sent) when pacing would hold the request longer than this */
  readonly maxWaitMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** JSON over HTTPS (or loopback HTTP for the simulator's `--http`), paced. */
export class CpHttp {
  private readonly agent: HttpsAgent | HttpAgent;

  constructor(
    private readonly base: URL,
    private readonly pacer: CpPacer,
    tls: CpTlsOptions | undefined,
    private readonly defaults: { timeoutMs: number; maxWaitMs: number } = { timeoutMs: 15_000, maxWaitMs: 30_000 },
  ) {
    if (base.protocol === 'https:') {
      if (!tls) throw new Error('an https gateway needs its certificate pinned (fingerprint or CA file)');
      this.agent = new HttpsAgent({ keepAlive: true, maxSockets: 4, ca: tls.ca, servername: base.hostname === '127.0.0.1' ? 'localhost' : base.hostname, ...(tls.checkServerIdentity ? { checkServerIdentity: tls.checkServerIdentity } : {}) });
    } else {
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) throw new Error('plain http is allowed for a loopback simulator only');
      this.agent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
    }
  }

  /** requests sent to the gateway (the `/metrics` counterpart of TWS messages sent) */
  sent = 0;

  /** Sends one request; resolves with any HTTP status (429 also reported to the pacer). */
  async request(method: string, path: string, body?: unknown, o: CpRequestOptions = {}): Promise<CpResponse> {
    const pathname = path.split('?')[0] ?? path;
    const maxWait = o.maxWaitMs ?? this.defaults.maxWaitMs;
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      for (;;) {
        const d = this.pacer.delayFor(method, pathname);
        if (d === 0) break;
        if (waited + d > maxWait) throw new BrokerUnavailableError(`the Client Portal pacing budget holds ${method} ${pathname} for ${d} ms (penalty box or rate limit); nothing was sent`);
        await sleep(d);
        waited += d;
      }
      this.pacer.record(method, pathname);
      this.sent++;
      const res = await this.send(method, path, body, o.timeoutMs ?? this.defaults.timeoutMs);
      if (res.status !== 429) return { status: res.status, body: res.body };
      // refused before it was processed: wait out Retry-After (the penalty box) once, then ask again
      this.pacer.penalize(res.retryAfterMs);
      if (attempt > 0 || waited + res.retryAfterMs > maxWait) return { status: res.status, body: res.body };
    }
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, body: unknown, timeoutMs: number): Promise<CpResponse & { retryAfterMs: number }> {
    const url = new URL(`${this.base.pathname.replace(/\/$/, '')}${path}`, this.base);
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = (this.base.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method, agent: this.agent, headers: { accept: 'application/json', 'user-agent': 'ibkr-exec', ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}) },
    });
    return new Promise((resolve, reject) => {
      let written = false;
      req.setTimeout(timeoutMs, () => req.destroy(new CpTransportError(`no answer to ${method} ${url.pathname} within ${timeoutMs} ms`, true)));
      req.on('error', (e) => reject(e instanceof CpTransportError ? e : new CpTransportError(`${method} ${url.pathname} failed: ${e.message}`, written)));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new CpTransportError(`${method} ${url.pathname}: answer broke off: ${e.message}`, true)));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = raw;
          try {
            parsed = raw === '' ? undefined : JSON.parse(raw);
          } catch {
            /* a non-JSON body (e.g. "Success") stays text */
          }
          const retry = Number(res.headers['retry-after']);
          resolve({ status: res.statusCode ?? 0, body: parsed, retryAfterMs: Number.isFinite(retry) && retry > 0 ? retry * 1000 : 1000 });
        });
      });
      req.on('finish', () => (written = true));
      req.end(text);
    });
  }
}
