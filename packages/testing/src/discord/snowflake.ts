const DISCORD_EPOCH = 1_420_070_400_000n;
let sequence = 0n;

/** A Discord id: milliseconds since Discord's epoch, shifted, plus a counter. */
export function snowflake(atMs = Date.now()): string {
  sequence = (sequence + 1n) & 0xfffn;
  return (((BigInt(atMs) - DISCORD_EPOCH) << 22n) | sequence).toString();
}

/** When a snowflake was made, epoch ms. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}
