/**
 * freebies — streaming data pipelines with YOLOv4's Bag of Freebies for TensorFlow.js.
 *
 * ```ts
 * import { fromYolo, decode, augment, flip, letterbox, batch, toTensors } from 'freebies';
 * const pipeline = fromYolo('datasets/coco128').pipe(decode(), augment(flip()), letterbox(608), batch(16), toTensors());
 * for await (const b of pipeline) { ...; b.dispose(); }
 * ```
 * @packageDocumentation
 */
export * from './src/core/types.ts';
export { ConfigError, SampleError } from './src/core/errors.ts';
export { Rng } from './src/core/rng.ts';

export { convertBoxes, boxCandidates, type BoxFormat, type BoxFilterOptions } from './src/kernels/boxes.ts';
export { letterboxParams, type LetterboxParams, type LetterboxOptions } from './src/kernels/letterbox.ts';
export { registerKernel, registerMixKernel } from './src/kernels/registry.ts';
export type { TransformSpec, Kernel, MixKernel } from './src/kernels/transform.ts';

export { indexDataset, indexYolo, indexCoco, indexVoc } from './src/io/index.ts';
export type { DatasetIndex, DatasetItem } from './src/io/dataset.ts';
export { decodeImage, type DecodeOptions } from './src/io/decode.ts';

export { Pipeline } from './src/stream/pipeline.ts';
export { PipelineContext, contextOf, type RunReport } from './src/stream/context.ts';
export { fromDataset, fromYolo, fromCoco, fromVoc, fromFolder, type SourceOptions } from './src/stream/sources.ts';
export type { StageReport } from './src/profile/meter.ts';

export { flip, type FlipOptions } from './src/transforms/flip.ts';
export { hsv, type HsvOptions } from './src/transforms/hsv.ts';
export { brightness, contrast, brightnessContrast, type BrightnessLimitOptions, type BrightnessContrastOptions } from './src/transforms/brightness-contrast.ts';
export { blur, type BlurOptions } from './src/transforms/blur.ts';
export { noise, type NoiseOptions } from './src/transforms/noise.ts';
export { oneOf, someOf } from './src/transforms/compose.ts';
export { randomPerspective, type RandomPerspectiveOptions } from './src/transforms/random-perspective.ts';
export { randomCrop, type RandomCropOptions } from './src/transforms/random-crop.ts';
export { bboxSafeCrop, type BboxSafeCropOptions } from './src/transforms/bbox-safe-crop.ts';
export { jitter, type JitterOptions } from './src/transforms/jitter.ts';
export { randomErasing, type RandomErasingOptions } from './src/transforms/random-erasing.ts';
export { cutout, type CutoutOptions } from './src/transforms/cutout.ts';
export { gridMask, type GridMaskOptions } from './src/transforms/grid-mask.ts';

export { decode, type DecodeOperatorOptions } from './operators/decode.ts';
export { augment } from './operators/augment.ts';
export { letterbox, type LetterboxOperatorOptions } from './operators/letterbox.ts';
export { batch, type BatchOptions } from './operators/batch.ts';
export { randomShapes, type RandomShapesOptions, type ShapeTag } from './operators/random-shapes.ts';
export { dynamicBatch, type DynamicBatchOptions } from './operators/dynamic-batch.ts';
export {
  makeShapeSchedule, darknetShape, darknetBatchSize, memoryBatchSize, parseBytes, DEFAULT_SIZES,
  type Shape, type ShapeSchedule, type BatchSizeRule,
} from './src/batch/shapes.ts';
export { toTensors, type ToTensorsOptions } from './operators/to-tensors.ts';
export { prefetch } from './operators/prefetch.ts';
export { dumpSamples, type DumpSamplesOptions } from './operators/dump-samples.ts';
export { mosaic, type MosaicOptions } from './operators/mosaic.ts';
export { mixup, type MixupOptions } from './operators/mixup.ts';
export { cutmix, type CutmixOperatorOptions } from './operators/cutmix.ts';
export { assignAnchors, shapeIoU, YOLOV4_ANCHORS, YOLOV4_MASKS, YOLOV4_STRIDES, YOLOV4_ANCHOR_SIZE, type AnchorRule, type AnchorAssignment, type AssignAnchorsOptions, type CenterBox } from './src/batch/anchors.ts';
export { smoothLabels, type LabelSmoothing, type SmoothingMode, type SmoothingOptions } from './operators/smooth-labels.ts';
export { encodeTargets, type TargetOptions } from './operators/encode-targets.ts';
export { encodeBatchTargets } from './src/batch/targets.ts';
export { TargetChannel, type TargetLayer } from './src/batch/types.ts';

