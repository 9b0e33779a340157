/**
 * `argo-ts completion bash|zsh|fish`: shell completion generated from the command tree, so a new
 * command or flag completes without touching this file.
 */
import { Command, type Option } from "@commander-js/extra-typings";
import type { CliContext } from "./io.ts";
import { EXIT_USAGE } from "./not_built.ts";

type AnyCommand = Command<unknown[], Record<string, unknown>>;

interface Entry {
  /** Words from the program to this command, e.g. `["template", "create"]`. */
  path: string[];
  description: string;
  subcommands: string[];
  options: Option[];
}

/** Every command of the tree, the root first. */
function walk(command: AnyCommand, path: string[] = []): Entry[] {
  const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const entries: Entry[] = [{
    path,
    description: command.description(),
    subcommands: visible.map((c) => c.name()),
    options: command.options as Option[],
  }];
  for (const sub of visible) entries.push(...walk(sub as AnyCommand, [...path, sub.name()]));
  return entries;
}

function flags(options: Option[]): string[] {
  return options.flatMap((o) => [o.short, o.long].filter((f): f is string => !!f));
}

/** Quotes for a single-quoted shell string. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

export function bashCompletion(program: AnyCommand): string {
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
  const entries = walk(program);
  // `--version` belongs to the program alone; the others are accepted after any command.
  const globalFlags = flags(program.options as Option[]).filter((f) => f !== "--version");
  const paths = entries.filter((e) => e.path.length > 0).map((e) => quote(e.path.join(" ")));
  const cases = entries.map((e) => {
    const words = [...e.subcommands, ...flags(e.options), ...(e.path.length ? globalFlags : [])];
    return `    ${quote(e.path.join(" "))}) words=${quote(words.join(" "))} ;;`;
  });
  return `# bash completion for ${name}; load with: source <(${name} completion bash)
${fn}() {
  local cur word path="" words="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "\${path:+$path }$word" in
      ${paths.join("|")}) path="\${path:+$path }$word" ;;
    esac
  done
  case "$path" in
${cases.join("\n")}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

export function zshCompletion(program: AnyCommand): string {
  // zsh runs the bash function through bashcompinit: one generator, the same behaviour.
  return `#compdef ${program.name()}
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}

export function fishCompletion(program: AnyCommand): string {
  const name = program.name();
  const lines = [`# fish completion for ${name}; load with: ${name} completion fish | source`];
  const desc = (text: string) => text ? ` -d ${quote(text)}` : "";
  for (const entry of walk(program)) {
    const condition = entry.path.length === 0
      ? "__fish_use_subcommand"
      : `__fish_seen_subcommand_from ${entry.path[entry.path.length - 1]}`;
    const sub = walk(program).filter((e) =>
      e.path.length === entry.path.length + 1 &&
      e.path.slice(0, -1).join(" ") === entry.path.join(" ")
    );
    for (const child of sub) {
      lines.push(
        `complete -c ${name} -f -n ${quote(condition)} -a ${
          quote(child.path[child.path.length - 1])
        }${desc(child.description)}`,
      );
    }
    for (const option of entry.options) {
      const short = option.short ? ` -s ${option.short.replace(/^-/, "")}` : "";
      const long = option.long ? ` -l ${option.long.replace(/^--/, "")}` : "";
      const value = option.required || option.optional ? " -r" : "";
      const when = entry.path.length === 0 ? "" : ` -n ${quote(condition)}`;
      lines.push(`complete -c ${name}${when}${short}${long}${value}${desc(option.description)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** `completion SHELL`; `root` gives the whole program once it is built. */
export function completionCommand(ctx: CliContext, root: () => AnyCommand) {
  return new Command("completion")
    .description("Output shell completion code for bash, zsh or fish")
    .argument("<shell>", "bash, zsh or fish")
    .action((shell) => {
      const program = root();
      const generators: Record<string, (p: AnyCommand) => string> = {
        bash: bashCompletion,
        zsh: zshCompletion,
        fish: fishCompletion,
      };
      const generate = generators[shell];
      if (!generate) {
        ctx.io.err(`argo-ts completion: unknown shell "${shell}"; use bash, zsh or fish\n`);
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      ctx.io.out(generate(program));
    });
}
