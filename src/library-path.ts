// LD_LIBRARY_PATH for children and later steps: a folder of shared libraries put first, once.
export function prependLibraryPath(
  dir: string,
  env: NodeJS.ProcessEnv = process.env
): { LD_LIBRARY_PATH: string } {
  const rest = (env.LD_LIBRARY_PATH ?? '').split(':').filter(d => d !== '' && d !== dir);
  return { LD_LIBRARY_PATH: [dir, ...rest].join(':') };
}
