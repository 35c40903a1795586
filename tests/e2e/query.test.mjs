// GET /entities: type expressions, ids, q, geoQ, scopeQ and paging. Expected sets are
// computed here from the generated inputs, never taken from a server answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { client, assertProblem, LD, enc } from './lib/http.mjs';

let server;
let c;

const N = 36;
const CATS = ['bakery', 'books', 'coffee', 'pharmacy'];
const SCOPES = ['/Hanoi/BaDinh', '/Hanoi/HoanKiem', '/Hue'];
const BASE_TYPES = ['Shop', 'Cafe', 'Bank'];

function poi(i) {
  const types = [BASE_TYPES[i % 3]];
  if (i % 4 === 0 && types[0] !== 'Cafe') types.push('Cafe');
  const lon = 105.8 + (i % 6) * 0.01;
  const lat = 21.0 + Math.floor(i / 6) * 0.01;
  const e = {
    id: `urn:ngsi-ld:Poi:${String(i).padStart(3, '0')}`,
    type: types.length === 1 ? types[0] : types,
    scope: SCOPES[i % 3],
    rating: { type: 'Property', value: (i % 5) + 1, reviews: { type: 'Property', value: i * 2 } },
    category: { type: 'Property', value: CATS[i % 4] },
    name: { type: 'Property', value: `poi-${i}` },
    address: { type: 'Property', value: { city: i % 2 ? 'Hanoi' : 'Hue', zip: String(10000 + i) } },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } },
  };
  if (i % 2 === 0) e.open = { type: 'Property', value: i % 4 === 0 };
  // A square "footprint" around each point on a second GeoProperty.
  const d = 0.002;
  e.footprint = {
    type: 'GeoProperty',
    value: { type: 'Polygon', coordinates: [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]] },
  };
  return e;
}
const ALL = Array.from({ length: N }, (_, i) => poi(i));
const typesOf = (e) => [e.type].flat();
const ids = (pred) => ALL.filter(pred).map((e) => e.id).sort();

before(async () => {
  server = await startServer();
  c = client(server.url);
  const r = await c.post(`${LD}/entityOperations/create`, ALL);
  assert.equal(r.status, 201, r.text);
});
after(async () => { await server?.stop(); });

async function queryIds(qs) {
  const r = await c.get(`${LD}/entities?${qs}&limit=1000&options=keyValues`);
  assert.equal(r.status, 200, `${qs}: ${r.text}`);
  return r.body.map((e) => e.id).sort();
}

test('type expressions: list, AND, OR and parentheses', async () => {
  assert.deepEqual(await queryIds('type=Shop'), ids((e) => typesOf(e).includes('Shop')));
  assert.deepEqual(await queryIds('type=Shop,Bank'), ids((e) => typesOf(e).some((t) => t === 'Shop' || t === 'Bank')));
  assert.deepEqual(await queryIds(`type=${enc('Shop|Bank')}`), ids((e) => typesOf(e).some((t) => t === 'Shop' || t === 'Bank')));
  const shopAndCafe = ids((e) => typesOf(e).includes('Shop') && typesOf(e).includes('Cafe'));
  assert.ok(shopAndCafe.length > 0);
  assert.deepEqual(await queryIds(`type=${enc('Shop;Cafe')}`), shopAndCafe);
  assert.deepEqual(await queryIds(`type=${enc('(Shop|Bank);Cafe')}`),
    ids((e) => typesOf(e).includes('Cafe') && typesOf(e).some((t) => t === 'Shop' || t === 'Bank')));
  assert.deepEqual(await queryIds('type=Nothing'), []);
});

test('id lists and idPattern', async () => {
  const pick = [ALL[1].id, ALL[7].id, 'urn:ngsi-ld:Poi:nope'];
  // id or idPattern alone is too broad (clause 5.7.2, ETSI 019_03_05), unless local=true.
  assertProblem(await c.get(`${LD}/entities?id=${pick.map(enc).join(',')}`), 400, 'BadRequestData');
  assert.deepEqual(await queryIds(`local=true&id=${pick.map(enc).join(',')}`), [ALL[1].id, ALL[7].id].sort());
  assert.deepEqual(await queryIds(`type=Shop&id=${pick.map(enc).join(',')}`),
    ids((e) => pick.includes(e.id) && typesOf(e).includes('Shop')));
  assert.deepEqual(await queryIds(`local=true&idPattern=${enc('^urn:ngsi-ld:Poi:01[0-4]$')}`),
    ids((e) => /^urn:ngsi-ld:Poi:01[0-4]$/.test(e.id)));
  // An invalid pattern is a bad request, not an empty result (019_03_02).
  assertProblem(await c.get(`${LD}/entities?type=Shop&idPattern=${enc('poi**')}`), 400, 'BadRequestData');
});

