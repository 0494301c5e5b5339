import { readLuaHeader } from '@meeting/queue/testing';
import { CHANGE_IF_SESSION_LUA, changeIfSessionArgs, MARK_REMOVED_LUA, markRemovedArgs } from './redis-presence.repository';

describe('change-if-session script', () => {
  it('opens with a header listing KEYS and ARGV (in the order the caller passes them) and uses exactly those', () => {
    const { opensWithHeader, header, declared, used } = readLuaHeader(CHANGE_IF_SESSION_LUA);
    expect(opensWithHeader).toBe(true);
    expect(header).toMatch(/^\s*KEYS\[1\]\s+presence\s+hash\b/m);
    expect([declared.KEYS, declared.ARGV]).toEqual([[1], [1, 2, 3]]);
    expect([used.KEYS, used.ARGV]).toEqual([declared.KEYS, declared.ARGV]);
    // numkeys, KEYS[1] the presence hash, ARGV[1] participant, ARGV[2] session, ARGV[3] the change
    expect(changeIfSessionArgs('k', 'ann', 's1', 'mute:1')).toEqual([1, 'k', 'ann', 's1', 'mute:1']);
  });

  it('the mark-removed script opens with a header listing KEYS and ARGV (in the order the caller passes them) and uses exactly those', () => {
    const { opensWithHeader, header, declared, used } = readLuaHeader(MARK_REMOVED_LUA);
    expect(opensWithHeader).toBe(true);
    expect(header).toMatch(/^\s*KEYS\[1\]\s+removals\s+hash\b/m);
    expect([declared.KEYS, declared.ARGV]).toEqual([[1], [1, 2, 3]]);
    expect([used.KEYS, used.ARGV]).toEqual([declared.KEYS, declared.ARGV]);
    expect(markRemovedArgs('k', 'eve', 6, 1000)).toEqual([1, 'k', 'eve', '6', '1000']);
  });
});
