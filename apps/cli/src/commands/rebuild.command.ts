import { ALL_PROJECTIONS, ReadModelFiles, rebuildProgress, rebuildTogether } from '@carepath/projections';
import { progressBar } from '@carepath/runtime';
import { type Command, type CommandContext, commandLineOf } from './command';

const SPEC = {
  name: 'rebuild',
  synopsis: `<${ALL_PROJECTIONS.map((p) => p.name).join('|')}|all>`,
  summary: 'Builds fresh generations and swaps them in.',
};
const { parse, usageError } = commandLineOf(SPEC);

async function rebuild(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { positionals } = parse(argv, { allowPositionals: true });
  const [target, ...extra] = positionals;
  const selected = target === 'all' ? ALL_PROJECTIONS : ALL_PROJECTIONS.filter((p) => p.name === target);
  if (selected.length === 0 || extra.length > 0) throw usageError('one projection name, or all');
  // Rebuilt side by side: one read of the log for all of them, not one per projection.
  const bar = progressBar(selected.map((d) => d.name).join(' + '));
  const files = new ReadModelFiles(ctx.config().readModelDir);
  try {
    const statuses = await rebuildTogether(ctx.store(), files, selected, {
      onProgress: (all) => {
        const { position, head } = rebuildProgress(all);
        bar(position, head);
      },
    });
    bar.end();
    for (const s of statuses) console.log(`${s.name}: generation ${s.generation} at position ${s.position}`);
  } catch (error) {
    bar.end();
    throw error;
  } finally {
    files.close();
  }
  return 0;
}

export const REBUILD: Command = { ...SPEC, run: rebuild };
