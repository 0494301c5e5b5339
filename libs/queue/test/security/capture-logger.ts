import { QueueManager, QueueLogger } from '../../src';

/** A QueueLogger that keeps every line (with its context) for assertions; nothing is printed. */
export function captureLogger(): { logger: QueueLogger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const make = (context: string): QueueLogger => {
    const line = (level: string) => (message: string) => void lines.push(`${level} [${context}] ${message}`);
    return { log: line('log'), warn: line('warn'), error: line('error'), debug: line('debug'), child: (name: string) => make(name) };
  };
  return { logger: make('root'), lines, text: () => lines.join('\n') };
}

/** What `QueueManager.create` rejects with for `input` (the manager, shut down again, if it does not). */
export async function createError(input: Record<string, unknown>): Promise<unknown> {
  try {
    const manager = await QueueManager.create(input, { env: {}, logger: captureLogger().logger });
    await manager.shutdown();
    return manager;
  } catch (error) {
    return error;
  }
}
