/**
 * Column alignment with the semantics of Go's `text/tabwriter` (elastic tabstops, minwidth 0,
 * pad character ' ', no flags), which Argo's tables go through. Reproducing its rules, not
 * just "pad every column", matters for byte-identical output:
 *
 * - a line is split into cells at tabs; only tab-terminated cells belong to a column, the text
 *   after the last tab is printed as is (so rows can end in padding spaces);
 * - a column's width is set per block of consecutive lines that have a cell in it, so a row
 *   with fewer cells (Argo's empty separator row) starts new blocks for the columns it lacks;
 * - widths count code points, escape sequences included (Argo wraps every icon and the STEP
 *   header in colour codes so that rows stay aligned).
 *
 * @module
 */

/** Code points in `text` (what Go's `utf8.RuneCount` counts). */
export function runeCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // A low surrogate completes a pair whose high half was already counted.
    if (code < 0xdc00 || code > 0xdfff) count++;
  }
  return count;
}

/**
 * Aligns `lines` (each without its newline; cells separated by `\t`) and returns the text with
 * every line ending in `\n`. `padding` spaces are added to each column's widest cell.
 */
export function tabwrite(lines: string[], padding: number): string {
  const cells: string[][] = lines.map((line) => line.split("\t"));
  const cellWidths: number[][] = cells.map((row) => row.map(runeCount));
  const out: string[] = [];
  const widths: number[] = [];
  let spaces = "";

  const pad = (count: number): string => {
    if (count <= 0) return "";
    // One shared run of spaces, sliced, instead of a new repeat() per cell.
    if (count > spaces.length) spaces = " ".repeat(Math.max(count, 2 * spaces.length, 64));
    return spaces.slice(0, count);
  };

  const writeLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const row = cells[i];
      const rowWidths = cellWidths[i];
      let text = "";
      for (let j = 0; j < row.length; j++) {
        text += row[j];
        if (j < widths.length) text += pad(widths[j] - rowWidths[j]);
      }
      out.push(text);
    }
  };

  // Go's recursive block formatting: for the next column, find each block of consecutive lines
  // with a terminated cell there, fix its width, then format the columns to its right.
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let current = line0; current < line1; current++) {
      if (column >= cells[current].length - 1) continue;
      writeLines(start, current);
      const blockStart = current;
      let width = 0;
      for (; current < line1; current++) {
        if (column >= cells[current].length - 1) break;
        width = Math.max(width, cellWidths[current][column] + padding);
      }
      widths.push(width);
      format(blockStart, current);
      widths.pop();
      start = current;
      // The outer loop's increment would skip the line that ended the block.
      current--;
    }
    writeLines(start, line1);
  };

  format(0, cells.length);
  return out.length === 0 ? "" : out.join("\n") + "\n";
}
