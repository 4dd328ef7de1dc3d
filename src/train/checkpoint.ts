/**
 * Checkpoints in the TensorFlow.js format, written atomically.
 *
 * A checkpoint is a directory:
 * - `model.json` + `weights.bin` — the LayersModel exactly as tfjs writes it
 *   (`tf.loadLayersModel` reads it once the custom layers of ./models/blocks.ts are
 *   registered; the model's configuration rides along as user-defined metadata);
 * - `optimizer.json` + `optimizer.bin` — the optimizer's class, config and state
 *   (iterations, moments), when one was given;
 * - `state.json` — the caller's JSON metadata (step, schedule state, RNG state …) and the
 *   model's runtime state (DropBlock keep probability and draw counter);
 * - `checkpoint.json` — written last: the size and SHA-256 of every other file. A
 *   directory without it, or whose files disagree with it, is rejected on load.
 *
 * Saving writes everything into a temporary directory beside the target, fsyncs each
 * file and the directory, then swaps it in with renames (the old checkpoint moves to
 * `<dir>.prev`, the new one to `<dir>`, then `.prev` is deleted, and the parent directory is
 * fsynced). A crash at any point leaves a loadable checkpoint: before the swap the old
 * `<dir>` is untouched; between the two renames `<dir>` is missing and
 * {@link loadCheckpoint} falls back to the complete `<dir>.prev`. The next save removes
 * what a crashed one left behind. One writer per checkpoint directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelRuntimeState, restoreRuntimeState, type ModelRuntimeState } from './models/blocks.ts';

/** Format tag of `checkpoint.json`. */
export const CHECKPOINT_FORMAT = 'freebies-checkpoint';
/** Version of the layout; a loader refuses a newer one. */
export const CHECKPOINT_VERSION = 1;

/** A checkpoint that is missing, incomplete or damaged. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(message: string) {
    super(message);
  }
}

/** `checkpoint.json`. */
export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** ISO time of the save. */
  savedAt: string;
  /** Every other file of the checkpoint: bytes and SHA-256 (hex). */
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** The optimizer whose state (iterations, moments) to save with the model. */
  optimizer?: tf.Optimizer;
  /** Any JSON-serialisable value: step, epoch, schedule state, RNG state … */
  metadata?: unknown;
  /**
   * Test hooks, called at the two points where a crash matters: after every file of the
   * new checkpoint is written and synced (before any rename), and after the old
   * checkpoint moved to `<dir>.prev` (before the new one takes its place). A hook that
   * throws aborts the save there and leaves the files as a crash would.
   */
  hooks?: { afterWrite?: (tmpDir: string) => void | Promise<void>; afterBackup?: () => void | Promise<void> };
}

/** What {@link saveCheckpoint} wrote. */
export interface SaveCheckpointResult {
  dir: string;
  /** Bytes of all files. */
  bytes: number;
  manifest: CheckpointManifest;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Rebuild the optimizer and restore its state when the checkpoint has one. Default true. */
  optimizer?: boolean;
  /** Check every file's SHA-256 (default) or only its size. */
  verify?: 'hash' | 'size';
}

/** What {@link loadCheckpoint} read. */
export interface LoadedCheckpoint {
  model: tf.LayersModel;
  /** The optimizer with its state, when one was saved and `optimizer` was not false. */
  optimizer?: tf.Optimizer;
  /** The `metadata` given to {@link saveCheckpoint} (undefined when none). */
  metadata: unknown;
  /** The model's runtime state as saved (already restored on `model`). */
  runtime: ModelRuntimeState;
  manifest: CheckpointManifest;
  /** The directory read: `dir`, or `<dir>.prev` after a save crashed between its renames. */
  dir: string;
  /** True when the checkpoint came from `<dir>.prev`. */
  recovered: boolean;
}

