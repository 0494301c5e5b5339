import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestQueueLogger } from '@meeting/queue/nest';
import { installLauncherLogger } from './launcher-logger';

describe('the launcher logger', () => {
  let written: string[];

  beforeEach(() => {
    written = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    Logger.overrideLogger(new ConsoleLogger());
  });

  const embeddedLine = 'REDIS_URL is not set: started an embedded redis-server at redis://127.0.0.1:1234/0';

  it('on a terminal: text lines (as `npm start` shows them), the embedded redis-server included; coloured unless NO_COLOR', () => {
    installLauncherLogger({ NO_COLOR: '1' }, true);
    new NestQueueLogger('EmbeddedRedis').log(embeddedLine);
    expect(written.join('')).toMatch(new RegExp(`^\\[platform\\] \\d+ .* LOG \\[EmbeddedRedis\\] ${embeddedLine.replace(/[.]/g, '\\.')}\\n$`));
    written.length = 0;
    installLauncherLogger({}, true);
    new Logger('Platform').log('starting');
    expect(written.join('')).toContain('\u001b[');
  });

  it('stdout not a terminal, or LOG_FORMAT=json: one JSON object per line named platform; LOG_LEVEL filters', () => {
    installLauncherLogger({ LOG_LEVEL: 'warn' }, false);
    new Logger('Platform').log('not written');
    new Logger('Platform').warn('no Redis');
    installLauncherLogger({ LOG_FORMAT: 'json' }, true);
    new NestQueueLogger('EmbeddedRedis').log(embeddedLine);
    expect(written.map((w) => JSON.parse(w))).toEqual([
      expect.objectContaining({ level: 'warn', service: 'platform', context: 'Platform', message: 'no Redis' }),
      expect.objectContaining({ level: 'log', service: 'platform', context: 'EmbeddedRedis', message: embeddedLine }),
    ]);
  });

  it('refuses a LOG_FORMAT that is neither json nor text, naming it', () => {
    expect(() => installLauncherLogger({ LOG_FORMAT: 'xml' }, false)).toThrow('LOG_FORMAT: expected json or text, got "xml"');
  });
});
