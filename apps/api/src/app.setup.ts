import { BadRequestException, ConsoleLogger, type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { ValidationError } from 'class-validator';
import { AppModule } from './app.module';
import { hardenEdge } from './auth/http-edge';
import { applyAccessPolicy } from './auth/openapi-policy';
import type { AppConfig } from '@carepath/runtime';

/** Builds the API exactly as production runs it; end-to-end specs use this too, on a temporary database. */
export async function createApp(
  config: AppConfig,
  options: { logger?: false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: options.logger ?? new ConsoleLogger({ json: config.logJson, colors: !config.logJson }),
  });
  hardenEdge(app, config.edge);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) =>
        new BadRequestException({ statusCode: 400, error: 'Bad Request', message: flatten(errors) }),
    }),
  );
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('CarePath API')
      .setDescription(
        'Event-sourced referral and care-continuity engine. Writes answer with the journey id, the new revision and the event ids.',
      )
      .setVersion('0.1.0')
      .build(),
  );
  // Every route's roles in the document; a route without a policy stops the app here (issue 17).
  applyAccessPolicy(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
  return app;
}

/** "parent.child must ..." for nested DTOs, so the 400 names every bad field by its path. */
function flatten(errors: readonly ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) && prefix ? `${prefix}.${message}` : message,
    );
    if (own.length === 0 && error.children?.length === 0 && !error.constraints) return [];
    return [...own, ...flatten(error.children ?? [], path)];
  });
}
