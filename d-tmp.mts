import { augment, decode, dynamicBatch, encodeTargets, flip, fromFolder, hsv, mixup, mosaic, prefetch, randomShapes, smoothLabels, toTensors } from './index.ts';
const p = fromFolder('/work/shared/datasets/coco128', { seed: 0, epochs: 2, workers: 2 }).pipe(
  randomShapes({ sizes: [608], every: 10 }), decode(), mosaic(), mixup({ p: 0.1 }), augment(hsv(), flip()),
  dynamicBatch({ base: 16 }), smoothLabels({ epsilon: 0.1, mode: 'binary' }), encodeTargets({ rule: 'iou-threshold', iouThreshold: 0.213 }), toTensors(), prefetch(2));
const c0 = process.cpuUsage(); const t0 = performance.now(); let n = 0;
for await (const b of p) { n += (b as any).size; (b as any).dispose(); }
const c = process.cpuUsage(c0);
console.log('samples', n, 'wall s', ((performance.now() - t0) / 1000).toFixed(1), 'cpu ms/sample', ((c.user + c.system) / 1000 / n).toFixed(1));
console.log(JSON.stringify(p.report().stages.map((s) => [s.name, Math.round(s.workMs / n * 10) / 10])));
