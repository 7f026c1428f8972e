/**
 * The written policy for the order reply chain ("order reply messages"). The gateway asks questions
 * before it books an order; each is answered at once. A question whose every message id is listed in
 * SAFE_TO_ACCEPT is confirmed; anything else (an unknown id, a size or value limit that signals a
 * sizing bug, a multi-account allocation) declines the order and rejects it with the question's text.
 * Pure.
 *
 * Why these are safe: the daemon has already checked the order against its own limits (price collar,
 * quantity, notional, IRA rules) before it is sent, so these warnings repeat a check we made.
 */

/** Message ids we confirm, with why. */
export const SAFE_TO_ACCEPT: Readonly<Record<string, string>> = {
  o163: 'limit price away from the market: our price collar already bounds it',
  o354: 'no market-data subscription for the instrument: our reference price came from our own quote check',
  o382: 'price rounded to the tick size',
  o403: 'the order will trigger immediately: a marketable stop is what the signal asked for',
  o10151: 'market-order risk notice',
  o10152: 'stop-order risk notice',
  o10153: 'mandatory price cap on a market order',
  o10331: 'stop-order types notice',
  o2137: 'cross-side order notice: we never cross our own orders on purpose, the daemon guards duplicates',
};

/** The answer to one question. */
export type ReplyDecision = { readonly confirm: true } | { readonly confirm: false; readonly reason: string };

/** Decides one question from its message ids and text. */
export function decideQuestion(messageIds: readonly string[], text: string): ReplyDecision {
  if (messageIds.length === 0) return { confirm: false, reason: `the gateway asked a question without a message id: ${text}` };
  const unsafe = messageIds.filter((id) => SAFE_TO_ACCEPT[id] === undefined);
  if (unsafe.length === 0) return { confirm: true };
  return { confirm: false, reason: `the gateway asked ${unsafe.join(', ')} (not on the safe list): ${text}` };
}

/** At most this many questions in one chain; more is treated as a refusal. */
export const MAX_REPLY_ROUNDS = 10;
