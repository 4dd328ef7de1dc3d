/**
 * The function that evaluates a candidate where it runs (a child process, a queue worker):
 * a task's own `runner` module, else the built-in short training (./candidate.ts).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importModule } from '../cli/pipeline-file.ts';
import type { RunCandidate } from './task.ts';

const loaded = new Map<string, Promise<RunCandidate>>();

/**
 * The `runCandidate` (or default export) of module `runner` — a path, resolved against the
 * working directory, or a file: URL — or the built-in one. TypeScript runners load through
 * tsx, also from the built package. A module that failed to load is tried again next time.
 */
export function loadRunner(runner?: string): Promise<RunCandidate> {
  if (runner === undefined) return import('./candidate.ts').then((m) => m.runCandidate);
  if (typeof runner !== 'string' || runner === '') return Promise.reject(new Error(`runner must be a module path, got ${JSON.stringify(runner)}`));
  const href = runner.startsWith('file:') ? runner : pathToFileURL(path.resolve(runner)).href;
  let p = loaded.get(href);
  if (!p) {
    p = (async () => {
      const mod = await importModule(href);
      const run = mod.runCandidate ?? mod.default;
      if (typeof run !== 'function') throw new Error(`${runner}: export a function runCandidate(task) => Promise<{ map50, map, steps, wallMs }>`);
      return run as RunCandidate;
    })();
    p.catch(() => loaded.delete(href));
    loaded.set(href, p);
  }
  return p;
}
