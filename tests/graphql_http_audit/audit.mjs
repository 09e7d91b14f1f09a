// Runs graphql-http's server audit (the GraphQL over HTTP spec's checks) against a live
// server and prints one JSON line: every result with its status, id and name.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
const out = [];
for (const result of results) {
  const entry = { status: result.status, id: result.id, name: result.name };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
  }
  out.push(entry);
}
console.log(JSON.stringify(out));
