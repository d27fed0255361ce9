import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

export class LoginLinkDto {
  @ApiProperty({
    description: 'The token of a login link (`npm run cli -- login-link`), from its #login= fragment',
  })
  @IsString()
  @MaxLength(4096)
  @Matches(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, { message: 'token must be a compact JWS' })
  token!: string;
}

export class OidcCallbackDto {
  @ApiProperty({
    description: "The query the identity provider sent the browser back with, e.g. '?code=…&state=…'",
  })
  @IsString()
  @MaxLength(8192)
  @Matches(/^\?[\x21-\x7e]*$/, { message: 'query must be the callback query string, starting with ?' })
  query!: string;
}

export class ConsoleModeDto {
  @ApiProperty({
    enum: ['development', 'oidc', 'unavailable'],
    description:
      'development: login links; oidc: the identity provider; unavailable: AUTH_ISSUER without a console client',
  })
  mode!: string;
}

export class ConsoleSessionDto {
  @ApiProperty() actorId!: string;
  @ApiProperty() role!: string;
  @ApiProperty({ nullable: true, type: String }) institutionId!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'When the session ends if left alone (idle or absolute limit); null for a bearer client',
  })
  expiresAt!: string | null;
  @ApiProperty({
    description:
      'Send it as X-CSRF-Token on every write made with the session cookie; empty for a bearer client',
  })
  csrfToken!: string;
  @ApiProperty({
    type: [String],
    description: "The routes the access policy lets this role call ('POST /journeys/:journeyId/visits')",
  })
  allowedRoutes!: string[];
}

export class AuthorizationStartDto {
  @ApiProperty({ description: "The identity provider's authorization URL to send the browser to" })
  authorizationUrl!: string;
}

export class SignedOutDto {
  @ApiProperty() signedOut!: boolean;
}
