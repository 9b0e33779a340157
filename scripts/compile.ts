/**
 * `deno task compile`: builds the single executable `dist/argo-ts` with `deno compile`.
 *
 * `deno compile` downloads Deno's runtime (`denort`) on first use. Where that download cannot
 * be reached (our development machines), this says so in one line and points to
 * `deno task bundle`, which works offline and produces `dist/argo-ts.js` for `deno run -A`.
 */
const output = "dist/argo-ts";
await Deno.mkdir("dist", { recursive: true });
const result = await new Deno.Command(Deno.execPath(), {
  args: ["compile", "-A", "--quiet", "-o", output, "main.ts"],
  stdout: "inherit",
  stderr: "piped",
  env: { RUST_BACKTRACE: "0" },
}).output();
const stderr = new TextDecoder().decode(result.stderr);
if (result.success) {
  console.log(`built ${output}`);
} else if (/download|dns error|error sending request|connect/i.test(stderr)) {
  console.error(
    "deno compile could not download the Deno runtime it embeds (the runtime download host is " +
      "unreachable from this machine). Run `deno task bundle` instead: it builds " +
      "dist/argo-ts.js offline, which runs with `deno run -A dist/argo-ts.js`.",
  );
  Deno.exit(1);
} else {
  console.error(stderr.trim());
  Deno.exit(1);
}
