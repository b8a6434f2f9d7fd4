/** Splits a transcript into a prefix and its last `tailLines` lines (whole lines, each ending in "\n"). */
export function splitTail(text: string, tailLines: number): [string, string] {
  const lines = text.split("\n").slice(0, -1);
  const cut = lines.length - tailLines;
  return [lines.slice(0, cut).join("\n") + "\n", lines.slice(cut).join("\n") + "\n"];
}
