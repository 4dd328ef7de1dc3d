/**
 * The data model shared by every stage: images, samples and the per-box arrays.
 * Boxes inside the pipeline are always absolute pixel `x1,y1,x2,y2` (SPEC §0);
 * YOLO, COCO and VOC forms are converted only at the edges.
 * @packageDocumentation
 */

/** An 8-bit RGB image, row-major HWC. Transferable between threads, never JSON. */
export interface RawImage {
  /** `width * height * 3` bytes, RGB, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Per-box flags (bit mask). */
export const BoxFlag = {
  /** COCO `iscrowd` or VOC `difficult`: training skips it, evaluation may treat it as an ignore region. */
  Ignore: 1,
  /** VOC `truncated`: informational only. */
  Truncated: 2,
} as const;

/** Pixels and the boxes that belong to them: what a pure kernel takes and returns. */
export interface Annotated {
  image: RawImage;
  /** n×4 absolute pixels x1,y1,x2,y2 on `[0,width]×[0,height]`. */
  boxes: Float32Array;
  /** n class indices (contiguous, 0-based). */
  classes: Int32Array;
  /** n per-box loss weights; 1 unless MixUp/CutMix set them. */
  weights: Float32Array;
  /** n per-box {@link BoxFlag} masks. */
  flags: Uint8Array;
}

/** Where a sample came from and what happened to it; plain data, safe to clone. */
export interface SampleMeta {
  /** The image file. */
  path: string;
  /** The image size as decoded (after EXIF orientation), before any transform. */
  originalWidth: number;
  originalHeight: number;
  /** Letterbox geometry when `letterbox()` ran: maps network coordinates back to the original. */
  letterbox?: { ratio: number; padLeft: number; padTop: number };
  /** Free-form annotations set by operators (e.g. `adversarial: true`). */
  [key: string]: unknown;
}

/** One training example travelling through the stream. */
export interface Sample extends Annotated {
  /** Stable id: the image path relative to the dataset root. */
  id: string;
  /** Position in the epoch's (shuffled) order; part of every RNG key. */
  index: number;
  epoch: number;
  meta: SampleMeta;
}

/** A box-level annotation as a source reads it, before the image is decoded. */
export interface LabelSet {
  /** n×4 boxes x1,y1,x2,y2; normalised to 0..1 when `normalized`, else pixels. */
  boxes: Float32Array;
  classes: Int32Array;
  flags: Uint8Array;
  normalized: boolean;
}

/** A problem with one file or one label line: the sample or line is skipped and reported. */
export interface SkipRecord {
  path: string;
  reason: string;
  /** 1-based line number in a label file, when the problem is one line. */
  line?: number;
}

/** A reference to a sample that has not been decoded yet: what sources emit. */
export interface SampleRef {
  id: string;
  index: number;
  epoch: number;
  /** Absolute path of the image file. */
  path: string;
  /** Reads and validates this sample's labels; lines that fail are returned in `skipped`. */
  labels(): Promise<{ labels: LabelSet; skipped: SkipRecord[] }>;
}
