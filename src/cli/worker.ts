/**
 * `freebies worker --queue URL [--name N] [--concurrency C]`: evaluate the candidates of
 * hyperparameter searches that a coordinator (`freebies evolve … --queue URL`) puts on a
 * BullMQ queue (SPEC §12, src/evolve/queue.ts). Start it on any number of machines that
 * see the same dataset and pipeline paths; each job is one candidate's short training.
 */
import { hostname } from 'node:os';
import { WaitingError, Worker, type Job } from 'bullmq';
import { ConfigError } from '../core/errors.ts';
import {
  DEFAULT_QUEUE_NAME,
  QUEUE_DEFAULTS,
  connectWithin,
  isCandidateResult,
  parseQueueUrl,
  queueConnection,
  workerOptions,
  type WorkerSettings,
} from '../evolve/queue.ts';
import { loadRunner } from '../evolve/runner.ts';
import type { CandidateResult, CandidateTask } from '../evolve/task.ts';

/** Options of {@link startWorker}. */
export interface StartWorkerOptions extends WorkerSettings {
  /** The Redis URL (redis:// or rediss://). */
  queue: string;
  /** The queue name (default {@link DEFAULT_QUEUE_NAME}); the coordinator's `--name`. */
  name?: string;
  /** Candidates trained at once by this worker (default 1: a training uses the whole machine). */
  concurrency?: number;
  /** A module whose `runCandidate` runs tasks that name no `runner` (default: src/evolve/candidate). */
  runner?: string;
  /** How long connecting may take at start (default {@link QUEUE_DEFAULTS}.connectTimeoutMs). */
  connectTimeoutMs?: number;
  /** Where the one-line job reports go (default stdout). */
  log?: (line: string) => void;
}

/** A running worker. */
export interface WorkerHandle {
  /** This worker's name on the queue (host:pid, plus a counter when a process runs several). */
  readonly id: string;
  /**
   * Stop taking candidates. By default wait until the running ones finish; with
   * `release: true` hand them back to the queue at once (another worker starts them over)
   * — the abandoned runs are not stopped, the process should exit after.
   */
  close(options?: { release?: boolean }): Promise<void>;
}

const RELEASED: unique symbol = Symbol('released');
let started = 0;

/**
 * Start a BullMQ worker evaluating candidates: each job's task runs with its `runner`
 * module's `runCandidate` (or the worker's `runner`, or the built-in short training),
 * loaded on first use. Prints one line when a candidate starts, finishes, fails or is
 * handed back. Throws ConfigError on a bad URL or option, or when Redis cannot be reached.
 */
export async function startWorker(o: StartWorkerOptions): Promise<WorkerHandle> {
  const q = parseQueueUrl(o.queue);
  const name = o.name ?? DEFAULT_QUEUE_NAME;
  if (typeof name !== 'string' || name === '' || name.includes(':')) {
    throw new ConfigError(`--name ${JSON.stringify(name)} must be a non-empty queue name without ':'`);
  }
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(`--concurrency must be an integer ≥ 1, got ${concurrency}`);
  const settings = workerOptions(o);
  const log = o.log ?? ((line: string) => console.log(line));
  const id = `${hostname()}:${process.pid}${started++ > 0 ? `#${started}` : ''}`;
  const say = (line: string) => log(`[${id}] ${line}`);

  let release!: (v: typeof RELEASED) => void;
  const released = new Promise<typeof RELEASED>((r) => (release = r));

  const processor = async (job: Job<CandidateTask, CandidateResult>, token?: string): Promise<CandidateResult> => {
    const task = job.data;
    const tag = `${task.generation}-${task.index}`;
    const tries = job.opts.attempts ?? 1;
    say(`start ${tag} (job ${job.id}, run ${job.attemptsStarted}, try ${job.attemptsMade + 1}/${tries})`);
    const t0 = performance.now();
    try {
      const run = loadRunner(task.runner ?? o.runner).then((runCandidate) => runCandidate(task));
      // The run goes on after a release; its outcome no longer matters.
      run.catch(() => {});
      const outcome = await Promise.race([run, released]);
      if (outcome === RELEASED) {
        if (token) await job.moveToWait(token);
        say(`released ${tag} back to the queue`);
        throw new WaitingError();
      }
      if (!isCandidateResult(outcome)) {
        throw new Error(`runCandidate returned ${JSON.stringify(outcome)}, not { map50, map, steps, wallMs } finite numbers`);
      }
      const r: CandidateResult = { map50: outcome.map50, map: outcome.map, steps: outcome.steps, wallMs: outcome.wallMs };
      say(`done ${tag} map50=${r.map50.toFixed(4)} map=${r.map.toFixed(4)} steps=${r.steps} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return r;
    } catch (e) {
      if (e instanceof WaitingError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      say(`failed ${tag}: ${message} (${job.attemptsMade + 1 < tries ? 'will be retried' : 'final'})`);
      throw e;
    }
  };

  const worker = new Worker<CandidateTask, CandidateResult>(name, processor, {
    connection: queueConnection(q),
    concurrency,
    name: id,
    ...settings,
  });
  let lastError = '';
  worker.on('error', (e) => {
    // ioredis reports every reconnection attempt; one line per distinct error is enough.
    if (e.message !== lastError) console.error(`[${id}] ${e.message}`);
    lastError = e.message;
  });
  try {
    await connectWithin(worker, q, o.connectTimeoutMs ?? QUEUE_DEFAULTS.connectTimeoutMs);
  } catch (e) {
    await worker.close(true).catch(() => {});
    throw e;
  }

  let closing: Promise<void> | undefined;
  return {
    id,
    async close(options = {}) {
      if (options.release) release(RELEASED);
      await (closing ??= worker.close());
    },
  };
}

/**
 * `freebies worker`: run a worker until SIGINT or SIGTERM. SIGINT (Ctrl-C) stops taking
 * candidates and finishes the running ones; a second one hands them back. SIGTERM (what
 * service managers send) hands them back at once, so another worker restarts them without
 * waiting for the lock to lapse, and exits.
 */
export async function workerCommand(o: { queue: string; name?: string; concurrency?: number; runner?: string } & WorkerSettings): Promise<void> {
  const handle = await startWorker(o);
  const q = parseQueueUrl(o.queue);
  console.log(
    `[${handle.id}] waiting for candidates on queue '${o.name ?? DEFAULT_QUEUE_NAME}' at ${q.redacted} ` +
      `(concurrency ${o.concurrency ?? 1}); Ctrl-C finishes the running ones and stops`,
  );
  let abandoned = false;
  let onSignal!: (signal: NodeJS.Signals) => void;
  const exitCode = await new Promise<number>((done) => {
    let stopping = false;
    onSignal = (signal: NodeJS.Signals) => {
      const code = signal === 'SIGTERM' ? 143 : 130;
      if (signal === 'SIGTERM' || stopping) {
        abandoned = true;
        console.log(`[${handle.id}] ${signal}: handing the running candidates back to the queue`);
        void handle.close({ release: true }).then(() => done(code), () => done(code));
      } else {
        stopping = true;
        console.log(`[${handle.id}] ${signal}: finishing the running candidates (Ctrl-C again hands them back)`);
        void handle.close().then(() => done(0), () => done(code));
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  console.log(`[${handle.id}] stopped`);
  // Abandoned trainings still hold the event loop; nothing of theirs is wanted any more.
  if (abandoned) process.exit(exitCode);
}
