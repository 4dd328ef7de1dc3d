/**
 * The entry of a candidate's child process (started by {@link ChildProcessEvaluator}):
 * it receives one {@link CandidateTask} by IPC, runs it with the task's `runner` module
 * (its exported `runCandidate`) or the built-in training (./candidate.ts), answers
 * `{ ok: true, result }` or `{ ok: false, error }`, and exits. One process per candidate,
 * so a crash, a leak or a wedged backend never reaches the next candidate.
 *
 * @see ./child-pool.ts
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CandidateResult, CandidateTask, RunCandidate } from './task.ts';

/** What the child answers. */
export type ChildReply = { ok: true; result: CandidateResult } | { ok: false; error: string };

/** The `runCandidate` of `runner` (an absolute module path), or the built-in one. */
export async function loadRunner(runner: string | undefined): Promise<RunCandidate> {
  if (runner === undefined) return (await import('./candidate.ts')).runCandidate;
  if (typeof runner !== 'string' || !path.isAbsolute(runner)) throw new Error(`runner must be an absolute module path, got ${JSON.stringify(runner)}`);
  if (/\.[cm]?ts$/.test(runner)) {
    // From the built package there is no TypeScript loader yet.
    const { register } = await import('tsx/esm/api');
    register();
  }
  const mod = (await import(pathToFileURL(runner).href)) as { runCandidate?: unknown; default?: unknown };
  const run = mod.runCandidate ?? mod.default;
  if (typeof run !== 'function') throw new Error(`${runner}: export a function runCandidate(task) => Promise<{ map50, map, steps, wallMs }>`);
  return run as RunCandidate;
}

async function handle(task: CandidateTask): Promise<ChildReply> {
  try {
    const run = await loadRunner(task?.runner);
    const result = await run(task);
    return { ok: true, result };
  } catch (e) {
    // The stack goes to stderr (the pool keeps its tail); the message is the verdict.
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

if (!process.send) {
  process.stderr.write('freebies: src/evolve/child is started by freebies evolve (an IPC channel), not by hand\n');
  process.exit(2);
} else {
  // The parent went away (killed, crashed): nobody wants this candidate any more.
  process.on('disconnect', () => process.exit(130));
  process.once('message', (task: CandidateTask) => {
    void handle(task).then((reply) => {
      // Exit once the reply is flushed: pipeline workers and timers must not keep us alive.
      process.send!(reply, (err: Error | null) => process.exit(err ? 1 : 0));
    });
  });
}
