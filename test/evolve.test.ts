import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/core/rng.ts';
import { ConfigError } from '../src/core/errors.ts';
import {
  DEFAULT_SEARCH_SPACE,
  decode,
  encode,
  parseSearchSpace,
  randomGenome,
  randomIndividual,
  toRecord,
  fromRecord,
} from '../src/evolve/genes.ts';
import {
  annealed,
  eliteIndices,
  elites,
  evolveOptions,
  gaussianMutation,
  mutateWith,
  nextGeneration,
  singlePointCrossover,
  stopReason,
  tournamentOf,
  tournamentSelect,
  uniformCrossover,
  yoloFitness,
  type Individual,
} from '../src/evolve/operators.ts';
import { evolve, readLog, replay, type EvolveArgs } from '../src/evolve/log.ts';

const S = DEFAULT_SEARCH_SPACE;
const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

test('search space: the default validates; clear messages for bad genes; JSON accepted', () => {
  assert.deepEqual(parseSearchSpace(S), S);
  assert.deepEqual(parseSearchSpace(JSON.stringify(S)), S);
  assert.throws(() => parseSearchSpace([{ name: 'lr', kind: 'float', min: 1, max: 1 }]), (e: Error) => e instanceof ConfigError && /min must be < max/.test(e.message));
  assert.throws(() => parseSearchSpace([{ name: 'lr', kind: 'log', min: 0, max: 1 }]), /'log' gene needs min > 0/);
  assert.throws(() => parseSearchSpace([{ name: 'b', kind: 'int', min: 0.5, max: 4 }]), /integer min and max/);
  assert.throws(() => parseSearchSpace([{ name: 'x', kind: 'cubic', min: 0, max: 1 }]), /kind must be/);
  assert.throws(() => parseSearchSpace([S[0], S[0]]), /unique/);
  assert.throws(() => parseSearchSpace('[{'), /not valid JSON/);
});

test('encode/decode: log genes in log space, ints rounded, clipped to the ranges', () => {
  const mid = [1e-3, 34, 0.00505, 0.55];
  const u = encode(S, mid);
  for (const x of u) close(x, 0.5);
  const back = decode(S, [0.5, 0.5, 0.5, 0.5]);
  close(back[0]!, 1e-3);
  assert.equal(back[1], 34);
  close(back[2]!, 0.00505);
  close(back[3]!, 0.55);
  assert.equal(decode(S, [0.51, 0.51, 0, 1])[1], 35); // 4 + 0.51·60 = 34.6 → 35
  assert.deepEqual(decode(S, [-1, 2, 0, 1]), [1e-5, 64, 1e-4, 0.8]);
  assert.deepEqual(encode(S, [1, 0, -5, 9]), [1, 0, 0, 1]);
  assert.deepEqual(toRecord(S, mid), { lr: 1e-3, batch: 34, weightDecay: 0.00505, iouThreshold: 0.55 });
  assert.deepEqual(fromRecord(S, { lr: 1e-3, batch: 33.7, weightDecay: 0.00505, iouThreshold: 0.55 }), mid);
});

test('random individuals: in range, ints integral, log genes uniform in log space', () => {
  const rng = new Rng(1, 2, 3);
  const bins = [0, 0, 0, 0];
  let wd = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) {
    const v = randomIndividual(S, rng);
    S.forEach((g, j) => assert.ok(v[j]! >= g.min && v[j]! <= g.max));
    assert.ok(Number.isInteger(v[1]));
    bins[Math.min(3, Math.floor(Math.log10(v[0]!) + 5))]!++; // one bin per decade 1e-5..1e-1
    wd += v[2]!;
  }
  for (const b of bins) assert.ok(Math.abs(b - n / 4) < 110, `decade bins ${bins}`); // ±4 sd
  close(wd / n, 0.00505, 0.03);
  assert.deepEqual(randomGenome(S, new Rng(7)), randomGenome(S, new Rng(7)));
});

test('single-point crossover: the SPEC §12 worked example exactly; uniform crossover by mask', () => {
  const a = [0.001, 32, 0.0005, 0.7];
  const b = [0.005, 16, 0.0008, 0.6];
  assert.deepEqual(singlePointCrossover(a, b, 1), [0.001, 16, 0.0008, 0.6]);
  assert.deepEqual(singlePointCrossover(a, b, 3), [0.001, 32, 0.0005, 0.6]);
  assert.deepEqual(uniformCrossover(a, b, [true, false, false, true]), [0.001, 16, 0.0008, 0.7]);
  assert.deepEqual(a, [0.001, 32, 0.0005, 0.7]); // parents untouched
});

const pop = (fs: number[]): Individual[] => fs.map((f, i) => ({ genes: [1e-3, 4 + i, 0.001, 0.5], fitness: f }));

