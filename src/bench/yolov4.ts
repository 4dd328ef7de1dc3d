/**
 * The full YOLOv4 pipeline at 608 on the benchmark data — decode (fitted to 608) → mosaic
 * (with random perspective) → mixup 0.1 → hsv + flip → batch 16 → tensors — against sharp's
 * decode-only of the same files, side by side in one process, alternating which runs first.
 * Also the decodes per output sample and the CPU time of the whole process (every thread)
 * per output sample.
 */
import os from 'node:os';
import { augment } from '../../operators/augment.ts';
import { batch } from '../../operators/batch.ts';
import { decode } from '../../operators/decode.ts';
import { mixup } from '../../operators/mixup.ts';
import { mosaic } from '../../operators/mosaic.ts';
import { toTensors } from '../../operators/to-tensors.ts';
import { flip } from '../transforms/flip.ts';
import { hsv } from '../transforms/hsv.ts';
import { indexDataset } from '../io/index.ts';
import { fromDataset } from '../stream/sources.ts';
import { initBackend } from '../tensor/backend.ts';
import { table } from '../cli/table.ts';
import { decodeAll } from './pipeline-vs-decode.ts';
import { alternate, median, measure } from './stats.ts';
import type { BenchContext, BenchSection } from './types.ts';

export async function yolov4VsDecode(b: BenchContext): Promise<BenchSection> {
  const index = indexDataset(b.data);
  const paths = index.items.map((i) => i.path);
  const concurrency = 2 * os.availableParallelism();
  await initBackend();
  const outRates: number[] = [];
  const decodeRates: number[] = [];
  const ratios: number[] = [];
  const cpuPerOutput: number[] = [];
  let decodesPerOutput = NaN;
  const runPipeline = async (): Promise<number> => {
    const p = fromDataset(index, { workers: b.workers, shuffle: true, seed: 0 }).pipe(
      decode({ concurrency }),
      mosaic({ size: 608 }),
      mixup({ p: 0.1 }),
      augment(hsv(), flip()),
      batch(16),
      toTensors(),
    );
    let outputs = 0;
    for await (const x of p) {
      outputs += x.size;
      x.dispose();
    }
    const decoded = p.report().stages.find((s) => s.name === 'decode')!.items;
    decodesPerOutput = decoded / outputs;
    return outputs;
  };
  // Warm-up of both sides: page cache, JIT, worker start-up.
  await decodeAll(paths, concurrency);
  await runPipeline();
  const decodeRate = async () => paths.length / ((await measure(() => decodeAll(paths, concurrency))).wallMs / 1000);
  const pipelineRate = async () => {
    let outputs = 0;
    const m = await measure(async () => void (outputs = await runPipeline()));
    cpuPerOutput.push(m.cpuMs / outputs);
    return outputs / (m.wallMs / 1000);
  };
  for (let r = 0; r < b.rounds; r++) {
    const [a, p] = await alternate(r, decodeRate, pipelineRate);
    decodeRates.push(a);
    outRates.push(p);
    ratios.push(p / a);
  }
  const ratio = median(ratios);
  const cpu = median(cpuPerOutput);
  return {
    table: table(
      ['benchmark', `median of ${b.rounds}`],
      [
        ['a: sharp decode only (images/s)', median(decodeRates)],
        ['b: YOLOv4 pipeline at 608: mosaic + mixup 0.1 + hsv + perspective + flip + batch 16 + tensors (samples/s)', median(outRates)],
        ['ratio b/a (target ≥ 0.7)', ratio],
        ['decodes per output sample', decodesPerOutput],
        ['CPU ms per output sample, whole process (target ≤ 15)', cpu],
      ],
    ),
    results: [
      { name: 'yolov4_decode_only', value: median(decodeRates), unit: 'images/s' },
      { name: 'yolov4_pipeline_608', value: median(outRates), unit: 'samples/s' },
    ],
    ratios: { yolov4_vs_decode: ratio, decodes_per_output: decodesPerOutput, cpu_ms_per_output: cpu },
  };
}
