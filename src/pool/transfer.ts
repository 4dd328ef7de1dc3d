/**
 * Moving samples between threads without copying pixels: every typed array of a
 * sample is given its own ArrayBuffer (copied only when it is a view into a larger
 * or shared one) and the buffers go in the transfer list.
 */
import type { Annotated } from '../core/types.ts';

type Typed = Uint8Array | Int32Array | Float32Array;

/** Make `a` own its whole ArrayBuffer, so transferring it cannot detach unrelated memory. */
export function owned<T extends Typed>(a: T): T {
  if (a.byteOffset === 0 && a.buffer.byteLength === a.byteLength && !(a.buffer instanceof SharedArrayBuffer)) return a;
  return a.slice() as T;
}

/** Normalise a sample's arrays in place and return the buffers to transfer. */
export function prepareTransfer(s: Annotated): ArrayBuffer[] {
  s.image.data = owned(s.image.data);
  s.boxes = owned(s.boxes);
  s.classes = owned(s.classes);
  s.weights = owned(s.weights);
  s.flags = owned(s.flags);
  const list = [s.image.data.buffer, s.boxes.buffer, s.classes.buffer, s.weights.buffer, s.flags.buffer] as ArrayBuffer[];
  // Empty arrays may share a zero-length buffer; each buffer may be listed only once.
  return [...new Set(list)];
}