test('tournament selection picks the best of the k drawn', () => {
  const p = pop([0.1, 0.9, 0.5, 0.3, -Infinity]);
  assert.equal(tournamentOf(p, [0, 2, 3]), 2);
  assert.equal(tournamentOf(p, [4, 0]), 0);
  assert.equal(tournamentOf(p, [3, 3]), 3);
  for (let s = 0; s < 50; s++) {
    const r = new Rng(s);
    const drawn = [r.int(0, 4), r.int(0, 4), r.int(0, 4)];
    const best = drawn.reduce((b, i) => (p[i]!.fitness > p[b]!.fitness ? i : b));
    assert.equal(tournamentSelect(p, 3, new Rng(s)), best);
  }
  // The best wins whenever drawn; a failure only when nothing else is drawn (1/125).
  const wins = new Array(5).fill(0);
  const rng = new Rng(9);
  for (let i = 0; i < 1000; i++) wins[tournamentSelect(p, 3, rng)]++;
  assert.ok(wins[4] < 25, `wins ${wins}`);
  assert.ok(wins[1] > 450, `wins ${wins}`); // P(best drawn among 3 of 5) = 1 − 0.8³ = 0.488
});

test('elitism keeps the top e unchanged, best first', () => {
  const p = pop([0.1, 0.9, 0.5, 0.9, 0.3]);
  assert.deepEqual(eliteIndices(p, 3), [1, 3, 2]);
  assert.deepEqual(elites(p, 2), [p[1]!.genes, p[3]!.genes]);
  const o = { ...evolveOptions({ populationSize: 5, elitism: 2, generations: 4 }), space: S, generation: 1 };
  const next = nextGeneration(p, o, new Rng(3));
  assert.equal(next.length, 5);
  assert.deepEqual(next.slice(0, 2), [p[1]!.genes, p[3]!.genes]);
});

test('mutation: worked numbers, rate 0 is the identity, stays in range, ints integral', () => {
  assert.deepEqual(mutateWith([0.5, 0.9, 0.1], 0.2, [1, 1, null]), [0.7, 1, 0.1]);
  assert.deepEqual(mutateWith([0.5], 0.2, [-3]), [0]);
  const g = [0.3, 0.6, 0.2, 0.9];
  const r = new Rng(5);
  assert.deepEqual(gaussianMutation(g, 0, 0.5, r), g);
  assert.equal(r.next(), new Rng(5).next()); // and draws nothing
  const rng = new Rng(11);
  let moved = 0;
  for (let i = 0; i < 500; i++) {
    const u = randomGenome(S, rng);
    const m = gaussianMutation(u, 1, 0.5, rng);
    for (const x of m) assert.ok(x >= 0 && x <= 1);
    const v = decode(S, m);
    S.forEach((gene, j) => assert.ok(v[j]! >= gene.min && v[j]! <= gene.max));
    assert.ok(Number.isInteger(v[1]));
    if (m[0] !== u[0]) moved++;
  }
  assert.equal(moved, 500);
  // Rate ½: about half of the genes move.
  let changed = 0;
  for (let i = 0; i < 1000; i++) if (gaussianMutation([0.5], 0.5, 0.1, rng)[0] !== 0.5) changed++;
  assert.ok(Math.abs(changed - 500) < 70, `changed ${changed}`);
});

test('annealing: linear from start (generation 0) to end (generation G−1)', () => {
  assert.equal(annealed(0.2, 0.02, 0, 10), 0.2);
  close(annealed(0.2, 0.02, 9, 10), 0.02);
  assert.equal(annealed(1, 0, 1, 3), 0.5);
  assert.equal(annealed(0.3, 0.1, 0, 1), 0.3);
});

test('fitness and the stopping rule', () => {
  close(yoloFitness({ map50: 0.6, map: 0.4 }), 0.42);
  assert.equal(stopReason([0.1, 0.2], { generations: 2 }), 'generations');
  assert.equal(stopReason([0.1, 0.2], { generations: 3 }), null);
  assert.equal(stopReason([0.1, 0.2, 0.2], { generations: 9, patience: 2 }), null);
  assert.equal(stopReason([0.1, 0.2, 0.2, 0.15], { generations: 9, patience: 2 }), 'patience');
  assert.equal(stopReason([0.1, 0.2, 0.2, 0.25], { generations: 9, patience: 2 }), null);
  assert.throws(() => evolveOptions({ populationSize: 4, elitism: 4 }), /elitism must be < populationSize/);
  assert.throws(() => evolveOptions({ sigma: [0.2, -1] } as never), /sigma must be ≥ 0/);
});

