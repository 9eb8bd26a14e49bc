/** Number formats and the plain-text table every bench report prints. */

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const ms = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
export const pct = (n: number | undefined): string => (n === undefined ? '?' : `${Math.round(n)}%`);

/** Columns padded to their widest cell; `rightAligned[i]` right-aligns column i (numbers). */
export function table(
  rows: readonly (readonly string[])[],
  rightAligned: readonly boolean[],
): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) =>
          rightAligned[i] === true ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
