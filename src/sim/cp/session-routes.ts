/**
 * Session endpoints: /tickle, /iserver/auth/status, /iserver/auth/ssodh/init, /iserver/reauthenticate,
 * /logout, /sso/validate, /iserver/questions/suppress (and /reset).
 */
import { fail, ok, type CpRoute, type CpSimState } from './cp-types.js';

function tickle(s: CpSimState): ReturnType<CpRoute['handle']> {
  s.session.touch();
  return ok({
    session: s.session.sessionId, ssoExpires: 86_400_000, collission: false, userId: 1,
    hmds: { error: 'no bridge' }, iserver: { authStatus: s.session.status() },
  });
}

function ssodhInit(s: CpSimState, body: unknown): ReturnType<CpRoute['handle']> {
  const b = (body ?? {}) as { publish?: unknown; compete?: unknown };
  if (b.publish !== true) return fail(500, 'publish must be true');
  if (s.session.state === 'competing' && b.compete !== true) {
    return ok({ ...s.session.status(), fail: 'a competing session is open; init with compete:true to take over' });
  }
  s.session.init();
  s.pending = undefined;
  return ok(s.session.status());
}

function suppress(s: CpSimState, body: unknown): ReturnType<CpRoute['handle']> {
  const ids = (body as { messageIds?: unknown } | undefined)?.messageIds;
  if (!Array.isArray(ids) || ids.some((i) => typeof i !== 'string')) return fail(400, 'messageIds must be a list of strings');
  if (ids.length > 51) return fail(500, 'at most 51 messageIds');
  for (const id of ids as string[]) s.session.suppressed.add(id);
  return ok({ status: 'submitted' });
}

/** The session routes. */
export const sessionRoutes: readonly CpRoute[] = [
  { method: 'POST', pattern: /^\/tickle$/, tier: 'none', handle: (s) => tickle(s) },
  { method: 'GET', pattern: /^\/tickle$/, tier: 'none', handle: (s) => tickle(s) },
  { method: 'POST', pattern: /^\/iserver\/auth\/status$/, tier: 'none', handle: (s) => ok(s.session.status()) },
  { method: 'GET', pattern: /^\/iserver\/auth\/status$/, tier: 'none', handle: (s) => ok(s.session.status()) },
  { method: 'POST', pattern: /^\/iserver\/auth\/ssodh\/init$/, tier: 'none', handle: (s, r) => ssodhInit(s, r.body) },
  {
    method: 'POST', pattern: /^\/iserver\/reauthenticate$/, tier: 'none',
    handle: (s) => {
      // deprecated upstream but still used; takes over a competing session like init {compete:true}
      s.session.init();
      s.pending = undefined;
      return ok({ message: 'triggered' });
    },
  },
  {
    method: 'POST', pattern: /^\/logout$/, tier: 'none',
    handle: (s) => {
      s.session.expire();
      s.pending = undefined;
      return ok({ status: true });
    },
  },
  {
    method: 'GET', pattern: /^\/sso\/validate$/, tier: 'none',
    handle: (s) => ok({ RESULT: s.session.state !== 'unauthenticated', USER_NAME: 'cpsim', LOGIN_TYPE: 2, EXPIRES: 86_400_000 }),
  },
  { method: 'POST', pattern: /^\/iserver\/questions\/suppress$/, tier: 'brokerage', handle: (s, r) => suppress(s, r.body) },
  {
    method: 'POST', pattern: /^\/iserver\/questions\/suppress\/reset$/, tier: 'brokerage',
    handle: (s) => {
      s.session.suppressed.clear();
      return ok({ status: 'submitted' });
    },
  },
];
