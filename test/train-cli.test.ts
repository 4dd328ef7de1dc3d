/**
 * `freebies train` and `freebies evaluate` on a small generated set (red and blue
 * rectangles, YOLO format) with yolov4-tiny-nano at 64 px: a bounded run writes its log and
 * checkpoint and validates at the epoch's end; 2 steps + resume + 2 steps reproduce the
 * losses of 4 straight steps; evaluate reads the checkpoint and writes the JSON report; bad
 * flags exit with code 2 and a message.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { evaluateCommand } from '../src/cli/evaluate.ts';
import { trainCommand, type TrainMetadata, type TrainResult } from '../src/cli/train.ts';
import { readCheckpointMetadata } from '../src/train/checkpoint.ts';
import { REPO } from './helpers.ts';
import { shapesDataset } from './shapes-dataset.ts';

const SIZE = 64;


/**
 * A pipeline file with augmentation (so resume must reproduce random draws) whose targets
 * are YOLOv4's three scales: the train command re-encodes them for tiny's two heads.
 */
function pipelineFile(dir: string): string {
  const file = path.join(dir, 'train-pipeline.ts');
  const index = pathToFileURL(path.join(REPO, 'index.ts')).href;
  fs.writeFileSync(
    file,
    `import { augment, batch, decode, encodeTargets, flip, fromFolder, hsv, letterbox, toTensors } from '${index}';
export default ({ data, seed = 0, epochs = 1, workers, size = 64, batchSize = 4 }) =>
  fromFolder(data, { seed, epochs, workers }).pipe(decode(), letterbox(size), augment(hsv(), flip()), batch(batchSize), encodeTargets(), toTensors());
`,
  );
  return file;
}

/** The same, with Self-Adversarial Training's re-entry point after the batching. */
function satPipelineFile(dir: string): string {
  const file = path.join(dir, 'sat-pipeline.ts');
  const index = pathToFileURL(path.join(REPO, 'index.ts')).href;
  fs.writeFileSync(
    file,
    `import { batch, decode, encodeTargets, fromFolder, letterbox, reinject, toTensors } from '${index}';
export default ({ data, seed = 0, epochs = 1, workers, size = 64, batchSize = 4, targets, adversarial }) =>
  fromFolder(data, { seed, epochs, workers }).pipe(decode(), letterbox(size), batch(batchSize), reinject(adversarial), encodeTargets(targets), toTensors());
`,
  );
  return file;
}

