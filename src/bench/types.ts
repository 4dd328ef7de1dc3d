/** One benchmark section's output; the runner merges every section into one JSON. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

export interface BenchSection {
  /** Human-readable table for the terminal. */
  table: string;
  results: BenchResult[];
  ratios: Record<string, number>;
}

/** What every section gets: the dataset and the shared knobs. */
export interface BenchContext {
  data: string;
  rounds: number;
  workers: number;
}
