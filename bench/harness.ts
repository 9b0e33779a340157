/**
 * The benchmark harness: each scenario is measured next to its floor in the same run, and the
 * report is the ratio ours/floor, never a bare time (machines are noisy; ratios travel).
 */

/** One benchmark: the work measured and the floor it is compared with. */
export interface BenchScenario {
  name: string;
  /** The work measured. */
  run(): void;
  /** The floor, measured in the same run. */
  floor(): void;
  /** The highest acceptable ratio, when the issue sets one. */
  target?: number;
}

/**
 * A scenario that measures itself, asynchronously: for work that runs through live processes
 * (a cluster, pods) where the harness's alternate-and-repeat loop would take minutes. It
 * returns its own medians of ours and of the floor, measured in the same run.
 */
export interface AsyncBenchScenario {
  name: string;
  measureAsync(): Promise<{ oursMs: number; floorMs: number }>;
  target?: number;
}

export interface BenchResult {
  name: string;
  oursMs: number;
  floorMs: number;
  ratio: number;
  target?: number;
}

/** Median of several timed runs after a warm-up, alternating work and floor to share noise. */
export function measure(scenario: BenchScenario, rounds = 7): BenchResult {
  scenario.run();
  scenario.floor();
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    scenario.run();
    ours.push(performance.now() - t);
    t = performance.now();
    scenario.floor();
    floor.push(performance.now() - t);
  }
  const oursMs = median(ours);
  const floorMs = median(floor);
  return {
    name: scenario.name,
    oursMs,
    floorMs,
    ratio: oursMs / Math.max(floorMs, 1e-6),
    target: scenario.target,
  };
}

/** Runs a self-measuring scenario and reports it like the synchronous ones. */
export async function measureAsync(scenario: AsyncBenchScenario): Promise<BenchResult> {
  const { oursMs, floorMs } = await scenario.measureAsync();
  return {
    name: scenario.name,
    oursMs,
    floorMs,
    ratio: oursMs / Math.max(floorMs, 1e-6),
    target: scenario.target,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One report line: name, ratio, target, and the two medians for context. */
export function formatResult(result: BenchResult): string {
  const target = result.target === undefined
    ? ""
    : ` (target <= ${result.target}x: ${result.ratio <= result.target ? "met" : "MISSED"})`;
  return `${result.name}: ${result.ratio.toFixed(2)}x floor${target}  [ours ${
    result.oursMs.toFixed(1)
  } ms, floor ${result.floorMs.toFixed(1)} ms]`;
}
