import type { StoredDeadLetter } from '../queue-store';
import type { QueueScriptContext } from './queue-scripts';

/**
 * The dead-letter operations of a `RedisQueueStore` (`dlq` zset id -> dead time, `dlqinfo` hash
 * id -> info JSON; the body stays in `msgs`): listing, replay and deletion, each one script.
 */
export class RedisDeadLetters {
  constructor(private readonly context: QueueScriptContext) {}

  async page(offset: number, limit: number): Promise<{ items: StoredDeadLetter[]; total: number }> {
    return this.dlqPage(['page', offset, limit]);
  }

  async get(id: string): Promise<StoredDeadLetter | null> {
    return (await this.dlqPage(['get', id])).items[0] ?? null;
  }

  /** Replays the given ids (or up to `limit` oldest when ids is null); returns the replayed ids. */
  async replay(ids: string[] | null, limit: number): Promise<string[]> {
    const k = this.context.keys;
    const keys = [...k.tiers, k.msgs, k.att, k.errors, k.dlq, k.dlqinfo, k.stats, k.wake, ...k.groupKeys(), k.meta];
    return this.context.writes.run<string[]>('dlq-replay', keys, [limit, ...(ids ?? [])], 'dead-letter replay', 'reject');
  }

  /** Deletes the given ids (or up to `limit` when ids is null); returns how many were removed. */
  async delete(ids: string[] | null, limit: number): Promise<number> {
    const { client, keys: k, lua } = this.context;
    return lua.run<number>(client, 'dlq-delete', [k.msgs, k.att, k.errors, k.dlq, k.dlqinfo], [limit, ...(ids ?? [])]);
  }

  private async dlqPage(args: Array<string | number>): Promise<{ items: StoredDeadLetter[]; total: number }> {
    const { client, keys: k, lua } = this.context;
    const [total, ids, times, bodies, infos] = await lua.run<[number, string[], string[], Array<string | null>, Array<string | null>]>(
      client,
      'dlq-page',
      [k.dlq, k.dlqinfo, k.msgs],
      args,
    );
    return {
      total,
      items: ids.map((id, i) => ({ id, body: bodies[i], infoJson: infos[i] ?? '{}', deadAt: Number(times[i]) })),
    };
  }
}
