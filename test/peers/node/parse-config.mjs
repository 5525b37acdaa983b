// Usage: node parse-config.mjs yaml|hcl <file>
// Parses a generated CloudFormation template with js-yaml (CloudFormation's short-form tags such as !Sub, !Ref
// and !GetAtt allowed, read as {"Fn::Sub": ...} and the like) or Terraform with @cdktf/hcl2json, and prints the
// result as one line of JSON: {"ok":true,"document":...} or {"ok":false,"message":...}.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { parse as parseHcl } from '@cdktf/hcl2json';

const [kind, file] = process.argv.slice(2);
const text = readFileSync(file, 'utf8');
const tag = (name, fn, kinds) => kinds.map(k => new yaml.Type('!' + name, { kind: k, construct: data => ({ [fn]: data }) }));
const schema = yaml.DEFAULT_SCHEMA.extend([
  ...tag('Sub', 'Fn::Sub', ['scalar', 'sequence']),
  ...tag('Ref', 'Ref', ['scalar']),
  ...tag('GetAtt', 'Fn::GetAtt', ['scalar', 'sequence']),
]);
try {
  const document = kind === 'yaml' ? yaml.load(text, { schema }) : await parseHcl(file, text);
  console.log(JSON.stringify({ ok: true, document }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, message: String(e && e.message || e) }));
  process.exitCode = 2;
}
