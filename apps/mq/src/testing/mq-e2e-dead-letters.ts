/**
 * mq.e2e.spec.ts, dead letters: `dlq list` (and what it counts) / `dlq show`, `dlq replay` and `dlq purge` on the four dead
 * letters of the seeded `mail` queue. The tests run in this order: each counts what the one before left.
 */
import { waitFor } from '@meeting/queue/testing';
import { mailSendWorker } from './mail-seed';
import { MqE2e } from './mq-e2e-context';

/** Registers the dead-letter tests in the calling describe. */
export function deadLetterScenarios(e2e: () => MqE2e): void {
  it('dlq list filters by type and counts what matches (the total of the type, the queue total beside it); show prints error, stack and payload as text', async () => {
    const { mailDead, mq, json } = e2e();
    const list = await json<{ total: number; matched: number; matchedExact: boolean; items: Array<{ id: string; type: string }> }>([
      'dlq',
      'list',
      'mail',
      '--type',
      'send',
    ]);
    expect(list).toMatchObject({ total: 4, matched: 3, matchedExact: true });
    expect(list.items.map((d) => d.id).sort()).toEqual(mailDead.slice(0, 3).sort());
    // the count goes past --limit: one shown of the three of the type
    const one = await mq(['dlq', 'list', 'mail', '--type', 'send', '--limit', '1']);
    expect(one.stdout.split('\n')[0]).toBe('mail: 1 shown of 3 dead letters of type send (4 in the queue)');
    expect((await mq(['dlq', 'list', 'mail', '--type', 'other'])).stdout.split('\n')[0]).toBe('mail: 1 shown of 1 dead letter of type other (4 in the queue)');
    expect((await mq(['dlq', 'list', 'mail', '--limit', '2'])).stdout.split('\n')[0]).toBe('mail: 2 shown of 4 dead letters');
    expect((await mq(['dlq', 'list', 'mail', '--type', 'send', '--scan', '-1'])).code).toBe(2);
    expect((await json<{ items: unknown[] }>(['dlq', 'list', 'mail', '--since', '1h'])).items).toHaveLength(4);
    const show = await mq(['dlq', 'show', 'mail', mailDead[1]]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('Error: smtp down');
    expect(show.stdout).toMatch(/stack\n\s+Error: smtp down\n\s+at /);
    expect(show.stdout).toContain('"<script>alert(1)</script>"');
    expect((await mq(['dlq', 'show', 'mail', 'nope'])).code).toBe(1);
  });

  it('dlq replay puts a dead letter back and it runs; peek --tier completed then shows its record (no payload kept)', async () => {
    const { client, prefix, closeLater, mailDead, mq, json } = e2e();
    const run = await mq(['dlq', 'replay', 'mail', mailDead[0], 'missing-id']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`replayed 1: ${mailDead[0]}`);
    expect(run.stdout).toContain('not found 1: missing-id');
    const { queue: mail, ran } = mailSendWorker(client, prefix);
    closeLater.push(mail);
    await waitFor(() => ran.includes(mailDead[0]), 'the replayed dead letter runs');
    await waitFor(async () => (await json<{ state: string }>(['status', 'mail', mailDead[0]])).state === 'completed', 'completed status', 30_000, 200);
    // a completed message keeps id, type, attempts, times and result: no payload or priority column
    const [head, header, row] = (await mq(['peek', 'mail', '--tier', 'completed'])).stdout.split('\n');
    expect(head).toBe('mail completed: 1 of 1');
    expect(header.split(/\s{2,}/)).toEqual(['ID', 'TYPE', 'ATTEMPTS', 'CREATED', 'FINISHED', 'RESULT']);
    expect(row).toMatch(new RegExp(`^${mailDead[0]}\\s+send\\s+1\\s+\\S+Z\\s+\\S+Z\\s+"sent"$`));
    const page = await json<{ items: Array<Record<string, unknown>> }>(['peek', 'mail', '--tier', 'completed']);
    expect(page.items).toEqual([expect.objectContaining({ id: mailDead[0], type: 'send', attempts: 1, result: 'sent', payload: null, priority: null })]);
  });

  it('dlq purge refuses without --yes off a terminal, then deletes and names what it deleted', async () => {
    const { mailDead, mq, json } = e2e();
    const refused = await mq(['dlq', 'purge', 'mail', '--type', 'send']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--yes/);
    expect((await json<{ total: number }>(['dlq', 'list', 'mail'])).total).toBe(3);
    const purged = await json<{ deleted: string[] }>(['dlq', 'purge', 'mail', '--type', 'send', '--yes']);
    expect(purged.deleted.sort()).toEqual(mailDead.slice(1, 3).sort());
    const rest = await mq(['dlq', 'purge', 'mail', '--yes']);
    expect(rest.stdout).toBe(`deleted 1: ${mailDead[3]}\n`);
    expect((await json<{ total: number }>(['dlq', 'list', 'mail'])).total).toBe(0);
  });
}
