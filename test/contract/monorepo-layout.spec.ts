import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * The monorepo's descriptions agree with its folders (docs/architecture.md, "Rooms"): every app and lib is a
 * project of nest-cli.json whose entry file exists, and every lib resolves as @carepath/<lib> for TypeScript and
 * for Jest alike. A folder added without them, or a project left behind by a removed one, fails here.
 */
const ROOT = join(__dirname, '..', '..');
const folders = (parent: string) =>
  readdirSync(join(ROOT, parent), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

interface Project {
  readonly type: 'application' | 'library';
  readonly root: string;
  readonly sourceRoot: string;
  readonly entryFile: string;
}
const nest = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as {
  projects: Record<string, Project>;
};
const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jestConfig = require(join(ROOT, 'jest.config.js')) as {
  projects: { moduleNameMapper: Record<string, string> }[];
};

describe('the monorepo layout', () => {
  it('lists every app and lib folder as a nest-cli project, and no other', () => {
    const described = Object.values(nest.projects)
      .map((p) => p.root)
      .sort();
    const present = [
      ...folders('apps').map((a) => `apps/${a}`),
      ...folders('libs').map((l) => `libs/${l}`),
    ].sort();
    expect(described).toEqual(present);
  });

  it.each(Object.entries(nest.projects))('project %s has its entry file', (_name, project) => {
    expect(existsSync(join(ROOT, project.sourceRoot, `${project.entryFile}.ts`))).toBe(true);
    expect(project.type).toBe(project.root.startsWith('apps/') ? 'application' : 'library');
  });

  it.each(folders('libs'))(
    'lib %s resolves as @carepath/<lib> in tsconfig.json and jest.config.js',
    (lib) => {
      expect(tsconfig.compilerOptions.paths[`@carepath/${lib}`]).toEqual([`libs/${lib}/src`]);
      for (const project of jestConfig.projects) {
        expect(project.moduleNameMapper[`^@carepath/${lib}$`]).toBe(`<rootDir>/libs/${lib}/src`);
      }
      expect(existsSync(join(ROOT, 'libs', lib, 'src', 'index.ts'))).toBe(true);
    },
  );
});
