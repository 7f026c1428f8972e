/**
 * The RxJS topology of the daemon, and nothing else: it decides WHAT runs concurrently, not what
 * running means. Stages are injected, so marble tests drive it with synchronous fakes.
 *
 * Invariants:
 *  - tasks of one account run strictly one after another, in arrival order (two signals never spend
 *    the same cash); different accounts run in parallel;
 *  - a job settles exactly once: when every one of its account tasks has a result, or at once when it
 *    needs no task (invalid payload, duplicate, nothing to do);
 *  - a failing task fails its job but never stops the stream (nor the account's queue).
 */
import { EMPTY, defer, groupBy, map, mergeMap, concatMap, catchError, of, filter } from 'rxjs';
import type { Observable } from 'rxjs';

/** How a job splits into per-account tasks, or finishes without any. */
export type Split<TTask, TDone> =
  | { readonly kind: 'tasks'; readonly tasks: readonly TTask[] }
  | { readonly kind: 'done'; readonly value: TDone };

export interface TopologyStages<TJob, TTask, TResult, TDone> {
  /** Parses a job and fans it out; must not throw (return a 'done' value for bad input). */
  split(job: TJob): Split<TTask, TDone>;
  /** The serialization key of a task (the account id). */
  keyOf(task: TTask): string;
  /** Runs one task; an error fails the whole job (its other tasks still run). */
  run(task: TTask): Observable<TResult>;
  /** Builds the job's final value from its task results, in task order. */
  combine(job: TJob, results: readonly TResult[]): TDone;
}

/** What the topology emits: each job once, with its value or the first task error. */
export type JobSettled<TJob, TDone> =
  | { readonly job: TJob; readonly ok: true; readonly value: TDone }
  | { readonly job: TJob; readonly ok: false; readonly error: unknown };

interface TaskEnvelope<TJob, TTask> {
  readonly job: TJob;
  readonly jobSeq: number;
  readonly index: number;
  readonly total: number;
  readonly task: TTask;
}

type TaskOutcome<TJob, TResult> = TaskEnvelope<TJob, unknown> & (
  | { readonly ok: true; readonly result: TResult }
  | { readonly ok: false; readonly error: unknown }
);

interface Pending<TResult> {
  readonly results: (TResult | undefined)[];
  received: number;
  error?: unknown;
  failed: boolean;
}

/**
 * Wires jobs → per-account serialized tasks → settled jobs. The returned observable completes when
 * `jobs$` completes and all work has drained.
 */
export function executionTopology<TJob, TTask, TResult, TDone>(
  jobs$: Observable<TJob>,
  stages: TopologyStages<TJob, TTask, TResult, TDone>,
): Observable<JobSettled<TJob, TDone>> {
  // per-subscription state: the sequence of jobs and the results gathered so far for each
  return defer(() => {
    let seq = 0;
    const pending = new Map<number, Pending<TResult>>();
    return jobs$.pipe(
      mergeMap((job) => {
        const jobSeq = seq++;
        const split = safeSplit(stages, job);
        if (split.kind === 'error') return of(settled<TJob, TDone>({ job, ok: false, error: split.error }));
        if (split.kind === 'done') return of(settled<TJob, TDone>({ job, ok: true, value: split.value }));
        if (split.tasks.length === 0) return of(settled<TJob, TDone>({ job, ok: true, value: stages.combine(job, []) }));
        const total = split.tasks.length;
        return of(...split.tasks.map((task, index) => ({ kind: 'task' as const, env: { job, jobSeq, index, total, task } })));
      }),
      groupBy((item) => (item.kind === 'task' ? `account:${stages.keyOf(item.env.task)}` : 'settled')),
      mergeMap((group$) =>
        group$.pipe(concatMap((item) => (item.kind === 'task' ? runTask(stages, item.env) : of(item)))),
      ),
      mergeMap((item) => {
        if (item.kind === 'settled') return of(item.settled);
        const done = collect(pending, item.outcome, stages);
        return done ? of(done) : EMPTY;
      }),
    );
  });
}

function settled<TJob, TDone>(s: JobSettled<TJob, TDone>): { readonly kind: 'settled'; readonly settled: JobSettled<TJob, TDone> } {
  return { kind: 'settled', settled: s };
}

function safeSplit<TJob, TTask, TDone>(
  stages: TopologyStages<TJob, TTask, unknown, TDone>,
  job: TJob,
): Split<TTask, TDone> | { readonly kind: 'error'; readonly error: unknown } {
  try {
    return stages.split(job);
  } catch (error) {
    return { kind: 'error', error };
  }
}

function runTask<TJob, TTask, TResult>(
  stages: TopologyStages<TJob, TTask, TResult, unknown>,
  env: TaskEnvelope<TJob, TTask>,
): Observable<{ kind: 'outcome'; outcome: TaskOutcome<TJob, TResult> }> {
  return defer(() => stages.run(env.task)).pipe(
    // a task yields exactly one result: the first value wins
    filter((_, i) => i === 0),
    map((result) => ({ kind: 'outcome' as const, outcome: { ...env, ok: true as const, result } })),
    catchError((error: unknown) => of({ kind: 'outcome' as const, outcome: { ...env, ok: false as const, error } })),
  );
}

/** Records one task outcome; returns the settled job when it was the job's last task. */
function collect<TJob, TResult, TDone>(
  pending: Map<number, Pending<TResult>>,
  o: TaskOutcome<TJob, TResult>,
  stages: TopologyStages<TJob, unknown, TResult, TDone>,
): JobSettled<TJob, TDone> | undefined {
  let p = pending.get(o.jobSeq);
  if (!p) {
    p = { results: new Array<TResult | undefined>(o.total).fill(undefined), received: 0, failed: false };
    pending.set(o.jobSeq, p);
  }
  p.received += 1;
  if (o.ok) p.results[o.index] = o.result;
  else if (!p.failed) {
    p.failed = true;
    p.error = o.error;
  }
  if (p.received < o.total) return undefined;
  pending.delete(o.jobSeq);
  return p.failed
    ? { job: o.job, ok: false, error: p.error }
    : { job: o.job, ok: true, value: stages.combine(o.job, p.results as TResult[]) };
}
