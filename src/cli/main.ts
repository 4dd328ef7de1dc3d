#!/usr/bin/env node
/** The `freebies` command line. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.ts';
import { profilePipeline } from './profile.ts';

const USAGE = `freebies <command>

  profile <pipeline file> --data DIR [--batches N] [--json FILE] [--seed N] [--workers N] [--epochs N] [--limit N]
      Run a pipeline, show live progress, print per-stage throughput and the bottleneck.
  bench [--json FILE] [--rounds N]
      Benchmarks on ../shared/datasets/coco128 (or --data DIR): pipeline vs decode-only.
`;

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`--${name} takes a whole number, got "${v}"`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      batches: { type: 'string' },
      json: { type: 'string' },
      seed: { type: 'string' },
      workers: { type: 'string' },
      epochs: { type: 'string' },
      limit: { type: 'string' },
      rounds: { type: 'string' },
      size: { type: 'string' },
      'batch-size': { type: 'string' },
      'no-progress': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (!command || values.help || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command === 'profile') {
    const file = positionals[0];
    if (!file) throw new ConfigError('profile needs a pipeline file: freebies profile pipelines/basic.ts --data DIR');
    if (!values.data) throw new ConfigError('profile needs --data DIR (a YOLO, COCO or VOC dataset)');
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
    await runBench({ json: values.json, rounds: int(values.rounds, 'rounds'), data: values.data, workers: int(values.workers, 'workers') });
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
