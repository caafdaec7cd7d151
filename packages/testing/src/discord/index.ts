export {
  DiscordDouble,
  INTENTS,
  PERMISSIONS,
  user,
  type DiscordDoubleOptions,
  type DoubleGuild,
  type DoubleUser,
  type InteractionOption,
  type SentFile,
  type SentRecord,
} from './double.js';
export { snowflake, snowflakeTime } from './snowflake.js';
