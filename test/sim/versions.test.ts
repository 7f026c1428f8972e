/**
 * Other clients' versions: ib_async negotiates 178 and IBKR's ibapi 187. Requests are encoded as such a
 * client would (the codec's encodeClientMessage) and every server frame must decode strictly at that
 * version (decodeServerMessage rejects missing or extra fields), so the version conditionals hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { decodeServerMessage, encodeClientMessage, encodeFrame, type ClientMessage, type ServerMessage } from '../../src/sim/wire/index.js';
import { RawClient, startTestSim, waitFor } from './helpers.js';

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(async () => {
  await sim.close();
});

const AAPL = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' };

function requests(orderId: number): ClientMessage[] {
  return [
    { type: 'REQ_POSITIONS' },
    { type: 'REQ_ACCOUNT_SUMMARY', reqId: 1, group: 'All', tags: 'AccountType,NetLiquidation,$LEDGER:ALL' },
    { type: 'REQ_ACCOUNT_DATA', subscribe: true, acctCode: 'DU1000002' },
    { type: 'REQ_ACCOUNT_UPDATES_MULTI', reqId: 2, account: 'DU1000003', ledgerAndNLV: false },
    { type: 'REQ_POSITIONS_MULTI', reqId: 3, account: 'DU1000001' },
    { type: 'PLACE_ORDER', orderId, contract: AAPL, order: { action: 'BUY', totalQuantity: 2, orderType: 'MKT', account: 'DU1000003', transmit: true, orderRef: 'v-test' } },
    { type: 'PLACE_ORDER', orderId: orderId + 1, contract: AAPL, order: { action: 'BUY', totalQuantity: 2, orderType: 'LMT', lmtPrice: 100, account: 'DU1000003', transmit: true, tif: 'GTC' } },
    { type: 'PLACE_ORDER', orderId: orderId + 2, contract: AAPL, order: { action: 'BUY', totalQuantity: 2, orderType: 'MKT', account: 'DU1000003', transmit: true, whatIf: true } },
    { type: 'CANCEL_ORDER', orderId: orderId + 1 },
    { type: 'REQ_OPEN_ORDERS' },
    { type: 'REQ_COMPLETED_ORDERS', apiOnly: false },
    { type: 'REQ_EXECUTIONS', reqId: 4, filter: {} },
    { type: 'REQ_CONTRACT_DATA', reqId: 5, contract: { ...AAPL } },
    { type: 'REQ_CONTRACT_DATA', reqId: 6, contract: { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202612' } },
    { type: 'REQ_MKT_DATA', reqId: 7, contract: AAPL, genericTickList: '236', snapshot: true, regulatorySnapshot: false },
    { type: 'REQ_HISTORICAL_DATA', reqId: 8, contract: AAPL, endDateTime: '', barSizeSetting: '1 hour', durationStr: '1 D', useRTH: true, whatToShow: 'TRADES', formatDate: 2, keepUpToDate: false },
    { type: 'REQ_CURRENT_TIME' },
  ];
}

describe.each([[178, 'v157..178'], [187, 'v100..187']] as const)('server version %i', (version, range) => {
  it('every reply decodes strictly at that version and nothing is refused', async () => {
    const r = new RawClient(sim.port);
    try {
      r.handshake(range);
      await waitFor(() => r.frames.length >= 1, 'handshake');
      expect(r.frames[0]?.[0]).toBe(String(version));
      r.send([71, 2, version, '']);
      await waitFor(() => r.frames.some((f) => f[0] === '9'), 'next valid id');
      const orderId = Number(r.frames.find((f) => f[0] === '9')?.[2]);
      for (const m of requests(orderId)) r.socket.write(encodeFrame(encodeClientMessage(m, version)));
      await waitFor(() => r.frames.some((f) => f[0] === '49'), 'current time (last request)');
      const decoded: ServerMessage[] = r.frames.slice(1).map((f) => decodeServerMessage(f, version));
      const errors = decoded.flatMap((m) => (m.type === 'ERR_MSG' ? [[m.reqId, m.code]] : []));
      expect(errors).toEqual([[-1, 2104], [-1, 2106], [-1, 2158], [orderId + 1, 202]]);
      const types = new Set(decoded.map((m) => m.type));
      for (const t of ['POSITION_END', 'ACCOUNT_SUMMARY_END', 'ACCT_DOWNLOAD_END', 'ACCOUNT_UPDATE_MULTI_END', 'POSITION_MULTI_END', 'EXECUTION_DATA', 'COMMISSION_REPORT', 'OPEN_ORDER_END', 'COMPLETED_ORDERS_END', 'EXECUTION_DATA_END', 'CONTRACT_DATA_END', 'TICK_SNAPSHOT_END', 'HISTORICAL_DATA']) {
        expect(types, t).toContain(t);
      }
      const whatIf = decoded.find((m) => m.type === 'OPEN_ORDER' && m.orderId === orderId + 2);
      expect(whatIf?.type === 'OPEN_ORDER' && whatIf.order.whatIf).toBe(true);
    } finally {
      r.socket.destroy();
    }
  });
});
