import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { signCheckpoint, verifyRows } from '@carepath/event-store';
import { type Command, type CommandContext, commandLineOf } from './command';
import { openLog } from './event-log';

const SPEC = {
  name: 'checkpoint',
  synopsis: '--key <ed25519-private.pem> [--out <file>]',
  summary: 'Signs the head hash (keep the checkpoint outside the database).',
};
const { parse, usageError } = commandLineOf(SPEC);

function checkpoint(argv: readonly string[], ctx: CommandContext): number {
  const { values } = parse(argv, {
    options: { key: { type: 'string' }, out: { type: 'string' } },
  });
  if (values.key === undefined) throw usageError('--key <ed25519-private.pem> is required');
  const db = openLog(ctx.config());
  const result = verifyRows(db);
  db.close();
  if (!result.ok) {
    console.error(`The log does not verify, nothing signed: ${JSON.stringify(result)}`);
    return 1;
  }
  const privateKey = readFileSync(values.key, 'utf8');
  const keyId = createPublicKey(privateKey)
    .export({ type: 'spki', format: 'der' })
    .subarray(-8)
    .toString('hex');
  const signed = signCheckpoint(
    {
      position: result.headPosition,
      hash: result.headHash,
      count: result.checked,
      signedAt: new Date().toISOString(),
      keyId,
    },
    privateKey,
  );
  const text = `${JSON.stringify(signed, null, 2)}\n`;
  if (values.out !== undefined) writeFileSync(values.out, text);
  process.stdout.write(text);
  return 0;
}

export const CHECKPOINT: Command = { ...SPEC, run: checkpoint };
