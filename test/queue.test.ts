/**
 * Candidates evaluated through BullMQ on Redis (src/evolve/queue.ts, src/cli/worker.ts),
 * end to end against a redis-server the test starts on loopback, with a fake runner
 * (test/fixtures/queue-runner.ts) that records every start: two worker processes share 6
 * candidates and return the runner's numbers; a worker killed with SIGKILL mid-candidate
 * loses nothing (the other worker reruns it after the stalled check); a runner that throws
 * fails the candidate after `attempts` tries with its message; a coordinator that closes
 * and comes back re-attaches to the running job (deterministic job id) without a second
 * run; a closing worker finishes its candidate, or with `release` hands it back for the
 * next worker to start at once; bad URLs and an unreachable server are ConfigErrors.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startWorker, type WorkerHandle } from '../src/cli/worker.ts';
import { ConfigError } from '../src/core/errors.ts';
import { candidateJobId, createQueueEvaluator } from '../src/evolve/queue.ts';
import type { CandidateTask, Evaluator } from '../src/evolve/task.ts';
import { expectedResult } from './fixtures/queue-runner.ts';
import { REPO, sleep } from './helpers.ts';

const RUNNER = path.join(REPO, 'test/fixtures/queue-runner.ts');
const WORKER = path.join(REPO, 'test/fixtures/queue-worker.ts');
const MAIN = path.join(REPO, 'src/cli/main.ts');
/** The worker processes' and in-process workers' short locks (see queue-worker.ts). */
const FAST = { lockDurationMs: 2000, stalledIntervalMs: 1000 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when `child`'s stdout has printed a line matching `re` (rejects on exit first). */
function waitForLine(child: ChildProcess, out: { text: string }, re: RegExp, what: string, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: no line matching ${re} within ${ms} ms; output:\n${out.text}`)), ms);
    const check = () => re.test(out.text) && done();
    const exit = (code: number | null) => done(new Error(`${what} exited (${code}) before printing ${re}; output:\n${out.text}`));
    const done = (e?: Error) => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', exit);
      if (e) reject(e);
      else resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', exit);
    check();
  });
}

function spawnLogged(args: string[]): { child: ChildProcess; out: { text: string } } {
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { text: '' };
  child.stdout!.on('data', (d: Buffer) => (out.text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.text += d.toString()));
  return { child, out };
}

/** The lines `<generation>-<index> <pid>` the fake runner appended under `dir`. */
function attempts(dir: string): { tag: string; pid: number }[] {
  const file = path.join(dir, 'attempts.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [tag, pid] = l.split(' ');
      return { tag: tag!, pid: Number(pid) };
    });
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('evolve through a BullMQ queue on Redis', () => {
  let dir = '';
  let url = '';
  let redis: ChildProcess | undefined;
  const procs: { child: ChildProcess; out: { text: string } }[] = [];
  const handles: WorkerHandle[] = [];
  const evaluators: Evaluator[] = [];

  const task = (out: string, generation: number, index: number, hyperparameters: Record<string, number>): CandidateTask => ({
    generation,
    index,
    hyperparameters,
    pipeline: '/nonexistent/pipeline.ts',
    data: '/nonexistent/train',
    valData: '/nonexistent/val',
    model: 'yolov4-tiny-nano',
    size: 64,
    steps: 7,
    seed: 0,
    out,
    runner: RUNNER,
  });
  const outDir = (name: string) => {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };

  before(async () => {
    let bin = '';
    try {
      bin = execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim();
    } catch {
      throw new Error('redis-server is not installed: these tests need it (Debian/Ubuntu: apt-get install -y redis-server)');
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-queue-'));
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    redis = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { text: '' };
    redis.stdout!.on('data', (d: Buffer) => (out.text += d.toString()));
    await waitForLine(redis, out, /Ready to accept connections/, 'redis-server', 10_000);
  });

  after(async () => {
    await Promise.allSettled(evaluators.map((e) => e.close()));
    await Promise.allSettled(handles.map((h) => h.close({ release: true })));
    await Promise.all(
      procs.map(({ child }) =>
        child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
      ),
    );
    if (redis && redis.exitCode === null) await new Promise((r) => (redis!.once('exit', r), redis!.kill('SIGTERM')));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('(a) two worker processes share 6 candidates and return the runner\'s numbers', async () => {
    // One through the real command line, one through the short-lock fixture.
    procs.push(spawnLogged(['--conditions=freebies-source', '--import', 'tsx', MAIN, 'worker', '--queue', url, '--name', 'procs']));
    procs.push(spawnLogged(['--conditions=freebies-source', '--import', 'tsx', WORKER, url, 'procs']));
    await Promise.all(procs.map((p, k) => waitForLine(p.child, p.out, /waiting for candidates on queue 'procs'/, `worker ${k}`)));
    const ev = await createQueueEvaluator(url, { name: 'procs' });
    evaluators.push(ev);
    assert.equal(ev.concurrency, 8);
    const out = outDir('a');
    const tasks = Array.from({ length: 6 }, (_, i) => task(out, 0, i, { x: 3 * i + 1, sleepMs: 300 }));
    const results = await Promise.all(tasks.map((t) => ev.evaluate(t)));
    assert.deepEqual(results, tasks.map(expectedResult));
    assert.deepEqual(results[2], { map50: 0.25 + 7 / 64, map: (0.25 + 7 / 64) / 2, steps: 7, wallMs: 300 });
    const runs = attempts(out);
    assert.deepEqual(runs.map((r) => r.tag).sort(), ['0-0', '0-1', '0-2', '0-3', '0-4', '0-5']);
    const pids = new Set(runs.map((r) => r.pid));
    assert.deepEqual([...pids].sort(), procs.map((p) => p.child.pid!).sort(), 'both workers took candidates');
    for (const p of procs) {
      assert.match(p.out.text, /\] start 0-\d \(job g0-i\d-[0-9a-f]{16}, run 1, try 1\/2\)/);
      assert.match(p.out.text, /\] done 0-\d map50=0\.\d{4} map=0\.\d{4} steps=7 in \d+\.\d s/);
    }
    // SIGTERM: an idle worker hands back nothing and stops. (b) uses fresh workers on a
    // queue of its own: the command-line worker's stalled check (every 30 s) would hold
    // off the short-lock workers' checks on this queue for that long.
    for (const p of procs.splice(0)) {
      const code = await new Promise<number | null>((r) => (p.child.once('exit', r), p.child.kill('SIGTERM')));
      assert.equal(code, 143);
      assert.match(p.out.text, /SIGTERM: handing the running candidates back to the queue\n.*\] stopped\n/);
    }
  });

  it('(b) a worker killed mid-candidate loses nothing: the other worker reruns it', async () => {
    for (let k = 0; k < 2; k++) procs.push(spawnLogged(['--conditions=freebies-source', '--import', 'tsx', WORKER, url, 'kill']));
    await Promise.all(procs.map((p, k) => waitForLine(p.child, p.out, /waiting for candidates on queue 'kill'/, `worker ${k}`)));
    const ev = await createQueueEvaluator(url, { name: 'kill' });
    evaluators.push(ev);
    const out = outDir('b');
    const long = task(out, 1, 0, { x: 5, sleepMs: 1500 });
    const short = [1, 2].map((i) => task(out, 1, i, { x: 10 + i, sleepMs: 200 }));
    const t0 = Date.now();
    const pending = [long, ...short].map((t) => ev.evaluate(t));
    await until(() => attempts(out).some((r) => r.tag === '1-0'), 'candidate 1-0 to start');
    const victim = attempts(out).find((r) => r.tag === '1-0')!.pid;
    const killed = procs.find((p) => p.child.pid === victim)!;
    const survivor = procs.find((p) => p.child.pid !== victim)!;
    killed.child.kill('SIGKILL');
    const results = await Promise.all(pending);
    const seconds = (Date.now() - t0) / 1000;
    assert.deepEqual(results, [long, ...short].map(expectedResult));
    const runs = attempts(out);
    assert.deepEqual(
      runs.filter((r) => r.tag === '1-0').map((r) => r.pid),
      [victim, survivor.child.pid!],
      'two starts of the killed candidate, the second on the survivor',
    );
    assert.equal(runs.filter((r) => r.tag === '1-1').length, 1);
    assert.equal(runs.filter((r) => r.tag === '1-2').length, 1);
    // lock 2 s + stalled check 1 s + the rerun's 1.5 s, with slack for a loaded machine.
    assert.ok(seconds < 15, `recovered in ${seconds.toFixed(1)} s`);
  });

  it('(c) a runner that throws fails the candidate after `attempts` tries, with its message', async () => {
    handles.push(await startWorker({ queue: url, name: 'throws', ...FAST, log: () => {} }));
    const ev = await createQueueEvaluator(url, { name: 'throws' });
    evaluators.push(ev);
    const out = outDir('c');
    const bad = task(out, 2, 0, { x: 1, fail: 1 });
    await assert.rejects(ev.evaluate(bad), /candidate 2-0 \(job g2-i0-[0-9a-f]{16}\) failed after 2 attempts: candidate 2-0 blew up on purpose/);
    assert.deepEqual(attempts(out).map((r) => r.tag), ['2-0', '2-0']);
    // Asked again (a coordinator that did not log the failure), the failed job is retried.
    await assert.rejects(ev.evaluate(bad), /failed after 2 attempts: candidate 2-0 blew up on purpose/);
    assert.equal(attempts(out).length, 4);

    const ev3 = await createQueueEvaluator(url, { name: 'throws', attempts: 3 });
    evaluators.push(ev3);
    await assert.rejects(ev3.evaluate(task(out, 2, 1, { x: 1, fail: 1 })), /failed after 3 attempts: candidate 2-1 blew up on purpose/);
    assert.equal(attempts(out).filter((r) => r.tag === '2-1').length, 3);
  });

  it('(d) a coordinator that closes and comes back re-attaches to the running job', async () => {
    handles.push(await startWorker({ queue: url, name: 'reattach', ...FAST, log: () => {} }));
    const out = outDir('d');
    const t = task(out, 3, 4, { x: 9, sleepMs: 1200 });
    const first = await createQueueEvaluator(url, { name: 'reattach' });
    const lost = assert.rejects(first.evaluate(t), /closed before candidate 3-4 finished; job g3-i4-[0-9a-f]{16} stays on queue 'reattach'/);
    await until(() => attempts(out).length === 1, 'candidate 3-4 to start');
    await first.close();
    await lost;

    const again = await createQueueEvaluator(url, { name: 'reattach' });
    evaluators.push(again);
    assert.deepEqual(await again.evaluate(structuredClone(t)), expectedResult(t));
    // Once more, finished: the stored result, still no second run.
    assert.deepEqual(await again.evaluate(t), expectedResult(t));
    assert.equal(attempts(out).length, 1, 'the candidate ran once');
    // The id ignores key order and depends on every field.
    const reordered = Object.fromEntries(Object.entries(t).reverse()) as unknown as CandidateTask;
    assert.equal(candidateJobId(reordered), candidateJobId(t));
    assert.notEqual(candidateJobId({ ...t, hyperparameters: { ...t.hyperparameters, x: 10 } }), candidateJobId(t));
    assert.match(candidateJobId(t), /^g3-i4-[0-9a-f]{16}$/);
  });

  it('(e) a bad queue URL or an unreachable server is a ConfigError', async () => {
    for (const bad of ['', 'localhost:6379', 'http://localhost:6379', 'redis://', 'redis://host/db1', 'not a url']) {
      await assert.rejects(createQueueEvaluator(bad), (e: Error) => e instanceof ConfigError && /redis:\/\/host:6379/.test(e.message), bad);
    }
    await assert.rejects(startWorker({ queue: 'http://x' }), ConfigError);
    await assert.rejects(
      createQueueEvaluator('https://user:secret@example.com'),
      (e: Error) => e instanceof ConfigError && !e.message.includes('secret') && e.message.includes('***'),
    );
    await assert.rejects(createQueueEvaluator(url, { concurrency: 0 }), ConfigError);
    const closed = await freePort();
    await assert.rejects(
      createQueueEvaluator(`redis://127.0.0.1:${closed}`, { connectTimeoutMs: 300 }),
      (e: Error) => e instanceof ConfigError && /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/? within 300 ms/.test(e.message),
    );
  });

  it('(f) a worker closing finishes its candidate, or hands it back at once with release', async () => {
    const ev = await createQueueEvaluator(url, { name: 'release' });
    evaluators.push(ev);
    const out = outDir('f');
    const lines: string[] = [];
    const w1 = await startWorker({ queue: url, name: 'release', ...FAST, log: (l) => lines.push(l) });
    const graceful = task(out, 4, 0, { x: 2, sleepMs: 600 });
    const finished = ev.evaluate(graceful);
    await until(() => attempts(out).length === 1, 'candidate 4-0 to start');
    await w1.close();
    assert.ok(lines.some((l) => / done 4-0 /.test(l)), 'close waited for the running candidate');
    assert.deepEqual(await finished, expectedResult(graceful));

    const w2 = await startWorker({ queue: url, name: 'release', ...FAST, log: (l) => lines.push(l) });
    const handed = task(out, 4, 1, { x: 3, sleepMs: 2000 });
    const result = ev.evaluate(handed);
    await until(() => attempts(out).length === 2, 'candidate 4-1 to start');
    const t0 = Date.now();
    await w2.close({ release: true });
    assert.ok(Date.now() - t0 < 1500, 'released without waiting for the run');
    assert.ok(lines.some((l) => / released 4-1 back to the queue$/.test(l)));
    // The next worker starts it over at once (no lock to lapse): 2 starts, one result.
    handles.push(await startWorker({ queue: url, name: 'release', ...FAST, log: (l) => lines.push(l) }));
    await until(() => attempts(out).length === 3, 'candidate 4-1 to start again', 1500);
    assert.deepEqual(await result, expectedResult(handed));
  });
});
