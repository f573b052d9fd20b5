import type { CliIo } from './io.ts';

/**
 * First Ctrl-C (or SIGTERM): abort the run — the current case stops loading, tears down what it
 * created and the reports are still written. A second one exits at once (open histories are still
 * flushed by their exit hook).
 */
export function onInterrupt(controller: AbortController, io: CliIo): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      io.err(`\nbrokerproof: ${signal} again, exiting now\n`);
      process.exit(2);
    }
    io.err(`\nbrokerproof: ${signal} received, stopping after cleaning up (again to exit at once)\n`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
