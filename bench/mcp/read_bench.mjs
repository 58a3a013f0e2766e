// SPDX-License-Identifier: Apache-2.0
// Small-read throughput and latency of one MCP server through the official SDK client.
// Usage: node read_bench.mjs LABEL TOOL PATHPREFIX CALLS CONCURRENCY COMMAND [ARGS...]
// Prints one JSON line: {label, calls, concurrency, seconds, per_second, p50_ms, p99_ms,
// client_cpu_us, server_cpu_us} (CPU time per call of this client and of the server).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

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
// The server's CPU time (user + system, seconds) from /proc, as read_lean.py reads it.
const clk = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
const serverCpu = () => {
  const f = readFileSync(`/proc/${transport.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / clk;
};
const lat = [];
let next = 0;
const s0 = serverCpu();
const u0 = process.cpuUsage();
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
const u1 = process.cpuUsage(u0); // this client's own CPU (user + system), microseconds
const s1 = serverCpu();
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
console.log(JSON.stringify({ label, calls, concurrency: conc, seconds: secs,
                             per_second: calls / secs, p50_ms: q(0.5), p99_ms: q(0.99),
                             client_cpu_us: (u1.user + u1.system) / calls,
                             server_cpu_us: (s1 - s0) / calls * 1e6 }));
await client.close();
