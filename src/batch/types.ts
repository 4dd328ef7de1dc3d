import type { Sample } from '../core/types.ts';
import type { LabelSmoothing } from './smoothing.ts';

/** Samples grouped by `batch()`, before they become tensors. */
export interface SampleBatch {
  samples: Sample[];
  /** Number of samples (what demand credits count). */
  size: number;
  ids: string[];
  /**
   * Label smoothing set by `smoothLabels()` after `batch()`; it overrides a setting the
   * operator stored earlier on the samples' `meta.labelSmoothing`. Read by `encodeTargets()`.
   */
  labelSmoothing?: LabelSmoothing;
  /** YOLO targets per output layer, finest first; set by `encodeTargets()`. */
  targets?: TargetLayer[];
}

/**
 * Channels of the last axis of a {@link TargetLayer}: box centre and size in input
 * pixels, objectness, the box's loss weight, then one class target per class.
 */
export const TargetChannel = {
  X: 0,
  Y: 1,
  W: 2,
  H: 3,
  /** 1 assigned, 0 none (a negative), −1 an ignore region (neither positive nor negative). */
  Objectness: 4,
  /** The box's loss weight (`sample.weights`; MixUp/CutMix set it); 0 where objectness ≤ 0. */
  Weight: 5,
  /** First class channel; class c is at 6 + c. */
  Classes: 6,
} as const;

/** The YOLO targets of one output layer of a batch (SPEC §7). */
export interface TargetLayer {
  /** Input pixels per cell. */
  stride: number;
  gridWidth: number;
  gridHeight: number;
  /** `[w, h]` per anchor of this layer, in input pixels (scaled to the batch's size only with `scaleAnchors`). */
  anchors: number[][];
  /** Global indices of this layer's anchors (position a on the A axis is anchor `mask[a]`). */
  mask: number[];
  /** Number of classes C. */
  classes: number;
  /** Claims on a slot another box of the same image already held (one loses; see `encodeTargets`). */
  collisions: number;
  /** `[B, gridHeight, gridWidth, A, 6 + C]`. */
  shape: [number, number, number, number, number];
  /** Row-major over {@link TargetLayer.shape}; channels as {@link TargetChannel}. */
  readonly data: Float32Array;
  /**
   * The same targets, sparse, when `encodeTargets()` made them: the assigned slots (flat
   * indices over B·gridHeight·gridWidth·A, ascending) and their 6 + C channels, row after
   * row; every other slot is all zeros. `toTensors()` scatters these on the backend, so
   * the dense array (most of it zeros: 7.8 MB per 608² image with 80 classes) is never
   * built in JavaScript unless `data` is read.
   */
  slots?: Int32Array;
  rows?: Float32Array;
}

/** A {@link TargetLayer} held sparse, whose `data` is made (once) when first read. */
export class SparseTargetLayer implements TargetLayer {
  private dense: Float32Array | undefined;

  constructor(
    readonly stride: number,
    readonly gridWidth: number,
    readonly gridHeight: number,
    readonly anchors: number[][],
    readonly mask: number[],
    readonly classes: number,
    public collisions: number,
    readonly shape: [number, number, number, number, number],
    readonly slots: Int32Array,
    readonly rows: Float32Array,
  ) {}

  get data(): Float32Array {
    if (!this.dense) {
      const K = this.shape[4];
      const d = new Float32Array(this.shape.reduce((a, b) => a * b, 1));
      this.slots.forEach((slot, i) => d.set(this.rows.subarray(i * K, (i + 1) * K), slot * K));
      this.dense = d;
    }
    return this.dense;
  }
}
