/**
 * TensorFlow.js backend choice: tfjs-node-gpu > tfjs-node > wasm > cpu. The native
 * packages are optional peer dependencies, loaded only if installed; wasm ships with
 * the package and is what tests and CI use.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** Backend names a user may ask for (`FREEBIES_BACKEND` or `initBackend(name)`). */
export type BackendChoice = 'gpu' | 'node' | 'wasm' | 'cpu';

const ORDER: BackendChoice[] = ['gpu', 'node', 'wasm', 'cpu'];
let chosen: Promise<string> | undefined;

async function tryBackend(choice: BackendChoice): Promise<boolean> {
  try {
    if (choice === 'gpu' || choice === 'node') {
      // Importing the native binding registers its backend ('tensorflow') with tfjs.
      await import(choice === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
      return await tf.setBackend('tensorflow');
    }
    if (choice === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
      wasm.setWasmPaths(dist);
      return await tf.setBackend('wasm');
    }
    return await tf.setBackend('cpu');
  } catch {
    return false;
  }
}

/**
 * Pick and initialise the backend once. `preferred` (or the `FREEBIES_BACKEND`
 * environment variable) starts the search at that backend; later ones are fallbacks.
 * @returns the tfjs backend name in use, e.g. `wasm`.
 */
export function initBackend(preferred?: BackendChoice): Promise<string> {
  chosen ??= (async () => {
    const want = preferred ?? (process.env.FREEBIES_BACKEND as BackendChoice | undefined);
    const start = want && ORDER.includes(want) ? ORDER.indexOf(want) : 0;
    for (const choice of ORDER.slice(start)) {
      if (await tryBackend(choice)) {
        await tf.ready();
        return tf.getBackend();
      }
    }
    throw new Error('no TensorFlow.js backend could be initialised');
  })();
  return chosen;
}
