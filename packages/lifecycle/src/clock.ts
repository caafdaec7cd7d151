/**
 * The wall clock an app takes its decisions by time of day on: how old a command or a change
 * is, the retention cutoff, "today", the times it writes down. Every app takes one in its
 * `createApp` deps, so a test can set the time an app lives in. Latencies and timeouts are
 * durations, not times of day, and do without it.
 */
export type Clock = () => Date;

/** The machine's clock. */
export const systemClock: Clock = () => new Date();
