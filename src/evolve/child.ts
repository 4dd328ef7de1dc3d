/**
 * The entry of a candidate's child process (started by {@link ChildProcessEvaluator}):
 * it receives one {@link CandidateTask} by IPC, runs it with the task's `runner` module
 * (its exported `runCandidate`) or the built-in training (./candidate.ts), answers
 * `{ ok: true, result }` or `{ ok: false, error }`, and exits. One process per candidate,
 * so a crash, a leak or a wedged backend never reaches the next candidate.
 *
 * @see ./child-pool.ts
 */
import { loadRunner } from './runner.ts';
import type { CandidateResult, CandidateTask } from './task.ts';

/** What the child answers. */
export type ChildReply = { ok: true; result: CandidateResult } | { ok: false; error: string };

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
