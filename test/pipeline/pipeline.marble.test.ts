import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { throwError, timer, map } from 'rxjs';
import { executionTopology, type TopologyStages } from '../../src/execution/pipeline.js';

interface Job {
  readonly id: string;
  readonly accounts: readonly string[];
  readonly invalid?: boolean;
}
interface Task {
  readonly jobId: string;
  readonly account: string;
}

/** Each task takes `cost` frames of virtual time; task `fail` throws. */
function stages(cost: number, failing = new Set<string>()): TopologyStages<Job, Task, string, string> {
  return {
    split: (job) =>
      job.invalid
        ? { kind: 'done', value: `${job.id}:invalid` }
        : { kind: 'tasks', tasks: job.accounts.map((account) => ({ jobId: job.id, account })) },
    keyOf: (t) => t.account,
    run: (t) =>
      failing.has(`${t.jobId}/${t.account}`)
        ? throwError(() => new Error(`boom ${t.jobId}/${t.account}`))
        : timer(cost).pipe(map(() => `${t.jobId}@${t.account}`)),
    combine: (job, results) => `${job.id}=[${results.join(',')}]`,
  };
}

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('execution topology (marble)', () => {
  it('runs tasks of one account one after another in arrival order', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const jobs$ = cold('ab|', { a: { id: 'a', accounts: ['X'] }, b: { id: 'b', accounts: ['X'] } });
      const out$ = executionTopology(jobs$, stages(5)).pipe(map((s) => (s.ok ? s.value : 'err')));
      // a starts at 0 and ends at 5; b waits for a, starts at 5, ends at 10
      expectObservable(out$).toBe('-----a----(b|)', { a: 'a=[a@X]', b: 'b=[b@X]' });
    });
  });

  it('runs different accounts in parallel', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const jobs$ = cold('ab|', { a: { id: 'a', accounts: ['X'] }, b: { id: 'b', accounts: ['Y'] } });
      const out$ = executionTopology(jobs$, stages(5)).pipe(map((s) => (s.ok ? s.value : 'err')));
      expectObservable(out$).toBe('-----a(b|)', { a: 'a=[a@X]', b: 'b=[b@Y]' });
    });
  });

  it('settles a fan-out job only when every account has answered, results in target order', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const jobs$ = cold('ab|', { a: { id: 'a', accounts: ['X'] }, b: { id: 'b', accounts: ['Y', 'X'] } });
      const out$ = executionTopology(jobs$, stages(5)).pipe(map((s) => (s.ok ? s.value : 'err')));
      // b@Y done at 6, b@X waits for a@X (done at 5) and ends at 10
      expectObservable(out$).toBe('-----a----(b|)', { a: 'a=[a@X]', b: 'b=[b@Y,b@X]' });
    });
  });

  it('fails the job of a failing task but keeps the stream and the account queue going', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const jobs$ = cold('abc|', {
        a: { id: 'a', accounts: ['X', 'Y'] },
        b: { id: 'b', accounts: ['X'] },
        c: { id: 'c', accounts: ['Y'] },
      });
      const out$ = executionTopology(jobs$, stages(3, new Set(['a/Y']))).pipe(
        map((s) => (s.ok ? s.value : `${s.job.id}:failed:${(s.error as Error).message}`)),
      );
      // a/Y throws at once; a/X ends at 3 -> job a fails at 3; b (X) runs 3..6; c (Y) runs 2..5
      expectObservable(out$).toBe('---a-c(b|)', {
        a: 'a:failed:boom a/Y',
        b: 'b=[b@X]',
        c: 'c=[c@Y]',
      });
    });
  });

  it('settles a job that needs no task at once, without blocking the others', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const jobs$ = cold('ab|', { a: { id: 'a', accounts: ['X'] }, b: { id: 'b', accounts: [], invalid: true } });
      const out$ = executionTopology(jobs$, stages(4)).pipe(map((s) => (s.ok ? s.value : 'err')));
      expectObservable(out$).toBe('-b--(a|)', { a: 'a=[a@X]', b: 'b:invalid' });
    });
  });

  it('fails a job whose split throws and goes on', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const s = stages(2);
      const throwing: TopologyStages<Job, Task, string, string> = {
        ...s,
        split: (job) => {
          if (job.id === 'bad') throw new Error('split failed');
          return s.split(job);
        },
      };
      const jobs$ = cold('ab|', { a: { id: 'bad', accounts: ['X'] }, b: { id: 'b', accounts: ['X'] } });
      const out$ = executionTopology(jobs$, throwing).pipe(map((r) => (r.ok ? r.value : 'failed')));
      expectObservable(out$).toBe('a--(b|)', { a: 'failed', b: 'b=[b@X]' });
    });
  });
});
