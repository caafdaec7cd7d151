export {
  DiscordDouble,
  INTENTS,
  PERMISSIONS,
  user,
  type DiscordDoubleOptions,
  type DoubleGuild,
  type DoubleOption,
  type DoubleUser,
  type SentFile,
  type SentRecord,
} from './double.js';
export { snowflake, snowflakeTime } from './snowflake.js';
