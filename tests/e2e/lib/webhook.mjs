// A webhook receiver for notification tests (subscriptions, Open311 reports).
import http from 'node:http';

// A webhook receiver on 127.0.0.1: records every request; next(n) resolves when n more
// notifications have arrived. respond(status) sets what it answers.
export function receiver(port = 0) {
  const got = [];
  const waiters = [];
  let status = 200;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      got.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(body), status });
      res.writeHead(status);
      res.end();
      for (const w of waiters.splice(0)) w.check();
    });
  });
  const r = {
    got,
    respond: (s) => { status = s; },
    // Resolves with the first notification at index >= from that pred accepts.
    waitFor(pred, from = 0) {
      return new Promise((resolve) => {
        const w = {
          check() {
            const hit = got.slice(from).find(pred);
            if (hit) resolve(hit); else waiters.push(w);
          },
        };
        w.check();
      });
    },
    async listen() {
      await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
      port = server.address().port;
      r.url = `http://127.0.0.1:${port}/notify`;
      return r;
    },
    close: () => new Promise((ok) => { server.close(ok); server.closeAllConnections(); }),
  };
  return r;
}