test('q: comparisons, ranges, lists, patterns', async () => {
  const Q = (q) => queryIds(`type=Shop,Cafe,Bank&q=${enc(q)}`);
  const r = (e) => e.rating.value;
  assert.deepEqual(await Q('rating>=4'), ids((e) => r(e) >= 4));
  assert.deepEqual(await Q('rating<2'), ids((e) => r(e) < 2));
  assert.deepEqual(await Q('rating!=3'), ids((e) => r(e) !== 3));
  assert.deepEqual(await Q('rating==2..4'), ids((e) => r(e) >= 2 && r(e) <= 4));
  assert.deepEqual(await Q('category=="books","coffee"'), ids((e) => ['books', 'coffee'].includes(e.category.value)));
  assert.deepEqual(await Q('category=="pharmacy"'), ids((e) => e.category.value === 'pharmacy'));
  assert.deepEqual(await Q('name~="poi-1[0-9]$"'), ids((e) => /poi-1[0-9]$/.test(e.name.value)));
  assert.deepEqual(await Q('open==true'), ids((e) => e.open?.value === true));
  assert.deepEqual(await Q('open'), ids((e) => e.open !== undefined));
  assert.deepEqual(await Q('!open'), ids((e) => e.open === undefined));
});

test('q: sub-attribute and compound paths', async () => {
  const Q = (q) => queryIds(`type=Shop,Cafe,Bank&q=${enc(q)}`);
  assert.deepEqual(await Q('rating.reviews>40'), ids((e) => e.rating.reviews.value > 40));
  assert.deepEqual(await Q('address[city]=="Hue"'), ids((e) => e.address.value.city === 'Hue'));
  assert.deepEqual(await Q('address[zip]=="10007"'), ids((e) => e.address.value.zip === '10007'));
});

test('q: AND, OR and parentheses', async () => {
  const Q = (q) => queryIds(`type=Shop,Cafe,Bank&q=${enc(q)}`);
  const r = (e) => e.rating.value;
  const cat = (e) => e.category.value;
  assert.deepEqual(await Q('rating>=4;category=="books"'), ids((e) => r(e) >= 4 && cat(e) === 'books'));
  assert.deepEqual(await Q('rating==1|rating==5'), ids((e) => r(e) === 1 || r(e) === 5));
  assert.deepEqual(await Q('(rating==1|rating==5);category=="bakery"'),
    ids((e) => (r(e) === 1 || r(e) === 5) && cat(e) === 'bakery'));
  assert.deepEqual(await Q('category=="coffee";(rating<2|address[city]=="Hue")'),
    ids((e) => cat(e) === 'coffee' && (r(e) < 2 || e.address.value.city === 'Hue')));
});

