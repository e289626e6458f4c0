// The post step: saves the virtualenv to the cache when the main step says it may.
import * as core from '@actions/core';

export async function runPost(): Promise<void> {
  core.info('Nothing to save: caching is not enabled in this version.');
}
