export { parseSeedArgs, SeedUsageError, SEED_USAGE, type ParsedSeedArgs, type SeedArgs } from "./args";
export {
  FIXED_ANCHOR,
  generateAll,
  generatePostBatches,
  generateUsers,
  resolveAnchor,
  type SeedBatch,
  type SeedComment,
  type SeedConfig,
  type SeedLike,
  type SeedPost,
  type SeedUser,
} from "./generate";
export { DEMO_PASSWORD, hashDemoPassword } from "./password";
export { createProgressBar, formatSummary, type ProgressBar } from "./progress";
export {
  DatabaseNotEmptyError,
  hasBlogData,
  seedDatabase,
  type SeedCounts,
  type SeedOutcome,
  type SeedProgress,
  type WriteSeedOptions,
} from "./write";
