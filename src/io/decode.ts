/**
 * Decoding with sharp: EXIF orientation applied; grey, alpha, CMYK and 16-bit inputs
 * all become 8-bit sRGB with 3 channels. sharp works on libuv's thread pool, so this
 * runs off the JS thread without a worker hop.
 */
import sharp from 'sharp';
import type { RawImage } from '../core/types.ts';

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

/** Default pixel limit: 8192 × 8192. */
export const DEFAULT_MAX_PIXELS = 8192 * 8192;

/** Decode an image file (or bytes) into 8-bit RGB. Rejects with sharp's reason for a bad file. */
export async function decodeImage(input: string | Buffer, options: DecodeOptions = {}): Promise<RawImage> {
  const { data, info } = await sharp(input, {
    limitInputPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    ignoreIcc: options.ignoreIcc ?? true,
    autoOrient: true,
    // A truncated JPEG is only a libjpeg warning; treating warnings as errors skips it.
    failOn: 'warning',
  })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}
