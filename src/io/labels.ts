/** Labels as read by a source, turned into the pipeline's pixel boxes. */
import type { Annotated, LabelSet } from '../core/types.ts';

/**
 * Scale normalised boxes to pixels, clip every box to the image and drop those with
 * nothing left; `dropped` names each dropped box for the skip report.
 */
export function labelsToPixels(
  labels: LabelSet,
  width: number,
  height: number,
): { boxes: Pick<Annotated, 'boxes' | 'classes' | 'weights' | 'flags'>; dropped: string[] } {
  const n = labels.classes.length;
  const sx = labels.normalized ? width : 1;
  const sy = labels.normalized ? height : 1;
  const boxes = new Float32Array(n * 4);
  const classes = new Int32Array(n);
  const flags = new Uint8Array(n);
  const dropped: string[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    const x1 = Math.min(Math.max(labels.boxes[i * 4]! * sx, 0), width);
    const y1 = Math.min(Math.max(labels.boxes[i * 4 + 1]! * sy, 0), height);
    const x2 = Math.min(Math.max(labels.boxes[i * 4 + 2]! * sx, 0), width);
    const y2 = Math.min(Math.max(labels.boxes[i * 4 + 3]! * sy, 0), height);
    if (!(x2 > x1 && y2 > y1)) {
      dropped.push(`box outside the image: box ${i} has no area inside ${width}×${height} after clipping`);
      continue;
    }
    boxes.set([x1, y1, x2, y2], k * 4);
    classes[k] = labels.classes[i]!;
    flags[k] = labels.flags[i]!;
    k++;
  }
  return {
    boxes: {
      boxes: boxes.slice(0, k * 4),
      classes: classes.slice(0, k),
      weights: new Float32Array(k).fill(1),
      flags: flags.slice(0, k),
    },
    dropped,
  };
}
