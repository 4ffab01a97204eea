// Generates src/api.gen.ts, the TypeScript types of the component schemas
// of the server's OpenAPI document (src/api/openapi.json in the repository),
// so that the document is the one source of the editor's API types: a field
// the editor reads that the document does not declare, or reads as another
// type, fails `tsc`. Run by `npm run build` (and after `npm ci`); the output
// is not committed.
//
// The document's schemas use a small part of JSON Schema 2020-12; this maps
// what it uses ($ref, const, enum, type and type lists, properties with
// required, additionalProperties, items, prefixItems, allOf, anyOf, oneOf)
// and reads anything else as `unknown`, never as `any`.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(web, '..', 'src', 'api', 'openapi.json');
const target = join(web, 'src', 'api.gen.ts');

const doc = JSON.parse(readFileSync(source, 'utf8'));
const schemas = doc.components?.schemas ?? {};

const literal = (v) => JSON.stringify(v);
const key = (name) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name));
const comment = (text, pad) =>
  text ? `${pad}/** ${String(text).replace(/\*\//g, '*\\/').replace(/\n/g, `\n${pad} * `)} */\n` : '';
const union = (parts) => {
  const unique = [...new Set(parts)];
  return unique.length === 1 ? unique[0] : unique.map((p) => (p.includes(' ') && !p.startsWith('{') ? `(${p})` : p)).join(' | ');
};

function refName(ref) {
  const prefix = '#/components/schemas/';
  if (!ref.startsWith(prefix)) throw new Error(`openapi.json: $ref ${ref} is not a component schema`);
  const name = ref.slice(prefix.length);
  if (!schemas[name]) throw new Error(`openapi.json: $ref ${ref} names no schema`);
  return name;
}

function objectType(s, pad) {
  const inner = `${pad}  `;
  const required = new Set(s.required ?? []);
  const lines = [];
  for (const [name, prop] of Object.entries(s.properties ?? {}))
    lines.push(`${comment(prop.description, inner)}${inner}${key(name)}${required.has(name) ? '' : '?'}: ${type(prop, inner)};`);
  const extra = s.additionalProperties;
  if (extra && typeof extra === 'object') {
    // An index signature must admit every named property's type too.
    const named = Object.values(s.properties ?? {}).map((p) => type(p, inner));
    const value = named.length ? union([type(extra, inner), ...named, 'undefined']) : type(extra, inner);
    lines.push(`${inner}[key: string]: ${value};`);
  } else if (extra === true || (!s.properties && extra === undefined)) lines.push(`${inner}[key: string]: unknown;`);
  return lines.length ? `{\n${lines.join('\n')}\n${pad}}` : '{}';
}

function single(s, t, pad) {
  switch (t) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return t;
    case 'integer':
      return 'number';
    case 'array':
      if (s.prefixItems) return `[${s.prefixItems.map((i) => type(i, pad)).join(', ')}]`;
      return `${wrap(type(s.items ?? {}, pad))}[]`;
    case 'object':
      return objectType(s, pad);
    default:
      throw new Error(`openapi.json: unknown type ${t}`);
  }
}

const wrap = (t) => (/^[A-Za-z0-9_]+$/.test(t) || t.startsWith('{') || t.endsWith(']') ? t : `(${t})`);

function type(s, pad = '') {
  if (s === true || s === undefined) return 'unknown';
  if (s === false) return 'never';
  const parts = [];
  if (s.$ref) parts.push(refName(s.$ref));
  if ('const' in s) parts.push(literal(s.const));
  else if (s.enum) parts.push(union(s.enum.map(literal)));
  else if (s.type) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    parts.push(union(types.map((t) => single(s, t, pad))));
  } else if (s.properties) parts.push(objectType(s, pad));
  for (const k of ['anyOf', 'oneOf']) if (s[k]) parts.push(wrap(union(s[k].map((x) => type(x, pad)))));
  for (const x of s.allOf ?? []) parts.push(wrap(type(x, pad)));
  return parts.length ? parts.join(' & ') : 'unknown';
}

let out = '// Generated from src/api/openapi.json by web/scripts/gen-api-types.mjs: do not edit.\n';
out += '// The component schemas of the document, one exported type each.\n';
for (const [name, s] of Object.entries(schemas)) {
  out += `\n${comment(s.description, '')}export type ${name} = ${type(s)};\n`;
}
if (!existsSync(target) || readFileSync(target, 'utf8') !== out) writeFileSync(target, out);
console.log(`api.gen.ts: ${Object.keys(schemas).length} types from openapi.json`);
