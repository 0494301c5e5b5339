import { decodeBody, encodeBody, MessageHeader } from './message-codec';

describe('message codec: the delay field', () => {
  const base: MessageHeader = { priority: 2, maxRetries: 3, timeoutMs: 0, createdAt: 1000, type: 't' };

  it('is written last, only for a delayed publish, and read back with the group and trace', () => {
    expect(encodeBody(base, '{"a":1}')).toBe('1|2|3|0|1000|t|{"a":1}');
    const body = encodeBody({ ...base, group: 'g', trace: 'tp', delayMs: 250 }, '"@x"');
    expect(body).toBe('1|2|3|0|1000|t|^g|~tp|@250|"@x"');
    expect(decodeBody(body)).toEqual({ ok: true, header: { ...base, group: 'g', trace: 'tp', delayMs: 250 }, payload: '@x' });
    expect(decodeBody('1|2|3|0|1000|t|@7|[1]')).toEqual({ ok: true, header: { ...base, delayMs: 7 }, payload: [1] });
  });

  it('a malformed delay makes the body invalid (dead-lettered with the reason), never a wrong number', () => {
    for (const body of ['1|2|3|0|1000|t|@|{}', '1|2|3|0|1000|t|@-5|{}', '1|2|3|0|1000|t|@5', '1|2|3|0|1000|t|@1e3|{}']) {
      expect(decodeBody(body).ok).toBe(false);
    }
  });
});
