/**
 * Decoding with sharp: EXIF orientation applied; grey, alpha, CMYK and 16-bit inputs
 * all become 8-bit sRGB with 3 channels. sharp works on libuv's thread pool, so this
 * runs off the JS thread without a worker hop.
 */
import { stat } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import type { RawImage } from '../core/types.ts';
import { letterboxParams, PAD_VALUE, type LetterboxOptions, type LetterboxParams } from '../kernels/letterbox.ts';

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /**
   * Skip the embedded ICC profile conversion. Default true: OpenCV and PyTorch loaders
   * ignore ICC profiles, so pixels then equal theirs, and decoding costs ~40% less.
   */
  ignoreIcc?: boolean;
  /** Largest image accepted, in pixels (width × height); larger ones are skipped. Default 8192². */
  maxPixels?: number;
}

/**
 * Say what is wrong with a file sharp rejected: libvips' text for an empty file or a
 * truncated JPEG (a warning promoted by failOn) does not name the problem.
 */
async function describeFailure(input: string | Buffer, err: unknown): Promise<never> {
  const msg = (err as Error).message;
  const empty = typeof input === 'string' ? (await stat(input).catch(() => undefined))?.size === 0 : input.length === 0;
  if (empty) throw new Error('empty file (0 bytes)');
  if (/Warning treated as error/i.test(msg)) throw new Error(`corrupt or truncated image data (${msg})`);
  throw err;
}

/** Default pixel limit: 8192 × 8192. */
export const DEFAULT_MAX_PIXELS = 8192 * 8192;

/** A sharp pipeline over `input` with our decode settings. */
function openImage(input: string | Buffer, options: DecodeOptions): Sharp {
  return sharp(input, {
    limitInputPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    ignoreIcc: options.ignoreIcc ?? true,
    autoOrient: true,
    // A truncated JPEG is only a libjpeg warning; treating warnings as errors skips it.
    failOn: 'warning',
  });
}

/** The decode pipeline to 8-bit sRGB without alpha, resized (bilinear, in libvips) when `size` differs from `from`. */
function rgbPipeline(
  input: string | Buffer,
  options: DecodeOptions,
  from?: { width: number; height: number },
  size?: { width: number; height: number },
): Sharp {
  const pipeline = openImage(input, options).removeAlpha().toColourspace('srgb');
  if (!from || !size || (size.width === from.width && size.height === from.height)) return pipeline;
  return pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'linear' });
}

/** Run `pipeline` to raw RGB bytes owned as a RawImage; rejects with sharp's reason for a bad file. */
async function toRawImage(pipeline: Sharp, input: string | Buffer): Promise<RawImage> {
  const { data, info } = await pipeline
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .catch((e) => describeFailure(input, e));
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Decode an image file (or bytes) into 8-bit RGB. Rejects with sharp's reason for a bad file. */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<RawImage> {
  return toRawImage(rgbPipeline(input, options), input);
}

/** The result of {@link decodeLetterboxed}: the canvas, the geometry and the oriented source size. */
export interface LetterboxedImage {
  image: RawImage;
  params: LetterboxParams;
  original: { width: number; height: number };
}

/** The image's size as decoded, after EXIF orientation (read from the header only). */
async function orientedSize(input: string | Buffer, options: DecodeOptions): Promise<{ width: number; height: number }> {
  const meta = await openImage(input, options)
    .metadata()
    .catch((e) => describeFailure(input, e));
  const rotated = (meta.orientation ?? 1) >= 5;
  return { width: rotated ? meta.height! : meta.width!, height: rotated ? meta.width! : meta.height! };
}

/**
 * Decode and letterbox in one libvips pipeline (resize and pad happen while decoding,
 * on libuv's threads): the fused form of `decode()` followed by `letterbox()`. The
 * geometry is exactly {@link letterboxParams}; the interpolation is libvips' linear
 * kernel rather than OpenCV's, so pixels may differ from the JS path by a few levels.
 */
export async function decodeLetterboxed(
  input: string | Buffer,
  to: { width: number; height: number },
  letterbox: LetterboxOptions,
  options: DecodeOptions = {},
): Promise<LetterboxedImage> {
  const original = await orientedSize(input, options);
  const params = letterboxParams(original, to, letterbox);
  const pipeline = rgbPipeline(input, options, original, params).extend({
    top: params.padTop,
    bottom: params.padBottom,
    left: params.padLeft,
    right: params.padRight,
    background: { r: PAD_VALUE, g: PAD_VALUE, b: PAD_VALUE },
  });
  return { image: await toRawImage(pipeline, input), params, original };
}

/** Size of an image resized so its long side is `side`: YOLOv5's `load_image` (r = side / max(w, h), `int(w·r) × int(h·r)`, at least 1). */
export function fitSize(original: { width: number; height: number }, side: number): { width: number; height: number } {
  const r = side / Math.max(original.width, original.height);
  if (r === 1) return { ...original };
  return { width: Math.max(1, Math.floor(original.width * r)), height: Math.max(1, Math.floor(original.height * r)) };
}

/**
 * Decode and resize so the long side is `side` ({@link fitSize}) in one libvips pipeline:
 * the tiles mosaic needs, without a resize in JS afterwards. Bilinear in libvips, so
 * pixels differ slightly from OpenCV's INTER_LINEAR (as the fused letterbox's do).
 */
export async function decodeFitted(
  input: string | Buffer,
  side: number,
  options: DecodeOptions = {},
): Promise<{ image: RawImage; original: { width: number; height: number } }> {
  const original = await orientedSize(input, options);
  const image = await toRawImage(rgbPipeline(input, options, original, fitSize(original, side)), input);
  return { image, original };
}
