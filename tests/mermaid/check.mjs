// Parse every ```mermaid block of a Markdown file with Mermaid itself (in jsdom).
// Usage: node check.mjs FILE.md ; exit 1 when a block does not parse.
import { JSDOM } from "jsdom";
const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window; globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
import fs from "fs";
const text = fs.readFileSync(process.argv[2], "utf8");
const blocks = [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map(m => m[1]);
let bad = 0;
for (const [i, b] of blocks.entries()) {
  try { await mermaid.parse(b); } catch (e) { bad++; console.log(`block ${i + 1}: ${e.message.split("\n")[0]}`); }
}
console.log(`${blocks.length} blocks, ${bad} invalid`);
process.exit(bad ? 1 : 0);
