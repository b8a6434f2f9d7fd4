/**
 * The active branch: from the leaf up the `parentId` links to the root, as pi's `buildSessionContext`
 * walks it, without pi's costs and hang. pi builds the path with `Array.unshift` (O(n²) in path length)
 * and loops forever on a parentId cycle; here the walk pushes and reverses once (O(n)) and a visited set
 * cuts a cycle where it closes. Generic over what a node is (an index record, a record number), so the
 * compiler and the OpenClaw session read walk the same way.
 */

/** How the walk ended: at a root (no parentId), on a cycle, or at a parentId that names no entry. */
export type WalkStop = "root" | "cycle" | "dangling";

export interface BranchWalk<T> {
  /** Root first, the leaf last. */
  path: T[];
  stop: WalkStop;
  /** For "cycle": the node the loop came back to; for "dangling": the node whose parent is missing. */
  at: T | undefined;
}

/**
 * Walks from `leaf` to the root. `parentOf(node)`: the parent node, `null` when the node has no parent
 * (pi: a falsy parentId), `undefined` when its parentId names no entry.
 */
export function walkBranch<T>(leaf: T, parentOf: (node: T) => T | null | undefined): BranchWalk<T> {
  const path: T[] = [];
  const onPath = new Set<T>();
  let current: T = leaf;
  let stop: WalkStop = "root";
  let at: T | undefined;
  for (;;) {
    if (onPath.has(current)) {
      stop = "cycle";
      at = current;
      break;
    }
    onPath.add(current);
    path.push(current);
    const parent = parentOf(current);
    if (parent === null) break;
    if (parent === undefined) {
      stop = "dangling";
      at = current;
      break;
    }
    current = parent;
  }
  path.reverse();
  return { path, stop, at };
}
