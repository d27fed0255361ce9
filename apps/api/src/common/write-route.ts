import { applyDecorators, Post } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { ApiWritten } from './write-response';

/** A POST that writes (its 201 is a WriteResponseDto); `summary` also names what the write creates. */
export const WriteRoute = (path: string, summary: string) =>
  applyDecorators(Post(path), ApiWritten(), ApiOperation({ summary }));
