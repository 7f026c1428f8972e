/**
 * Framing, handshake, negotiation, and malformed-input behaviour of the TWS wire codec.
 */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_MSG_ID,
  FrameDecoder,
  SERVER_MAX_VERSION,
  SERVER_MIN_VERSION,
  WireDecodeError,
  WireFrameError,
  decodeClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeFrame,
  negotiateVersion,
  parseHandshake,
} from '../../src/sim/wire/index.js';

/** Builds the first client packet as clients send it: "API\0" + BE32(len) + text. */
function handshake(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([Buffer.from('API\0', 'latin1'), len, body]);
}

describe('encodeFrame', () => {
  it('matches the reference bytes of START_API and the handshake reply', () => {
    expect(encodeFrame([71, 2, 1, '']).toString('hex')).toBe('000000083731003200310000');
    expect(encodeFrame([193, '20240102 10:00:00 US/Eastern']).toString('hex')).toBe(
      '000000213139330032303234303130322031303a30303a30302055532f4561737465726e00',
    );
  });

  it('encodes bool as 1/0, undefined/null as "", numbers as text, Infinity as Java does', () => {
    const f = encodeFrame([true, false, undefined, null, 1.5, -2, 'x', Infinity, Number.NaN]);
    expect(f.subarray(4).toString('utf8')).toBe('1\u00000\u0000\u0000\u00001.5\u0000-2\u0000x\u0000Infinity\u0000\u0000');
    expect(f.readUInt32BE(0)).toBe(f.length - 4);
  });

  it('counts UTF-8 bytes, not characters, in the length prefix', () => {
    const f = encodeFrame(['Zürich €']);
    expect(f.readUInt32BE(0)).toBe(Buffer.byteLength('Zürich €\0', 'utf8'));
  });
});

describe('FrameDecoder', () => {
  const frames = [['71', '2', '1', ''], ['3', '1', 'Zürich €', ''], ['49', '1'], ['8', '1', '5']];
  const bytes = Buffer.concat(frames.map((f) => encodeFrame(f)));

  it('splits many messages from one chunk', () => {
    const d = new FrameDecoder();
    d.push(bytes);
    expect(d.drain()).toEqual(frames);
    expect(d.pending).toBe(0);
  });

  it('reassembles frames pushed one byte at a time (incl. a split UTF-8 character and length prefix)', () => {
    const d = new FrameDecoder();
    const got: string[][] = [];
    for (let i = 0; i < bytes.length; i++) {
      d.push(bytes.subarray(i, i + 1));
      got.push(...d.drain());
    }
    expect(got).toEqual(frames);
  });

  it('reassembles across arbitrary chunk boundaries', () => {
    for (const size of [2, 3, 5, 7, 13, 31]) {
      const d = new FrameDecoder();
      const got: string[][] = [];
      for (let i = 0; i < bytes.length; i += size) {
        d.push(bytes.subarray(i, i + size));
        got.push(...d.drain());
      }
      expect(got).toEqual(frames);
    }
  });

  it('keeps a partial frame until the rest arrives', () => {
    const d = new FrameDecoder();
    const one = encodeFrame(['9', '1', '42']);
    d.push(one.subarray(0, 6));
    expect(d.drain()).toEqual([]);
    expect(d.pending).toBe(6);
    d.push(one.subarray(6));
    expect(d.drain()).toEqual([['9', '1', '42']]);
  });

  it('returns an empty field list for an empty frame and keeps empty fields', () => {
    const d = new FrameDecoder();
    d.push(Buffer.from([0, 0, 0, 0]));
    d.push(encodeFrame(['', '', '']));
    expect(d.drain()).toEqual([[], ['', '', '']]);
  });

  it('throws WireFrameError on an absurd length prefix', () => {
    const d = new FrameDecoder();
    d.push(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x31]));
    expect(() => d.drain()).toThrow(WireFrameError);
    const small = new FrameDecoder(10);
    small.push(encodeFrame(['0123456789']));
    expect(() => small.drain()).toThrow(/exceeds the maximum/);
  });
});

