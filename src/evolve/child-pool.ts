/**
 * Candidates evaluated in child processes on this machine (the default {@link Evaluator}
 * of `freebies evolve`): one fresh process per candidate, at most `concurrency` at once
 * (the wasm backend is single-threaded, so one per core fills the machine), the rest
 * queued in order. A process that dies without answering (a crash, `process.exit`, a kill,
 * the OOM killer) fails its own candidate only, with its exit code or signal and the tail
 * of its output; the search goes on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.ts';
import type { ChildReply } from './child.ts';
import type { CandidateResult, CandidateTask, Evaluator } from './task.ts';

/** Options of {@link ChildProcessEvaluator}. */
export interface ChildProcessEvaluatorOptions {
  /** Children at once. Default `os.availableParallelism()`. */
  concurrency?: number;
  /**
   * Extra environment of the children, over this process's (which they inherit whole, so
   * `FREEBIES_BACKEND` and the like reach the trainer unchanged).
   */
  env?: NodeJS.ProcessEnv;
  /** Characters of each child's output (stdout and stderr) kept for the error of a crash. Default 2000. */
  outputTail?: number;
  /** Grace period before SIGKILL when {@link ChildProcessEvaluator.close} stops a child. Default 5000 ms. */
  killAfterMs?: number;
}

interface Job {
  task: CandidateTask;
  resolve: (r: CandidateResult) => void;
  reject: (e: Error) => void;
}

/** The child's entry beside this module: child.ts from sources, child.js from dist/. */
const ENTRY = fileURLToPath(new URL(`./child${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * Node flags for the children: this process's (so `--conditions`, `--import tsx`, memory
 * limits carry over), without debugger flags (the port is taken), and with tsx when the
 * entry is TypeScript and no loader is there yet.
 */
function childExecArgv(): string[] {
  const args = process.execArgv.filter((a) => !/^--inspect|^--debug/.test(a));
  if (ENTRY.endsWith('.ts') && !args.some((a) => a.includes('tsx'))) args.push('--import', import.meta.resolve('tsx'));
  return args;
}

const where = (t: CandidateTask) => `candidate g${t.generation} i${t.index}`;

/** A pool of child processes that evaluates candidates (see the module comment). */
export class ChildProcessEvaluator implements Evaluator {
  readonly concurrency: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly tail: number;
  private readonly killAfterMs: number;
  private readonly waiting: Job[] = [];
  private readonly running = new Map<ChildProcess, Promise<void>>();
  private closed = false;

  constructor(options: ChildProcessEvaluatorOptions = {}) {
    const c = options.concurrency ?? os.availableParallelism();
    if (!(Number.isInteger(c) && c >= 1)) throw new ConfigError(`concurrency must be a whole number ≥ 1 (child processes at once), got ${c}`);
    this.concurrency = c;
    this.env = { ...process.env, ...options.env };
    this.tail = options.outputTail ?? 2000;
    this.killAfterMs = options.killAfterMs ?? 5000;
  }

  /** Children running now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Evaluate `task` in a new child process (queued while `concurrency` children run).
   * Rejects with the child's error when the candidate's run threw, and with its exit code
   * or signal and its last output when it died without answering.
   */
  evaluate(task: CandidateTask): Promise<CandidateResult> {
    if (this.closed) return Promise.reject(new Error(`${where(task)}: the evaluator is closed`));
    return new Promise<CandidateResult>((resolve, reject) => {
      this.waiting.push({ task, resolve, reject });
      this.pump();
    });
  }

  /** Kill the running children (SIGTERM, then SIGKILL) and reject the queued candidates. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new Error(`${where(job.task)}: the evaluator was closed before it started`));
    const children = [...this.running];
    for (const [child] of children) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const [child] of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, this.killAfterMs);
    timer.unref();
    await Promise.all(children.map(([, done]) => done));
    clearTimeout(timer);
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.waiting.length > 0) this.start(this.waiting.shift()!);
  }

  private start(job: Job): void {
    const { task } = job;
    let child: ChildProcess;
    try {
      // A process group of its own: Ctrl-C in a terminal reaches the search, which decides
      // (it stops and kills the children without logging them as failures); a child whose
      // parent dies leaves on the IPC channel's 'disconnect'.
      child = fork(ENTRY, [], { execArgv: childExecArgv(), env: this.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json', detached: true });
    } catch (e) {
      job.reject(new Error(`${where(task)}: could not start a child process: ${(e as Error).message}`));
      return;
    }
    let output = '';
    const keep = (chunk: string) => {
      output = (output + chunk).slice(-this.tail);
    };
    child.stdout!.setEncoding('utf8').on('data', keep);
    child.stderr!.setEncoding('utf8').on('data', keep);
    let reply: ChildReply | undefined;
    let settled = false;
    let lingering: NodeJS.Timeout | undefined;
    const settle = (e: Error | undefined, r?: CandidateResult) => {
      if (settled) return;
      settled = true;
      if (e) job.reject(e);
      else job.resolve(r!);
    };
    const done = new Promise<void>((release) => {
      let released = false;
      const free = () => {
        if (released) return;
        released = true;
        clearTimeout(lingering);
        this.running.delete(child);
        release();
        this.pump();
      };
      child.on('message', (m: ChildReply) => {
        if (reply) return;
        reply = m;
        if (m && m.ok === true) settle(undefined, m.result);
        else settle(new Error(m && typeof m.error === 'string' ? m.error : `${where(task)}: the child answered ${JSON.stringify(m)}`));
        // It exits by itself after answering; one that lingers (a stuck handle) is stopped.
        lingering = setTimeout(() => child.kill('SIGKILL'), 30_000);
        lingering.unref();
      });
      child.on('error', (e) => {
        settle(new Error(`${where(task)}: child process error: ${e.message}`));
        if (child.pid === undefined) free();
      });
      child.on('close', (code, signal) => {
        if (!reply) {
          const how = signal ? `was killed by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}` : `exited with code ${code}`;
          const last = output.trim();
          settle(new Error(`${where(task)}: its process ${how} before reporting a result${last ? `; its last output:\n${last}` : ''}`));
        }
        free();
      });
    });
    this.running.set(child, done);
    child.send(task, (err) => {
      if (err && !reply) {
        settle(new Error(`${where(task)}: could not send the task to its process: ${err.message}`));
        child.kill('SIGKILL');
      }
    });
  }
}
