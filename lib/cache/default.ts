import "server-only";

// The process's cache and tag store for server code (lib/cache/process.ts);
// "server-only" keeps them out of any client bundle.
export { closeCache, getCache, getTagStore } from "./process";
