#!/usr/bin/env node
/** The `freebies` command line. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../core/errors.ts';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

const USAGE = `freebies <command>

  profile <pipeline file> --data DIR [--batches N] [--json FILE] [--seed N] [--workers N] [--epochs N] [--limit N]
      Run a pipeline, show live progress, print per-stage throughput and the bottleneck.
  bench [--json FILE] [--rounds N] [--only SECTION]
      Benchmarks on ../shared/datasets/coco128 (or --data DIR): pipeline vs decode-only.
  preview <pipeline file> --data DIR --out FILE.png [--n 16] [--seed N] [--epoch N] [--cell PX]
          [--workers N] [--size N] [--batch-size N] [--limit N]
      Draw the first n samples the pipeline yields (boxes and class names) into one PNG grid.
  train <pipeline file> --data DIR [--model yolov4-tiny] [--epochs N] [--steps N] [--batch-size 16] [--micro-batch M]
        [--size 608] [--workers N] [--seed 0] [--lr 0.01] [--weight-decay 5e-4] [--momentum 0.937]
        [--iou-threshold 0.213] [--out runs/train] [--val-data DIR] [--no-progress]
        [--sat fgsm|darknet [--sat-epsilon 0.008] [--sat-ratio 0.25] [--sat-steps 1] [--sat-in-step]
         [--sat-lr 1] [--sat-p P] [--sat-burn-in UPDATES] [--sat-queue 256]]
  train --resume OUT/last [--steps N] [--epochs N]
      Train a model (yolov4 | yolov4-tiny | yolov4-nano | yolov4-tiny-nano) from the pipeline's batches:
      live progress, OUT/log.jsonl, a checkpoint at OUT/last after every epoch (and at the end of a
      --steps run), validation mAP after every epoch. --steps counts from the start of the run.
  evaluate --weights DIR --data DIR [--size N] [--batch-size 16] [--workers N] [--json FILE]
      mAP@.5:.95, mAP@.5, mAP@.75 and per-class AP of a checkpoint on a dataset.
  evolve <pipeline file> --data DIR [--val-data DIR] [--generations 10] [--population 16] [--patience N]
         [--space FILE.json] [--seed 0] [--model yolov4-tiny-nano] [--size 320] [--steps 100 | --epochs N]
         [--workers N] [--out runs/evolve] [--concurrency CORES] [--queue redis://HOST:PORT [--name Q]]
         [--micro-batch 16] [--runner MODULE] [--keep] [--no-baseline] [--no-progress]
  evolve --out OUT
      Genetic search of hyperparameters (default space: lr, batch, weightDecay, iouThreshold; --space
      or the pipeline's exported searchSpace adds any augmentation gain): each candidate trains
      briefly in a child process of its own (--concurrency at once) or on queue workers, scored by
      0.1·mAP@.5 + 0.9·mAP@.5:.95 on --val-data. Writes OUT/evolve.jsonl, OUT/best.json,
      OUT/fitness.html and .png; an OUT that holds a search resumes it (same options).
  worker --queue redis://HOST:PORT [--name freebies-evolve] [--concurrency 1]
      Evaluate the candidates of \`freebies evolve --queue\` searches (shared paths) until Ctrl-C.
`;

/** Options of profile and bench (one set shared by both). */
const RUN_OPTIONS = {
  data: { type: 'string' },
  batches: { type: 'string' },
  json: { type: 'string' },
  seed: { type: 'string' },
  workers: { type: 'string' },
  epochs: { type: 'string' },
  limit: { type: 'string' },
  rounds: { type: 'string' },
  only: { type: 'string' },
  size: { type: 'string' },
  'batch-size': { type: 'string' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsOptionsConfig;

const PREVIEW_OPTIONS = {
  data: { type: 'string' },
  out: { type: 'string' },
  n: { type: 'string' },
  seed: { type: 'string' },
  epoch: { type: 'string' },
  cell: { type: 'string' },
  workers: { type: 'string' },
  size: { type: 'string' },
  'batch-size': { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsOptionsConfig;

const TRAIN_OPTIONS = {
  data: { type: 'string' },
  model: { type: 'string' },
  epochs: { type: 'string' },
  steps: { type: 'string' },
  'batch-size': { type: 'string' },
  'micro-batch': { type: 'string' },
  size: { type: 'string' },
  workers: { type: 'string' },
  seed: { type: 'string' },
  lr: { type: 'string' },
  'weight-decay': { type: 'string' },
  momentum: { type: 'string' },
  'iou-threshold': { type: 'string' },
  sat: { type: 'string' },
  'sat-epsilon': { type: 'string' },
  'sat-ratio': { type: 'string' },
  'sat-steps': { type: 'string' },
  'sat-in-step': { type: 'boolean' },
  'sat-lr': { type: 'string' },
  'sat-p': { type: 'string' },
  'sat-burn-in': { type: 'string' },
  'sat-queue': { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  'val-data': { type: 'string' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsOptionsConfig;

const EVALUATE_OPTIONS = {
  weights: { type: 'string' },
  data: { type: 'string' },
  size: { type: 'string' },
  'batch-size': { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsOptionsConfig;

const EVOLVE_OPTIONS = {
  data: { type: 'string' },
  'val-data': { type: 'string' },
  generations: { type: 'string' },
  population: { type: 'string' },
  patience: { type: 'string' },
  space: { type: 'string' },
  seed: { type: 'string' },
  model: { type: 'string' },
  size: { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  workers: { type: 'string' },
  out: { type: 'string' },
  concurrency: { type: 'string' },
  queue: { type: 'string' },
  name: { type: 'string' },
  runner: { type: 'string' },
  keep: { type: 'boolean' },
  'micro-batch': { type: 'string' },
  'no-baseline': { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsOptionsConfig;

const WORKER_OPTIONS = {
  queue: { type: 'string' },
  name: { type: 'string' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsOptionsConfig;

const MODELS = ['yolov4', 'yolov4-tiny', 'yolov4-nano', 'yolov4-tiny-nano'] as const;

/** parseArgs, with its errors (unknown option, missing value) turned into a ConfigError that lists the options. */
function parse<O extends ParseArgsOptionsConfig>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, allowPositionals: true, options });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!e.code?.startsWith('ERR_PARSE_ARGS')) throw err;
    const known = Object.keys(options).map((k) => `--${k}`).join(', ');
    const unknown = /'(-[^']*)'/.exec(e.message)?.[1];
    const what =
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown
        ? `unknown option ${unknown}`
        : e.message.replace(/\.?\s*$/, '');
    throw new ConfigError(`${command || 'freebies'}: ${what}; it takes ${known}`);
  }
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`--${name} takes a whole number, got "${v}"`);
  return n;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`--${name} takes a number, got "${v}"`);
  return n;
}

/** The `--sat*` flags of train as TrainOptions.sat (undefined without `--sat`). */
function satOptions(v: Record<string, string | boolean | undefined>) {
  const given = Object.keys(v).filter((k) => k.startsWith('sat-') && v[k] !== undefined);
  if (v.sat === undefined) {
    if (given.length) throw new ConfigError(`--${given[0]} needs --sat fgsm (or --sat darknet)`);
    return undefined;
  }
  const str = (k: string) => v[k] as string | undefined;
  return {
    method: v.sat as string,
    epsilon: num(str('sat-epsilon'), 'sat-epsilon'),
    ratio: num(str('sat-ratio'), 'sat-ratio'),
    steps: int(str('sat-steps'), 'sat-steps'),
    inStep: v['sat-in-step'] === true ? true : undefined,
    lr: num(str('sat-lr'), 'sat-lr'),
    p: num(str('sat-p'), 'sat-p'),
    burnIn: int(str('sat-burn-in'), 'sat-burn-in'),
    queue: int(str('sat-queue'), 'sat-queue'),
  };
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'train') {
    const { values: v, positionals: files } = parse(command, rest, TRAIN_OPTIONS);
    if (v.help) {
      process.stdout.write(USAGE);
      return;
    }
    if (files.length > 1) throw new ConfigError(`train takes one pipeline file, got ${files.length}: ${files.join(' ')}`);
    if (!v.resume && !files[0]) throw new ConfigError('train needs a pipeline file: freebies train pipelines/yolov4.ts --data DIR (or --resume OUT/last)');
    if (!v.resume && !v.data) throw new ConfigError('train needs --data DIR (a YOLO, COCO or VOC dataset), or --resume OUT/last');
    if (v.model !== undefined && !(MODELS as readonly string[]).includes(v.model)) {
      throw new ConfigError(`--model must be one of ${MODELS.join(', ')}, got "${v.model}"`);
    }
    const options = {
      pipeline: files[0],
      data: v.data,
      model: v.model as (typeof MODELS)[number] | undefined,
      epochs: int(v.epochs, 'epochs'),
      steps: int(v.steps, 'steps'),
      batchSize: int(v['batch-size'], 'batch-size'),
      microBatch: int(v['micro-batch'], 'micro-batch'),
      size: int(v.size, 'size'),
      workers: int(v.workers, 'workers'),
      seed: int(v.seed, 'seed'),
      lr: num(v.lr, 'lr'),
      weightDecay: num(v['weight-decay'], 'weight-decay'),
      momentum: num(v.momentum, 'momentum'),
      iouThreshold: num(v['iou-threshold'], 'iou-threshold'),
      sat: satOptions(v),
      out: v.out,
      resume: v.resume,
      valData: v['val-data'],
      progress: !v['no-progress'],
    };
    const { checkTrainOptions, trainCommand } = await import('./train.ts');
    checkTrainOptions(options);
    await trainCommand(options);
    return;
  }
  if (command === 'evolve') {
    const { values: v, positionals: files } = parse(command, rest, EVOLVE_OPTIONS);
    if (v.help) {
      process.stdout.write(USAGE);
      return;
    }
    if (files.length > 1) throw new ConfigError(`evolve takes one pipeline file, got ${files.length}: ${files.join(' ')}`);
    if (v.model !== undefined && !(MODELS as readonly string[]).includes(v.model)) {
      throw new ConfigError(`--model must be one of ${MODELS.join(', ')}, got "${v.model}"`);
    }
    // Ctrl-C stops the search (running candidates are killed, not logged); a second one exits at once.
    const stop = new AbortController();
    process.once('SIGINT', () => {
      process.stderr.write('\nfreebies: stopping the search (Ctrl-C again to quit at once)\n');
      stop.abort();
    });
    const options = {
      pipeline: files[0],
      data: v.data,
      valData: v['val-data'],
      generations: int(v.generations, 'generations'),
      population: int(v.population, 'population'),
      patience: int(v.patience, 'patience'),
      space: v.space,
      seed: int(v.seed, 'seed'),
      model: v.model as (typeof MODELS)[number] | undefined,
      size: int(v.size, 'size'),
      steps: int(v.steps, 'steps'),
      epochs: int(v.epochs, 'epochs'),
      workers: int(v.workers, 'workers'),
      out: v.out,
      concurrency: int(v.concurrency, 'concurrency'),
      queue: v.queue,
      name: v.name,
      runner: v.runner,
      keep: v.keep === true,
      microBatch: int(v['micro-batch'], 'micro-batch'),
      baseline: !v['no-baseline'],
      progress: !v['no-progress'],
      signal: stop.signal,
    };
    const { checkEvolveOptions, evolveCommand } = await import('./evolve.ts');
    checkEvolveOptions(options);
    const { result } = await evolveCommand(options);
    if (result.stoppedBy === 'aborted') process.exit(130);
    return;
  }
  if (command === 'worker') {
    const { values: v, positionals } = parse(command, rest, WORKER_OPTIONS);
    if (v.help) {
      process.stdout.write(USAGE);
      return;
    }
    if (positionals.length) throw new ConfigError(`worker takes no positional arguments, got ${positionals.join(' ')}; pass --queue redis://HOST:PORT`);
    if (!v.queue) throw new ConfigError('worker needs --queue redis://HOST:PORT: the Redis server of the searches to work for');
    const concurrency = int(v.concurrency, 'concurrency');
    if (concurrency !== undefined && concurrency < 1) throw new ConfigError(`--concurrency must be a whole number ≥ 1, got ${concurrency}`);
    const { workerCommand } = await import('./worker.ts');
    await workerCommand({ queue: v.queue, name: v.name, concurrency });
    return;
  }
  if (command === 'evaluate') {
    const { values: v, positionals } = parse(command, rest, EVALUATE_OPTIONS);
    if (v.help) {
      process.stdout.write(USAGE);
      return;
    }
    if (positionals.length) throw new ConfigError(`evaluate takes no positional arguments, got ${positionals.join(' ')}; pass --weights DIR --data DIR`);
    if (!v.weights) throw new ConfigError('evaluate needs --weights DIR: a checkpoint folder such as runs/train/last');
    if (!v.data) throw new ConfigError('evaluate needs --data DIR (a YOLO, COCO or VOC dataset)');
    const options = {
      weights: v.weights,
      data: v.data,
      size: int(v.size, 'size'),
      batchSize: int(v['batch-size'], 'batch-size'),
      workers: int(v.workers, 'workers'),
      json: v.json,
    };
    const { checkEvaluateOptions, evaluateCommand } = await import('./evaluate.ts');
    checkEvaluateOptions(options);
    await evaluateCommand(options);
    return;
  }
  if (command === 'preview') {
    const { values: v, positionals: files } = parse(command, rest, PREVIEW_OPTIONS);
    if (v.help) {
      process.stdout.write(USAGE);
      return;
    }
    const file = files[0];
    if (!file) throw new ConfigError('preview needs a pipeline file: freebies preview pipelines/basic.ts --data DIR --out grid.png');
    if (files.length > 1) throw new ConfigError(`preview takes one pipeline file, got ${files.length}: ${files.join(' ')}`);
    if (!v.data) throw new ConfigError('preview needs --data DIR (a YOLO, COCO or VOC dataset)');
    if (!v.out) throw new ConfigError('preview needs --out FILE.png: where to write the grid');
    // Loaded on demand (like profile and bench), so argument mistakes are reported without loading tfjs and sharp.
    const { formatPreview, previewPipeline } = await import('./preview.ts');
    const result = await previewPipeline(file, {
      data: v.data,
      out: v.out,
      n: int(v.n, 'n'),
      seed: int(v.seed, 'seed'),
      epoch: int(v.epoch, 'epoch'),
      maxCell: int(v.cell, 'cell'),
      workers: int(v.workers, 'workers'),
      size: int(v.size, 'size'),
      batchSize: int(v['batch-size'], 'batch-size'),
      limit: int(v.limit, 'limit'),
    });
    process.stdout.write(formatPreview(result) + '\n');
    return;
  }
  const { values, positionals } = parse(command ?? '', rest, RUN_OPTIONS);
  if (!command || values.help || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  if (command === 'profile') {
    const file = positionals[0];
    if (!file) throw new ConfigError('profile needs a pipeline file: freebies profile pipelines/basic.ts --data DIR');
    if (!values.data) throw new ConfigError('profile needs --data DIR (a YOLO, COCO or VOC dataset)');
    const { profilePipeline } = await import('./profile.ts');
    await profilePipeline(file, {
      data: values.data,
      batches: int(values.batches, 'batches'),
      json: values.json,
      seed: int(values.seed, 'seed'),
      workers: int(values.workers, 'workers'),
      epochs: int(values.epochs, 'epochs'),
      limit: int(values.limit, 'limit'),
      size: int(values.size, 'size'),
      batchSize: int(values['batch-size'], 'batch-size'),
      progress: !values['no-progress'],
    });
    return;
  }
  if (command === 'bench') {
    const { runBench } = await import('./bench.ts');
    await runBench({ json: values.json, only: values.only, rounds: int(values.rounds, 'rounds'), data: values.data, workers: int(values.workers, 'workers') });
    return;
  }
  throw new ConfigError(`unknown command "${command}"\n\n${USAGE}`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof ConfigError || (err as Error)?.name === 'ConfigError') {
      process.stderr.write(`freebies: ${(err as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`freebies: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
