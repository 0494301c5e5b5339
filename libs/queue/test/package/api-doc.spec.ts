/**
 * docs/api.md lists exactly the names each entry point exports (so the public API changes only
 * on purpose, with its documentation), and the core entry pulls in no `@nestjs/*` module.
 */
import { readFileSync } from 'fs';
import { join, resolve } from 'path';
import ts from 'typescript';

const LIB = resolve(__dirname, '../..');
const ENTRIES = {
  '@meeting/queue': join(LIB, 'src/index.ts'),
  '@meeting/queue/nest': join(LIB, 'src/nest/index.ts'),
  '@meeting/queue/testing': join(LIB, 'src/testing/index.ts'),
} as const;
type Entry = keyof typeof ENTRIES;

function exportedNames(): Record<Entry, string[]> {
  const program = ts.createProgram(Object.values(ENTRIES), {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    experimentalDecorators: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const names = {} as Record<Entry, string[]>;
  for (const [entry, file] of Object.entries(ENTRIES) as [Entry, string][]) {
    const symbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    names[entry] = checker
      .getExportsOfModule(symbol)
      .map((s) => s.name)
      .sort();
  }
  return names;
}

/** The `| \`Name\` |` rows of each "## @meeting/queue..." section of docs/api.md. */
function documentedNames(): Record<Entry, string[]> {
  const text = readFileSync(join(LIB, '../../docs/api.md'), 'utf8');
  const names = { '@meeting/queue': [], '@meeting/queue/nest': [], '@meeting/queue/testing': [] } as Record<Entry, string[]>;
  let section: Entry | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## (\S+)/.exec(line);
    if (heading) section = heading[1] in names ? (heading[1] as Entry) : undefined;
    const row = /^\| `([A-Za-z_][A-Za-z0-9_]*)` \|/.exec(line);
    if (section && row) names[section].push(row[1]);
  }
  for (const entry of Object.keys(names) as Entry[]) names[entry].sort();
  return names;
}

describe('the public API', () => {
  it('docs/api.md lists every exported name of each entry point, and no other', () => {
    expect(documentedNames()).toEqual(exportedNames());
  });

  it('the core entry and everything it imports never import @nestjs/*', () => {
    const program = ts.createProgram([ENTRIES['@meeting/queue']], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, noEmit: true });
    const offenders = program
      .getSourceFiles()
      .filter((file) => file.fileName.startsWith(join(LIB, 'src')))
      .filter((file) => /from '@nestjs\//.test(file.text) || /require\('@nestjs\//.test(file.text))
      .map((file) => file.fileName.slice(LIB.length + 1));
    expect(offenders).toEqual([]);
  });
});
