/**
 * The controller's metrics in the Prometheus text exposition format (version 0.0.4), under
 * Argo's names (`argo_workflows_` + the name in Argo's docs/metrics.md) so existing dashboards
 * and alerts keep working. A tiny registry of our own: counters, gauges (set, or computed when
 * scraped) and histograms with labels; nothing else is needed and no library is pulled in.
 */

export type Labels = Record<string, string>;

const PREFIX = "argo_workflows_";

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function escapeValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatLabels(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(",")}}`;
}

function formatNumber(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return Number.isNaN(value) ? "NaN" : String(value);
}

interface Metric {
  render(): string;
}

class LabelledValues {
  readonly values = new Map<string, { labels: Labels; value: number }>();

  add(labels: Labels, delta: number): void {
    const key = labelKey(labels);
    const held = this.values.get(key);
    if (held) held.value += delta;
    else this.values.set(key, { labels: { ...labels }, value: delta });
  }

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), { labels: { ...labels }, value });
  }

  get(labels: Labels): number {
    return this.values.get(labelKey(labels))?.value ?? 0;
  }
}

export class Counter implements Metric {
  readonly #values = new LabelledValues();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, delta = 1): void {
    this.#values.add(labels, delta);
  }

  get(labels: Labels = {}): number {
    return this.#values.get(labels);
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values.values()) {
      lines.push(`${this.name}${formatLabels(labels)} ${formatNumber(value)}`);
    }
    return lines.join("\n");
  }
}

export class Gauge implements Metric {
  readonly #values = new LabelledValues();
  /** When set, the values are computed at scrape time (e.g. workflows by phase from the cache). */
  collect?: () => Array<{ labels: Labels; value: number }>;
  constructor(readonly name: string, readonly help: string) {}

  set(labels: Labels, value: number): void {
    this.#values.set(labels, value);
  }

  get(labels: Labels = {}): number {
    if (this.collect) {
      const key = labelKey(labels);
      return this.collect().find((s) => labelKey(s.labels) === key)?.value ?? 0;
    }
    return this.#values.get(labels);
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const samples = this.collect ? this.collect() : [...this.#values.values.values()];
    for (const { labels, value } of samples) {
      lines.push(`${this.name}${formatLabels(labels)} ${formatNumber(value)}`);
    }
    return lines.join("\n");
  }
}

export class Histogram implements Metric {
  readonly #series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; n: number }
  >();
  constructor(readonly name: string, readonly help: string, readonly buckets: number[]) {}

  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, n: 0 };
      this.#series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= this.buckets[i]) series.counts[i]++;
    }
    series.sum += value;
    series.n++;
  }

  count(labels: Labels = {}): number {
    return this.#series.get(labelKey(labels))?.n ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, n } of this.#series.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(
          `${this.name}_bucket${formatLabels(labels, ["le", formatNumber(bound)])} ${counts[i]}`,
        );
      });
      lines.push(`${this.name}_bucket${formatLabels(labels, ["le", "+Inf"])} ${n}`);
      lines.push(`${this.name}_sum${formatLabels(labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${formatLabels(labels)} ${n}`);
    }
    return lines.join("\n");
  }
}

/** The controller's metrics (Argo's names; see docs/controller.md for the list). */
export class ControllerMetrics {
  /** Workflows in the cache by phase (`phase` is empty for a workflow not started yet). */
  readonly workflows = new Gauge(
    `${PREFIX}gauge`,
    "Number of workflows currently accessible by the controller by phase.",
  );
  readonly isLeader = new Gauge(`${PREFIX}is_leader`, "1 if this controller is the leader.");
  readonly queueDepth = new Gauge(`${PREFIX}queue_depth_gauge`, "Depth of the work queues.");
  readonly queueAdds = new Counter(`${PREFIX}queue_adds_count`, "Adds to the work queues.");
  readonly workersBusy = new Gauge(
    `${PREFIX}workers_busy_count`,
    "Workers currently reconciling a workflow.",
  );
  readonly k8sRequests = new Counter(
    `${PREFIX}k8s_request_total`,
    "Requests sent to the Kubernetes API.",
  );
  readonly k8sRequestDuration = new Histogram(
    `${PREFIX}k8s_request_duration`,
    "Duration of requests sent to the Kubernetes API (seconds).",
    [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 60, 180],
  );
  readonly operationDuration = new Histogram(
    `${PREFIX}operation_duration_seconds`,
    "Duration of one workflow reconciliation (seconds).",
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  readonly errors = new Counter(`${PREFIX}error_count`, "Errors incurred by the controller.");
  readonly podsByPhase = new Gauge(
    `${PREFIX}pods_gauge`,
    "Workflow pods currently in the cluster by phase.",
  );

  /** The whole exposition, one metric family after another. */
  render(): string {
    const all: Metric[] = [
      this.workflows,
      this.isLeader,
      this.queueDepth,
      this.queueAdds,
      this.workersBusy,
      this.k8sRequests,
      this.k8sRequestDuration,
      this.operationDuration,
      this.errors,
      this.podsByPhase,
    ];
    return all.map((m) => m.render()).join("\n") + "\n";
  }
}

/** The content type Prometheus expects for the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
