import { Body, Controller, INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { QueueModule } from '@meeting/queue/nest';
import { configureHttpApp } from '../http-app';
import { jsonValueKind } from './json-body';
import { contentTypeCharset, jsonContentTypeProblem } from './json-content-type';

@Controller()
class EchoController {
  @Post('echo')
  echo(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return body;
  }
}

describe('request bodies: the 415 check and the JSON parser agree on the types they take', () => {
  let app: INestApplication;
  let http: ReturnType<INestApplication['getHttpServer']>;
  const post = (contentType: string, body: string | Buffer) => request(http).post('/echo').set('Content-Type', contentType).send(body);

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        QueueModule.forRoot({
          config: { service_name: 'json-body-test', message_queue: { type: 'memory' }, event_bus: { type: 'local' }, task_scheduler: { enabled: false } },
          drainTimeoutMs: 500,
        }),
      ],
      controllers: [EchoController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    configureHttpApp(app, { name: 'json-body-test', description: 'request bodies' });
    await app.listen(0, '127.0.0.1');
    http = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('parses application/json and the +json types (JSON:API, merge patch) alike, with or without charset=utf-8', async () => {
    for (const type of ['application/json', 'application/vnd.api+json', 'application/merge-patch+json', 'application/problem+json; charset=UTF-8']) {
      const res = await post(type, '{"title":"a","n":[1]}');
      expect([type, res.status, res.body]).toEqual([type, 201, { title: 'a', n: [1] }]);
    }
  });

  it('refuses a charset other than UTF-8 with 415 naming it, before the parser guesses at the bytes', async () => {
    for (const charset of ['utf-16', 'UTF-16LE', '"iso-8859-1"']) {
      const type = `application/json; charset=${charset}`;
      const res = await post(type, Buffer.from('{"title":"a"}', 'utf16le'));
      expect([type, res.status]).toEqual([type, 415]);
      expect(res.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: `request bodies must be JSON in UTF-8, got charset=${charset.replace(/"/g, '').toLowerCase()} (Content-Type: ${type})`,
      });
    }
  });

  it('still refuses types that are not JSON with 415 naming them', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/vnd.x+json']) {
      const res = await post(type, '{"title":"a"}');
      expect([type, res.status, res.body.message]).toEqual([type, 415, expect.stringContaining(type)]);
    }
  });

  it('names what a body that is not an object is, in plain English', async () => {
    expect((await post('application/json', '"x"').expect(400)).body.message).toBe('the request body must be a JSON object, got a string');
    expect((await post('application/json', 'null').expect(400)).body.message).toBe('the request body must be a JSON object, got null');
    expect([1, true, [], 'x', {}, undefined].map(jsonValueKind)).toEqual([
      'a number',
      'a boolean',
      'an array',
      'a string',
      'an object',
      'no value (the body was not read as JSON)',
    ]);
  });

  it('contentTypeCharset / jsonContentTypeProblem: the charset parameter, quoted or not; none means UTF-8', () => {
    expect(contentTypeCharset('application/json; foo=bar; Charset="UTF-8"')).toBe('utf-8');
    expect(contentTypeCharset('application/json')).toBeUndefined();
    expect(jsonContentTypeProblem('application/json')).toBeUndefined();
    expect(jsonContentTypeProblem('application/vnd.api+json; charset=utf-8')).toBeUndefined();
    expect(jsonContentTypeProblem(undefined)).toContain('got no Content-Type');
  });
});
