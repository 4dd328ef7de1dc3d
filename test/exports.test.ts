/**
 * The published entry point: `import('freebies')` in a plain node process (no tsx, no
 * `freebies-source` condition) must resolve through package.json `exports` to the
 * built dist/ and give the documented numbers. dist/ is built by `npm run build`
 * (and by `npm ci`, through the prepare script).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const BUILD_HINT = 'run `npm run build` first (npm ci runs it through the prepare script)';

/** The child's program: report what the built package gives, as JSON on stdout. */
const program = `
const m = await import('freebies');
const out = {
  resolved: import.meta.resolve('freebies'),
  types: { convertBoxes: typeof m.convertBoxes, letterboxParams: typeof m.letterboxParams },
};
if (typeof m.convertBoxes === 'function') {
  out.voc = m.convertBoxes([[0.5, 0.5, 0.2, 0.4]], 'yolo', 'voc', { width: 640, height: 480 });
  out.coco = m.convertBoxes([[0.5, 0.5, 0.2, 0.4]], 'yolo', 'coco', { width: 640, height: 480 });
}
if (typeof m.letterboxParams === 'function') {
  out.letterbox = m.letterboxParams({ width: 640, height: 480 }, { width: 608, height: 608 });
}
out.more = {
  boxCandidates: m.boxCandidates([[0, 0, 10, 10], [0, 0, 10, 10]], [[0, 0, 10, 10], [0, 0, 10, 1]]),
  smoothLabels: m.smoothLabels([0, 0, 1, 0, 0], { epsilon: 0.1, mode: 'categorical' }),
  assignAnchors: m.assignAnchors({ cx: 100, cy: 100, w: 40, h: 28 }, {
    rule: 'best', anchors: m.YOLOV4_ANCHORS, masks: m.YOLOV4_MASKS, strides: m.YOLOV4_STRIDES, inputSize: 608,
  }),
};
const q = await import('freebies/queue');
out.queue = { resolved: import.meta.resolve('freebies/queue'), createQueueEvaluator: typeof q.createQueueEvaluator, jobId: q.candidateJobId({ generation: 1, index: 2, hyperparameters: { lr: 0.01 } }).slice(0, 6) };
out.sat = { reinject: typeof m.reinject, AdversarialSink: typeof m.AdversarialSink, evolveCommand: typeof m.evolveCommand };
process.stdout.write(JSON.stringify(out));
`;

interface ChildReport {
  resolved: string;
  types: { convertBoxes: string; letterboxParams: string };
  voc?: number[][];
  coco?: number[][];
  letterbox?: Record<string, number>;
  more: { boxCandidates: boolean[]; smoothLabels: number[]; assignAnchors: { layer: number; anchor: number; cellX: number; cellY: number }[] };
  queue: { resolved: string; createQueueEvaluator: string; jobId: string };
  sat: Record<string, string>;
}

/** Runs {@link program} in a plain node from the repository root. */
function runPlainNode(): ChildReport {
  const env = { ...process.env };
  // Nothing of this test process's loader setup may leak into the child.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.error, undefined, `could not run node: ${r.error?.message}`);
  if (r.status !== 0) {
    const missingDist = /ERR_MODULE_NOT_FOUND|Cannot find module/.test(r.stderr) && /dist/.test(r.stderr);
    assert.fail(
      missingDist
        ? `import('freebies') could not load dist/: ${BUILD_HINT}.\n${r.stderr}`
        : `import('freebies') failed (exit ${r.status}, signal ${r.signal}):\n${r.stderr}`,
    );
  }
  try {
    return JSON.parse(r.stdout) as ChildReport;
  } catch {
    return assert.fail(`the child printed no JSON report:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

describe("import('freebies') from the built package", () => {
  it('loads dist/ through package.json exports and gives the documented numbers', () => {
    const entry = path.join(repoRoot, 'dist', 'index.js');
    assert.ok(fs.existsSync(entry), `dist/index.js is missing: ${BUILD_HINT}`);

    const out = runPlainNode();
    // The default export condition, not the freebies-source one (which would be index.ts).
    assert.equal(fileURLToPath(out.resolved), entry, `resolved to ${out.resolved}`);
    assert.deepEqual(out.types, { convertBoxes: 'function', letterboxParams: 'function' });

    // yolo cx,cy,w,h = 0.5,0.5,0.2,0.4 on 640×480: x 320 ± 64, y 240 ± 96.
    assert.deepEqual(out.voc, [[256, 144, 384, 336]]);
    assert.deepEqual(out.coco, [[256, 144, 128, 192]]);

    // 640×480 into 608×608: ratio min(608/480, 608/640) = 0.95 → 608×456, 152 rows of
    // padding split 76 / 76.
    assert.deepEqual(out.letterbox, {
      ratio: 0.95,
      width: 608,
      height: 456,
      padTop: 76,
      padBottom: 76,
      padLeft: 0,
      padRight: 0,
    });

    // SPEC §14: a 10×1 survivor is degenerate (h ≤ 2 px); smoothing C=5, α=0.1 → 0.92 / 0.02;
    // a 40×28 box is exactly YOLOv4's third anchor: layer 0, cell ⌊100/8⌋ = 12.
    assert.deepEqual(out.more.boxCandidates, [true, false]);
    const expected = [0.02, 0.02, 0.92, 0.02, 0.02];
    out.more.smoothLabels.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-12, `${v}`));
    assert.deepEqual(out.more.assignAnchors, [{ layer: 0, anchor: 2, cellX: 12, cellY: 12 }]);

    // The BullMQ evaluator is its own entry (importing freebies loads no Redis client).
    assert.equal(fileURLToPath(out.queue.resolved), path.join(repoRoot, 'dist', 'src', 'evolve', 'queue.js'));
    assert.deepEqual(out.queue, { ...out.queue, createQueueEvaluator: 'function', jobId: 'g1-i2-' });
    assert.deepEqual(out.sat, { reinject: 'function', AdversarialSink: 'function', evolveCommand: 'function' });
  });
});
