// Entry point of the post step. It never fails the job: a cache that could not be saved costs
// the next run time, not this one its result (as actions/cache and setup-uv do in their save
// entry points), so every error, even one thrown outside runPost's own guards, is a warning.
import * as core from '@actions/core';
import { errorMessage } from './errors.js';
import { runPost } from './post-main.js';

export function warnInstead(error: unknown): void {
  core.warning(
    `The post step could not save the cache (the job is not failed for it): ${errorMessage(error)}`
  );
}

async function runPostEntry(): Promise<void> {
  // The cache library may reject a promise nobody awaits, or throw from a timer.
  process.on('unhandledRejection', warnInstead);
  process.on('uncaughtException', warnInstead);
  try {
    await runPost();
  } catch (error) {
    warnInstead(error);
  }
  process.exitCode = 0;
}

await runPostEntry();
