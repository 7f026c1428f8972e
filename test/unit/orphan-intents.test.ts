import { describe, expect, it } from 'vitest';
import { orphanIntents, type IntentView } from '../../src/execution/reconcile.js';
import { anOrderReport, NOW } from './builders.js';

const REF = 'ix1-DU1000001-E-aaaaaaaaaaaa';
const intent = (over: Partial<IntentView> = {}): IntentView => ({ orderRef: REF, account: 'DU1000001', createdAt: NOW - 1_000, jobGone: false, ...over });
const empty = { open: [], completed: [], executions: [] };
const opts = { now: NOW, connectivityClear: true, snapshotFrom: NOW - 10, orphanAfterMs: 60_000 };

describe('orphanIntents', () => {
  it('settles an INTENT whose job is gone, and one past the bound, when the broker has no trace', () => {
    expect(orphanIntents([intent({ jobGone: true })], empty, opts)).toMatchObject([{ orderRef: REF }]);
    expect(orphanIntents([intent({ createdAt: NOW - 61_000 })], empty, opts)).toMatchObject([{ orderRef: REF }]);
  });

  it('leaves a young INTENT of a live job, anything the broker knows, and everything without clear connectivity', () => {
    expect(orphanIntents([intent()], empty, opts)).toEqual([]);
    expect(orphanIntents([intent({ jobGone: true })], { ...empty, open: [anOrderReport({ orderRef: REF })] }, opts)).toEqual([]);
    expect(orphanIntents([intent({ jobGone: true })], empty, { ...opts, connectivityClear: false })).toEqual([]);
    // written after the broker queries started: the snapshot cannot speak for it
    expect(orphanIntents([intent({ jobGone: true, createdAt: NOW })], empty, opts)).toEqual([]);
  });
});
