/**
 * One gateway call with the session rules applied: the session is brought up first; a 401 marks it lost
 * (re-authentication runs in the background) and fails the call as unavailable; "Please query /accounts
 * first" re-primes and retries a read once. Body-level `{error}` answers are returned for the caller.
 */
import { BrokerError, BrokerUnavailableError } from '../execution/broker-port.js';
import type { CpHttp, CpRequestOptions, CpResponse } from './cp-http.js';
import type { CpSessionKeeper } from './cp-session.js';

/** The error text of a CP answer (`{error}` with any status), or undefined. */
export function errorOf(body: unknown): string | undefined {
  const e = (body as { error?: unknown } | undefined)?.error;
  return typeof e === 'string' && e !== '' ? e : undefined;
}

/** Session-aware calls. */
export class CpApi {
  constructor(readonly http: CpHttp, readonly session: CpSessionKeeper) {}

  /** A call whose non-2xx answer is an error (reads). */
  async read<T>(path: string, o: CpRequestOptions = {}): Promise<T> {
    const r = await this.call('GET', path, undefined, o);
    if (r.status < 200 || r.status >= 300) throw new BrokerError(`GET ${path.split('?')[0] ?? path} answered ${r.status}: ${errorOf(r.body) ?? 'no detail'}`, r.status >= 500 || r.status === 429 ? 'retryable' : 'fatal', r.status);
    return r.body as T;
  }

  /** Any call; resolves with the raw answer after the session rules. */
  async call(method: string, path: string, body?: unknown, o: CpRequestOptions = {}): Promise<CpResponse> {
    if (!this.session.usable) await this.session.ensure();
    let r = await this.http.request(method, path, body, o);
    if (r.status === 401 || /no bridge|init session first/i.test(errorOf(r.body) ?? '')) {
      this.session.lost(`the gateway answered ${r.status}: ${errorOf(r.body) ?? 'not authenticated'}`);
      throw new BrokerUnavailableError(`the Client Portal session is not authenticated (${method} ${path.split('?')[0] ?? path})`);
    }
    if (method === 'GET' && r.status === 500 && /query \/accounts first/i.test(errorOf(r.body) ?? '')) {
      await this.session.prime();
      r = await this.http.request(method, path, body, o);
    }
    return r;
  }
}