// Great-circle distance in metres (spherical earth).
function haversine([lon1, lat1], [lon2, lat2]) {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  const dlat = (lat2 - lat1) * rad;
  const dlon = (lon2 - lon1) * rad;
  const a = Math.sin(dlat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

function geo(georel, geometry, coordinates, extra = '') {
  return queryIds(`type=Shop,Cafe,Bank&georel=${enc(georel)}&geometry=${geometry}&coordinates=${enc(JSON.stringify(coordinates))}${extra}`);
}

test('geoQ near with maxDistance and minDistance', async () => {
  const centre = [105.825, 21.025];
  const dist = new Map(ALL.map((e) => [e.id, haversine(centre, e.location.value.coordinates)]));
  // Choose thresholds in the middle of wide gaps so rounding cannot matter.
  const sorted = [...new Set([...dist.values()].map((d) => Math.round(d)))].sort((a, b) => a - b);
  let best = 1;
  for (let k = 1; k < sorted.length - 1; k++) {
    if (sorted[k + 1] - sorted[k] > sorted[best + 1] - sorted[best] && k < sorted.length / 2) best = k;
  }
  const threshold = (sorted[best] + sorted[best + 1]) / 2;
  const near = ids((e) => dist.get(e.id) <= threshold);
  assert.ok(near.length > 0 && near.length < N);
  assert.deepEqual(await geo(`near;maxDistance==${threshold}`, 'Point', centre), near);
  assert.deepEqual(await geo(`near;minDistance==${threshold}`, 'Point', centre), ids((e) => dist.get(e.id) >= threshold));
});

test('geoQ within, intersects, contains, disjoint, overlaps, equals', async () => {
  // Box covering grid columns 1..3 and rows 2..4 (points strictly inside).
  const box = [[[105.805, 21.015], [105.835, 21.015], [105.835, 21.045], [105.805, 21.045], [105.805, 21.015]]];
  const inBox = ([lon, lat]) => lon > 105.805 && lon < 105.835 && lat > 21.015 && lat < 21.045;
  const pts = (e) => e.location.value.coordinates;
  const expected = ids((e) => inBox(pts(e)));
  assert.ok(expected.length === 9);
  assert.deepEqual(await geo('within', 'Polygon', box), expected);
  assert.deepEqual(await geo('intersects', 'Polygon', box), expected);
  assert.deepEqual(await geo('disjoint', 'Polygon', box), ids((e) => !inBox(pts(e))));

  // Equals: exactly one point.
  const target = ALL[8];
  assert.deepEqual(await geo('equals', 'Point', pts(target)), [target.id]);

  // On the footprint GeoProperty: squares of half-size 0.002 around each point.
  const [tx, ty] = pts(target);
  assert.deepEqual(await geo('contains', 'Point', [tx + 0.001, ty - 0.001], '&geoproperty=footprint'), [target.id]);
  assert.deepEqual(await geo('contains', 'Point', [tx + 0.001, ty - 0.001]), [], 'location points contain no other point');
  // A square straddling one footprint's corner overlaps it (neither contains the other).
  const ov = [[[tx + 0.001, ty + 0.001], [tx + 0.003, ty + 0.001], [tx + 0.003, ty + 0.003], [tx + 0.001, ty + 0.003], [tx + 0.001, ty + 0.001]]];
  assert.deepEqual(await geo('overlaps', 'Polygon', ov, '&geoproperty=footprint'), [target.id]);
  assert.deepEqual(await geo('intersects', 'Polygon', ov, '&geoproperty=footprint'), [target.id]);
  assert.deepEqual(await geo('intersects', 'Polygon', ov), [], 'no location point lies in that square');
  // within on footprint: the box contains whole footprints only for interior points.
  assert.deepEqual(await geo('within', 'Polygon', box, '&geoproperty=footprint'), expected);
  // A LineString crossing row 0.
  const line = [[105.795, 21.0], [105.8275, 21.0]];
  assert.deepEqual(await geo('intersects', 'LineString', line, '&geoproperty=footprint'),
    ids((e) => pts(e)[1] === 21.0 && pts(e)[0] - 0.002 <= 105.8275));
});

test('scopeQ: exact, descendants and alternatives', async () => {
  const S = (s) => queryIds(`type=Shop,Cafe,Bank&scopeQ=${enc(s)}`);
  assert.deepEqual(await S('/Hue'), ids((e) => e.scope === '/Hue'));
  assert.deepEqual(await S('/Hanoi/#'), ids((e) => e.scope.startsWith('/Hanoi/')));
  assert.deepEqual(await S('/Hanoi/+'), ids((e) => e.scope.startsWith('/Hanoi/')));
  assert.deepEqual(await S('/Hue,/Hanoi/BaDinh'), ids((e) => e.scope === '/Hue' || e.scope === '/Hanoi/BaDinh'));
  assert.deepEqual(await S('/Hanoi'), []);
});

test('limit/offset, count and Link rel=next walked to the end', async () => {
  const all = ids(() => true);
  const r = await c.get(`${LD}/entities?type=Shop,Cafe,Bank&limit=5&offset=0&count=true`);
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 5);
  assert.equal(r.headers.get('ngsild-results-count'), String(N));
  const page2 = await c.get(`${LD}/entities?type=Shop,Cafe,Bank&limit=5&offset=5`);
  assert.equal(page2.body.length, 5);
  assert.equal(r.body.filter((e) => page2.body.some((x) => x.id === e.id)).length, 0, 'pages do not overlap');

  const zero = await c.get(`${LD}/entities?type=Shop&limit=0&count=true`);
  assert.equal(zero.status, 200, zero.text);
  assert.deepEqual(zero.body, []);
  assert.equal(zero.headers.get('ngsild-results-count'), String(ids((e) => typesOf(e).includes('Shop')).length));

  const seen = [];
  let next = `${LD}/entities?type=Shop,Cafe,Bank&limit=7`;
  let pages = 0;
  while (next) {
    const p = await c.get(next);
    assert.equal(p.status, 200, p.text);
    seen.push(...p.body.map((e) => e.id));
    pages++;
    assert.ok(pages <= 10, 'paging terminates');
    const link = p.headers.get('link') ?? '';
    const m = /<([^>]+)>;\s*rel="?next"?/.exec(link);
    next = m ? (m[1].startsWith('http') ? m[1].slice(server.url.length) : m[1]) : null;
  }
  assert.equal(pages, Math.ceil(N / 7));
  assert.deepEqual([...seen].sort(), all);
  assert.equal(new Set(seen).size, N, 'no entity twice across pages');

  assertProblem(await c.get(`${LD}/entities?type=Shop&limit=100000`), 403, 'TooManyResults');
  assertProblem(await c.get(`${LD}/entities?type=Shop&limit=-1`), 400);
  assertProblem(await c.get(`${LD}/entities?type=Shop&offset=abc`), 400);
});

test('a query needs type, id, q, attrs or geoQ', async () => {
  assertProblem(await c.get(`${LD}/entities`), 400);
  assert.deepEqual(await queryIds('attrs=open'), ids((e) => e.open !== undefined));
});
