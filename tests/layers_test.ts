/**
 * Imports flow one way: each top-level module may import only the layers below it. This test
 * reads every TypeScript file's relative imports and fails on an import the design forbids.
 */
import assert from "node:assert/strict";

/** For each layer, the layers it may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  "api": [],
  "templating": ["api"],
  "validate": ["api", "templating"],
  "controller/operator": ["api", "templating", "validate"],
  "kube": ["api"],
  "controller": ["api", "templating", "validate", "controller/operator", "kube"],
  "exec": ["api", "templating", "kube"],
  "cluster": ["api"],
  "cli": ["api", "templating", "validate", "kube"],
};

const ROOT = new URL("../", import.meta.url).pathname;

function layerOf(relative: string): string | undefined {
  if (relative.startsWith("controller/operator/")) return "controller/operator";
  const top = relative.split("/")[0];
  return top in ALLOWED ? top : undefined;
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory && !entry.name.startsWith(".") && entry.name !== "node_modules") {
      yield* sourceFiles(path);
    } else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const segment of specifier.split("/")) {
    if (segment === "..") parts.pop();
    else if (segment !== ".") parts.push(segment);
  }
  return parts.join("/");
}

Deno.test("imports flow one way between layers", async () => {
  const violations: string[] = [];
  for (const layer of Object.keys(ALLOWED)) {
    for await (const file of sourceFiles(layer)) {
      if (layerOf(file) !== layer) continue;
      const text = await Deno.readTextFile(`${ROOT}${file}`);
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
        const target = resolve(file, match[1]);
        const targetLayer = layerOf(target);
        if (targetLayer === undefined || targetLayer === layer) continue;
        if (!ALLOWED[layer].includes(targetLayer)) {
          violations.push(`${file} imports ${match[1]} (${layer} may not import ${targetLayer})`);
        }
      }
    }
  }
  assert.deepEqual(violations, []);
});
