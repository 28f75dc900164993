/**
 * The harness talks to its servers with the app's own drivers (`pg`, `mysql2`). Both are optional
 * peer dependencies of the package: each is loaded on first use, so a MariaDB-only user needs no
 * `pg`, and its absence is reported with the command that fixes it.
 */

/** A loader for an optional peer, loaded once; a failed load is retried on the next call. */
export function optionalPeer<Module>(
  load: () => Promise<unknown>,
  whenMissing: string,
): () => Promise<Module> {
  let loading: Promise<Module> | undefined;
  return () => {
    loading ??= load().then(
      // The drivers are CommonJS: under ESM their exports arrive as the default export, under CommonJS directly.
      (loaded) => ((loaded as { default?: Module }).default ?? loaded) as Module,
      (error: unknown) => {
        loading = undefined;
        throw new Error(whenMissing, { cause: error });
      },
    );
    return loading;
  };
}

const END_GRACE_MS = 500;

/**
 * Closes a session politely, but never waits on a server that cannot answer (a SIGSTOPped one
 * would keep the goodbye pending forever): after a grace period the socket is destroyed.
 */
export async function closeSession(end: () => Promise<unknown>, destroySocket: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      end().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, END_GRACE_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    destroySocket();
  }
}
