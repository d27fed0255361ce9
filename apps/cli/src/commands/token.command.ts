import {
  CODE_ID,
  devKeyFileFor,
  isRole,
  loadOrCreateDevKey,
  parseTtl,
  ROLES,
  signDevToken,
} from '@carepath/runtime';
import { type Command, type CommandContext, commandLineOf } from './command';

const SPEC = {
  name: 'token',
  synopsis: '--actor <id> --role <role> [--institution <id>] [--ttl 8h]',
  summary: `A bearer token of the development issuer (no AUTH_ISSUER), for this machine only; stdout is the token\nalone. Roles: ${ROLES.join(', ')}.`,
};
const { parse, usageError } = commandLineOf(SPEC);

/**
 * A token of the development issuer (issue 17), signed with the key beside the database file (created if this
 * runs before the API's first start). Refused when AUTH_ISSUER is set: tokens then come from the identity provider.
 */
function token(argv: readonly string[], ctx: CommandContext): number {
  const { values } = parse(argv, {
    options: {
      actor: { type: 'string' },
      role: { type: 'string' },
      institution: { type: 'string' },
      ttl: { type: 'string', default: '8h' },
    },
  });
  const { actor, role, institution } = values;
  if (actor === undefined || !/^[\x21-\x7e]{1,255}$/.test(actor)) {
    throw usageError('--actor must be 1-255 visible ASCII characters');
  }
  if (!isRole(role)) throw usageError(`--role must be one of: ${ROLES.join(', ')}`);
  if (institution === undefined && role !== 'system') {
    throw usageError('--institution <id> is required (all roles but system)');
  }
  if (institution !== undefined && !CODE_ID.test(institution)) {
    throw usageError('--institution must be an institution id');
  }
  const ttlSeconds = parseTtl(values.ttl);
  if (ttlSeconds === null) {
    throw usageError('--ttl must be a duration such as 8h, 30m or 2d (at most 30d)');
  }
  const config = ctx.config();
  if (config.auth.mode !== 'development') {
    throw new Error(
      'AUTH_ISSUER is set: the API trusts your identity provider, so ask it for a token (this command signs development tokens only)',
    );
  }
  const key = loadOrCreateDevKey(config.auth.keyFile ?? devKeyFileFor(config.databaseFile));
  console.log(
    signDevToken(key, {
      sub: actor,
      role,
      institutionId: institution,
      ttlSeconds,
      audience: config.auth.audience,
      issuer: config.auth.issuer,
    }),
  );
  return 0;
}

export const TOKEN: Command = { ...SPEC, run: token };
