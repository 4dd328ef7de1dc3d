/** The WebAssembly kernels: the committed module is the one assembly/kernels.ts compiles to, and memory grows on demand. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { bytes, kernels, stageImage, IMAGES } from '../src/wasm/index.ts';
import { flipImageHorizontal } from '../src/kernels/flip.ts';
import { REPO } from './helpers.ts';

describe('wasm kernels', () => {
  it('src/wasm/kernels.wasm.ts is up to date with assembly/kernels.ts', () => {
    // exits 1 with a message when stale; throws here then
    execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: REPO, stdio: 'pipe' });
  });

  it('grows its memory for a large image and flips it exactly', () => {
    const width = 3001;
    const height = 701;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const out = flipImageHorizontal({ data, width, height });
    assert.ok(kernels().memory.buffer.byteLength >= IMAGES + 2 * data.length);
    for (const [x, y] of [[0, 0], [width - 1, 0], [1234, 567], [width - 1, height - 1]] as const) {
      for (let c = 0; c < 3; c++) assert.equal(out.data[(y * width + (width - 1 - x)) * 3 + c], data[(y * width + x) * 3 + c]);
    }
    // the result is the caller's own copy, not a view of the wasm memory
    assert.notEqual(out.data.buffer, kernels().memory.buffer);
    const { srcPtr } = stageImage(Uint8Array.of(1, 2, 3), 3);
    assert.deepEqual(Array.from(bytes().subarray(srcPtr, srcPtr + 3)), [1, 2, 3]);
  });
});
