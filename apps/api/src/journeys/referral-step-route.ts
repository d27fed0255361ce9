import { Body, Res } from '@nestjs/common';
import { UuidParam } from '../common/params';
import { Ctx, type RequestContext } from '../common/request-context';
import type { HeaderReply } from '../common/write-response';
import { WriteRoute } from '../common/write-route';
import { CareTimeDto } from './journey.dto';

/** What a referral step that needs nothing but its care time is given, in this order. */
export type ReferralStepArgs = [
  journeyId: string,
  referralId: string,
  ctx: RequestContext,
  body: CareTimeDto,
  reply: HeaderReply,
];

/**
 * The route of such a step (`POST :referralId/<step>`) with the parameters of ReferralStepArgs, declared here once
 * instead of on each handler. They are applied as TypeScript applies parameter decorators (last parameter first,
 * over the design types it records), so Nest and the OpenAPI document see what the written-out form gave them.
 */
export function ReferralStepRoute(step: string, summary: string): MethodDecorator {
  const parameters: ParameterDecorator[] = [
    UuidParam('journeyId'),
    UuidParam('referralId'),
    Ctx(),
    Body(),
    Res({ passthrough: true }),
  ];
  return (target, key, descriptor) => {
    Reflect.defineMetadata('design:paramtypes', [String, String, Object, CareTimeDto, Object], target, key);
    for (let index = parameters.length - 1; index >= 0; index--) parameters[index]!(target, key, index);
    WriteRoute(`:referralId/${step}`, summary)(target, key, descriptor);
  };
}
