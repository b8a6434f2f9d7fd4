/**
 * Where a session that no lane holds yet goes (its first build is cold: the whole transcript is read).
 *
 * Why by load and not by sessions held: a lane's sessions are mostly idle between turns, while one
 * cold build keeps its lane busy for its whole read. Placing a new session by the number of sessions
 * a lane holds put it behind another agent's cold build whenever that lane happened to hold fewer
 * sessions, and five agents going cold at once queued on whichever lanes the counts picked. By jobs
 * waiting or running, concurrent cold builds spread over the pool; the session count only breaks ties,
 * so idle lanes still fill evenly. Once placed, a session stays (its state lives in that worker).
 */

/** What the choice reads of a lane. */
export interface LaneLoad {
  /** Builds waiting or running on the lane. */
  readonly load: number;
  /** Sessions whose state the lane's worker holds. */
  readonly sessions: { readonly size: number };
}

/** The lane with the fewest builds waiting or running; among those, the one holding the fewest sessions; then the first. */
export function leastBusyLane<L extends LaneLoad>(lanes: readonly L[]): L {
  let best = lanes[0]!;
  for (const lane of lanes) {
    if (lane.load < best.load || (lane.load === best.load && lane.sessions.size < best.sessions.size)) best = lane;
  }
  return best;
}
