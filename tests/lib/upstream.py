# SPDX-License-Identifier: Apache-2.0
"""HTTP upstreams for the network tests (docs/testing.md): servers on loopback addresses that
answer GET with one line naming themselves, each in a thread of its own.

    good, other, PORT = pair(("127.0.0.2", "good"), ("127.0.0.3", "other"))
    # GET /x on good answers "upstream=good path=/x\\n"

A test needing more answers subclasses Echo (answer() gives the default line) and passes it
as handler."""
import http.server, threading


class Echo(http.server.BaseHTTPRequestHandler):
    def answer(self):
        """The default body: the server's name and the request path."""
        return f"upstream={self.server.name} path={self.path}\n".encode()

    def do_GET(self):
        body = self.answer()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def serve(addr, port, name, handler=Echo, tls=None):
    """Starts a server on addr:port (0: a free port) named name; tls: an ssl.SSLContext."""
    srv = http.server.ThreadingHTTPServer((addr, port), handler)
    srv.name = name
    if tls is not None:
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def pair(first, second, handler=Echo, tries=20):
    """Two servers, (addr, name) each, on one port that is free on both addresses: (server,
    server, port), or None when no such port was found in tries attempts."""
    for _ in range(tries):
        a = serve(first[0], 0, first[1], handler)
        port = a.server_address[1]
        try:
            return a, serve(second[0], port, second[1], handler), port
        except OSError:
            a.shutdown()
            a.server_close()
    return None
