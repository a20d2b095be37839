/**
 * Resolves after `ms` milliseconds. For back-off between retries and polling with a bounded count, never as a wait for
 * an event.
 *
 * @example
 * await sleep(50);
 */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
