import assert from "node:assert/strict";
import { runeCount, tabwrite } from "./tabwriter.ts";

Deno.test("tabwrite pads terminated cells and leaves the last cell as is", () => {
  assert.equal(tabwrite(["a\tbb\tc", "aaa\tb\t"], 2), "a    bb  c\naaa  b   \n");
});

Deno.test("a row with fewer cells splits the column blocks after it", () => {
  const out = tabwrite(["x\tlong-cell\ty", "\t", "xx\ts\ty"], 1);
  assert.equal(out, "x  long-cell y\n   \nxx s y\n");
});

Deno.test("widths count code points, escape sequences included", () => {
  assert.equal(runeCount("├─✔"), 3);
  assert.equal(runeCount("\x1b[32m✔\x1b[0m"), 10);
  assert.equal(runeCount("😀"), 1);
  assert.equal(tabwrite(["├─✔ a\tb", "x\tb"], 2), "├─✔ a  b\nx      b\n");
});
