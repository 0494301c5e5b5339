import { crc16, fnv1a, keySlot } from './key-slot';

describe('key slots', () => {
  it('CRC16 is the XMODEM variant of the Redis Cluster specification', () => {
    expect(crc16('123456789')).toBe(0x31c3);
  });

  it('slots match CLUSTER KEYSLOT, hash tags included', () => {
    // values from a Redis 7 `CLUSTER KEYSLOT`
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('mq:{foo}:msgs')).toBe(12182);
    expect(keySlot('{}foo')).toBe(keySlot('{}foo'));
    expect(keySlot('{}foo')).not.toBe(keySlot('foo'));
  });

  it('FNV-1a is stable and spreads keys', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    const buckets = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) buckets[fnv1a(`meeting-${i}`) % 4]++;
    for (const n of buckets) expect(n).toBeGreaterThan(850);
  });
});
