import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

// The package's public surface. A change to it must change test/package/exports.txt in the same
// commit, so it is visible in review.

describe('the libswarm-ts entry point', () => {
  it('exports exactly the runtime names listed in exports.txt', () => {
    const listed = readFileSync(new URL('./exports.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(Object.keys(api).sort()).toEqual(listed);
  });

  it('documents every export (types included) with TSDoc, and every member of a transport namespace', () => {
    const program = ts.createProgram(['src/index.ts'], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      types: ['node'],
    });
    const checker = program.getTypeChecker();
    const entry = checker.getSymbolAtLocation(program.getSourceFile('src/index.ts') as ts.SourceFile);
    const undocumented: string[] = [];
    const visit = (symbols: ts.Symbol[], prefix: string) => {
      for (const s of symbols) {
        const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
        if (target.flags & ts.SymbolFlags.ValueModule)
          visit(checker.getExportsOfModule(target), `${s.name}.`);
        else if (!ts.displayPartsToString(target.getDocumentationComment(checker)).trim())
          undocumented.push(prefix + s.name);
      }
    };
    visit(checker.getExportsOfModule(entry as ts.Symbol), '');
    expect(undocumented).toEqual([]);
  }, 60_000);

  it('defineStage returns the definition it was given', () => {
    const stage: api.StageDefinition = {
      name: 'x',
      summary: '',
      usage: 'x',
      example: 'x',
      create: () => ({ handle() {} }),
    };
    expect(api.defineStage(stage)).toBe(stage);
  });
});
