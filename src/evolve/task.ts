/**
 * What one candidate of a hyperparameter search is, as plain JSON: it crosses to child
 * processes and to job queues (BullMQ), so it names files by absolute path and carries
 * nothing that does not survive `JSON.stringify`.
 */
import type { ModelName } from '../train/models/index.ts';

/** One candidate's short training and validation (SPEC §12). */
export interface CandidateTask {
  /** Where the candidate sits in the search (its log key). */
  generation: number;
  index: number;
  /**
   * The candidate's hyperparameters by gene name. `lr`, `batch`, `weightDecay`, `momentum`
   * and `iouThreshold` set the training run; every one (those included) is also handed to
   * the pipeline file as `hyperparameters`, so augmentation gains (e.g. `hsv_s`) reach it.
   */
  hyperparameters: Record<string, number>;
  /** The training pipeline file, absolute. */
  pipeline: string;
  /** Training and validation datasets, absolute. */
  data: string;
  valData: string;
  model: ModelName;
  /** Network input size (a multiple of 32). */
  size: number;
  /** The training budget: batches, or else epochs. */
  steps?: number;
  epochs?: number;
  /** The training seed: the same for every candidate, so fitness differences come from the genes. */
  seed: number;
  /** Most images per training pass (Trainer `microBatch`): a large `batch` gene then fits in memory. */
  microBatch?: number;
  /** Worker threads of the candidate's pipeline (0 inline). */
  workers?: number;
  /** A folder of the candidate's own (checkpoint, log); created by the runner. */
  out: string;
  /**
   * A module (absolute path) whose `runCandidate(task)` replaces the built-in one — for tests
   * and for searches that train something else.
   */
  runner?: string;
}

/** What a candidate's evaluation returns. */
export interface CandidateResult {
  /** mAP@.5 and mAP@.5:.95 on the validation set (YOLOv5's fitness combines them). */
  map50: number;
  map: number;
  /** Batches trained. */
  steps: number;
  /** Wall time of the evaluation. */
  wallMs: number;
}

/** Runs one candidate where it is (in this process). */
export type RunCandidate = (task: CandidateTask) => Promise<CandidateResult>;

/**
 * Where candidates are evaluated: a pool of child processes on this machine (the default)
 * or a distributed job queue. `evaluate` rejects when the candidate failed (its training
 * threw, or its process died); the search logs it as failed and goes on.
 */
export interface Evaluator {
  /** How many evaluations it runs at once (the search keeps this many in flight). */
  readonly concurrency: number;
  evaluate(task: CandidateTask): Promise<CandidateResult>;
  /** Stop its processes or connections. */
  close(): Promise<void>;
}
