import { ConsoleQueueLogger, loggerFor } from './queue-logger';

describe('ConsoleQueueLogger', () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => err.push(String(chunk)) > 0);
  });
  afterEach(() => jest.restoreAllMocks());

  it('writes text lines with level and context; warn and error go to stderr', () => {
    const logger = new ConsoleQueueLogger({ format: 'text' }).child('Queue:jobs');
    logger.log('started');
    logger.warn('slow');
    logger.error('failed');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z LOG \[Queue:jobs\] started\n$/);
    expect(err.map((l) => l.replace(/^\S+ /, ''))).toEqual(['WARN [Queue:jobs] slow\n', 'ERROR [Queue:jobs] failed\n']);
  });

  it('writes one JSON object per line in json format', () => {
    new ConsoleQueueLogger({ format: 'json' }).child('Scheduler:ai').log('a "quoted"\nmessage');
    expect(out).toHaveLength(1);
    expect(out[0].endsWith('\n')).toBe(true);
    expect(out[0].trimEnd().includes('\n')).toBe(false);
    const line = JSON.parse(out[0]) as Record<string, unknown>;
    expect(line).toEqual({ time: expect.any(String), level: 'log', context: 'Scheduler:ai', message: 'a "quoted"\nmessage' });
  });

  it('defaults to json when NODE_ENV=production, text otherwise', () => {
    const saved = process.env.NODE_ENV;
    try {
      process.env.NODE_ENV = 'production';
      new ConsoleQueueLogger().log('x');
      process.env.NODE_ENV = 'development';
      new ConsoleQueueLogger().log('y');
    } finally {
      process.env.NODE_ENV = saved;
    }
    expect(JSON.parse(out[0])).toMatchObject({ level: 'log', message: 'x' });
    expect(out[1]).toMatch(/ LOG y\n$/);
  });

  it('drops debug lines unless debug is on, and children keep the setting', () => {
    new ConsoleQueueLogger({ format: 'text' }).debug('hidden');
    new ConsoleQueueLogger({ format: 'text', debug: true }).child('c').debug('shown');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/DEBUG \[c\] shown\n$/);
  });

  it('loggerFor tags a given logger, or a console logger when none is given', () => {
    const seen: string[] = [];
    const given = {
      debug: () => undefined,
      log: (m: string) => seen.push(`${ctx}:${m}`),
      warn: () => undefined,
      error: () => undefined,
      child: (c: string) => ((ctx = c), given),
    };
    let ctx = '';
    loggerFor('Queue:x', given).log('hello');
    expect(seen).toEqual(['Queue:x:hello']);
    loggerFor('Queue:y').log('plain');
    expect(out.some((l) => l.includes('[Queue:y] plain') || l.includes('"context":"Queue:y"'))).toBe(true);
  });
});
