/**
 * No file of libs/queue/src imports itself back, not even through type-only imports: every import
 * and export-from of each non-spec `.ts` file is an edge, and the graph must have no cycle (a
 * strongly-connected component of more than one file, or a file importing itself).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';
import ts from 'typescript';

const SRC = resolve(__dirname, '../../src');

/** One import of a file: the specifier as written, and whether it only brings in types. */
interface Edge {
  readonly to: string;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module specifier of a file: import / export-from / import-equals, `import('…')` types and calls. */
function specifiers(file: string): { text: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: { text: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const namedTypeOnly =
        !!clause &&
        !clause.name &&
        !!clause.namedBindings &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly);
      found.push({ text: node.moduleSpecifier.text, typeOnly: !!clause?.isTypeOnly || namedTypeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ text: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({ text: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ text: node.argument.literal.text, typeOnly: true });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ text: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names (`./x` → x.ts or x/index.ts); undefined when there is none. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, join(base, 'index.ts'), base].find((path) => existsSync(path) && statSync(path).isFile() && path.endsWith('.ts'));
}

function importGraph(): { graph: Map<string, Edge[]>; unresolved: string[] } {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const graph = new Map<string, Edge[]>();
  const unresolved: string[] = [];
  for (const file of files) {
    const edges: Edge[] = [];
    for (const { text, typeOnly } of specifiers(file)) {
      if (!text.startsWith('.')) continue;
      const target = resolveRelative(file, text);
      if (!target) unresolved.push(`${relative(SRC, file)}: '${text}'`);
      else if (known.has(target)) edges.push({ to: target, typeOnly });
    }
    graph.set(file, edges);
  }
  return { graph, unresolved };
}

/** Tarjan's algorithm: the strongly-connected components that hold a cycle. */
function cyclicComponents(graph: Map<string, Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const { to } of graph.get(node) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfLoop = (graph.get(node) ?? []).some(({ to }) => to === node);
    if (component.length > 1 || selfLoop) components.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return components;
}

/** The shortest cycle from `start` back to itself inside one component (breadth-first). */
function shortestCycle(graph: Map<string, Edge[]>, members: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const { to } of graph.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return [start];
}

/** The same cycle whichever file it is read from: rotated to start at its first file by name. */
function canonical(path: string[]): string[] {
  const ring = path.slice(0, -1);
  const first = ring.indexOf([...ring].sort()[0]);
  const rotated = [...ring.slice(first), ...ring.slice(0, first)];
  return [...rotated, rotated[0]];
}

/** One paragraph per component: its files, and the shortest cycle through each of them (each cycle once). */
function describeCycles(graph: Map<string, Edge[]>, components: string[][]): string {
  const name = (file: string): string => relative(SRC, file);
  return components
    .map((component) => {
      const members = new Set(component);
      const cycles = new Set<string>();
      for (const start of component) {
        const path = canonical(shortestCycle(graph, members, start));
        const hops = path.slice(1).map((to, i) => {
          const typeOnly = (graph.get(path[i]) ?? []).filter((edge) => edge.to === to).every((edge) => edge.typeOnly);
          return `${typeOnly ? '-(type)->' : '->'} ${name(to)}`;
        });
        cycles.add(`    ${name(path[0])} ${hops.join(' ')}`);
      }
      return [`  cycle among ${component.length} file(s): ${component.map(name).join(', ')}`, ...[...cycles].sort()].join('\n');
    })
    .join('\n');
}

describe('the cycle finder', () => {
  it('names each cycle of a made-up graph, type-only hops marked, and leaves the acyclic rest out', () => {
    const file = (name: string): string => join(SRC, name);
    const graph = new Map<string, Edge[]>([
      [file('a.ts'), [{ to: file('b.ts'), typeOnly: false }]],
      [file('b.ts'), [{ to: file('c.ts'), typeOnly: true }]],
      [file('c.ts'), [{ to: file('a.ts'), typeOnly: false }]],
      [
        file('d.ts'),
        [
          { to: file('a.ts'), typeOnly: false },
          { to: file('d.ts'), typeOnly: true },
        ],
      ],
      [file('e.ts'), [{ to: file('d.ts'), typeOnly: false }]],
    ]);
    const components = cyclicComponents(graph);
    expect(components.map((component) => component.map((member) => relative(SRC, member)))).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
    expect(describeCycles(graph, components)).toBe(
      ['  cycle among 3 file(s): a.ts, b.ts, c.ts', '    a.ts -> b.ts -(type)-> c.ts -> a.ts', '  cycle among 1 file(s): d.ts', '    d.ts -(type)-> d.ts'].join(
        '\n',
      ),
    );
  });
});

describe('libs/queue/src imports', () => {
  const { graph, unresolved } = importGraph();

  it('every relative import names a .ts file of the library', () => {
    expect(unresolved).toEqual([]);
  });

  it('form no cycle, type-only imports included', () => {
    const components = cyclicComponents(graph);
    const report = components.length === 0 ? '' : `${components.length} import cycle(s) in libs/queue/src:\n${describeCycles(graph, components)}`;
    expect(report).toBe('');
  });
});
