/**
 * Per-transform cost on 608×608 images, and the YOLOv5 default per-sample chain
 * (HSV + random perspective + flip) against decoding the same images, side by side.
 *
 * Both sides run one image at a time on the main thread (kernels inline, sharp on its
 * own thread for decode and blur), so each figure is the latency of one image with
 * nothing else competing; rounds alternate their order so drift favours neither side.
 */
import { decodeImage } from '../io/decode.ts';
import { indexDataset } from '../io/index.ts';
import { labelsToPixels } from '../io/labels.ts';
import { letterboxKernel } from '../kernels/letterbox.ts';
import { lookupKernel } from '../kernels/registry.ts';
import { runChain, type KernelSample, type TransformSpec } from '../kernels/transform.ts';
import { table } from '../cli/table.ts';
import { alternate, median } from './stats.ts';
import type { BenchContext, BenchSection } from './types.ts';

/** The transforms the table lists, each forced on (p = 1) and at its defaults unless named. */
export type TransformCase = [label: string, spec: TransformSpec<any>];

/** Milliseconds per image of `chain` over `inputs`, one at a time. */
async function chainMs(inputs: KernelSample[], chain: TransformSpec[], round: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < inputs.length; i++) await runChain(inputs[i]!, chain, [round, i], lookupKernel);
  return (performance.now() - t) / inputs.length;
}

/** Milliseconds per image of sharp's decode of `paths`, one at a time. */
async function decodeMs(paths: string[]): Promise<number> {
  const t = performance.now();
  for (const p of paths) await decodeImage(p);
  return (performance.now() - t) / paths.length;
}

/** Decode `count` dataset images with their boxes and letterbox them to 608×608. */
async function inputs608(data: string, count: number): Promise<{ samples: KernelSample[]; paths: string[] }> {
  const index = indexDataset(data);
  const items = index.items.slice(0, count);
  const samples: KernelSample[] = [];
  for (const item of items) {
    const image = await decodeImage(item.path);
    const { labels } = await item.labels();
    const { boxes } = labelsToPixels(labels, image.width, image.height);
    samples.push(letterboxKernel({ image, ...boxes }, { width: 608, height: 608 }));
  }
  return { samples, paths: items.map((i) => i.path) };
}

/**
 * The section: a row per transform (median ms per 608×608 image over the rounds), and
 * `ratios.chain_vs_decode` = median over rounds of (chain ms / decode ms) on the same images.
 */
export function transformsSection(cases: TransformCase[], yolov5Chain: TransformSpec<any>[]) {
  return async (b: BenchContext): Promise<BenchSection> => {
    const { samples, paths } = await inputs608(b.data, 16);
    const rounds = Math.max(5, b.rounds);
    const perCase = cases.map(() => [] as number[]);
    const chainRuns: number[] = [];
    const decodeRuns: number[] = [];
    const ratios: number[] = [];
    // Warm-up: JIT every kernel and sharp's pipeline before anything is timed.
    for (const [, spec] of cases) await chainMs(samples.slice(0, 4), [spec], -1);
    await decodeMs(paths.slice(0, 4));
    for (let r = 0; r < rounds; r++) {
      for (let c = 0; c < cases.length; c++) perCase[c]!.push(await chainMs(samples, [cases[c]![1]], r));
      const [chain, dec] = await alternate(r, () => chainMs(samples, yolov5Chain, r), () => decodeMs(paths));
      chainRuns.push(chain);
      decodeRuns.push(dec);
      ratios.push(chain / dec);
    }
    const ratio = median(ratios);
    const rows: Array<Array<string | number>> = cases.map(([label], c) => [label, median(perCase[c]!)]);
    rows.push(['sharp decode of the same JPEGs (ignoreIcc)', median(decodeRuns)]);
    rows.push(['YOLOv5 chain: hsv() + randomPerspective() + flip()', median(chainRuns)]);
    return {
      table:
        table(['transform (p = 1, 608×608, one image at a time)', `ms/image (median of ${rounds})`], rows) +
        `\nchain_vs_decode = ${ratio.toFixed(2)} (chain ms / decode ms, median over rounds; target ≤ 1.0)`,
      results: [
        ...cases.map(([label], c) => ({ name: `transform_ms:${label}`, value: median(perCase[c]!), unit: 'ms/image' })),
        { name: 'decode_ms', value: median(decodeRuns), unit: 'ms/image' },
        { name: 'yolov5_chain_ms', value: median(chainRuns), unit: 'ms/image' },
      ],
      ratios: { chain_vs_decode: ratio },
    };
  };
}
