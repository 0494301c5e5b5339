import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Where each service serves its API description: the UI at `/docs`, the OpenAPI JSON at `/docs-json`. */
export const DOCS_PATH = 'docs';

export interface OpenApiOptions {
  /** The service name (the document's title). */
  title: string;
  description: string;
  version: string;
}

/** Mounts the OpenAPI document of every controller of the app: the UI at `/docs`, JSON at `/docs-json`, YAML at `/docs-yaml`. */
export function mountOpenApi(app: INestApplication, options: OpenApiOptions): void {
  const config = new DocumentBuilder().setTitle(options.title).setDescription(options.description).setVersion(options.version).build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json`, yamlDocumentUrl: `${DOCS_PATH}-yaml` });
}
