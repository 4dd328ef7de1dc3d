/**
 * Candidates evaluated through a distributed job queue (BullMQ on Redis), for searches
 * that outgrow one machine (SPEC §12): the coordinator (`freebies evolve --queue URL`)
 * adds one job per candidate and waits for its result; `freebies worker --queue URL`
 * on any number of machines takes the jobs and trains them (src/cli/worker.ts). The
 * coordinator keeps the JSONL log, so resume works exactly as with the local pool.
 *
 * Robustness comes from three BullMQ mechanisms, tuned by {@link QUEUE_DEFAULTS}:
 * - a deterministic job id ({@link candidateJobId}): a coordinator restarted mid-search
 *   re-attaches to the job already queued, running or finished instead of adding a twin;
 * - locks and the stalled-job check: a worker that dies mid-candidate stops renewing its
 *   lock, and another worker's stalled check moves the job back to wait, where any worker
 *   takes it again — the candidate is retried, not lost;
 * - `attempts`: a runner that throws is retried, then the job fails for good and
 *   `evaluate` rejects with its reason (the search logs the candidate as failed).
 *
 * Anyone who can write to the Redis database can make workers import a module (a task's
 * `runner` and `pipeline` are code), so keep Redis on a private network, with a password
 * and `rediss://` (TLS) across untrusted links.
 */
import { createHash } from 'node:crypto';
import { Queue, QueueEvents, type Job, type WorkerOptions } from 'bullmq';
import { ConfigError } from '../core/errors.ts';
import type { CandidateResult, CandidateTask, Evaluator } from './task.ts';

/** The queue both sides use unless told otherwise (`--name`). */
export const DEFAULT_QUEUE_NAME = 'freebies-evolve';

/** BullMQ job name of a candidate (the job id is what identifies it). */
export const CANDIDATE_JOB_NAME = 'candidate';

/**
 * Defaults of the coordinator and of the workers. The worker numbers matter only on the
 * workers (BullMQ runs locks and the stalled check there); every worker of a queue should
 * use the same ones, which the CLI ensures by not exposing them.
 */
export const QUEUE_DEFAULTS = {
  /**
   * Evaluations the coordinator keeps in flight. The workers decide the real parallelism;
   * this only has to exceed it so that no worker idles while the coordinator waits (and
   * stay small enough that a generation is not queued all at once when the search breeds
   * children from finished ones).
   */
  concurrency: 8,
  /**
   * Tries of a candidate whose runner throws: one retry, on whichever worker is free,
   * covers a transient failure (a dataset mount missing on one machine, a Redis blip);
   * a deterministic error fails after costing one extra run.
   */
  attempts: 2,
  /**
   * A worker's lock on its candidate. The runner trains in the worker's own event loop,
   * and one training step can block it for seconds on a CPU backend; the lock must outlive
   * the longest block or a live worker's candidate would be declared stalled and run twice.
   */
  lockDurationMs: 60_000,
  /**
   * How often the lock is renewed: a quarter of the lock, so an event-loop block of up to
   * ~45 s (the lock minus this) is tolerated, at one cheap Redis call per 15 s per job.
   */
  lockRenewMs: 15_000,
  /**
   * How often a worker looks for stalled jobs (BullMQ's default). A dead worker's candidate
   * goes back to wait within lockDurationMs + stalledIntervalMs ≈ 90 s: nothing against a
   * candidate's minutes of training, and the check costs one Redis script per interval for
   * the whole fleet: the worker that runs it takes a key that holds every other worker's
   * check off for its own interval — one more reason for all workers to share the settings.
   */
  stalledIntervalMs: 30_000,
  /**
   * Worker deaths a candidate survives: two (preempted or restarted machines); a third
   * stall suggests the candidate itself kills workers (out of memory), so it fails rather
   * than crash the fleet in a loop.
   */
  maxStalledCount: 2,
  /** How long connecting to Redis may take at start before the URL is reported unreachable. */
  connectTimeoutMs: 10_000,
  /**
   * How often the coordinator also polls its pending jobs, in case a completion event was
   * missed (QueueEvents reads a stream from "now", and Redis can restart in between).
   */
  pollMs: 5_000,
  /** Finished jobs (results and failures) are kept a week, so a restarted coordinator re-attaches. */
  keepSeconds: 7 * 24 * 3600,
} as const;