export type { SampleBatch } from './src/batch/types.ts';
export type { Batch, BatchTargetLayer } from './src/tensor/batch.ts';
export { initBackend, type BackendChoice } from './src/tensor/backend.ts';
export { imagesAndBoxes, type BatchToElement } from './src/tensor/dataset.ts';
export type { PipelineFileOptions } from "./src/cli/pipeline-file.ts";

export {
  CosineAnnealingWarmupRestarts, CosineAnnealingWarmRestarts, DarknetSchedule, OneCycleSchedule,
  createSchedule, scheduleFromState, lrAt, oneCycle, linearLambda,
  type LrSchedule, type ScheduleState, type ScheduleKind, type ScheduleOptions,
  type CosineAnnealingWarmupRestartsOptions, type CosineAnnealingWarmRestartsOptions,
  type DarknetScheduleOptions, type OneCycleScheduleOptions,
} from './src/train/schedules.ts';
export { registerTrainingKernels, unregisterTrainingKernels, TRAINING_KERNELS } from './src/train/wasm-kernels.ts';
export { upsample2x, mish } from './src/train/layers.ts';
export { boxIoU, boxIoUBatch, boxIoUTensor, IOU_EPS, type IoUKind } from './src/train/iou.ts';
export { nms, type NmsOptions, type NmsBoxes } from './src/train/nms.ts';
export {
  evaluateMap, COCO_IOU_THRESHOLDS,
  type MapGroundTruth, type MapDetection, type MapOptions, type MapResult, type MapClassResult,
} from './src/train/map.ts';
export {
  yoloLoss, decodeOutputs, bceWithLogits, resolveLossOptions, YOLOV4_SCALE_XY, YOLOV5_BALANCE, YOLOV5_GAINS,
  type YoloLoss, type YoloLossOptions, type LossTargetLayer, type WhDecoding,
} from './src/train/loss.ts';
export {
  createModel, modelInfo, modelTargetOptions, countParams, MODEL_PRESETS,
  setDropBlockProgress, startCmbnStep, setStatUpdates,
  type ModelName, type CreateModelOptions, type ModelInfo,
} from './src/train/models/index.ts';
export { saveCheckpoint, loadCheckpoint, readCheckpointMetadata, CheckpointError } from './src/train/checkpoint.ts';
export { Trainer, type TrainerOptions, type FitOptions, type FitResult, type StepRecord, type SatRecord, type LossFunction, type OptimizerOptions } from './src/train/trainer.ts';
export { SatStep, adversarialRows, type SatOptions, type SatTotals } from './src/train/sat-step.ts';
export { AdversarialSink, type AdversarialSinkOptions, type AdversarialStats } from './src/stream/adversarial-sink.ts';
export { reinject } from './operators/reinject.ts';
export { selectBatchRows } from './src/tensor/batch.ts';
export { evaluateModel, detect, type EvaluateOptions, type ImageDetections } from './src/train/evaluate.ts';
export { plotTrainingLog, renderTrainingPlotSvg } from './src/train/plot.ts';
export {
  fgsmAdversarial, darknetAdversarial, toAdversarialSamples,
  type FgsmOptions, type DarknetAdversarialOptions, type AdversarialSampleOptions, type AttackBatchNorm,
} from './src/train/sat.ts';
export { parseSearchSpace, DEFAULT_SEARCH_SPACE, type Gene } from './src/evolve/genes.ts';
export { nextGeneration, yoloFitness, evolveOptions } from './src/evolve/operators.ts';
export { evolve, replay, readLog, type EvolveArgs, type EvolveResult, type EvaluationRecord } from './src/evolve/log.ts';
export { ChildProcessEvaluator, type ChildProcessEvaluatorOptions } from './src/evolve/child-pool.ts';
export { runCandidate, checkCandidateTask } from './src/evolve/candidate.ts';
export type { CandidateTask, CandidateResult, RunCandidate, Evaluator } from './src/evolve/task.ts';
export { plotFitness, renderFitnessSvg } from './src/evolve/plot.ts';
export { evolveCommand, type EvolveCommandOptions, type EvolveCommandResult } from './src/cli/evolve.ts';
// The BullMQ evaluator lives at 'freebies/queue' so that importing freebies never loads a Redis client.
