// cypher-lint — syntax and semantic check of the named queries (cypher/*.cypher) with Neo4j's own
// Cypher language support (@neo4j-cypher/language-support, pinned in package.json), offline.
//
// Usage: node tools/cypher-lint/lint.mjs [--json] [PATH ...]
//   PATH: a .cypher file or a folder (its *.cypher files); default: the repository's cypher/.
//
// Each file is linted whole as Cypher 5 (a schema file's statements, separated by `;`, are
// linted one by one by the language support itself; diagnostics keep the file's line numbers).
// The schema handed to the linter declares the file's header parameters (`// Parameters:` lines
// `$name (type[, ...])`, the rules of landscape/graph/queries.py), Neo4j's built-in functions
// (the Cypher 5 list the package ships as testData.mockSchema; no APOC) and no procedure (the
// queries run on ArcadeDB too, which has none of Neo4j's). Errors: every error of the linter,
// a header parameter the query does not use, a header that cannot be read. Warnings (printed,
// never failing): the linter's warnings.
// Output: one `file:line:col message` line per diagnostic (1-based; warnings say `warning:`),
// then one summary line. --json prints one JSON document instead. Exit status: 0 no error,
// 1 errors, 2 bad usage or a linter that does not work under this node.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_DIR = path.resolve(HERE, '..', '..', 'cypher');
const CYPHER_VERSION = 'CYPHER 5';
const ERROR = 1; // LSP DiagnosticSeverity.Error; 2 is Warning.
// A stand-in value of each header type (the linter checks that a parameter is declared; the
// value is not used in the analysis).
const SAMPLE_VALUES = {
  string: '',
  integer: 0,
  float: 0.5,
  number: 0.5,
  boolean: false,
  list: [],
  map: {},
  'string list': [],
  any: null,
};
const PARAM_LINE = /^\$(?<name>\w+)\s*\((?<spec>[^)]*)\)/;

function fail(message) {
  process.stderr.write(`cypher-lint: ${message}\n`);
  process.exit(2);
}

function loadLinter() {
  const pkgDir = path.join(HERE, 'node_modules', '@neo4j-cypher', 'language-support');
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) {
    fail(`${pkgDir} is missing: run \`make install\` (npm ci --prefix tools/cypher-lint)`);
  }
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  return import('@neo4j-cypher/language-support').then((mod) => ({ mod, version }));
}

/** The header's parameters (name -> {type, line}) and problems, read as queries.py reads them. */
function headerParameters(text) {
  const params = {};
  const problems = [];
  let section = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const stripped = lines[i].trim();
    if (stripped && !stripped.startsWith('//')) break; // the header ends at the first statement
    const h = stripped.startsWith('//') ? stripped.slice(2).trim() : '';
    const low = h.toLowerCase();
    if (low.startsWith('mode:')) {
      section = null;
    } else if (low.startsWith('parameters:')) {
      section = low.slice(low.indexOf(':') + 1).includes('none') ? null : 'params';
    } else if (low.startsWith('returns:')) {
      section = null;
    } else if (section === 'params') {
      const m = PARAM_LINE.exec(h);
      if (!m) continue;
      const type = m.groups.spec.split(',')[0].trim();
      if (!(type in SAMPLE_VALUES)) {
        const message = `parameter $${m.groups.name} has no known type in (${m.groups.spec})`;
        problems.push({ line: i + 1, col: 1, message });
      } else {
        params[m.groups.name] = { type, line: i + 1 };
      }
    }
  }
  return { params, problems };
}

function listFiles(args) {
  const targets = args.length ? args : [DEFAULT_DIR];
  const files = [];
  for (const target of targets) {
    if (!fs.existsSync(target)) fail(`no such file or folder: ${target}`);
    if (fs.statSync(target).isDirectory()) {
      const names = fs.readdirSync(target).filter((n) => n.endsWith('.cypher')).sort();
      files.push(...names.map((n) => path.join(target, n)));
    } else if (target.endsWith('.cypher')) {
      files.push(target);
    } else {
      fail(`not a .cypher file: ${target}`);
    }
  }
  if (!files.length) fail(`no .cypher file in ${targets.join(', ')}`);
  return files;
}

function display(file) {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(file);
}

