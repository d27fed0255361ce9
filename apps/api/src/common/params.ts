import { BadRequestException, Param, ParseUUIDPipe, type PipeTransform } from '@nestjs/common';
import { CODE_ID } from '@carepath/runtime';

const bad = (message: string) =>
  new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [message] });

/** 400 naming the path parameter, like the body's field errors. */
export const uuid = (name: string) =>
  new ParseUUIDPipe({ exceptionFactory: () => bad(`${name} must be a UUID`) });

/** The path parameter `name`, a UUID (else the 400 of `uuid`). */
export const UuidParam = (name: string) => Param(name, uuid(name));

export const code = (name: string): PipeTransform<string, string> => ({
  transform: (value: string) => {
    if (!CODE_ID.test(value)) throw bad(`${name} must be a code of 1-64 letters, digits, . _ -`);
    return value;
  },
});
