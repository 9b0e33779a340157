import assert from "node:assert/strict";
import { memoryIo, runCli } from "./mod.ts";

async function completion(shell: string): Promise<string> {
  const io = memoryIo();
  assert.equal(await runCli(["completion", shell], io), 0, io.stderr());
  return io.stdout();
}

Deno.test("completion bash is valid bash and knows nested commands and flags", async () => {
  const script = await completion("bash");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.bash`, script);
    const check = await new Deno.Command("bash", { args: ["-n", `${dir}/c.bash`] }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
    // Complete `argo-ts template c<TAB>` and `argo-ts logs --ti<TAB>` in a real bash.
    const probe = `source ${dir}/c.bash
COMP_WORDS=(argo-ts template c); COMP_CWORD=2; _argo_ts; echo "\${COMPREPLY[*]}"
COMP_WORDS=(argo-ts logs --ti); COMP_CWORD=2; _argo_ts; echo "\${COMPREPLY[*]}"
COMP_WORDS=(argo-ts -n argo cron s); COMP_CWORD=4; _argo_ts; echo "\${COMPREPLY[*]}"`;
    const run = await new Deno.Command("bash", { args: ["-c", probe] }).output();
    const lines = new TextDecoder().decode(run.stdout).split("\n");
    assert.equal(lines[0], "create");
    assert.equal(lines[1], "--timestamps");
    assert.equal(lines[2], "suspend");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("completion zsh and fish cover the command tree", async () => {
  assert.match(await completion("zsh"), /^#compdef argo-ts\n.*bashcompinit/s);
  const fish = await completion("fish");
  assert.match(fish, /complete -c argo-ts -f -n '__fish_use_subcommand' -a 'submit'/);
  assert.match(fish, /-n '__fish_seen_subcommand_from logs' -s f -l follow/);
});

Deno.test("completion of an unknown shell is a usage error", async () => {
  const io = memoryIo();
  assert.equal(await runCli(["completion", "tcsh"], io), 2);
  assert.match(io.stderr(), /unknown shell "tcsh"; use bash, zsh or fish/);
});
