# SPDX-License-Identifier: Apache-2.0
"""A small MCP client for the end-to-end tests: JSON-RPC 2.0 messages, one a line, over the
stdin and stdout of a child process (`nucleus proxy --stdio`, `nucleus mcp --pod ID`),
written from the JSON-RPC 2.0 and MCP specifications.  docs/testing.md.

    c = Client([NUCLEUS, "proxy", "--stdio", ...], env=ENV)
    c.initialize()
    r = c.tool("run", {"argv": ["echo", "hi"]})   # the whole response, None on timeout/EOF

A reply that is not the one awaited (a notification, another call's answer) is kept in
self.pending for a later recv()."""
import json, os, select, subprocess, time

PROTOCOL_VERSION = "2025-11-25"


class Client:
    def __init__(self, argv, env=None, stderr=subprocess.PIPE, timeout=60):
        """Starts argv; timeout: the default wait for an answer, in seconds."""
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=stderr, env=env)
        self.timeout = timeout
        self.buf = b""
        self.pending = []  # messages read but not yet asked for
        self.last_id = 0
        self.err = ""

    def send_raw(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, obj):
        self.send_raw(json.dumps(obj).encode() + b"\n")

    def _read_one(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def recv(self, want_id=None, timeout=None):
        """The next message (with id want_id if given), None after timeout seconds or at the
        end of the child's output; other messages are kept in self.pending."""
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        for i, m in enumerate(self.pending):
            if want_id is None or m.get("id") == want_id:
                return self.pending.pop(i)
        while True:
            m = self._read_one(deadline)
            if m is None:
                return None
            if want_id is None or m.get("id") == want_id:
                return m
            self.pending.append(m)

    def call(self, obj, timeout=None):
        """Sends the request obj and returns its response (see recv)."""
        self.send(obj)
        return self.recv(obj.get("id"), timeout)

    def request(self, method, params=None, rid=None, timeout=None):
        """A request with params ({} if None) and id rid (the next number if None)."""
        if rid is None:
            self.last_id += 1
            rid = self.last_id
        return self.call({"jsonrpc": "2.0", "id": rid, "method": method,
                          "params": {} if params is None else params}, timeout)

    def initialize(self, version=PROTOCOL_VERSION, client="t", rid=None):
        return self.request("initialize", {"protocolVersion": version, "capabilities": {},
                                           "clientInfo": {"name": client, "version": "1"}},
                            rid)

    def tool(self, name, args, rid=None, meta=None, timeout=None):
        """tools/call: the whole response (None: no answer)."""
        params = {"name": name, "arguments": args}
        if meta:
            params["_meta"] = meta
        return self.request("tools/call", params, rid, timeout)

    def tool_result(self, name, args, timeout=None):
        """tools/call: the response's result, {} when there is none."""
        r = self.request("tools/call", {"name": name, "arguments": args}, timeout=timeout)
        return (r or {}).get("result", {})

    def close(self, timeout=30, kill=False):
        """Closes the child's input and returns its exit status; self.err is its stderr (if
        piped).  A child still running after timeout seconds: subprocess.TimeoutExpired, or
        with kill=True it is killed and that status returned."""
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            if not kill:
                raise
            self.p.kill()
            rc = self.p.wait()
        if self.p.stderr is not None:
            self.err = self.p.stderr.read().decode(errors="replace")
        return rc