/** Lock and stalled-check settings of a worker (see {@link QUEUE_DEFAULTS}). */
export interface WorkerSettings {
  lockDurationMs?: number;
  lockRenewMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
}

/**
 * The BullMQ Worker options for `settings` (defaults {@link QUEUE_DEFAULTS}); a lock renewal
 * not given is a quarter of the lock. Throws ConfigError on a non-positive duration.
 */
export function workerOptions(
  settings: WorkerSettings = {},
): Required<Pick<WorkerOptions, 'lockDuration' | 'lockRenewTime' | 'stalledInterval' | 'maxStalledCount'>> {
  const lockDuration = settings.lockDurationMs ?? QUEUE_DEFAULTS.lockDurationMs;
  const lockRenewTime = settings.lockRenewMs ?? (settings.lockDurationMs !== undefined ? lockDuration / 4 : QUEUE_DEFAULTS.lockRenewMs);
  const stalledInterval = settings.stalledIntervalMs ?? QUEUE_DEFAULTS.stalledIntervalMs;
  const maxStalledCount = settings.maxStalledCount ?? QUEUE_DEFAULTS.maxStalledCount;
  positive(lockDuration, 'lockDurationMs');
  positive(lockRenewTime, 'lockRenewMs');
  positive(stalledInterval, 'stalledIntervalMs');
  if (lockRenewTime >= lockDuration) throw new ConfigError(`lockRenewMs (${lockRenewTime}) must be below lockDurationMs (${lockDuration}), or the lock lapses before it is renewed`);
  if (!Number.isInteger(maxStalledCount) || maxStalledCount < 0) throw new ConfigError(`maxStalledCount must be an integer ≥ 0, got ${maxStalledCount}`);
  return { lockDuration, lockRenewTime, stalledInterval, maxStalledCount };
}

/** A checked queue URL: `url` for the connection, `redacted` (password hidden) for messages. */
export interface QueueUrl {
  url: string;
  redacted: string;
}

/**
 * Check a `--queue` URL: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS.
 * Throws ConfigError saying what to pass instead.
 */
export function parseQueueUrl(url: string): QueueUrl {
  const hint = 'pass redis://host:6379 (or rediss://host:6380 for TLS, redis://:password@host:6379/0 with a password and a database)';
  if (typeof url !== 'string' || url.trim() === '') throw new ConfigError(`--queue needs a Redis URL; ${hint}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--queue ${JSON.stringify(url)} is not a URL; ${hint}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ConfigError(`--queue ${JSON.stringify(redact(u))} is not a Redis URL (${u.protocol}//); ${hint}`);
  }
  if (u.hostname === '') throw new ConfigError(`--queue ${JSON.stringify(redact(u))} names no host; ${hint}`);
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname)) {
    throw new ConfigError(`--queue ${JSON.stringify(redact(u))}: the path must be a database number (/0 … /15); ${hint}`);
  }
  return { url, redacted: redact(u) };
}

function redact(u: URL): string {
  if (u.password === '') return u.href;
  const c = new URL(u.href);
  c.password = '***';
  return c.href;
}

/**
 * BullMQ connection options for a checked URL. Requests wait through Redis outages
 * instead of failing after a few retries: a search or a worker outlives a Redis restart.
 */
export function queueConnection(q: QueueUrl): { url: string; maxRetriesPerRequest: null } {
  return { url: q.url, maxRetriesPerRequest: null };
}

/**
 * Wait until a BullMQ object (Queue, QueueEvents, Worker) has connected, or throw
 * ConfigError after `timeoutMs` naming the URL and the last connection error.
 */
