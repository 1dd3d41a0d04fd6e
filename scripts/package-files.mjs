// The files the npm tarball carries besides dist/: the repository's README (relative links
// made absolute, so that they work on the registry's page) and the two licence files, copied
// into packages/cosinekit at build time (tsup's onSuccess; not committed, see .gitignore).
// The repository root stays their one source. Usage from code: writePackageFiles(); or
// `node scripts/package-files.mjs` to write them without a build.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const packageDirectory = new URL('packages/cosinekit/', root);
export const REPOSITORY = 'https://github.com/cosinekit/cosinekit';

/**
 * Markdown links and images whose target is a path in the repository become absolute URLs:
 * `[text](docs/x.md)` → …/blob/main/docs/x.md, `![alt](docs/x.svg)` → …/raw/main/docs/x.svg.
 * Absolute URLs, in-page anchors and mailto: links are kept.
 */
export function absoluteLinks(markdown) {
  return markdown.replace(/(!?)\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, bang, text, target) => {
    if (/^([a-z][a-z0-9+.-]*:|#)/i.test(target)) return whole;
    const path = target.replace(/^\.\//, '');
    return `${bang}[${text}](${REPOSITORY}/${bang ? 'raw' : 'blob'}/main/${path})`;
  });
}

export function writePackageFiles() {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  writeFileSync(new URL('README.md', packageDirectory), absoluteLinks(readme));
  for (const licence of ['LICENSE-MIT', 'LICENSE-APACHE']) copyFileSync(new URL(licence, root), new URL(licence, packageDirectory));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writePackageFiles();
