/** Typed errors. Configuration errors fail fast; sample errors are skipped and reported. */

/** A mistake in how the pipeline was configured: raised before any work starts. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** @param message what is wrong and how to fix it. */
  constructor(message: string) {
    super(message);
  }
}

/** A problem with one sample (unreadable image, bad label): the sample is skipped, never fatal. */
export class SampleError extends Error {
  override name = 'SampleError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}
