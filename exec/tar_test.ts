import assert from "node:assert/strict";
import { isTarGz, tarGzToFile, untarGz } from "./tar.ts";
import { listTree, TEST_LIMITS } from "./test_util.ts";

Deno.test("tar: long and non-ASCII names, links and modes survive a round trip", async () => {
  const root = await Deno.makeTempDir();
  const long = `${"d".repeat(120)}/${"e".repeat(150)}`;
  await Deno.mkdir(`${root}/src/${long}`, { recursive: true });
  await Deno.writeTextFile(`${root}/src/${long}/f.txt`, "deep");
  await Deno.writeTextFile(`${root}/src/ünï.txt`, "unicode");
  await Deno.writeTextFile(`${root}/src/run.sh`, "#!/bin/sh\n");
  await Deno.chmod(`${root}/src/run.sh`, 0o755);
  await Deno.symlink("ünï.txt", `${root}/src/link`);
  await tarGzToFile(`${root}/src`, `${root}/a.tgz`);
  assert.ok(await isTarGz(`${root}/a.tgz`));
  await Deno.writeTextFile(`${root}/plain`, "not a tarball");
  assert.ok(!(await isTarGz(`${root}/plain`)));

  await Deno.mkdir(`${root}/out`);
  const file = await Deno.open(`${root}/a.tgz`);
  await untarGz(file.readable, `${root}/out`, TEST_LIMITS);
  assert.deepEqual(await listTree(`${root}/out/src`), await listTree(`${root}/src`));
  assert.equal(await Deno.readTextFile(`${root}/out/src/${long}/f.txt`), "deep");
  assert.equal(await Deno.readLink(`${root}/out/src/link`), "ünï.txt");
  assert.equal((await Deno.stat(`${root}/out/src/run.sh`)).mode! & 0o777, 0o755);

  // GNU tar reads the same archive.
  const listed = await new Deno.Command("tar", { args: ["tzf", `${root}/a.tgz`] }).output();
  if (listed.success) {
    const names = new TextDecoder().decode(listed.stdout).split("\n");
    assert.ok(names.includes(`src/${long}/f.txt`));
    assert.ok(names.includes("src/ünï.txt"));
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("tar: archives made by GNU tar (long names, hard links) unpack", async () => {
  const root = await Deno.makeTempDir();
  const long = "n".repeat(180);
  await Deno.mkdir(`${root}/src/${long}`, { recursive: true });
  await Deno.writeTextFile(`${root}/src/${long}/f`, "F");
  await Deno.link(`${root}/src/${long}/f`, `${root}/src/hard`);
  const made = await new Deno.Command("tar", {
    args: ["--format=gnu", "-czf", `${root}/g.tgz`, "-C", root, "src"],
  }).output().catch(() => undefined);
  if (!made?.success) return; // no GNU tar here
  await Deno.mkdir(`${root}/out`);
  const file = await Deno.open(`${root}/g.tgz`);
  await untarGz(file.readable, `${root}/out`, TEST_LIMITS);
  assert.equal(await Deno.readTextFile(`${root}/out/src/${long}/f`), "F");
  assert.equal(await Deno.readTextFile(`${root}/out/src/hard`), "F");
  await Deno.remove(root, { recursive: true });
});
