import {
  CODE_ID,
  devKeyFileFor,
  isRole,
  loadOrCreateDevKey,
  loginLinkUrl,
  ROLES,
  signLoginToken,
} from '@carepath/runtime';
import { type Command, type CommandContext, commandLineOf } from './command';

const PEOPLE = ROLES.filter((role) => role !== 'system');
const SPEC = {
  name: 'login-link',
  synopsis: '--actor <id> --role <role> --institution <id> [--url http://127.0.0.1:3000]',
  summary: `A one-time link that signs a person in to the console (development issuer, no AUTH_ISSUER): it works\nonce, within CONSOLE_LOGIN_LINK_SECONDS (default 300). --url is the console's origin as the browser reaches it\n(default CONSOLE_PUBLIC_URL, else http://HOST:PORT). Roles: ${PEOPLE.join(', ')}.`,
};
const { parse, usageError } = commandLineOf(SPEC);

/**
 * A login link for the console (issue 21; docs/console.md, "Sign-in"): a short-lived token of the development
 * issuer for the login audience, which the API redeems once for a session. Refused with AUTH_ISSUER set: people
 * then sign in at the identity provider.
 */
function loginLink(argv: readonly string[], ctx: CommandContext): number {
  const { values } = parse(argv, {
    options: {
      actor: { type: 'string' },
      role: { type: 'string' },
      institution: { type: 'string' },
      url: { type: 'string' },
    },
  });
  const { actor, role, institution } = values;
  if (actor === undefined || !/^[\x21-\x7e]{1,255}$/.test(actor)) {
    throw usageError('--actor must be 1-255 visible ASCII characters');
  }
  if (!isRole(role) || role === 'system') throw usageError(`--role must be one of: ${PEOPLE.join(', ')}`);
  if (institution === undefined || !CODE_ID.test(institution)) {
    throw usageError('--institution <id> is required: the institution the person acts for');
  }
  const config = ctx.config();
  const origin = values.url ?? config.console.publicUrl ?? `http://${config.host}:${config.port}`;
  if (!/^https?:\/\/[^/\s]+\/?$/.test(origin)) {
    throw usageError('--url must be an origin such as http://127.0.0.1:3000');
  }
  if (config.auth.mode !== 'development') {
    throw new Error(
      'AUTH_ISSUER is set: people sign in to the console at your identity provider (this command serves the development issuer only)',
    );
  }
  const key = loadOrCreateDevKey(config.auth.keyFile ?? devKeyFileFor(config.databaseFile));
  const token = signLoginToken(key, {
    sub: actor,
    role,
    institutionId: institution,
    ttlSeconds: config.console.loginLinkSeconds,
    issuer: config.auth.issuer,
  });
  console.log(loginLinkUrl(origin, token));
  return 0;
}

export const LOGIN_LINK: Command = { ...SPEC, run: loginLink };
