/** Operator tests: marble tests of batching, ordered concurrency, worker crashes, the CLI. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { lastValueFrom, map, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batch, decode, fromYolo, letterbox } from '../index.ts';
import { orderedConcurrentMap, SKIP } from '../src/stream/ordered-map.ts';
import { poolStage } from '../src/stream/pool-stage.ts';
import { StageMeter } from '../src/profile/meter.ts';
import { COCO128, REPO, sleep } from './helpers.ts';

const sample = (id: string) => ({ id }) as never;

describe('batch()', () => {
  it('groups by size and keeps the partial last batch (marbles)', () => {
    new TestScheduler((a, b) => assert.deepEqual(a, b)).run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d-e|', { a: sample('a'), b: sample('b'), c: sample('c'), d: sample('d'), e: sample('e') });
      const ids = src.pipe(batch(2), map((b) => b.ids.join('')));
      expectObservable(ids).toBe('--x---y--(z|)', { x: 'ab', y: 'cd', z: 'e' });
    });
  });

  it('drops the partial last batch with dropLast (marbles)', () => {
    new TestScheduler((a, b) => assert.deepEqual(a, b)).run(({ cold, expectObservable }) => {
      const src = cold('a-b-c|', { a: sample('a'), b: sample('b'), c: sample('c') });
      expectObservable(src.pipe(batch(2, { dropLast: true }), map((b) => b.size))).toBe('--x--|', { x: 2 });
    });
  });
});

describe('orderedConcurrentMap', () => {
  it('emits in input order whatever order the work finishes in, and drops skips', async () => {
    const delays = [30, 5, 20, 1, 10, 2];
    let active = 0;
    let maxActive = 0;
    const out = await lastValueFrom(
      of(0, 1, 2, 3, 4, 5).pipe(
        orderedConcurrentMap(
          async (i: number) => {
            active++;
            maxActive = Math.max(maxActive, active);
            await sleep(delays[i]!);
            active--;
            return i === 3 ? SKIP : i * 10;
          },
          3,
          new StageMeter('t', 3),
        ),
        toArray(),
      ),
    );
    assert.deepEqual(out, [0, 10, 20, 40, 50]);
    assert.equal(maxActive, 3);
  });
});

describe('worker pool', () => {
  it('a worker that dies costs one sample, reported; the run goes on', async () => {
    const victim = '000000000009.jpg';
    const moduleUrl = pathToFileURL(path.join(REPO, 'test/fixtures/crash-kernel.mjs')).href;
    const p = fromYolo(COCO128, { limit: 6, shuffle: false, workers: 2 }).pipe(
      decode(),
      letterbox(64),
      poolStage('crashy', [{ name: 'test-crash', p: 1, options: { id: victim } }], { modules: [moduleUrl] }),
      batch(3),
    );
    const ids: string[] = [];
    for await (const b of p) ids.push(...b.ids);
    const skipped0 = p.report().skipped;
    assert.equal(ids.length, 5, JSON.stringify(skipped0));
    assert.ok(!ids.some((i) => i.endsWith(victim)));
    const skipped = p.report().skipped;
    assert.equal(skipped.length, 1);
    assert.ok(skipped[0]!.path.endsWith(victim));
    assert.match(skipped[0]!.reason, /crashy failed: a worker thread died/);
  });
});

describe('freebies profile', () => {
  it('prints the stage table and bottleneck and writes the JSON report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-cli-'));
    const json = path.join(dir, 'report.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=freebies-source', '--import', 'tsx', 'src/cli/main.ts', 'profile', 'pipelines/basic.ts', '--data', COCO128, '--batches', '2', '--json', json, '--size', '128'],
      { cwd: REPO, timeout: 120_000 },
    );
    assert.match(stdout, /stage\s+items\s+items\/s\s+busy ms\s+wait ms/);
    assert.match(stdout, /bottleneck: \w+/);
    const r = JSON.parse(fs.readFileSync(json, 'utf8'));
    assert.equal(r.batches, 2);
    assert.equal(r.samples, 32);
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(
      r.stages.map((s: { name: string }) => s.name),
      ['source', 'decode', 'letterbox (fused into decode)', 'augment', 'batch', 'toTensors', 'prefetch'],
    );
    for (const s of r.stages) for (const k of ['items', 'itemsPerSecond', 'busyMs', 'waitMs']) assert.equal(typeof s[k], 'number');
    assert.ok(r.stages.some((s: { name: string }) => s.name === r.bottleneck));
    assert.equal(r.stages.find((s: { name: string }) => s.name === 'decode').items >= 32, true);
  });

  it('fails at once with a message for a missing dataset', async () => {
    await assert.rejects(
      promisify(execFile)(process.execPath, ['--conditions=freebies-source', '--import', 'tsx', 'src/cli/main.ts', 'profile', 'pipelines/basic.ts', '--data', '/no/such/folder'], { cwd: REPO }),
      (err: { code: number; stderr: string }) => err.code === 2 && /\/no\/such\/folder/.test(err.stderr),
    );
  });
});
