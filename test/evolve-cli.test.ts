/**
 * `freebies evolve` (SPEC §12): an end-to-end search on a tiny budget with the real
 * trainer (generated shapes, yolov4-tiny-nano at 64 px, 2 steps a candidate, 2 children
 * at once) that resumes without training anything again; child processes that crash or
 * throw cost their own candidate only; candidates run `concurrency` at once; a stopped
 * search resumes; evolve() itself gives the same search at any concurrency; bad options
 * are ConfigErrors that say what to pass.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { evolveCommand, type BestCandidate, type EvolveCommandOptions, type SavedEvolveOptions } from '../src/cli/evolve.ts';
import { ConfigError } from '../src/core/errors.ts';
import { checkCandidateTask } from '../src/evolve/candidate.ts';
import { ChildProcessEvaluator } from '../src/evolve/child-pool.ts';
import { DEFAULT_SEARCH_SPACE } from '../src/evolve/genes.ts';
import { evolve, readLog, type EvaluationRecord } from '../src/evolve/log.ts';
import { readCheckpointMetadata } from '../src/train/checkpoint.ts';
import type { TrainMetadata } from '../src/cli/train.ts';
import { REPO } from './helpers.ts';
import { shapesDataset } from './shapes-dataset.ts';

const RUNNER = path.join(REPO, 'test', 'fixtures', 'evolve-runner.ts');
const PIPELINE = path.join(REPO, 'pipelines', 'yolov4.ts');
const cli = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--conditions=freebies-source', '--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, timeout: 180_000 });
const byKey = (records: EvaluationRecord[]) => [...records].sort((a, b) => a.generation - b.generation || a.index - b.index);
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12, `${a} ≉ ${b}`);

describe('freebies evolve', () => {
  let dir = '';
  /** A folder for the stand-in runner: its runner.json says what the candidates do. */
  const fake = (name: string, config: object) => {
    const d = path.join(dir, `data-${name}`);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'runner.json'), JSON.stringify(config));
    return d;
  };
  const quiet = { print: false, progress: false } as const;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-evolve-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('end to end with the real trainer: 2 generations × 3 on shapes at 64 px; a rerun resumes and trains nothing', async () => {
    const data = path.join(dir, 'shapes');
    await shapesDataset(data, { size: 64, min: 14, max: 28, seed: 7 });
    // batch ≤ 6: 2 steps never finish the 16-image epoch, so each candidate's final checkpoint is evaluated.
    const space = path.join(dir, 'space.json');
    fs.writeFileSync(space, JSON.stringify([
      { name: 'lr', kind: 'log', min: 1e-3, max: 2e-2 },
      { name: 'batch', kind: 'int', min: 4, max: 6 },
      { name: 'hsv_s', kind: 'float', min: 0, max: 0.9 },
    ]));
    const out = path.join(dir, 'real');
    const flags = ['--data', data, '--generations', '2', '--population', '3', '--steps', '2', '--size', '64', '--concurrency', '2',
      '--workers', '0', '--space', space, '--seed', '1', '--out', out, '--keep', '--no-progress'];
    const { stdout } = await cli('evolve', PIPELINE, ...flags);

    const records = readLog(path.join(out, 'evolve.jsonl'));
    assert.ok(records.length >= 3 && records.length <= 4, `3 new candidates, then 1 unless it repeats one: ${records.length}`);
    assert.deepEqual(byKey(records).slice(0, 3).map((r) => [r.generation, r.index]), [[0, 0], [0, 1], [0, 2]]);
    for (const r of records) {
      assert.equal(r.status, 'ok', r.error);
      assert.ok(r.map50! >= 0 && r.map50! <= 1 && r.map! >= 0 && r.map! <= 1, `${r.map50} ${r.map}`);
      close(r.fitness!, 0.1 * r.map50! + 0.9 * r.map!);
      // What the candidate trained with: the genes, all of them handed to the pipeline too.
      const meta = (await readCheckpointMetadata(path.join(out, 'candidates', `g${r.generation}-i${r.index}`, 'last'))).metadata as TrainMetadata;
      assert.deepEqual([meta.step, meta.options.size, meta.model, meta.options.seed, meta.options.microBatch], [2, 64, 'yolov4-tiny-nano', 1, 16]);
      assert.deepEqual([meta.options.lr, meta.options.batchSize, meta.options.hyperparameters.hsv_s], r.genes);
      assert.deepEqual(meta.options.hyperparameters, { lr: r.genes[0], batch: r.genes[1], hsv_s: r.genes[2] });
    }
    const lines = stdout.trim().split('\n');
    assert.equal(lines.filter((l) => /^g\d i\d {2}fitness \S+ {2}mAP@\.5 \S+ {2}mAP@\.5:\.95 \S+ {2}[\d.]+ s {2}lr=\S+ batch=\d hsv_s=\S+$/.test(l)).length, records.length, stdout);
    assert.match(stdout, new RegExp(`evolve: 2 generations, all run; 6 candidates: ${records.length} trained, 0 from the log, ${6 - records.length} reused, 0 failed`));

    const best = JSON.parse(fs.readFileSync(path.join(out, 'best.json'), 'utf8')) as BestCandidate;
    // The first fittest in (generation, index) order, as the search ranks them.
    const top = byKey(records).reduce((b, r) => (r.fitness! > b.fitness! ? r : b));
    assert.deepEqual(Object.keys(best), ['fitness', 'map50', 'map', 'generation', 'index', 'hyperparameters', 'baseline']);
    // generation 0 starts from the defaults: train's lr, its batch 16 clipped to 6, the pipeline's hsv_s 0.7
    const first = byKey(records)[0]!;
    assert.deepEqual(first.genes, [0.01, 6, 0.7]);
    assert.deepEqual(best.baseline, { fitness: first.fitness, hyperparameters: { lr: 0.01, batch: 6, hsv_s: 0.7 } });
    assert.equal(best.fitness, top.fitness);
    assert.deepEqual([best.map50, best.map, best.hyperparameters], [top.map50, top.map, { lr: top.genes[0], batch: top.genes[1], hsv_s: top.genes[2] }]);

    const html = fs.readFileSync(path.join(out, 'fitness.html'), 'utf8');
    assert.match(html, /<svg[^>]*data-generations="2" data-candidates="6" data-failed="0"/);
    assert.equal(html.match(/<circle data-generation=/g)?.length, 6);
    const bestLine = /data-series="best" data-values="([^"]*)"/.exec(html)![1]!.split(',').map(Number);
    assert.equal(bestLine.length, 2);
    assert.equal(Math.max(...bestLine), best.fitness);
    const png = await sharp(path.join(out, 'fitness.png')).metadata();
    assert.deepEqual([png.format, png.width, png.height], ['png', 1280, 720]);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'options.json'), 'utf8')) as SavedEvolveOptions;
    assert.deepEqual([saved.steps, saved.epochs, saved.size, saved.population, saved.generations, saved.seed, saved.valData], [2, null, 64, 3, 2, 1, data]);

    // The same search again: everything comes from the log, nothing is trained.
    const again = await evolveCommand({
      pipeline: PIPELINE, data, generations: 2, population: 3, steps: 2, size: 64, space, seed: 1, out, ...quiet,
      evaluator: { concurrency: 2, evaluate: () => assert.fail('a resumed, finished search evaluates nothing'), close: async () => {} },
    });
    assert.equal(again.resumed, true);
    assert.deepEqual([again.result.evaluated, again.result.replayed, again.result.stoppedBy], [0, records.length, 'generations']);
    assert.deepEqual(again.best, best);
    assert.equal(readLog(path.join(out, 'evolve.jsonl')).length, records.length);
  });

  it('a child that exits (code 3) or throws fails its own candidate; the search finishes; a fixed seed repeats it', async () => {
    const data = fake('crashy', { exit: [[0, 1, 3]], throw: [[0, 2]] });
    const run = (out: string) =>
      evolveCommand({ pipeline: PIPELINE, data, space: DEFAULT_SEARCH_SPACE, generations: 2, population: 4, seed: 5, concurrency: 2, runner: RUNNER, out, ...quiet });
    const a = await run(path.join(dir, 'crash-a'));
    assert.equal(a.result.stoppedBy, 'generations');
    assert.equal(a.result.populations.length, 2);
    const records = byKey(readLog(a.log));
    assert.deepEqual(records.slice(0, 4).map((r) => r.status), ['ok', 'failed', 'failed', 'ok']);
    assert.match(records[1]!.error!, /^candidate g0 i1: its process exited with code 3 before reporting a result/);
    assert.equal(records[2]!.error, 'candidate g0 i2 was told to throw');
    assert.equal(a.result.populations[0]![1]!.fitness, -Infinity);
    assert.ok(records.slice(4).every((r) => r.status === 'ok' && r.generation === 1));
    assert.ok(a.best && a.best.fitness === Math.max(...records.filter((r) => r.fitness !== null).map((r) => r.fitness!)));
    // Scored candidates lose their checkpoint, not their files.
    const g0 = path.join(a.out, 'candidates', 'g0-i0');
    assert.ok(fs.existsSync(path.join(g0, 'interval.json')) && !fs.existsSync(path.join(g0, 'last')));
    assert.match(fs.readFileSync(a.plot.html, 'utf8'), /data-failed="2"/);

    const b = await run(path.join(dir, 'crash-b'));
    assert.deepEqual(byKey(readLog(b.log)), records);
    assert.deepEqual(b.best, a.best);
  });

  it('generation 0 starts from the defaults (clipped to the space), reported as the baseline; baseline: false draws it', async () => {
    const data = fake('baseline', {});
    const run = (out: string, baseline?: boolean) =>
      evolveCommand({ pipeline: PIPELINE, data, space: DEFAULT_SEARCH_SPACE, generations: 1, population: 3, seed: 6, concurrency: 2, runner: RUNNER, out: path.join(dir, out), ...quiet, ...(baseline === undefined ? {} : { baseline }) });
    const a = await run('baseline-on');
    // train's defaults; iouThreshold 0.213 is clipped into the space's [0.3, 0.8]
    assert.deepEqual(a.result.populations[0]![0]!.genes, [0.01, 16, 0.0005, 0.3]);
    const saved = JSON.parse(fs.readFileSync(path.join(a.out, 'options.json'), 'utf8')) as { baseline: Record<string, number> };
    assert.deepEqual(saved.baseline, { lr: 0.01, batch: 16, weightDecay: 0.0005, iouThreshold: 0.3 });
    // the fake runner at lr 0.01, batch 16: mAP 0.8 − 1/8 − (8/60)² = 0.657222, mAP@.5 = 1.25·mAP + 0.05
    const map = 0.8 - 1 / 8 - (8 / 60) ** 2;
    assert.ok(Math.abs(a.best!.baseline!.fitness - (0.1 * (1.25 * map + 0.05) + 0.9 * map)) < 1e-12, JSON.stringify(a.best));
    assert.deepEqual(JSON.parse(fs.readFileSync(a.bestFile!, 'utf8')).baseline.hyperparameters, saved.baseline);
    const b = await run('baseline-off', false);
    assert.notDeepEqual(b.result.populations[0]![0]!.genes, [0.01, 16, 0.0005, 0.3]);
    assert.equal(b.best!.baseline, undefined);
    assert.equal((JSON.parse(fs.readFileSync(path.join(b.out, 'options.json'), 'utf8')) as { baseline: unknown }).baseline, null);
  });

  it('concurrency 2: 4 candidates that sleep run two at a time, and all 4 are logged', async () => {
    const sleepMs = 2000;
    const data = fake('sleepy', { sleepMs });
    const r = await evolveCommand({ pipeline: PIPELINE, data, space: DEFAULT_SEARCH_SPACE, generations: 1, population: 4, seed: 2, concurrency: 2, runner: RUNNER, out: path.join(dir, 'sleepy'), ...quiet });
    assert.equal(readLog(r.log).length, 4);
    const spans = [0, 1, 2, 3].map((i) => JSON.parse(fs.readFileSync(path.join(r.out, 'candidates', `g0-i${i}`, 'interval.json'), 'utf8')) as { pid: number; start: number; end: number });
    assert.equal(new Set(spans.map((s) => s.pid)).size, 4, 'one process per candidate');
    const most = Math.max(...spans.map((s) => spans.filter((t) => t.start < s.end && s.start < t.end).length));
    assert.equal(most, 2, 'never more than 2 at once, and 2 at some time');
    // One after another the sleeps alone would take 4 × sleepMs.
    const span = Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start));
    assert.ok(span < 4 * sleepMs, `${span} ms`);
  });

  it('stopping kills the running candidates without logging them; the same command resumes', async () => {
    const data = fake('stopped', { sleepMs: 4000 });
    const out = path.join(dir, 'stopped');
    const stop = new AbortController();
    const options: EvolveCommandOptions = { pipeline: PIPELINE, data, space: DEFAULT_SEARCH_SPACE, generations: 1, population: 3, seed: 3, concurrency: 2, runner: RUNNER, out, ...quiet };
    const t0 = Date.now();
    setTimeout(() => stop.abort(), 1500);
    const first = await evolveCommand({ ...options, signal: stop.signal });
    assert.equal(first.result.stoppedBy, 'aborted');
    assert.ok(Date.now() - t0 < 4000, 'the running candidates were killed, not awaited');
    assert.deepEqual([first.result.evaluated, readLog(first.log).length, first.best], [0, 0, null]);
    fs.writeFileSync(path.join(data, 'runner.json'), '{}');
    const second = await evolveCommand(options);
    assert.deepEqual([second.result.evaluated, second.result.stoppedBy, readLog(second.log).length], [3, 'generations', 3]);
  });

  it('the pool: close() kills a running child and rejects its candidate with the signal', async () => {
    const pool = new ChildProcessEvaluator({ concurrency: 1 });
    const task = {
      generation: 0, index: 0, hyperparameters: { lr: 0.01 }, pipeline: PIPELINE, data: fake('pool', { sleepMs: 10_000 }), valData: dir,
      model: 'yolov4-tiny-nano' as const, size: 64, steps: 1, seed: 0, out: path.join(dir, 'pool-out'), runner: RUNNER,
    };
    const running = pool.evaluate(task);
    const queued = pool.evaluate({ ...task, index: 1 });
    const verdicts = Promise.all([
      assert.rejects(running, /candidate g0 i0: its process was killed by SIGTERM before reporting a result/),
      assert.rejects(queued, /candidate g0 i1: the evaluator was closed before it started/),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(pool.active, 1);
    await pool.close();
    await verdicts;
    await assert.rejects(pool.evaluate(task), /the evaluator is closed/);
  });

  it('evolve(): the same search at concurrency 1 and 4, at most 4 in flight; a concurrent log resumes exactly', async () => {
    const bowl = (h: Record<string, number>) => -((Math.log10(h.lr!) + 3) ** 2) - ((h.batch! - 24) / 60) ** 2;
    const verdict = (h: Record<string, number>, at: { index: number }) => {
      if (at.index === 3) throw new Error('boom');
      return bowl(h);
    };
    let inFlight = 0;
    let most = 0;
    const slow = async (h: Record<string, number>, at: { index: number }) => {
      most = Math.max(most, ++inFlight);
      // Later candidates finish first, so the log is out of index order.
      await new Promise((r) => setTimeout(r, 12 - at.index));
      inFlight--;
      return verdict(h, at);
    };
    const base = { space: DEFAULT_SEARCH_SPACE, options: { populationSize: 10, generations: 3 }, seed: 9 };
    const serialLog = path.join(dir, 'serial.jsonl');
    const parallelLog = path.join(dir, 'parallel.jsonl');
    const serial = await evolve({ ...base, evaluate: slow, logPath: serialLog });
    assert.equal(most, 1);
    const parallel = await evolve({ ...base, evaluate: slow, logPath: parallelLog, concurrency: 4 });
    assert.equal(most, 4);
    assert.deepEqual(parallel.populations, serial.populations);
    assert.deepEqual([parallel.best, parallel.evaluated, parallel.reused], [serial.best, serial.evaluated, serial.reused]);
    const p = readLog(parallelLog);
    assert.notDeepEqual(p, readLog(serialLog), 'finished out of index order');
    assert.deepEqual(byKey(p), byKey(readLog(serialLog)));
    // Stop mid-generation 1 with evaluations in flight; those that then fail are not logged.
    const partial = path.join(dir, 'partial.jsonl');
    const stop = new AbortController();
    const first = await evolve({
      ...base, logPath: partial, concurrency: 4, signal: stop.signal,
      evaluate: async (h, at) => {
        if (at.generation === 1 && at.index === 4) stop.abort();
        await new Promise((r) => setTimeout(r, 2));
        if (stop.signal.aborted && at.generation === 1 && at.index !== 4) throw new Error('killed');
        return verdict(h, at);
      },
    });
    assert.equal(first.stoppedBy, 'aborted');
    assert.equal(first.populations.length, 2);
    const logged = readLog(partial);
    assert.ok(logged.some((r) => r.generation === 1 && r.index === 4));
    assert.ok(!logged.some((r) => r.error === 'killed'));
    const resumed = await evolve({ ...base, evaluate: slow, logPath: partial, concurrency: 3 });
    assert.equal(resumed.replayed, logged.length);
    assert.deepEqual(resumed.populations, serial.populations);
    assert.deepEqual(byKey(readLog(partial)), byKey(readLog(serialLog)));
  });

  it('bad options are ConfigErrors that say what to pass; the CLI exits 2', async () => {
    const data = fake('errors', {});
    const base: EvolveCommandOptions = { pipeline: PIPELINE, data, generations: 1, population: 2, runner: RUNNER, ...quiet };
    const space = (name: string, text: string) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      return f;
    };
    const rejects = (o: EvolveCommandOptions, message: RegExp) =>
      assert.rejects(evolveCommand(o), (e: Error) => {
        assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
    await rejects({ ...base, space: space('torn.json', '[{"name": "lr"') }, /^--space .*torn\.json: searchSpace: not valid JSON .*pass an array of \{ name, kind, min, max \}/);
    await rejects({ ...base, space: space('log0.json', '[{"name":"lr","kind":"log","min":0,"max":0.1}]') }, /'log' gene needs min > 0/);
    await rejects({ ...base, space: space('batch.json', '[{"name":"batch","kind":"float","min":4,"max":64}]') }, /gene "batch" is a batch size: kind 'int' with min ≥ 1/);
    await rejects({ ...base, space: path.join(dir, 'nope.json') }, /--space .*nope\.json: no such file; pass a JSON file/);
    await rejects({ ...base, population: 1 }, /--population must be a whole number ≥ 2/);
    await rejects({ ...base, data: undefined }, /evolve needs --data DIR/);
    await rejects({ ...base, queue: 'http://localhost' }, /--queue takes a Redis URL/);
    // A finished search resumes only with the options it was started with.
    const out = path.join(dir, 'resume-me');
    await evolveCommand({ ...base, out, seed: 4, space: DEFAULT_SEARCH_SPACE });
    await rejects({ ...base, out, seed: 5 }, /holds a search started with --seed 4, but this run asks for 5: resume with the options it was started with/);
    await rejects({ ...base, out, seed: 4, population: 3 }, /started with --population 2, but this run asks for 3/);
    await rejects({ ...base, out: path.join(dir, 'crash-a', 'candidates') }, /holds other files: pass a new or empty folder/);
    const again = await evolveCommand({ out, runner: RUNNER, ...quiet });
    assert.equal(again.result.evaluated, 0, 'the saved options are the defaults of a resume');

    // A task from a queue or a child's message is checked before any training.
    const task = { generation: 0, index: 0, hyperparameters: { lr: 0.01, batch: 8, hsv_s: 0.5 }, pipeline: PIPELINE, data, valData: data, model: 'yolov4-tiny-nano', size: 64, steps: 2, seed: 0, out };
    assert.deepEqual(checkCandidateTask(task), task);
    assert.throws(() => checkCandidateTask({ ...task, hyperparameters: { batch: 4.5 } }), /candidate task: hyperparameters\.batch: batch must be a whole number ≥ 1, got 4\.5: declare the gene with kind 'int'/);
    assert.throws(() => checkCandidateTask({ ...task, steps: undefined }), /give the candidate a training budget: steps \(batches\) or epochs/);
    assert.throws(() => checkCandidateTask({ ...task, out: 'runs/x', size: 100 }), (e: Error) => e instanceof ConfigError && /size must be a multiple of 32/.test(e.message) && /out: out must be an absolute path/.test(e.message));

    const cases: [string[], RegExp][] = [
      [['evolve', PIPELINE, '--data', data, '--population', '1'], /--population must be a whole number ≥ 2/],
      [['evolve', PIPELINE, '--data', data, '--model', 'yolo9'], /--model must be one of yolov4, yolov4-tiny/],
      [['worker'], /worker needs --queue redis:\/\/HOST:PORT/],
    ];
    await Promise.all(
      cases.map(([args, message]) =>
        assert.rejects(cli(...args), (e: { code?: number; stderr?: string }) => {
          assert.equal(e.code, 2);
          assert.match(e.stderr ?? '', message);
          return true;
        }),
      ),
    );
  });
});