// A quadratic bowl with its optimum (lr 1e-3, batch 24, wd 0.003, iou 0.5) inside the space.
const bowl = (h: Record<string, number>) =>
  -(
    (Math.log10(h.lr!) + 3) ** 2 / 4 +
    ((h.batch! - 24) / 60) ** 2 +
    ((h.weightDecay! - 0.003) / 0.01) ** 2 +
    ((h.iouThreshold! - 0.5) / 0.5) ** 2
  );
const OPTS = { populationSize: 12, generations: 4, elitism: 2 };
const dir = mkdtempSync(join(tmpdir(), 'evolve-'));
const run = (args: Partial<EvolveArgs>) => evolve({ space: S, options: OPTS, seed: 42, evaluate: bowl, ...args });

test('determinism: the same seed gives the same populations; the best improves on the bowl', async () => {
  const a = await run({});
  const b = await run({});
  assert.deepEqual(a.populations, b.populations);
  assert.equal(a.stoppedBy, 'generations');
  assert.equal(a.populations.length, 4);
  const c = await run({ seed: 43 });
  assert.notDeepEqual(c.populations[0], a.populations[0]);
  const bpg = a.bestPerGeneration;
  for (let g = 1; g < 4; g++) assert.ok(bpg[g]! >= bpg[g - 1]!, `best per generation ${bpg}`);
  assert.ok(bpg[3]! > bpg[0]!, `best per generation ${bpg}`);
  assert.equal(a.best!.fitness, bpg[3]);
  assert.ok(a.reused >= 2 * 3); // elites are not retrained
  assert.equal(a.evaluated + a.reused, 48);
});

test('resume: stopped after 2 generations (or mid-generation) and resumed from the log = one run', async () => {
  const full = join(dir, 'full.jsonl');
  const one = await run({ logPath: full });
  for (const stopAt of [2, 2.5]) {
    const log = join(dir, `resume-${stopAt}.jsonl`);
    const ctl = new AbortController();
    const first = await run({
      logPath: log,
      signal: ctl.signal,
      evaluate: (h, at) => {
        if (at.generation + at.index / OPTS.populationSize >= stopAt - 1 / OPTS.populationSize) ctl.abort();
        return bowl(h);
      },
    });
    assert.equal(first.stoppedBy, 'aborted');
    assert.equal(first.populations.length, Math.ceil(stopAt + 0.01));
    const second = await run({ logPath: log });
    assert.equal(second.stoppedBy, 'generations');
    assert.ok(second.replayed > 0);
    assert.equal(second.evaluated + second.replayed, one.evaluated);
    assert.deepEqual(second.populations, one.populations);
    assert.deepEqual(second.bestPerGeneration, one.bestPerGeneration);
    assert.equal(readFileSync(log, 'utf8'), readFileSync(full, 'utf8'));
  }
  // A finished log replays without any evaluation.
  const again = await run({ logPath: full, evaluate: () => assert.fail('nothing left to evaluate') });
  assert.deepEqual(again.populations, one.populations);
  // Another seed cannot continue this log.
  await assert.rejects(run({ logPath: full, seed: 7 }), (e: Error) => e instanceof ConfigError && /same seed/.test(e.message));
});

test('a failed evaluation costs one candidate: logged with its error, fitness −Infinity on replay', async () => {
  const log = join(dir, 'failed.jsonl');
  const r = await run({
    logPath: log,
    options: { ...OPTS, generations: 2 },
    evaluate: (h, at) => {
      if (at.generation === 0 && at.index === 1) throw new Error('out of memory');
      if (at.generation === 0 && at.index === 2) return NaN;
      return { map50: -bowl(h), map: 0 };
    },
  });
  assert.equal(r.populations[0]![1]!.fitness, -Infinity);
  assert.equal(r.populations[0]![2]!.fitness, -Infinity);
  const recs = readLog(log);
  assert.deepEqual(
    { ...recs[1], genes: undefined },
    { generation: 0, index: 1, genes: undefined, fitness: null, status: 'failed', error: 'out of memory' },
  );
  assert.equal(recs[2]!.error, 'fitness was NaN');
  close(recs[0]!.fitness!, 0.1 * -bowl(toRecord(S, recs[0]!.genes)));
  const state = replay(log);
  assert.equal(state.generations[0]![1]!.fitness, -Infinity);
  assert.equal(state.generations[0]![0]!.fitness, recs[0]!.fitness);
  // A torn last line (killed while writing) is ignored and that evaluation redone.
  const torn = join(dir, 'torn.jsonl');
  writeFileSync(torn, readFileSync(log, 'utf8'));
  appendFileSync(torn, '{"generation":2,"ind');
  assert.equal(readLog(torn).length, recs.length);
  writeFileSync(torn, '{"generation":0}\n');
  assert.throws(() => readLog(torn), /not an evaluation record/);
});
