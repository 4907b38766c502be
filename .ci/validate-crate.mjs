// Validates an RO-Crate directory (what `repro publish DIR` writes) with the
// community validator of the npm package ro-crate (pinned in package.json):
//
//	node .ci/validate-crate.mjs DIR
//
// prints every error and warning, and exits 1 on any error (2 on bad usage).
// Offline: the validator fetches the crate's @context URL
// (https://w3id.org/ro/crate/1.1/context); this script answers that fetch,
// and any request for an RO-Crate context under w3id.org/ro/crate/, with
// the context the package bundles (lib/context.json, RO-Crate 1.2, whose
// terms include 1.1's), and refuses every other request. The package's own
// command-line wrapper (rocval) crashes on its commander version: the
// library is called directly.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';

const dir = process.argv[2];
if (!dir || process.argv.length > 3) {
  console.error('usage: node .ci/validate-crate.mjs DIR');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const contextFile = require.resolve('ro-crate/lib/context.json');
const bundled = readFileSync(contextFile, 'utf8');

// ro-crate reads globalThis.fetch when it loads: set it first.
globalThis.fetch = async (url) => {
  if (/^https:\/\/w3id\.org\/ro\/crate\/[0-9.]+(-DRAFT)?\/context$/.test(String(url))) {
    return new Response(bundled, { status: 200, headers: { 'content-type': 'application/ld+json' } });
  }
  throw new Error(`offline: refusing to fetch ${url}`);
};
const { validate, ROCrate } = await import('ro-crate');

const text = readFileSync(join(dir, 'ro-crate-metadata.json'), 'utf8');
const json = JSON.parse(text);
const results = [];
// What validate(json) checks before it builds the crate: a @graph, and no
// key but @graph and @context.
if (!Array.isArray(json['@graph'])) results.push({ status: 'error', message: 'no @graph' });
for (const k of Object.keys(json)) {
  if (k !== '@graph' && k !== '@context') results.push({ status: 'error', message: `top-level key ${k}` });
}
const crate = new ROCrate(json, { array: true, link: true });
await crate.resolveContext(); // through the fetch above: the bundled context
// Every file and directory of DIR, so that the validator checks that each
// data entity exists and each file is described.
const files = {};
(function walk(d) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    const rel = relative(dir, p).split(sep).join('/');
    if (rel === 'ro-crate-metadata.json') continue;
    files[e.isDirectory() ? rel + '/' : encodeURI(rel)] = { exists: true, isDir: e.isDirectory() };
    if (e.isDirectory()) walk(p);
  }
})(dir);
results.push(...(await validate(crate, files)));

let errors = 0;
for (const r of results) {
  if (r.status === 'error') errors++;
  if (r.status === 'error' || r.status === 'warning') {
    console.log(`${r.status}: ${r.id ?? ''} ${r.entity ?? ''} ${r.message}`.replace(/\s+/g, ' '));
  }
}
const ok = results.filter((r) => r.status === 'success').length;
console.log(`ro-crate validator (context: ${relative(process.cwd(), contextFile)}): ${errors} errors, ${results.length - errors - ok} warnings, ${ok} checks passed`);
process.exit(errors > 0 ? 1 : 0);
