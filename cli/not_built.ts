/** The one message a command or mode that is not built yet prints, with exit code 2. */

/** Exit code for usage errors and for modes that are not built yet. */
export const EXIT_USAGE = 2;

/** The one-line message for a command or mode that this build does not have yet. */
export function notBuiltMessage(what: string): string {
  return `argo-ts: '${what}' is not built yet in this version of argo-ts; ` +
    `see docs/compatibility.md for what works today\n`;
}