function lintFile(mod, baseSchema, file) {
  const text = fs.readFileSync(file, 'utf8');
  const { params, problems } = headerParameters(text);
  const parameters = Object.fromEntries(
    Object.entries(params).map(([name, p]) => [name, SAMPLE_VALUES[p.type]]),
  );
  const schema = { ...baseSchema, parameters };
  const { diagnostics } = mod.lintCypherQuery(text, schema, { consoleCommandsEnabled: false });
  const errors = problems.map((p) => ({ ...p, message: `header: ${p.message}` }));
  const warnings = [];
  for (const d of diagnostics) {
    const item = {
      line: d.range.start.line + 1,
      col: d.range.start.character + 1,
      message: d.message.replace(/\s*\n\s*/g, ' ').trim(),
    };
    (d.severity === ERROR ? errors : warnings).push(item);
  }
  const used = new Set(mod.parseParameters(text, false).map((n) => n.replace(/^`|`$/g, '')));
  for (const [name, p] of Object.entries(params)) {
    if (!used.has(name)) {
      const message = `header: parameter $${name} is declared but not used`;
      errors.push({ line: p.line, col: 1, message });
    }
  }
  const byPosition = (a, b) => a.line - b.line || a.col - b.col;
  const types = Object.fromEntries(Object.entries(params).map(([name, p]) => [name, p.type]));
  return { file: display(file), params: types, errors: errors.sort(byPosition), warnings };
}

/**
 * The linter must find an undefined variable and an unknown function and pass a built-in one:
 * a semantic analysis that throws (e.g. under an older node) reports nothing.
 */
function selfCheck(mod, baseSchema, version) {
  const query =
    'RETURN undefined_variable AS a, no_such_function(1) AS b, percentileCont(1, 0.5) AS c';
  const { diagnostics } = mod.lintCypherQuery(query, baseSchema, { consoleCommandsEnabled: false });
  const found = diagnostics.map((d) => d.message).join(' | ');
  const ok =
    found.includes('`undefined_variable` not defined') &&
    found.includes('Function no_such_function is not present') &&
    !found.includes('percentileCont');
  if (!ok) {
    fail(
      `@neo4j-cypher/language-support ${version} under node ${process.version} misjudges a ` +
        `known query (${query}): found ${found || 'nothing'}`,
    );
  }
}

async function main() {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--json');
  if (unknown.length) {
    fail(`unknown option(s) ${unknown.join(' ')}; usage: lint.mjs [--json] [PATH ...]`);
  }
  const files = listFiles(argv.filter((a) => !a.startsWith('-')));
  const started = performance.now();
  const { mod, version } = await loadLinter();
  const builtins = Object.fromEntries(
    Object.entries(mod.testData.mockSchema.functions[CYPHER_VERSION]).filter(
      ([, f]) => f.isBuiltIn,
    ),
  );
  const baseSchema = {
    defaultLanguage: CYPHER_VERSION,
    functions: { [CYPHER_VERSION]: builtins },
    procedures: { [CYPHER_VERSION]: {} },
  };
  selfCheck(mod, baseSchema, version);
  const results = files.map((f) => lintFile(mod, baseSchema, f));
  const nErrors = results.reduce((n, r) => n + r.errors.length, 0);
  const nWarnings = results.reduce((n, r) => n + r.warnings.length, 0);
  const seconds = (performance.now() - started) / 1000;
  if (json) {
    const summary = { files: results.length, errors: nErrors, warnings: nWarnings, seconds };
    const meta = { linter: version, cypher: CYPHER_VERSION, node: process.version };
    const doc = { ...meta, ...summary, results };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else {
    for (const r of results) {
      for (const e of r.errors) process.stdout.write(`${r.file}:${e.line}:${e.col} ${e.message}\n`);
      for (const w of r.warnings) {
        process.stdout.write(`${r.file}:${w.line}:${w.col} warning: ${w.message}\n`);
      }
    }
    const failed = results.filter((r) => r.errors.length).length;
    process.stdout.write(
      `cypher-lint: ${results.length} files checked, ${failed} failed, ${nErrors} errors, ` +
        `${nWarnings} warnings (@neo4j-cypher/language-support ${version}, ${CYPHER_VERSION}, ` +
        `${seconds.toFixed(1)} s)\n`,
    );
  }
  process.exit(nErrors ? 1 : 0);
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