interface OptimizerFile {
  className: string;
  config: tf.serialization.ConfigDict;
  /** Canonical names (model weight names) of the variables, in the optimizer's slot order. */
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

interface StateFile {
  metadata?: unknown;
  runtime: ModelRuntimeState;
}

const MANIFEST = 'checkpoint.json';
const PREV_SUFFIX = '.prev';
const TMP_MARK = '.tmp-';

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Writes `data` to `file` and fsyncs it before closing. */
async function writeSynced(file: string, data: Uint8Array): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of a directory (makes its entries — new files, renames — durable). Best effort where unsupported. */
async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close();
  }
}

function bytesOf(buffer: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(buffer));
}

/** The model's weight name of every variable, by the variable's (process-unique) name. */
function canonicalNames(model: tf.LayersModel): Map<string, string> {
  const map = new Map<string, string>();
  for (const w of model.weights) map.set((w.read() as tf.Variable).name, w.originalName);
  return map;
}

/** Renames `name` = `<variable name><rest>` with `names` (longest matching variable name first). */
function renameSlot(name: string, names: Map<string, string>): string {
  let best = '';
  for (const key of names.keys()) {
    if (key.length > best.length && (name === key || name.startsWith(`${key}/`))) best = key;
  }
  return best ? names.get(best)! + name.slice(best.length) : name;
}

