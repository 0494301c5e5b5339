/** ConsoleQueueLogger refuses options it cannot use (a misspelt format would fall back to the default), naming `logger.<key>`. */
import { QueueConfigError } from '../errors';
import { ConsoleQueueLogger, ConsoleQueueLoggerOptions } from './queue-logger';

describe('ConsoleQueueLogger options', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a misspelt format value', { format: 'jsn' }, 'logger.format'],
    ['a misspelt key', { formt: 'json' }, 'logger.formt'],
    ['a debug that is not a boolean', { debug: 'yes' }, 'logger.debug'],
    ['a context that is not a string', { context: 42 }, 'logger.context'],
    ['options that are a format', 'json', 'logger'],
  ];
  it.each(cases)('refuses %s with QueueConfigError naming it', (_what, options, path) => {
    const create = () => new ConsoleQueueLogger(options as ConsoleQueueLoggerOptions);
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path }));
  });

  it('says what format takes', () => {
    expect(() => new ConsoleQueueLogger({ format: 'jsn' } as never)).toThrow('logger.format: expected one of "text", "json", got "jsn"');
  });

  it('takes its options, and its children keep them', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      new ConsoleQueueLogger({ format: 'json', debug: true, context: 'root' }).child('Queue:jobs').debug('hello');
      expect(JSON.parse(String(write.mock.calls[0][0]))).toMatchObject({ level: 'debug', context: 'Queue:jobs', message: 'hello' });
    } finally {
      write.mockRestore();
    }
  });
});
