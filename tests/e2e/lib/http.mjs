// Small fetch helpers shared by the e2e tests.
import assert from 'node:assert/strict';

export const LD = '/ngsi-ld/v1';
export const CORE_CONTEXT = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
export const ERR = 'https://uri.etsi.org/ngsi-ld/errors/';

export function linkHeader(url) {
  return `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
}

// client(baseUrl) -> {req(method, path, {body, headers, raw})} returning {status, headers, body, text}.
export function client(base) {
  async function req(method, path, opts = {}) {
    const headers = { ...(opts.headers ?? {}) };
    let body;
    if (opts.raw !== undefined) {
      body = opts.raw;
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = 'application/json';
      }
    }
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
    return { status: res.status, headers: res.headers, body: json, text };
  }
  return {
    req,
    get: (p, o) => req('GET', p, o),
    post: (p, body, o = {}) => req('POST', p, { ...o, body }),
    put: (p, body, o = {}) => req('PUT', p, { ...o, body }),
    patch: (p, body, o = {}) => req('PATCH', p, { ...o, body }),
    del: (p, o) => req('DELETE', p, o),
  };
}

// Asserts an NGSI-LD ProblemDetails answer with the given status and error type name.
export function assertProblem(r, status, typeName) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.match(r.headers.get('content-type') ?? '', /application\/(problem\+)?json/);
  assert.equal(typeof r.body, 'object', `problem body is JSON: ${r.text}`);
  assert.equal(typeof r.body.type, 'string');
  if (typeName) assert.equal(r.body.type, ERR + typeName, `problem type for ${r.text}`);
  else assert.ok(r.body.type.startsWith(ERR), `NGSI-LD error type URI: ${r.body.type}`);
  assert.equal(typeof r.body.title, 'string');
}

export const enc = encodeURIComponent;
