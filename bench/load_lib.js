// Helpers shared by the bench load generators (ngsi_load.js, temporal_load.js): argument
// parsing and one HTTP request over a keep-alive agent.
'use strict';

const http = require('http');

function args(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[++i];
    else out._.push(argv[i]);
  }
  return out;
}

function request(agent, url, method, path, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      {
        agent, host: u.hostname, port: u.port, method, path,
        headers: body
          ? { 'Content-Type': 'application/json', 'Content-Length': body.length }
          : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

module.exports = { args, request };
