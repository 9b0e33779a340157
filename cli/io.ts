/**
 * The I/O a command sees: output streams, standard input, terminal and environment facts.
 * Commands take it as a parameter so tests can run them in-process and read what they print.
 */
export interface CliIo {
  /** Writes to standard output (documents and results only). */
  out(text: string): void;
  /** Writes to standard error (diagnostics, progress, warnings). */
  err(text: string): void;
  /** Reads all of standard input as text. */
  readStdin(): Promise<string>;
  /** Whether standard output is a terminal (colour and live redraws only then). */
  isTerminal: boolean;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
}

/** State shared by every command of one invocation: the I/O and the exit code it ends with. */
export interface CliContext {
  io: CliIo;
  exitCode: number;
}

/** The process's real I/O. */
export function processIo(): CliIo {
  const encoder = new TextEncoder();
  return {
    out: (text) => writeAll(Deno.stdout, encoder.encode(text)),
    err: (text) => writeAll(Deno.stderr, encoder.encode(text)),
    readStdin: () => new Response(Deno.stdin.readable).text(),
    isTerminal: Deno.stdout.isTerminal(),
    env: (name) => Deno.env.get(name),
  };
}

function writeAll(target: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += target.writeSync(bytes.subarray(written));
}

/** An in-memory I/O for tests: collects what was written and serves a fixed stdin. */
export function memoryIo(
  options: { stdin?: string; env?: Record<string, string>; isTerminal?: boolean } = {},
): CliIo & { stdout: () => string; stderr: () => string } {
  let stdout = "";
  let stderr = "";
  return {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    readStdin: () => Promise.resolve(options.stdin ?? ""),
    isTerminal: options.isTerminal ?? false,
    env: (name) => options.env?.[name],
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
