import { Logger } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { logSettings, LogSettingError, maskUrlsInText, ServiceLogger } from './service-logger';

/** Lines a logger writes to stdout and stderr while `fn` runs. */
function capture(fn: () => void): string[] {
  const out: string[] = [];
  const write = (chunk: string | Uint8Array) => (out.push(String(chunk)), true);
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(write), jest.spyOn(process.stderr, 'write').mockImplementation(write)];
  try {
    fn();
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  return out.join('').split('\n').filter(Boolean);
}

describe('ServiceLogger', () => {
  it('chooses JSON when stdout is not a terminal or LOG_FORMAT=json, colours only on a terminal', () => {
    expect(logSettings({}, false)).toMatchObject({ json: true, colors: false });
    expect(logSettings({}, true)).toMatchObject({ json: false, colors: true });
    expect(logSettings({ LOG_FORMAT: 'json' }, true)).toMatchObject({ json: true, colors: false });
    expect(logSettings({ LOG_FORMAT: 'text' }, false)).toMatchObject({ json: false, colors: false });
    expect(logSettings({ NO_COLOR: '1' }, true)).toMatchObject({ json: false, colors: false });
    expect(logSettings({ LOG_LEVEL: 'warn' }, false).logLevels).toEqual(['warn', 'error', 'fatal']);
    expect(logSettings({ LOG_LEVEL: 'info' }, false).logLevels).toEqual(['log', 'warn', 'error', 'fatal']);
    expect(logSettings({}, false).logLevels).toEqual(['log', 'warn', 'error', 'fatal']);
    expect(() => logSettings({ LOG_LEVEL: 'loud' }, false)).toThrow(
      new LogSettingError('LOG_LEVEL', 'loud', 'one of verbose, debug, log, warn, error, fatal (info = log)'),
    );
    expect(() => logSettings({ LOG_FORMAT: 'xml' }, false)).toThrow('LOG_FORMAT: expected json or text, got "xml"');
    expect(new LogSettingError('LOG_FORMAT', 'xml', 'json or text')).toMatchObject({ code: 'LOG_SETTING', name: 'LogSettingError' });
  });

  it('adds the trace id and span id of the active span to a JSON line, none outside a span', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const logger = new ServiceLogger('ai-service', {}, false);
      const ids = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
      const span = trace.wrapSpanContext({ ...ids, traceFlags: 1 });
      const lines = capture(() => {
        context.with(trace.setSpan(context.active(), span), () => logger.log('inside', 'Handler'));
        logger.log('outside', 'Handler');
      }).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ message: 'inside', ...ids });
      expect(lines[1]).toMatchObject({ message: 'outside' });
      expect(lines[1].traceId).toBeUndefined();
    } finally {
      context.disable();
    }
  });

  it('writes one JSON object per line with time, level, service, context, message; no ANSI codes; levels below LOG_LEVEL dropped', () => {
    const logger = new ServiceLogger('ai-service', { LOG_LEVEL: 'log' }, false);
    const lines = capture(() => {
      logger.log('started', 'QueueManager');
      logger.debug('not written', 'QueueManager');
      logger.warn({ queue: 'ai_tasks', depth: 3 }, 'Metrics');
      logger.error('failed', 'stack line 1', 'Bootstrap');
    });
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain('\u001b[');
    const [a, b, c] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({ level: 'log', service: 'ai-service', context: 'QueueManager', message: 'started' });
    expect(new Date(a.time as string).toISOString()).toBe(a.time);
    expect(b).toMatchObject({ level: 'warn', context: 'Metrics', message: { queue: 'ai_tasks', depth: 3 } });
    expect(c).toMatchObject({ level: 'error', context: 'Bootstrap', message: 'failed', stack: 'stack line 1' });
  });

  it('masks the password of any URL in a message, JSON or text', () => {
    expect(maskUrlsInText('cannot reach redis://app:s3cret@redis:6379/0 nor rediss://:p%40ss@h:1')).toBe(
      'cannot reach redis://app:***@redis:6379/0 nor rediss://:***@h:1',
    );
    const json = capture(() => new ServiceLogger('x', {}, false).error('Redis redis://u:topsecret@h:6379 unreachable', undefined, 'QueueManager'));
    const text = capture(() => new ServiceLogger('x', { LOG_FORMAT: 'text' }, false).warn('Redis redis://u:topsecret@h:6379 unreachable', 'QueueManager'));
    expect([...json, ...text].join('\n')).not.toContain('topsecret');
    expect(JSON.parse(json[0]).message).toBe('Redis redis://u:***@h:6379 unreachable');
    expect(text[0]).toContain('redis://u:***@h:6379');
  });

  it('serves the static Logger of every context once it is the override', () => {
    Logger.overrideLogger(new ServiceLogger('meeting-service', { LOG_FORMAT: 'json' }, true));
    try {
      const [line] = capture(() => new Logger('Scheduler').log('tick'));
      expect(JSON.parse(line)).toMatchObject({ service: 'meeting-service', context: 'Scheduler', message: 'tick' });
    } finally {
      Logger.overrideLogger(true);
    }
  });
});
