import assert from "node:assert/strict";
import { ControllerMetrics, Counter, Gauge, Histogram } from "./metrics.ts";

Deno.test("metrics: counters add per label set and render sorted labels", () => {
  const counter = new Counter("argo_workflows_k8s_request_total", "Requests.");
  counter.inc({ verb: "Create", kind: "pods", status_code: "201" });
  counter.inc({ kind: "pods", status_code: "201", verb: "Create" });
  counter.inc({ kind: "workflows", verb: "Update", status_code: "409" });
  assert.equal(counter.get({ kind: "pods", verb: "Create", status_code: "201" }), 2);
  assert.equal(
    counter.render(),
    [
      "# HELP argo_workflows_k8s_request_total Requests.",
      "# TYPE argo_workflows_k8s_request_total counter",
      'argo_workflows_k8s_request_total{kind="pods",status_code="201",verb="Create"} 2',
      'argo_workflows_k8s_request_total{kind="workflows",status_code="409",verb="Update"} 1',
    ].join("\n"),
  );
});

Deno.test("metrics: label values are escaped", () => {
  const gauge = new Gauge("g", "A gauge.");
  gauge.set({ cause: 'a "quoted"\\ line\nbreak' }, 1);
  assert.match(gauge.render(), /^g\{cause="a \\"quoted\\"\\\\ line\\nbreak"\} 1$/m);
});

Deno.test("metrics: computed gauges are read at scrape time", () => {
  const gauge = new Gauge("argo_workflows_gauge", "Workflows by phase.");
  let running = 1;
  gauge.collect = () => [{ labels: { phase: "Running" }, value: running }];
  assert.match(gauge.render(), /^argo_workflows_gauge\{phase="Running"\} 1$/m);
  running = 3;
  assert.match(gauge.render(), /^argo_workflows_gauge\{phase="Running"\} 3$/m);
  assert.equal(gauge.get({ phase: "Running" }), 3);
});

Deno.test("metrics: histograms are cumulative with +Inf, sum and count", () => {
  const histogram = new Histogram("h", "A histogram.", [0.1, 1]);
  histogram.observe(0.05);
  histogram.observe(0.5);
  histogram.observe(5);
  assert.equal(
    histogram.render(),
    [
      "# HELP h A histogram.",
      "# TYPE h histogram",
      'h_bucket{le="0.1"} 1',
      'h_bucket{le="1"} 2',
      'h_bucket{le="+Inf"} 3',
      "h_sum 5.55",
      "h_count 3",
    ].join("\n"),
  );
  assert.equal(histogram.count(), 3);
});

Deno.test("metrics: the controller registry renders every family with Argo's names", () => {
  const metrics = new ControllerMetrics();
  metrics.isLeader.set({}, 1);
  metrics.queueAdds.inc({ queue_name: "workflow_queue" });
  metrics.operationDuration.observe(0.002);
  const text = metrics.render();
  for (
    const name of [
      "argo_workflows_gauge",
      "argo_workflows_is_leader",
      "argo_workflows_queue_depth_gauge",
      "argo_workflows_queue_adds_count",
      "argo_workflows_workers_busy_count",
      "argo_workflows_k8s_request_total",
      "argo_workflows_k8s_request_duration",
      "argo_workflows_operation_duration_seconds",
      "argo_workflows_error_count",
      "argo_workflows_pods_gauge",
    ]
  ) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
  }
  assert.match(text, /^argo_workflows_is_leader 1$/m);
  assert.match(text, /^argo_workflows_queue_adds_count\{queue_name="workflow_queue"\} 1$/m);
  assert.ok(text.endsWith("\n"));
});
