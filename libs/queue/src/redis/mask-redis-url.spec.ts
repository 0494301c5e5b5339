import { maskRedisUrl } from './redis-connection';

describe('maskRedisUrl', () => {
  it.each([
    ['redis://user:secret@host:6379/0', 'redis://user:***@host:6379/0'],
    ['rediss://:secret@host', 'rediss://:***@host'],
    // a raw @ : / in the password (a URL the client cannot parse, shown in an error)
    ['redis://u:p@ss:w/rd@h:6379/0', 'redis://u:***@h:6379/0'],
    ['redis://u:pa/ss@h:1', 'redis://u:***@h:1'],
    ['redis://secret@h', 'redis://***@h'],
    ['redis://h:6379/?password=secret&family=6', 'redis://h:6379/?password=***&family=6'],
    ['http://user:secret@host', 'http://user:***@host'],
    ['redis://h:6379', 'redis://h:6379'],
  ])('%s -> %s', (url, masked) => {
    expect(maskRedisUrl(url)).toBe(masked);
    expect(maskRedisUrl(url)).not.toMatch(/secret|ss:w|pa\/ss/);
  });
});
