// SPDX-License-Identifier: Apache-2.0
// Small-read throughput and latency of one MCP server through the official SDK client.
// Usage: node read_bench.mjs LABEL TOOL PATHPREFIX CALLS CONCURRENCY COMMAND [ARGS...]
// Prints one JSON line: {label, calls, concurrency, seconds, per_second, p50_ms, p99_ms}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [label, tool, prefix, callsS, concS, command, ...args] = process.argv.slice(2);
const calls = Number(callsS), conc = Number(concS);
const transport = new StdioClientTransport({ command, args,
                                             stderr: process.env.BENCH_STDERR ? "inherit" : "ignore",
                                             env: process.env });
const client = new Client({ name: "nucleus-bench", version: "1" });
await client.connect(transport);
const FILES = 100;
const one = async (i) => {
  const r = await client.callTool({ name: tool, arguments: { path: `${prefix}f${i % FILES}.txt` } });
  if (r.isError) throw new Error(`${label}: ${JSON.stringify(r.content)}`);
};
for (let i = 0; i < 200; i++) await one(i); // warm-up
const lat = [];
let next = 0;
const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: conc }, async () => {
  while (next < calls) {
    const i = next++;
    const s = process.hrtime.bigint();
    await one(i);
    lat.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
}));
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
console.log(JSON.stringify({ label, calls, concurrency: conc, seconds: secs,
                             per_second: calls / secs, p50_ms: q(0.5), p99_ms: q(0.99) }));
await client.close();
