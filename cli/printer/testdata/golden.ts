/**
 * Golden-file comparison for the printer tests: `UPDATE_GOLDEN=1` rewrites the files instead.
 *
 * @module
 */
import assert from "node:assert/strict";

const DIR = new URL("./", import.meta.url);

/** Asserts that `actual` equals `testdata/<name>`, or rewrites it under `UPDATE_GOLDEN=1`. */
export async function assertGolden(name: string, actual: string): Promise<void> {
  const url = new URL(name, DIR);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.writeTextFile(url, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(url);
  } catch {
    throw new Error(`missing golden file testdata/${name}; run with UPDATE_GOLDEN=1`);
  }
  assert.equal(actual, expected, `output differs from testdata/${name}`);
}