describe('parseHandshake', () => {
  it('parses @stoqey/ib "v100..193"', () => {
    const b = handshake('v100..193');
    expect(b.toString('hex')).toBe('41504900000000097631303' + '02e2e313933');
    expect(parseHandshake(b)).toEqual({ kind: 'ok', consumed: 17, minVersion: 100, maxVersion: 193, options: '' });
  });

  it('parses ibapi "v100..187"', () => {
    expect(parseHandshake(handshake('v100..187'))).toMatchObject({ kind: 'ok', minVersion: 100, maxVersion: 187, options: '' });
  });

  it('parses ib_async "v157..178" with and without connect options', () => {
    expect(parseHandshake(handshake('v157..178'))).toMatchObject({ kind: 'ok', minVersion: 157, maxVersion: 178, options: '' });
    const withOpts = handshake('v157..178 +PACEAPI');
    expect(parseHandshake(withOpts)).toEqual({ kind: 'ok', consumed: withOpts.length, minVersion: 157, maxVersion: 178, options: '+PACEAPI' });
  });

  it('accepts a single version "v176"', () => {
    expect(parseHandshake(handshake('v176'))).toMatchObject({ kind: 'ok', minVersion: 176, maxVersion: 176 });
  });

  it('reports incomplete for every strict prefix, and consumed excludes following bytes (START_API in the same chunk)', () => {
    const b = handshake('v100..193');
    for (let i = 0; i < b.length; i++) expect(parseHandshake(b.subarray(0, i))).toEqual({ kind: 'incomplete' });
    const both = Buffer.concat([b, encodeFrame([71, 2, 1, ''])]);
    const r = parseHandshake(both);
    expect(r).toMatchObject({ kind: 'ok', consumed: b.length });
    const d = new FrameDecoder();
    d.push(both.subarray(b.length));
    expect(d.drain()).toEqual([['71', '2', '1', '']]);
  });

  it('rejects garbage', () => {
    expect(parseHandshake(Buffer.from('GET / HTTP/1.1\r\n'))).toMatchObject({ kind: 'error' });
    expect(parseHandshake(handshake('hello'))).toMatchObject({ kind: 'error' });
    expect(parseHandshake(handshake('v190..180'))).toMatchObject({ kind: 'error' });
    const huge = Buffer.concat([Buffer.from('API\0', 'latin1'), Buffer.from([0x10, 0, 0, 0])]);
    expect(parseHandshake(huge)).toMatchObject({ kind: 'error' });
  });
});

describe('negotiateVersion', () => {
  it('picks min(clientMax, 193)', () => {
    expect(SERVER_MAX_VERSION).toBe(193);
    expect(SERVER_MIN_VERSION).toBe(100);
    expect(negotiateVersion(100, 193)).toBe(193);
    expect(negotiateVersion(100, 187)).toBe(187);
    expect(negotiateVersion(157, 178)).toBe(178);
    expect(negotiateVersion(100, 220)).toBe(193);
  });

  it('refuses when the result is below the client minimum or below 100', () => {
    expect(negotiateVersion(200, 220)).toBeNull();
    expect(negotiateVersion(38, 99)).toBeNull();
    expect(negotiateVersion(100, 100)).toBe(100);
  });
});

