import { Body, Controller, INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import request from 'supertest';
import { QueueModule } from '@meeting/queue/nest';
import { configureHttpApp } from '../http-app';
import { reservedKeyPaths } from './platform-validation-pipe';

class ItemDto {
  @IsString()
  name!: string;
}

class CreateDto {
  @IsString()
  title!: string;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items?: ItemDto[];

  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;
}

@Controller()
class ThingsController {
  @Post('things')
  create(@Body() body: CreateDto): { keys: string[]; polluted: boolean } {
    return { keys: Object.keys(body), polluted: 'x' in {} || 'x' in body };
  }
}

describe('the global ValidationPipe: __proto__ and constructor keys are unknown properties, refused with 400', () => {
  let app: INestApplication;
  let http: ReturnType<INestApplication['getHttpServer']>;
  const post = (json: string) => request(http).post('/things').set('Content-Type', 'application/json').send(json);

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        QueueModule.forRoot({
          config: { service_name: 'validation-test', message_queue: { type: 'memory' }, event_bus: { type: 'local' }, task_scheduler: { enabled: false } },
          drainTimeoutMs: 500,
        }),
      ],
      controllers: [ThingsController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    configureHttpApp(app, { name: 'validation-test', description: 'validation' });
    await app.listen(0, '127.0.0.1');
    http = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('refuses a top-level __proto__ or constructor like any unknown key, naming it', async () => {
    for (const key of ['__proto__', 'constructor']) {
      const res = await post(`{"title":"a","${key}":{"x":1}}`);
      expect([key, res.status, res.body]).toEqual([key, 400, { statusCode: 400, error: 'Bad Request', message: [`property ${key} should not exist`] }]);
    }
    const unknown = await post('{"title":"a","other":1}').expect(400);
    expect(unknown.body.message).toEqual(['property other should not exist']);
    expect(Object.prototype).not.toHaveProperty('x');
  });

  it('refuses them in nested DTOs and free-form objects too, with the path, all of them at once', async () => {
    const res = await post('{"title":"a","items":[{"name":"n","constructor":{"prototype":{"x":1}}}],"payload":{"ok":1,"__proto__":{"x":1}}}').expect(400);
    expect(res.body.message).toEqual(['payload.property __proto__ should not exist', 'items.0.property constructor should not exist']);
    expect(Object.prototype).not.toHaveProperty('x');
  });

  it('lets ordinary bodies through, free-form payloads whole', async () => {
    const res = await post('{"title":"a","items":[{"name":"n"}],"payload":{"prototype":1,"proto":2}}').expect(201);
    expect(res.body).toEqual({ keys: ['title', 'items', 'payload'], polluted: false });
  });

  it('reservedKeyPaths: own keys only, shallowest first, without walking under a reserved key', () => {
    expect(reservedKeyPaths(JSON.parse('{"a":{"__proto__":{"constructor":1}},"b":[{"constructor":2}]}'))).toEqual([
      ['a', '__proto__'],
      ['b', '0', 'constructor'],
    ]);
    expect(reservedKeyPaths({ a: {} })).toEqual([]);
    expect(reservedKeyPaths('constructor')).toEqual([]);
  });
});