describe('freebies train / evaluate', () => {
  let dir = '';
  let data = '';
  let pipeline = '';
  let straight: TrainResult;
  const base = () => ({ pipeline, data, model: 'yolov4-tiny-nano' as const, epochs: 2, batchSize: 4, size: SIZE, workers: 1, seed: 3, lr: 0.02, progress: false, print: false });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freebies-train-'));
    data = path.join(dir, 'shapes');
    await shapesDataset(data, { size: SIZE, min: 14, max: 28, seed: 7 });
    pipeline = pipelineFile(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a bounded run: 4 steps = one epoch of 16 images in batches of 4, validated, logged and checkpointed', async () => {
    const out = path.join(dir, 'straight');
    straight = await trainCommand({ ...base(), steps: 4, out });
    assert.equal(straight.steps, 4);
    assert.equal(straight.updates, 4);
    assert.equal(straight.epochs, 1, 'the epoch ended with the 4th batch');
    assert.deepEqual(straight.records.map((r) => r.step), [1, 2, 3, 4]);
    assert.ok(straight.records.every((r) => Number.isFinite(r.loss) && r.loss > 0 && r.images === 4 && r.parts.positives! > 0));
    assert.equal(straight.validations.length, 1);
    const v = straight.validations[0]!;
    assert.ok(v.map >= 0 && v.map <= 1 && v.map50 >= v.map75);
    const lines = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number; epoch: number });
    assert.deepEqual(lines.map((l) => l.type), ['step', 'step', 'step', 'step', 'val']);
    assert.deepEqual(lines.map((l) => l.step), [1, 2, 3, 4, 4]);
    // the end-of-run plot: a page with the loss chart drawn from the 4 step records
    const page = fs.readFileSync(straight.plot, 'utf8');
    assert.equal(straight.plot, path.join(out, 'plot.html'));
    assert.match(page, /<svg/);
    assert.match(page, /data-count="4"/);
    const meta = (await readCheckpointMetadata(path.join(out, 'last'))).metadata as TrainMetadata;
    assert.equal(meta.kind, 'freebies-train');
    assert.deepEqual([meta.step, meta.updates, meta.epoch, meta.stepInEpoch, meta.model, meta.seed], [4, 4, 1, 0, 'yolov4-tiny-nano', 3]);
    assert.equal(meta.trainer.schedule?.step, 4);
    // the schedule spans the planned run: 2 epochs × ⌈16 / 4⌉ updates
    assert.equal(meta.options.plannedUpdates, 8);
  });

  it('2 steps, then --resume to step 4, gives the losses and learning rates of 4 straight steps', async () => {
    const out = path.join(dir, 'resumed');
    const first = await trainCommand({ ...base(), steps: 2, out });
    assert.equal(first.steps, 2);
    assert.equal(first.validations.length, 0);
    const meta = (await readCheckpointMetadata(path.join(out, 'last'))).metadata as TrainMetadata;
    assert.deepEqual([meta.step, meta.epoch, meta.stepInEpoch], [2, 0, 2]);
    const second = await trainCommand({ resume: path.join(out, 'last'), steps: 4, progress: false, print: false });
    assert.equal(second.out, out, 'a resumed run writes beside its checkpoint');
    assert.deepEqual(second.records.map((r) => r.step), [3, 4]);
    const losses = [...first.records, ...second.records].map((r) => r.loss);
    straight.records.forEach((r, i) => {
      assert.ok(Math.abs(losses[i]! - r.loss) < 1e-5, `step ${i + 1}: ${losses[i]} vs ${r.loss}`);
    });
    const lrs = [...first.records, ...second.records].map((r) => r.lr);
    assert.deepEqual(lrs, straight.records.map((r) => r.lr));
    for (const k of ['box', 'objectness', 'classes']) {
      const a = second.records[1]!.parts[k];
      const b = straight.records[3]!.parts[k];
      if (a !== undefined) assert.ok(Math.abs(a - b!) < 1e-5, `${k}: ${a} vs ${b}`);
    }
    assert.equal(second.validations.length, 1);
    assert.ok(Math.abs(second.validations[0]!.map - straight.validations[0]!.map) < 1e-4);
    const lines = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number });
    assert.deepEqual(lines.map((l) => `${l.type}${l.step}`), ['step1', 'step2', 'step3', 'step4', 'val4']);
  });

  it('evaluate: the checkpoint scores what training validated, and --json has map, map50, map75, perClass', async () => {
    const json = path.join(dir, 'eval.json');
    const r = await evaluateCommand({ weights: path.join(dir, 'straight', 'last'), data, workers: 1, batchSize: 8, json, print: false });
    assert.equal(r.images, 16);
    const v = straight.validations[0]!;
    assert.ok(Math.abs(r.map - v.map) < 1e-6 && Math.abs(r.map50 - v.map50) < 1e-6, `${r.map} vs ${v.map}`);
    const written = JSON.parse(fs.readFileSync(json, 'utf8')) as Record<string, unknown>;
    for (const k of ['map', 'map50', 'map75', 'perClass']) assert.ok(k in written, k);
    const names = (written.perClass as { name: string; classId: number }[]).map((c) => `${c.classId}:${c.name}`);
    assert.ok(names.every((n) => n === '0:red' || n === '1:blue'), names.join());
  });

  it('--sat fgsm re-injects adversarial samples across epochs, logged and counted; --sat-in-step trains on them at once', async () => {
    const out = path.join(dir, 'sat');
    const r = await trainCommand({ ...base(), pipeline: satPipelineFile(dir), steps: 6, out, sat: { method: 'fgsm', ratio: 0.25, epsilon: 0.03 } });
    assert.equal(r.steps, 6);
    // lag 3: batch j holds what step j − 3 made; one per step (⌊0.25·4/0.75⌋ = 1)
    assert.deepEqual(r.records.map((x) => x.sat!.batchAdversarial), [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(r.records.map((x) => x.images), [4, 4, 4, 5, 5, 5]);
    const last = r.records[5]!.sat!;
    assert.deepEqual([last.made, last.reinjected, last.trained, last.dropped], [6, 3, 3, 0]);
    assert.ok(Number.isFinite(last.lossAdversarial) && Number.isFinite(last.lossClean));
    const logged = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; sat?: { trained: number } });
    assert.equal(logged.filter((l) => l.type === 'step').at(-1)!.sat!.trained, 3);
    // the plot gains a chart of the adversarial and clean losses: 3 points each (steps 4–6)
    const page = fs.readFileSync(r.plot, 'utf8');
    assert.match(page, /data-series="sat-adversarial" data-count="3"/);
    assert.match(page, /data-series="sat-clean" data-count="3"/);
    const meta = (await readCheckpointMetadata(path.join(out, 'last'))).metadata as TrainMetadata;
    assert.equal(meta.options.sat?.method, 'fgsm', 'a resumed run keeps SAT on');

    await assert.rejects(
      trainCommand({ ...base(), steps: 1, out: path.join(dir, 'sat-unwired'), sat: { method: 'fgsm' } }),
      /does not mix adversarial samples back in: put reinject\(adversarial\)/,
    );
    const inStep = await trainCommand({ ...base(), steps: 2, out: path.join(dir, 'sat-in-step'), sat: { method: 'fgsm', inStep: true } });
    assert.deepEqual(inStep.records.map((x) => [x.sat!.batchAdversarial, x.sat!.trained]), [[4, 4], [4, 8]]);
    await assert.rejects(trainCommand({ ...base(), sat: { method: 'pgd' } }), /--sat must be fgsm or darknet/);
  });

  it('--out that holds a run is refused; bad values are ConfigErrors', async () => {
    await assert.rejects(trainCommand({ ...base(), steps: 1, out: path.join(dir, 'straight') }), /already holds a run: pass --resume/);
    await assert.rejects(trainCommand({ ...base(), size: 100 }), /--size must be a multiple of 32/);
    await assert.rejects(trainCommand({ ...base(), steps: 0 }), /--steps must be a whole number ≥ 1/);
    await assert.rejects(trainCommand({ ...base(), model: 'yolov9' as never }), /--model must be one of yolov4, yolov4-tiny/);
  });

  it('the CLI exits 2 with a message for a missing --data, an unknown model and a missing --weights', async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--conditions=freebies-source', '--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, timeout: 60_000 });
    const cases: [string[], RegExp][] = [
      [['train', 'pipelines/yolov4.ts'], /train needs --data DIR/],
      [['train', 'pipelines/yolov4.ts', '--data', data, '--model', 'yolo9'], /--model must be one of yolov4, yolov4-tiny, yolov4-nano, yolov4-tiny-nano/],
      [['evaluate', '--data', data], /evaluate needs --weights DIR/],
      [['train', 'pipelines/yolov4.ts', '--data', data, '--sat-ratio', '0.3'], /--sat-ratio needs --sat fgsm/],
    ];
    await Promise.all(
      cases.map(async ([args, message]) => {
        await assert.rejects(cli(...args), (e: { code?: number; stderr?: string }) => {
          assert.equal(e.code, 2);
          assert.match(e.stderr ?? '', message);
          return true;
        });
      }),
    );
  });
});
