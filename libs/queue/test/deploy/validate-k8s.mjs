// Validates Kubernetes objects (a JSON array on stdin) against their schemas with kubernetes-models
// (an ES module package, hence this script beside the Jest test). Prints a JSON array of problems;
// a kind the package does not know is a problem too.
import { readFileSync } from 'fs';
import process from 'process';

const objects = JSON.parse(readFileSync(0, 'utf8'));
const problems = [];
for (const o of objects) {
  const where = `${o.kind}/${o.metadata?.name}`;
  try {
    const module = await import(`kubernetes-models/${o.apiVersion}/${o.kind}`);
    const Model = module[o.kind];
    new Model(o).validate();
  } catch (error) {
    problems.push(`${where}: ${error.message}`);
  }
}
process.stdout.write(JSON.stringify(problems));
