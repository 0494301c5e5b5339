import { CLUSTER_SLOTS, keySlot } from '../../util/key-slot';
import { choosePartition, idInPartition, partitionOfId, partitionTag, partitionTagOfId, partitionTags } from './partition-layout';

/** The master owning a slot in a Cluster of `masters` masters with equal consecutive ranges (as `redis-cli --cluster create` splits them). */
const masterOf = (slot: number, masters: number) => Math.min(masters - 1, Math.floor(slot / Math.ceil(CLUSTER_SLOTS / masters)));

describe('partition layout', () => {
  it('one partition keeps the plain {name} tag (the layout of unpartitioned queues)', () => {
    expect(partitionTag('orders', 0, 1)).toBe('orders');
    expect(partitionTags('orders', 1)).toEqual(['orders']);
  });

  it('N partitions of any name: each on its own master of an evenly split Cluster when N <= masters; every master used on 2 to 4 masters', () => {
    for (const name of ['orders', 'meeting_system', 'ai-tasks', 'q1', 'x']) {
      for (let n = 2; n <= 16; n++) {
        const slots = partitionTags(name, n).map((tag) => keySlot(`mq:{${tag}}:msgs`));
        expect(new Set(slots).size).toBe(n);
        for (const masters of [2, 3, 4, 6, 8]) {
          const used = new Set(slots.map((s) => masterOf(s, masters))).size;
          if (n <= masters) expect(used).toBe(n);
          else if (masters <= 4) expect(used).toBe(masters);
        }
      }
    }
  });

  it('tags cannot collide with another queue name (~ is not allowed in names) and are stable', () => {
    expect(partitionTag('orders', 2, 4)).toMatch(/^orders~2of4\.\d+$/);
    expect(partitionTag('orders', 2, 4)).toBe(partitionTag('orders', 2, 4));
  });

  it('ids name their partition; ids of another layout or without a suffix spread by hash', () => {
    expect(partitionOfId(idInPartition('abc', 3, 4), 4)).toBe(3);
    const other = partitionOfId(idInPartition('abc', 3, 8), 4);
    expect(other).toBeGreaterThanOrEqual(0);
    expect(other).toBeLessThan(4);
    expect(partitionOfId('garbage-id', 4)).toBe(partitionOfId('garbage-id', 4));
    // the tag from the id alone (the scheduler wakes the partition of a one-off task so)
    expect(partitionTagOfId('orders', idInPartition('abc', 3, 4))).toBe(partitionTag('orders', 3, 4));
    expect(partitionTagOfId('orders', 'abc')).toBe('orders');
  });

  it('a key always picks the same partition; no key goes round robin', () => {
    expect(new Set(Array.from({ length: 20 }, () => choosePartition('meeting-42', 4))).size).toBe(1);
    const seen = Array.from({ length: 8 }, () => choosePartition(undefined, 4));
    expect(new Set(seen).size).toBe(4);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBe((seen[i - 1] + 1) % 4);
  });
});