describe('malformed client messages → WireDecodeError naming message and field', () => {
  it('names the message and the field', () => {
    expect(() => decodeClientMessage(['8', '1', 'abc'], 193)).toThrow(/^REQ_IDS\.numIds: expected an integer/);
    expect(() => decodeClientMessage(['8', '1'], 193)).toThrow(/REQ_IDS\.numIds: missing field/);
    expect(() => decodeClientMessage(['8', '1', '1', 'x'], 193)).toThrow(/REQ_IDS\.<leftover>/);
    expect(() => decodeClientMessage(['x'], 193)).toThrow(/msgId/);
    expect(() => decodeClientMessage([], 193)).toThrow(WireDecodeError);
    try {
      decodeClientMessage(['62', '1', 'NaN', 'All', 'x'], 193);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WireDecodeError);
      expect((e as WireDecodeError).msgName).toBe('REQ_ACCOUNT_SUMMARY');
      expect((e as WireDecodeError).field).toBe('reqId');
    }
  });

  it('PLACE_ORDER with a bad quantity names the field', () => {
    const fields = encodeClientMessage(
      { type: 'PLACE_ORDER', orderId: 1, contract: { symbol: 'AAPL', secType: 'STK' }, order: { action: 'BUY', totalQuantity: 1, orderType: 'MKT' } },
      193,
    ).map((x) => (x === undefined || x === null ? '' : typeof x === 'boolean' ? (x ? '1' : '0') : String(x)));
    fields[17] = 'ten';
    expect(() => decodeClientMessage(fields, 193)).toThrow(/^PLACE_ORDER\.totalQuantity: expected a number/);
    const bad = [...fields];
    bad[17] = '1';
    bad[89] = '999'; // conditions count far beyond what is left
    expect(() => decodeClientMessage(bad, 193)).toThrow(/PLACE_ORDER\.conditions\.count/);
  });

  it('an unknown message id is not an error', () => {
    expect(decodeClientMessage(['12', '1', '5'], 193)).toEqual({ type: 'UNKNOWN', msgId: 12, fields: ['12', '1', '5'] });
  });

  it('versions outside 157..193 are a RangeError', () => {
    expect(() => decodeClientMessage(['8', '1', '1'], 150)).toThrow(RangeError);
    expect(() => decodeServerMessage(['9', '1', '1'], 194)).toThrow(RangeError);
  });

  it('fuzz: truncations, extensions and random garbage never throw anything but WireDecodeError', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const base = encodeClientMessage(
      {
        type: 'PLACE_ORDER',
        orderId: 5,
        contract: { symbol: 'SPY', secType: 'BAG', comboLegs: [{ conId: 1, ratio: 1, action: 'BUY', exchange: 'SMART' }] },
        order: { action: 'BUY', totalQuantity: 1, orderType: 'LMT', lmtPrice: 1, algoStrategy: 'Adaptive', algoParams: [{ tag: 'a', value: 'b' }], conditions: [{ kind: 'margin', conjunction: 'and', isMore: true, value: 1 }] },
      },
      193,
    ).map((x) => (x === undefined || x === null ? '' : typeof x === 'boolean' ? (x ? '1' : '0') : String(x)));
    const vocab = ['', '0', '1', '-1', 'x', '1e999', 'Infinity', '2147483647', 'BAG', 'PEG BEST', '3', '99999999'];
    for (let i = 0; i < 3000; i++) {
      const f = [...base];
      const op = rnd(3);
      if (op === 0) f.length = rnd(f.length);
      else if (op === 1) for (let k = 0; k < 1 + rnd(3); k++) f.push(vocab[rnd(vocab.length)] as string);
      else for (let k = 0; k < 1 + rnd(4); k++) f[1 + rnd(f.length - 1)] = vocab[rnd(vocab.length)] as string;
      for (const v of [178, 187, 193]) {
        try {
          decodeClientMessage(f, v);
        } catch (e) {
          if (!(e instanceof WireDecodeError)) throw e;
        }
      }
    }
  });

  it('fuzz: random field lists for every client message id never crash the decoder', () => {
    let seed = 777;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const vocab = ['', '0', '1', '2', '-1', 'x', '1.5', 'BAG', 'PEG MID', 'IBKRATS', '2147483647', 'a', 'o', '5'];
    let decoded = 0;
    for (const id of Object.values(CLIENT_MSG_ID)) {
      for (let i = 0; i < 400; i++) {
        const f = [String(id)];
        const n = rnd(id === 3 ? 140 : 20);
        for (let k = 0; k < n; k++) f.push(vocab[rnd(vocab.length)] as string);
        for (const v of [178, 187, 193]) {
          try {
            decodeClientMessage(f, v);
            decoded += 1;
          } catch (e) {
            if (!(e instanceof WireDecodeError)) throw e;
          }
        }
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