async function optimizerArtifacts(model: tf.LayersModel, optimizer: tf.Optimizer): Promise<{ json: OptimizerFile; data: Uint8Array }> {
  const weights = await optimizer.getWeights();
  const names = canonicalNames(model);
  const named = weights.map((w) => ({ name: renameSlot(w.name, names), tensor: w.tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const className = (optimizer.constructor as unknown as { className?: string }).className ?? optimizer.getClassName();
  return {
    json: { className, config: optimizer.getConfig(), weightsManifest: [{ paths: ['optimizer.bin'], weights: specs }] },
    data: bytesOf(data),
  };
}

/**
 * Saves `model` (and optionally an optimizer's state and JSON metadata) as a checkpoint
 * directory `dir`, atomically (see the module comment). An existing `dir` must be a
 * checkpoint (or empty): anything else is refused rather than replaced.
 */
export async function saveCheckpoint(dir: string, model: tf.LayersModel, options: SaveCheckpointOptions = {}): Promise<SaveCheckpointResult> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  const prev = target + PREV_SUFFIX;
  await fs.mkdir(parent, { recursive: true });
  if (await exists(target)) {
    const entries = await fs.readdir(target);
    if (entries.length > 0 && !entries.includes(MANIFEST) && !entries.includes('model.json')) {
      throw new CheckpointError(`${target} exists and is not a checkpoint: refusing to replace it; pass a new or checkpoint directory`);
    }
  }
  // Leftovers of crashed saves: temporary directories, and a .prev that is redundant now
  // that the target exists (while the target is missing, .prev is the only good copy).
  for (const entry of await fs.readdir(parent)) {
    if (entry.startsWith(base + TMP_MARK)) await fs.rm(path.join(parent, entry), { recursive: true, force: true });
  }

  // Everything that reads tensors happens before any file is touched.
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    captured = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!captured?.weightSpecs || captured.weightData === undefined) throw new CheckpointError(`model '${model.name}' produced no weights to save`);
  const weights = bytesOf(captured.weightData);
  const modelJson = {
    modelTopology: captured.modelTopology,
    format: captured.format ?? 'layers-model',
    generatedBy: captured.generatedBy,
    convertedBy: captured.convertedBy ?? null,
    weightsManifest: [{ paths: ['weights.bin'], weights: captured.weightSpecs }],
    ...(captured.userDefinedMetadata ? { userDefinedMetadata: captured.userDefinedMetadata } : {}),
  };
  const files = new Map<string, Uint8Array>();
  const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  files.set('model.json', text(modelJson));
  files.set('weights.bin', weights);
  if (options.optimizer) {
    const opt = await optimizerArtifacts(model, options.optimizer);
    files.set('optimizer.json', text(opt.json));
    files.set('optimizer.bin', opt.data);
  }
  const state: StateFile = { runtime: modelRuntimeState(model) };
  if (options.metadata !== undefined) state.metadata = options.metadata;
  files.set('state.json', text(state));
  const manifest: CheckpointManifest = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, savedAt: new Date().toISOString(), files: {} };
  for (const [name, data] of files) manifest.files[name] = { bytes: data.byteLength, sha256: sha256(data) };

  const tmp = path.join(parent, `${base}${TMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp);
  try {
    for (const [name, data] of files) await writeSynced(path.join(tmp, name), data);
    // The manifest last: its presence says every file above is complete.
    await writeSynced(path.join(tmp, MANIFEST), text(manifest));
    await syncDir(tmp);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await options.hooks?.afterWrite?.(tmp);

  if (await exists(target)) {
    await fs.rm(prev, { recursive: true, force: true });
    await fs.rename(target, prev);
    await options.hooks?.afterBackup?.();
  }
  await fs.rename(tmp, target);
  await syncDir(parent);
  await fs.rm(prev, { recursive: true, force: true });
  let bytes = 0;
  for (const data of files.values()) bytes += data.byteLength;
  return { dir: target, bytes, manifest };
}

/** Which directory holds the checkpoint of `dir`, or a {@link CheckpointError} saying why none does. */
async function locate(dir: string): Promise<{ dir: string; recovered: boolean }> {
  const target = path.resolve(dir);
  if (await exists(path.join(target, MANIFEST))) return { dir: target, recovered: false };
  const prev = target + PREV_SUFFIX;
  if (!(await exists(target))) {
    if (await exists(path.join(prev, MANIFEST))) return { dir: prev, recovered: true };
    throw new CheckpointError(`no checkpoint at ${target}`);
  }
  throw new CheckpointError(
    `${target} is not a complete checkpoint: ${MANIFEST} is missing, so a save was interrupted before it finished ` +
      `(or the directory was not written by saveCheckpoint); load an earlier checkpoint`,
  );
}

async function readManifest(dir: string): Promise<CheckpointManifest> {
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8')) as CheckpointManifest;
  } catch (e) {
    throw new CheckpointError(`${path.join(dir, MANIFEST)} is unreadable (${(e as Error).message}): the checkpoint is damaged`);
  }
  if (manifest?.format !== CHECKPOINT_FORMAT || typeof manifest.files !== 'object' || manifest.files === null) {
    throw new CheckpointError(`${path.join(dir, MANIFEST)} is not a ${CHECKPOINT_FORMAT} manifest`);
  }
  if (manifest.version > CHECKPOINT_VERSION) {
    throw new CheckpointError(`${dir} is checkpoint version ${manifest.version}; this freebies reads up to ${CHECKPOINT_VERSION}: upgrade freebies`);
  }
  for (const required of ['model.json', 'weights.bin', 'state.json']) {
    if (!manifest.files[required]) throw new CheckpointError(`${path.join(dir, MANIFEST)} lists no ${required}: the checkpoint is damaged`);
  }
  return manifest;
}

/** Reads and checks every file the manifest lists. */
async function readFiles(dir: string, manifest: CheckpointManifest, verify: 'hash' | 'size'): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const [name, expect] of Object.entries(manifest.files)) {
    const file = path.join(dir, name);
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch {
      throw new CheckpointError(`${file} is missing: the checkpoint is damaged (half-written or partly deleted)`);
    }
    if (data.byteLength !== expect.bytes) {
      throw new CheckpointError(`${file} is ${data.byteLength} bytes but ${MANIFEST} records ${expect.bytes}: the checkpoint is damaged (half-written or truncated)`);
    }
    if (verify === 'hash' && sha256(data) !== expect.sha256) {
      throw new CheckpointError(`${file} does not match the SHA-256 in ${MANIFEST}: the checkpoint is damaged`);
    }
    out.set(name, data);
  }
  return out;
}

function arrayBufferOf(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function parseJson<T>(files: Map<string, Buffer>, name: string, dir: string): T {
  try {
    return JSON.parse(files.get(name)!.toString('utf8')) as T;
  } catch (e) {
    throw new CheckpointError(`${path.join(dir, name)} is not valid JSON (${(e as Error).message})`);
  }
}

async function restoreOptimizer(json: OptimizerFile, data: Buffer, model: tf.LayersModel, dir: string): Promise<tf.Optimizer> {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[json.className];
  if (!entry) throw new CheckpointError(`${dir}: optimizer class '${json.className}' is not registered with tfjs; it cannot be rebuilt`);
  const [cls, fromConfig] = entry;
  const optimizer = fromConfig(cls, json.config) as unknown as tf.Optimizer;
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const tensors = tf.io.decodeWeights(arrayBufferOf(data), specs);
  // Slot names carry the model's weight names; give them this process's variable names.
  const runtime = new Map<string, string>();
  for (const w of model.weights) runtime.set(w.originalName, (w.read() as tf.Variable).name);
  const named = specs.map((s) => ({ name: renameSlot(s.name, runtime), tensor: tensors[s.name]! }));
  await optimizer.setWeights(named);
  tf.dispose(Object.values(tensors));
  return optimizer;
}

/**
 * Loads a checkpoint written by {@link saveCheckpoint}: the model (identical weights, so
 * identical outputs), the optimizer with its state, the metadata and the model's runtime
 * state. Throws {@link CheckpointError} with what is wrong when the directory is missing,
 * incomplete (no `checkpoint.json`: a save was interrupted) or damaged (a file missing,
 * of the wrong size or hash). When `dir` is missing but `<dir>.prev` is complete (a save
 * crashed between its two renames) that is loaded, with `recovered: true`.
 */
export async function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<LoadedCheckpoint> {
  const where = await locate(dir);
  const manifest = await readManifest(where.dir);
  const files = await readFiles(where.dir, manifest, options.verify ?? 'hash');
  const modelJson = parseJson<tf.io.ModelJSON>(files, 'model.json', where.dir);
  const manifestPaths = modelJson.weightsManifest?.flatMap((g) => g.paths) ?? [];
  const weightSpecs = modelJson.weightsManifest?.flatMap((g) => g.weights) ?? [];
  const weightData = Buffer.concat(manifestPaths.map((p) => {
    const b = files.get(p);
    if (!b) throw new CheckpointError(`${where.dir}: model.json names ${p}, which ${MANIFEST} does not list`);
    return b;
  }));
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    weightSpecs,
    weightData: arrayBufferOf(weightData),
    userDefinedMetadata: modelJson.userDefinedMetadata,
  };
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const state = parseJson<StateFile>(files, 'state.json', where.dir);
  const runtime = state.runtime ?? { dropBlock: [] };
  restoreRuntimeState(model, runtime);
  let optimizer: tf.Optimizer | undefined;
  if (options.optimizer !== false && files.has('optimizer.json') && files.has('optimizer.bin')) {
    optimizer = await restoreOptimizer(parseJson<OptimizerFile>(files, 'optimizer.json', where.dir), files.get('optimizer.bin')!, model, where.dir);
  }
  return { model, optimizer, metadata: state.metadata, runtime, manifest, dir: where.dir, recovered: where.recovered };
}

/** The metadata and manifest of a checkpoint without loading the model (files are checked the same way). */
export async function readCheckpointMetadata(dir: string, options: Pick<LoadCheckpointOptions, 'verify'> = {}): Promise<{ metadata: unknown; manifest: CheckpointManifest; dir: string; recovered: boolean }> {
  const where = await locate(dir);
  const manifest = await readManifest(where.dir);
  const files = await readFiles(where.dir, manifest, options.verify ?? 'hash');
  const state = parseJson<StateFile>(files, 'state.json', where.dir);
  return { metadata: state.metadata, manifest, dir: where.dir, recovered: where.recovered };
}