export async function connectWithin(
  target: { waitUntilReady(): Promise<unknown>; on(event: 'error', fn: (e: Error) => void): unknown },
  q: QueueUrl,
  timeoutMs: number,
): Promise<void> {
  let last: Error | undefined;
  target.on('error', (e: Error) => (last = e));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ConfigError(
            `cannot reach Redis at ${q.redacted} within ${timeoutMs} ms${last ? ` (${last.message})` : ''}; ` +
              'start redis-server there (Debian: apt-get install redis-server) or fix --queue',
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([target.waitUntilReady(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The job id of a candidate: `g<generation>-i<index>-<16 hex digits of SHA-256 of the
 * task>` (keys sorted, so property order does not matter). The same candidate of the
 * same search always gets the same id; any change to the task (genes, data, budget)
 * gives a new one, so a stale result is never taken for a different candidate.
 */
export function candidateJobId(task: CandidateTask): string {
  const hash = createHash('sha256').update(canonicalJson(task)).digest('hex').slice(0, 16);
  return `g${task.generation}-i${task.index}-${hash}`;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Whether `v` is a {@link CandidateResult}: finite numbers map50, map, steps, wallMs. */
export function isCandidateResult(v: unknown): v is CandidateResult {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (['map50', 'map', 'steps', 'wallMs'] as const).every((k) => typeof r[k] === 'number' && Number.isFinite(r[k]));
}

/** Options of {@link createQueueEvaluator}. */
export interface QueueEvaluatorOptions {
  /** The queue (default {@link DEFAULT_QUEUE_NAME}); workers must name the same one. */
  name?: string;
  /** Evaluations kept in flight (default {@link QUEUE_DEFAULTS}.concurrency). */
  concurrency?: number;
  /** Tries of a candidate whose runner throws (default {@link QUEUE_DEFAULTS}.attempts). */
  attempts?: number;
  /** How long connecting may take (default {@link QUEUE_DEFAULTS}.connectTimeoutMs). */
  connectTimeoutMs?: number;
  /** How often pending jobs are also polled (default {@link QUEUE_DEFAULTS}.pollMs). */
  pollMs?: number;
}

interface Pending {
  task: CandidateTask;
  promise: Promise<CandidateResult>;
  resolve(r: CandidateResult): void;
  reject(e: Error): void;
}

/**
 * An {@link Evaluator} whose candidates are jobs on a BullMQ queue at `url`, run by
 * `freebies worker` processes anywhere. `evaluate` adds the candidate's job (or re-attaches
 * to the job of the same id: a finished one gives its result at once, one that failed for
 * good is retried, since a fresh request means the caller did not log that failure) and
 * resolves with the job's result, or rejects with its failure reason. `close` closes the
 * connections, not the workers; evaluations still pending reject, and their jobs stay
 * queued for the next coordinator. Throws ConfigError on a bad URL or option, or when
 * Redis cannot be reached.
 */
export async function createQueueEvaluator(url: string, options: QueueEvaluatorOptions = {}): Promise<Evaluator> {
  const q = parseQueueUrl(url);
  const name = options.name ?? DEFAULT_QUEUE_NAME;
  if (typeof name !== 'string' || name === '' || name.includes(':')) {
    throw new ConfigError(`queue name ${JSON.stringify(name)} must be a non-empty string without ':'`);
  }
  const concurrency = options.concurrency ?? QUEUE_DEFAULTS.concurrency;
  const attempts = options.attempts ?? QUEUE_DEFAULTS.attempts;
  const pollMs = options.pollMs ?? QUEUE_DEFAULTS.pollMs;
  const connectTimeoutMs = options.connectTimeoutMs ?? QUEUE_DEFAULTS.connectTimeoutMs;
  positiveInteger(concurrency, 'concurrency');
  positiveInteger(attempts, 'attempts');
  positive(pollMs, 'pollMs');
  positive(connectTimeoutMs, 'connectTimeoutMs');

  const connection = queueConnection(q);
  // Errors also surface through the commands that hit them; without a listener an
  // EventEmitter 'error' would crash the coordinator on a Redis blip.
  const queue = new Queue<CandidateTask, CandidateResult>(name, { connection });
  queue.on('error', () => {});
  try {
    await connectWithin(queue, q, connectTimeoutMs);
  } catch (e) {
    // Closing a connection that never came up stops its reconnection attempts at once.
    await queue.close().catch(() => {});
    throw e;
  }
  // Created once Redis answered: QueueEvents.close waits for a connection that never
  // comes, so an unreachable server is found out by the Queue alone.
  const events = new QueueEvents(name, { connection });
  events.on('error', () => {});
  try {
    await connectWithin(events, q, connectTimeoutMs);
  } catch (e) {
    void events.close().catch(() => {});
    await queue.close().catch(() => {});
    throw e;
  }

  const pending = new Map<string, Pending>();
  let closed = false;
  let poller: NodeJS.Timeout | undefined;

  const settle = async (jobId: string): Promise<void> => {
    const p = pending.get(jobId);
    if (!p) return;
    const job = (await queue.getJob(jobId)) as Job<CandidateTask, CandidateResult> | undefined;
    if (pending.get(jobId) !== p) return;
    const at = `candidate ${p.task.generation}-${p.task.index} (job ${jobId})`;
    if (!job) {
      finish(jobId, new Error(`${at} disappeared from queue '${name}' (removed or obliterated by someone)`));
      return;
    }
    const state = await job.getState();
    if (pending.get(jobId) !== p) return;
    if (state === 'completed') {
      const r = job.returnvalue;
      if (isCandidateResult(r)) finish(jobId, { map50: r.map50, map: r.map, steps: r.steps, wallMs: r.wallMs });
      else finish(jobId, new Error(`${at} returned ${JSON.stringify(r)}, not { map50, map, steps, wallMs } numbers`));
    } else if (state === 'failed') {
      const tries = job.attemptsMade;
      finish(jobId, new Error(`${at} failed after ${tries} attempt${tries === 1 ? '' : 's'}: ${job.failedReason ?? 'unknown reason'}`));
    }
  };
  const finish = (jobId: string, outcome: CandidateResult | Error): void => {
    const p = pending.get(jobId);
    if (!p) return;
    pending.delete(jobId);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
    if (pending.size === 0 && poller) {
      clearInterval(poller);
      poller = undefined;
    }
  };
  // A failed lookup is retried by the next event or poll.
  const check = (jobId: string) => void settle(jobId).catch(() => {});
  events.on('completed', ({ jobId }) => check(jobId));
  events.on('failed', ({ jobId }) => check(jobId));

  return {
    concurrency,
    async evaluate(task: CandidateTask): Promise<CandidateResult> {
      if (closed) throw new Error(`queue evaluator of '${name}' is closed`);
      if (!task || !Number.isInteger(task.generation) || !Number.isInteger(task.index) || task.generation < 0 || task.index < 0) {
        throw new ConfigError(`a candidate task needs integer generation and index ≥ 0, got ${JSON.stringify({ generation: task?.generation, index: task?.index })}`);
      }
      const jobId = candidateJobId(task);
      const existing = pending.get(jobId);
      if (existing) return existing.promise;
      let resolve!: (r: CandidateResult) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<CandidateResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Registered before the job can finish, so its completion event is not missed.
      pending.set(jobId, { task, promise, resolve, reject });
      try {
        const old = (await queue.getJob(jobId)) as Job<CandidateTask, CandidateResult> | undefined;
        if (!old) {
          await queue.add(CANDIDATE_JOB_NAME, task, {
            jobId,
            attempts,
            removeOnComplete: { age: QUEUE_DEFAULTS.keepSeconds },
            removeOnFail: { age: QUEUE_DEFAULTS.keepSeconds },
          });
        } else if ((await old.getState()) === 'failed') {
          await old.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        }
        await settle(jobId);
      } catch (e) {
        finish(jobId, e instanceof Error ? e : new Error(String(e)));
      }
      if (pending.has(jobId) && !poller) {
        poller = setInterval(() => {
          for (const id of [...pending.keys()]) check(id);
        }, pollMs);
        poller.unref();
      }
      return promise;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (poller) clearInterval(poller);
      for (const [jobId, p] of pending) {
        p.reject(
          new Error(
            `queue evaluator closed before candidate ${p.task.generation}-${p.task.index} finished; ` +
              `job ${jobId} stays on queue '${name}' and a coordinator evaluating the same task re-attaches to it`,
          ),
        );
      }
      pending.clear();
      await Promise.allSettled([events.close(), queue.close()]);
    },
  };
}

function positive(v: number, what: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigError(`${what} must be a positive number of milliseconds, got ${v}`);
}

function positiveInteger(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${what} must be an integer ≥ 1, got ${v}`);
}
