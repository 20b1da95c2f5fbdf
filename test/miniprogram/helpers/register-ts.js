/**
 * Lets plain node require .ts files (scripts/screenshots.ts and the mini-program sources it
 * renders) by transpiling them with the project's typescript — no type check, like ts-jest's
 * isolatedModules. Used as `node -r ./test/miniprogram/helpers/register-ts.js scripts/screenshots.ts`.
 */
const fs = require('node:fs');
const ts = require('typescript');

const exts = require.extensions;
const { '.json': json, '.node': native } = exts;
// Extensionless requires try extensions in this order: a page's index.ts must win over its index.json.
delete exts['.json'];
delete exts['.node'];
exts['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      esModuleInterop: true,
      experimentalDecorators: true,
      sourceMap: false,
      inlineSourceMap: true,
    },
  });
  module._compile(out.outputText, filename);
};
exts['.json'] = json;
exts['.node'] = native;
