/**
 * Option messages against @stoqey/ib 1.6.10's REAL Encoder and Decoder: reqSecDefOptParams decodes
 * with our client codec (no leftover field); SECURITY_DEFINITION_OPTION_PARAMETER(+END) and
 * TICK_OPTION_COMPUTATION (no version field and a tickAttrib at every version the codec speaks, ≥ 157)
 * decode in stoqey's Decoder to our values without a 505, and our strict decoder inverts them.
 * (Python's ibapi / ib_async are not installable here: PyPI is unreachable from this machine.)
 */
import { describe, expect, it } from 'vitest';
import { Decoder } from '@stoqey/ib/dist/core/io/decoder.js';
import { Encoder } from '@stoqey/ib/dist/core/io/encoder.js';
import { SecType } from '@stoqey/ib';
import {
  FrameDecoder, decodeClientMessage, decodeServerMessage, encodeClientMessage, encodeFrame, encodeServerMessage, type ServerMessage,
} from '../../src/sim/wire/index.js';

const VERSIONS = [157, 178, 193] as const;

function stoqeyDecode(version: number, msgs: readonly ServerMessage[]): { events: { name: string; args: unknown[] }[]; errors: string[] } {
  const out = { events: [] as { name: string; args: unknown[] }[], errors: [] as string[] };
  const decoder = new Decoder({
    serverVersion: version,
    emitEvent: (name: string, ...args: unknown[]) => out.events.push({ name, args }),
    emitError: (msg: string) => out.errors.push(msg),
    emitInfo: () => undefined,
  } as never);
  const fd = new FrameDecoder();
  fd.push(Buffer.concat(msgs.map((m) => encodeFrame(encodeServerMessage(m, version)))));
  for (const f of fd.drain()) {
    expect(decodeServerMessage(f, version)).toMatchObject({ type: expect.any(String) });
    decoder.enqueueMessage(f);
  }
  decoder.process();
  return out;
}

describe.each(VERSIONS)('option messages at server version %i', (v) => {
  it('reqSecDefOptParams from stoqey decodes (and our encoder reproduces its fields)', () => {
    const sent: string[][] = [];
    const enc = new Encoder({
      serverVersion: v,
      sendMsg: (...tokens: unknown[]) => sent.push((tokens.flat(Infinity) as unknown[]).join('\0').split('\0')),
      emitError: (msg: string) => { throw new Error(msg); },
    });
    enc.reqSecDefOptParams(7, 'AAPL', '', SecType.STK, 265598);
    const msg = decodeClientMessage(sent[0]!, v);
    expect(msg).toEqual({ type: 'REQ_SEC_DEF_OPT_PARAMS', reqId: 7, underlyingSymbol: 'AAPL', underlyingSecType: 'STK', underlyingConId: 265598 });
    expect(encodeClientMessage(msg, v).map((x) => (x === undefined || x === null ? '' : String(x)))).toEqual(sent[0]);
  });

  it('calculateImpliedVolatility / calculateOptionPrice and their cancels from stoqey decode', () => {
    const sent: string[][] = [];
    const enc = new Encoder({
      serverVersion: v,
      sendMsg: (...tokens: unknown[]) => sent.push((tokens.flat(Infinity) as unknown[]).join('\0').split('\0')),
      emitError: (msg: string) => { throw new Error(msg); },
    });
    const c = { symbol: 'AAPL', secType: SecType.OPT, exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: '20271217', strike: 200, right: 'C', multiplier: 100 } as never;
    enc.calculateImpliedVolatility(1, c, 22.5, 190);
    enc.calculateOptionPrice(2, c, 0.3, 190);
    enc.cancelCalculateImpliedVolatility(1);
    enc.cancelCalculateOptionPrice(2);
    const msgs = sent.map((f) => decodeClientMessage(f, v));
    expect(msgs[0]).toMatchObject({ type: 'REQ_CALC_IMPLIED_VOLAT', reqId: 1, optionPrice: 22.5, underPrice: 190, contract: { symbol: 'AAPL', strike: 200, right: 'C', multiplier: '100' } });
    expect(msgs[1]).toMatchObject({ type: 'REQ_CALC_OPTION_PRICE', reqId: 2, volatility: 0.3, underPrice: 190 });
    expect(msgs.slice(2).map((m) => m.type)).toEqual(['CANCEL_CALC_IMPLIED_VOLAT', 'CANCEL_CALC_OPTION_PRICE']);
  });

  it('securityDefinitionOptionParameter(+End) decodes in stoqey', () => {
    const r = stoqeyDecode(v, [
      { type: 'SECURITY_DEFINITION_OPTION_PARAMETER', reqId: 7, exchange: 'SMART', underlyingConId: 265598, tradingClass: 'AAPL', multiplier: '100', expirations: ['20271217', '20280121'], strikes: [180, 182.5, 190] },
      { type: 'SECURITY_DEFINITION_OPTION_PARAMETER_END', reqId: 7 },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => e.name)).toEqual(['securityDefinitionOptionParameter', 'securityDefinitionOptionParameterEnd']);
    expect(r.events[0]!.args).toEqual([7, 'SMART', 265598, 'AAPL', 100, ['20271217', '20280121'], [180, 182.5, 190]]);
  });

  it('tickOptionComputation decodes in stoqey: bid, model, delayed, and "not computed"', () => {
    const base = { type: 'TICK_OPTION_COMPUTATION', reqId: 3, tickAttrib: 1, pvDividend: 0, undPrice: 190.5 } as const;
    const r = stoqeyDecode(v, [
      { ...base, tickType: 10, impliedVol: 0.301, delta: 0.52, optPrice: 7.3, gamma: 0.021, vega: 0.25, theta: -0.07 },
      { ...base, tickType: 83, impliedVol: 0.3, delta: -0.48, optPrice: 6.9, gamma: 0.021, vega: 0.25, theta: -0.05 },
      { ...base, tickType: 11, impliedVol: -1, delta: -2, optPrice: 0.01, gamma: -2, vega: -2, theta: -2 },
    ]);
    expect(r.errors).toEqual([]);
    const args = r.events.filter((e) => e.name === 'tickOptionComputation').map((e) => e.args);
    expect(args[0]).toEqual([3, 10, 1, 0.301, 0.52, 7.3, 0, 0.021, 0.25, -0.07, 190.5]);
    expect(args[1]).toEqual([3, 83, 1, 0.3, -0.48, 6.9, 0, 0.021, 0.25, -0.05, 190.5]);
    expect(args[2]).toEqual([3, 11, 1, undefined, undefined, 0.01, 0, undefined, undefined, undefined, 190.5]);
  });
});

describe('a broken option frame does trip stoqey (so the checks above can fail)', () => {
  it('a missing strike count leaves the decoder short', () => {
    const fields = encodeServerMessage({ type: 'SECURITY_DEFINITION_OPTION_PARAMETER', reqId: 1, exchange: 'SMART', underlyingConId: 1, tradingClass: 'X', multiplier: '100', expirations: ['20271217'], strikes: [1, 2] }, 193);
    fields.splice(-3, 1, 5); // claim 5 strikes, send 2
    const errors: string[] = [];
    const decoder = new Decoder({ serverVersion: 193, emitEvent: () => undefined, emitError: (m: string) => errors.push(m), emitInfo: () => undefined } as never);
    decoder.enqueueMessage(fields.map(String));
    decoder.process();
    expect(errors.length).toBeGreaterThan(0);
  });
});
