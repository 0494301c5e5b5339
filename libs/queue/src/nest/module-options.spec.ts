/**
 * What QueueModule and QueueDashboardModule refuse: options they cannot use are named when the
 * module is defined or the application starts, not at shutdown (a misspelt `drainTimeoutMs` ran with
 * the default; a bad one is refused by `shutdown()`, which would then fail), and a mount path
 * without its `/` or a token that is not a string.
 */
import { Test } from '@nestjs/testing';
import { QueueConfigError } from '../errors';
import { QueueDashboardModule } from './dashboard.module';
import { QueueModule } from './queue.module';
import type { QueueModuleOptions } from './queue.module-definition';

const memory = { message_queue: { type: 'memory' }, event_bus: { type: 'local' }, metrics: { enabled: false } } as const;

describe('QueueModule options', () => {
  /** Compiles an application module with `options` and returns what creating it threw. */
  async function refusal(options: unknown): Promise<QueueConfigError> {
    const error = await Test.createTestingModule({ imports: [QueueModule.forRoot({ ...(options as QueueModuleOptions), http: false })] })
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(QueueConfigError);
    return error as QueueConfigError;
  }

  it.each([
    ['a misspelt key', { config: memory, drainTimoutMs: 1000 }, 'queueModule.drainTimoutMs', /expected a known option \(config, manager, drainTimeoutMs\)/],
    ['a drain time no timer can wait', { config: memory, drainTimeoutMs: 3_000_000_000 }, 'queueModule.drainTimeoutMs', /2147483647/],
    ['a negative drain time', { config: memory, drainTimeoutMs: -1 }, 'queueModule.drainTimeoutMs', /got -1/],
    ['a manager that is not one', { manager: { shutdown: () => undefined } }, 'queueModule.manager', /expected a QueueManager/],
  ])('%s is refused naming %s', async (_what, options, path, message) => {
    const error = await refusal(options);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
  });

  it('forRootAsync: what the factory returns is checked the same way', async () => {
    const error = await Test.createTestingModule({
      imports: [QueueModule.forRootAsync({ useFactory: () => ({ config: memory, drain: 5 }) as QueueModuleOptions, http: false })],
    })
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(QueueConfigError);
    expect((error as QueueConfigError).path).toBe('queueModule.drain');
  });

  it('accepts its options and its extras', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [QueueModule.forRoot({ config: memory, drainTimeoutMs: 0, http: false, isGlobal: true })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.close();
  });
});

describe('QueueDashboardModule options', () => {
  it.each([
    [{ path: 'queues' }, 'queueDashboard.path', /a path starting with \//],
    [{ path: '/queues?x=1' }, 'queueDashboard.path', /without query/],
    [{ path: '/../admin' }, 'queueDashboard.path', /without query/],
    [{ adminToken: '' }, 'queueDashboard.adminToken', /a string of at least 16 characters, got "\(empty\)"/],
    [
      { adminToken: 'short-token' },
      'queueDashboard.adminToken',
      /^queueDashboard\.adminToken: expected a string of at least 16 characters, got "a string of 11 characters"$/,
    ],
    [{ allowedHosts: ['example.com:443'] }, 'queueDashboard.allowedHosts[0]', /a host name without port/],
    [{ allowedHosts: [] }, 'queueDashboard.allowedHosts', /a non-empty list of host names/],
    [{ tokenAttempts: { windowMs: 0 } }, 'queueDashboard.tokenAttempts.windowMs', /got 0/],
    [{ adminToken: 12345 }, 'queueDashboard.adminToken', /got "number"/],
    [{ admin: {} }, 'queueDashboard.admin', /a QueueAdmin/],
    [{ deadlineMs: 0 }, 'queueDashboard.deadlineMs', /got 0/],
    [{ pathname: '/queues' }, 'queueDashboard.pathname', /a known option \(path, adminToken, allowedHosts, tokenAttempts, admin, config, deadlineMs\)/],
  ])('forRoot(%j) is refused naming %s', (options, path, message) => {
    let error: unknown;
    try {
      QueueDashboardModule.forRoot(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueueConfigError);
    expect((error as QueueConfigError).path).toBe(path);
    expect((error as QueueConfigError).message).toMatch(message);
  });

  it('does not print the admin token it refuses', () => {
    expect(() => QueueDashboardModule.forRoot({ adminToken: 42 as never })).not.toThrow(/42/);
    expect(() => QueueDashboardModule.forRoot({ adminToken: 'short-token' })).not.toThrow(/short-token/);
  });

  it('names what is missing when it has neither an admin, a config nor QueueModule', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [QueueDashboardModule.forRoot({ path: '/queues' })] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const error = await app.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QueueConfigError);
    expect((error as QueueConfigError).path).toBe('queueDashboard.admin');
    await app.close();
  });
});
