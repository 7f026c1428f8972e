/**
 * Routes one decoded client message of a started session to its handler. Order-entry messages go
 * through `orderGate` so the server can hold them during a connectivity fault.
 */
import type { ClientMessage } from '../wire/messages.js';
import {
  handleReqAccountData, handleReqAccountSummary, handleReqAccountUpdatesMulti, handleReqPositions, handleReqPositionsMulti,
} from './account-handlers.js';
import { handleReqContractData, handleReqHistoricalData, handleReqMktData } from './market-handlers.js';
import { handleOptionCalc, handleReqSecDefOptParams } from './option-handlers.js';
import { handleReqAllOpenOrders, handleReqCompletedOrders, handleReqExecutions, handleReqOpenOrders } from './order-handlers.js';
import type { SessionContext } from './session-types.js';

/** Session hooks the dispatcher needs beyond the handler context. */
export interface DispatchHooks {
  setMarketDataType(type: number): void;
  /** runs an order action now, or holds it (connectivity fault) */
  orderGate(action: () => void): void;
}

/** Handles one message; unknown ids are logged and skipped. START_API is handled by the connection. */
export function dispatch(s: SessionContext, msg: ClientMessage, hooks: DispatchHooks): void {
  const { engine } = s;
  switch (msg.type) {
    case 'START_API':
      return s.log(`sim: client ${s.clientId} sent START_API twice; ignored`);
    case 'REQ_IDS':
      return s.send({ type: 'NEXT_VALID_ID', orderId: engine.nextValidId(s.clientId) });
    case 'REQ_MANAGED_ACCTS':
      return s.send({ type: 'MANAGED_ACCTS', accounts: engine.accountIds().join(',') });
    case 'REQ_CURRENT_TIME':
      return s.send({ type: 'CURRENT_TIME', time: Math.floor(engine.now() / 1000) });
    case 'REQ_MARKET_DATA_TYPE':
      return hooks.setMarketDataType(msg.marketDataType);
    case 'REQ_POSITIONS':
      return handleReqPositions(s);
    case 'CANCEL_POSITIONS':
      s.subs.positions = false;
      return;
    case 'REQ_ACCOUNT_SUMMARY':
      return handleReqAccountSummary(s, msg.reqId, msg.group, msg.tags);
    case 'CANCEL_ACCOUNT_SUMMARY':
      s.subs.accountSummary.delete(msg.reqId);
      return;
    case 'REQ_POSITIONS_MULTI':
      return handleReqPositionsMulti(s, msg.reqId, msg.account, msg.modelCode);
    case 'CANCEL_POSITIONS_MULTI':
      s.subs.positionsMulti.delete(msg.reqId);
      return;
    case 'REQ_ACCOUNT_DATA':
      return handleReqAccountData(s, msg.subscribe, msg.acctCode);
    case 'REQ_ACCOUNT_UPDATES_MULTI':
      return handleReqAccountUpdatesMulti(s, msg.reqId, msg.account, msg.modelCode, msg.ledgerAndNLV);
    case 'CANCEL_ACCOUNT_UPDATES_MULTI':
      s.subs.accountUpdatesMulti.delete(msg.reqId);
      return;
    case 'REQ_OPEN_ORDERS':
      return handleReqOpenOrders(s);
    case 'REQ_ALL_OPEN_ORDERS':
    case 'REQ_AUTO_OPEN_ORDERS':
      return handleReqAllOpenOrders(s);
    case 'REQ_COMPLETED_ORDERS':
      return handleReqCompletedOrders(s);
    case 'REQ_EXECUTIONS':
      return handleReqExecutions(s, msg.reqId, msg.filter);
    case 'REQ_CONTRACT_DATA':
      return handleReqContractData(s, msg.reqId, msg.contract);
    case 'REQ_MKT_DATA':
      return handleReqMktData(s, msg.reqId, msg.contract, msg.genericTickList, msg.snapshot || msg.regulatorySnapshot);
    case 'CANCEL_MKT_DATA':
      s.subs.marketData.delete(msg.reqId);
      return;
    case 'REQ_HISTORICAL_DATA':
      return handleReqHistoricalData(s, msg);
    case 'CANCEL_HISTORICAL_DATA':
      s.subs.historyUpdates.delete(msg.reqId);
      return;
    case 'REQ_SEC_DEF_OPT_PARAMS':
      return handleReqSecDefOptParams(s, msg);
    case 'REQ_CALC_IMPLIED_VOLAT':
      return handleOptionCalc(s, { reqId: msg.reqId, contract: msg.contract, underPrice: msg.underPrice, optionPrice: msg.optionPrice });
    case 'REQ_CALC_OPTION_PRICE':
      return handleOptionCalc(s, { reqId: msg.reqId, contract: msg.contract, underPrice: msg.underPrice, volatility: msg.volatility });
    case 'CANCEL_CALC_IMPLIED_VOLAT':
    case 'CANCEL_CALC_OPTION_PRICE':
      return; // answered at once: nothing to cancel
    case 'PLACE_ORDER': {
      const { clientId } = s;
      return hooks.orderGate(() => engine.placeOrder(clientId, msg.orderId, msg.contract, msg.order));
    }
    case 'CANCEL_ORDER': {
      const { clientId } = s;
      return hooks.orderGate(() => engine.cancelOrder(clientId, msg.orderId));
    }
    case 'REQ_GLOBAL_CANCEL':
      return hooks.orderGate(() => engine.globalCancel());
    case 'UNKNOWN':
      return s.log(`sim: client ${s.clientId}: unknown message id ${msg.msgId} skipped (${(msg.fields ?? []).length} fields)`);
  }
}
