/** Horizontal and vertical flips (SPEC §3): exact, their own inverse. */
import type { Annotated, RawImage } from '../core/types.ts';
import { kernels, stageImage, takeOutput } from '../wasm/index.ts';

/** Mirror pixels left–right (the row loop runs in WebAssembly: assembly/kernels.ts `flipRows`). */
export function flipImageHorizontal(src: RawImage): RawImage {
  const { width, height } = src;
  const k = kernels();
  const { srcPtr, dstPtr } = stageImage(src.data, src.data.length);
  k.flipRows(srcPtr, dstPtr, width, height);
  return { data: takeOutput(dstPtr, src.data.length), width, height };
}

/** Mirror pixels top–bottom. */
export function flipImageVertical(src: RawImage): RawImage {
  const { width, height } = src;
  const out = new Uint8Array(src.data.length);
  const row = width * 3;
  for (let y = 0; y < height; y++) out.set(src.data.subarray(y * row, (y + 1) * row), (height - 1 - y) * row);
  return { data: out, width, height };
}

/** Mirror n×4 voc boxes left–right on an image `width` wide: `x1' = W − x2, x2' = W − x1`. */
export function flipBoxesHorizontal(src: Float32Array, width: number): Float32Array {
  const boxes = new Float32Array(src.length);
  for (let i = 0; i < boxes.length; i += 4) {
    boxes[i] = width - src[i + 2]!;
    boxes[i + 1] = src[i + 1]!;
    boxes[i + 2] = width - src[i]!;
    boxes[i + 3] = src[i + 3]!;
  }
  return boxes;
}

/** Flip a sample; `x1' = W − x2, x2' = W − x1` (and the same on y for vertical). */
export function flipKernel<T extends Annotated>(s: T, direction: 'horizontal' | 'vertical'): T {
  const { width: W, height: H } = s.image;
  if (direction === 'horizontal') return { ...s, image: flipImageHorizontal(s.image), boxes: flipBoxesHorizontal(s.boxes, W) };
  const boxes = new Float32Array(s.boxes.length);
  for (let i = 0; i < boxes.length; i += 4) {
    boxes[i] = s.boxes[i]!;
    boxes[i + 1] = H - s.boxes[i + 3]!;
    boxes[i + 2] = s.boxes[i + 2]!;
    boxes[i + 3] = H - s.boxes[i + 1]!;
  }
  return { ...s, image: flipImageVertical(s.image), boxes };
}
