/**
 * Per-connection message statistics (for pacing and for benchmarks): messages received, the most
 * messages in any sliding one-second window, pacing violations. Kept after a connection closes.
 */

/** Statistics of one client connection. */
export interface ConnectionStats {
  readonly connectionId: number;
  clientId: number | undefined;
  readonly connectedAt: number;
  closedAt: number | undefined;
  /** total client messages (frames) received */
  messages: number;
  /** messages in the last one-second window, as of the latest message */
  currentPerSecond: number;
  /** the most client messages seen in any one-second window */
  maxPerSecond: number;
  /** error-100 pacing violations */
  violations: number;
}

/** Summary over all connections, as GET /state shows it under `stats`. */
export interface StatsSnapshot {
  /** the most client messages any single connection sent in one one-second window */
  readonly maxMessagesPerSecond: number;
  readonly totalMessages: number;
  readonly connections: readonly ConnectionStats[];
}

/** Registry of connection statistics. */
export class StatsRegistry {
  private readonly list: ConnectionStats[] = [];
  private nextId = 1;

  /** Registers a new connection and returns its (mutable) record. */
  open(now: number): ConnectionStats {
    const s: ConnectionStats = {
      connectionId: this.nextId++, clientId: undefined, connectedAt: now, closedAt: undefined,
      messages: 0, currentPerSecond: 0, maxPerSecond: 0, violations: 0,
    };
    this.list.push(s);
    if (this.list.length > 1000) this.list.splice(0, this.list.length - 1000);
    return s;
  }

  /** A copy of every record plus the maxima. */
  snapshot(): StatsSnapshot {
    const connections = this.list.map((s) => ({ ...s }));
    return {
      maxMessagesPerSecond: connections.reduce((m, s) => Math.max(m, s.maxPerSecond), 0),
      totalMessages: connections.reduce((m, s) => m + s.messages, 0),
      connections,
    };
  }
}
