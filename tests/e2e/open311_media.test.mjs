// Photos in Open311 reports and staff updates: POST as multipart/form-data, JPEG, PNG and
// WebP recognised by their bytes, Exif location and personal metadata removed (a JPEG's
// orientation kept), the pixels unchanged (GDAL decodes both and gives the same checksum),
// served at a stable media_url; a text file named .jpg, a broken image, a 20 MB upload and
// malformed multipart are clear 4xx errors in Open311's format, and nothing is stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startServer } from './lib/server.mjs';

const ADMIN = 'media-admin-key';
let server;
let work;
before(async () => {
  server = await startServer({ args: ['--demo', '--demo-sensors', '50', '--open311-admin-keys', ADMIN] });
  work = mkdtempSync(join(tmpdir(), 'dothi-media-'));
});
after(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const gdal = (tool, args) => execFileSync(tool, args, { env: { ...process.env, GDAL_PAM_ENABLED: 'NO' }, encoding: 'utf8' });
// GDAL's checksum of each band of an image file: the decoded pixels.
function checksums(bytes, ext) {
  const path = join(work, `check-${Math.random().toString(36).slice(2)}.${ext}`);
  writeFileSync(path, bytes);
  return [...gdal('gdalinfo', ['-checksum', path]).matchAll(/Checksum=(\d+)/g)].map((m) => Number(m[1]));
}
// A 32x24 three-band image made by GDAL in the given format.
function image(format, ext) {
  const asc = join(work, 'base.asc');
  const rows = [];
  for (let y = 0; y < 24; y++) rows.push(Array.from({ length: 32 }, (_, x) => (x * 7 + y * 11) % 256).join(' '));
  writeFileSync(asc, `ncols 32\nnrows 24\nxllcorner 0\nyllcorner 0\ncellsize 1\n${rows.join('\n')}\n`);
  const out = join(work, `base.${ext}`);
  gdal('gdal_translate', ['-q', '-of', format, '-ot', 'Byte', '-b', '1', '-b', '1', '-b', '1', asc, out]);
  return readFileSync(out);
}

const be16 = (n) => Buffer.from([n >> 8, n & 255]);
const be32 = (n) => Buffer.from([n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
// A big-endian TIFF IFD entry: tag, type, count, 4-byte value or offset.
const entry = (tag, type, count, value) => Buffer.concat([be16(tag), be16(type), be32(count), value]);
// An Exif APP1 segment with Make, Artist, Orientation 6 and a GPS IFD (21°01'N, 105°51'E).
function exifSegment() {
  const make = Buffer.from('SM-G991B\0');
  const artist = Buffer.from('Nguyen Van A\0');
  const ifd0 = 8;
  const ifd0Size = 2 + 4 * 12 + 4;
  const makeAt = ifd0 + ifd0Size;
  const artistAt = makeAt + make.length;
  const gpsAt = artistAt + artist.length;
  const gpsSize = 2 + 2 * 12 + 4;
  const latAt = gpsAt + gpsSize;
  const rational = (n, d) => Buffer.concat([be32(n), be32(d)]);
  const tiff = Buffer.concat([
    Buffer.from('MM\0*'), be32(ifd0),
    be16(4),
    entry(0x010f, 2, make.length, be32(makeAt)),
    entry(0x0112, 3, 1, Buffer.from([0, 6, 0, 0])),
    entry(0x013b, 2, artist.length, be32(artistAt)),
    entry(0x8825, 4, 1, be32(gpsAt)),
    be32(0),
    make, artist,
    be16(2),
    entry(0x0001, 2, 2, Buffer.from('N\0\0\0')),
    entry(0x0002, 5, 3, be32(latAt)),
    be32(0),
    rational(21, 1), rational(1, 1), rational(4123, 100),
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0'), tiff]);
  return Buffer.concat([Buffer.from([0xff, 0xe1]), be16(payload.length + 2), payload]);
}
// The JPEG with Exif and a comment after SOI, and a trailer after EOI.
function jpegWithMetadata(jpeg) {
  const comment = Buffer.from('Chụp bởi Nguyễn Văn A, 0912345678');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe]), be16(comment.length + 2), comment]);
  return Buffer.concat([jpeg.subarray(0, 2), exifSegment(), com, jpeg.subarray(2), Buffer.from('TRAILER-SECRET')]);
}
// The Exif orientation in a JPEG (APP1 "Exif\0\0MM" with one IFD entry), or 0.
function orientation(bytes) {
  const at = bytes.indexOf(Buffer.from('Exif\0\0MM'));
  if (at < 0) return 0;
  const tiff = at + 6;
  const ifd = tiff + bytes.readUInt32BE(tiff + 4);
  for (let k = 0; k < bytes.readUInt16BE(ifd); k++) {
    const e = ifd + 2 + 12 * k;
    if (bytes.readUInt16BE(e) === 0x0112) return bytes.readUInt16BE(e + 8);
  }
  return 0;
}
// PNG chunks, and a PNG with chunks inserted after IHDR.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const td = Buffer.concat([Buffer.from(type), data]);
  return Buffer.concat([be32(data.length), td, be32(crc32(td))]);
}
const pngTypes = (png) => {
  const types = [];
  for (let i = 8; i < png.length; i += 12 + png.readUInt32BE(i)) types.push(png.toString('latin1', i + 4, i + 8));
  return types;
};
// WebP chunks (fourcc, data).
const riffChunk = (fourcc, data) => {
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  return Buffer.concat([Buffer.from(fourcc), size, data, data.length % 2 ? Buffer.from([0]) : Buffer.alloc(0)]);
};
const webpChunks = (webp) => {
  const out = [];
  for (let i = 12; i + 8 <= webp.length;) {
    const size = webp.readUInt32LE(i + 4);
    out.push({ fourcc: webp.toString('latin1', i, i + 4), data: webp.subarray(i + 8, i + 8 + size) });
    i += 8 + size + (size % 2);
  }
  return out;
};

async function postForm(path, fields, file) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('media', new Blob([file.bytes], { type: file.type }), file.name);
  const res = await fetch(server.url + path, { method: 'POST', body: form });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: res.status, body, text };
}
const report = (file, fields = {}) => postForm('/open311/v2/requests.json',
  { service_code: 'duong-via-he', lat: '21.0290', long: '105.8530', description: 'ổ gà, có ảnh', ...fields }, file);
async function photoOf(id) {
  const r = await fetch(`${server.url}/open311/v2/requests/${id}.json`);
  const [req] = await r.json();
  assert.match(req.media_url, new RegExp(`^${server.url}/open311/v2/media/[0-9a-f]{32}\\.(jpg|png|webp)$`));
  const res = await fetch(req.media_url);
  assert.equal(res.status, 200);
  return { type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()), url: req.media_url };
}
const mediaFiles = () => readdirSync(join(server.dataDir, 'media')).length;

test('a JPEG loses its Exif location, camera and comments, keeps its orientation and pixels', async () => {
  const plain = image('JPEG', 'jpg');
  const tagged = jpegWithMetadata(plain);
  assert.ok(tagged.includes('Nguyen Van A') && tagged.includes('SM-G991B'));
  assert.equal(orientation(tagged), 6);
  const posted = await report({ bytes: tagged, type: 'image/jpeg', name: 'IMG_2041.jpg' });
  assert.equal(posted.status, 201, posted.text);
  const photo = await photoOf(posted.body[0].service_request_id);
  assert.equal(photo.type, 'image/jpeg');
  for (const secret of ['Nguyen Van A', 'SM-G991B', 'Nguyễn', 'TRAILER-SECRET']) {
    assert.ok(!photo.bytes.includes(secret), `${secret} removed`);
  }
  assert.equal(photo.bytes.indexOf(Buffer.from([0x88, 0x25])), -1, 'no GPS IFD pointer');
  assert.equal(orientation(photo.bytes), 6, 'orientation kept');
  assert.deepEqual(checksums(photo.bytes, 'jpg'), checksums(plain, 'jpg'), 'same pixels');
  // The file is named by its content type, not by what was uploaded.
  assert.ok(photo.url.endsWith('.jpg'));
});

test('a PNG loses its text, time and Exif chunks; a WebP its EXIF and XMP', async () => {
  const plain = image('PNG', 'png');
  const ihdrEnd = 8 + 12 + 13;
  const tagged = Buffer.concat([plain.subarray(0, ihdrEnd), pngChunk('tEXt', Buffer.from('Author\0Tran Thi B')),
    pngChunk('eXIf', exifSegment().subarray(10)), pngChunk('tIME', Buffer.from([7, 234, 11, 24, 10, 0, 0])),
    plain.subarray(ihdrEnd)]);
  const posted = await report({ bytes: tagged, type: 'application/octet-stream', name: 'anh' });
  assert.equal(posted.status, 201, posted.text);
  const png = await photoOf(posted.body[0].service_request_id);
  assert.equal(png.type, 'image/png');
  assert.deepEqual(pngTypes(png.bytes), pngTypes(plain));
  assert.ok(!png.bytes.includes('Tran Thi B'));
  assert.deepEqual(checksums(png.bytes, 'png'), checksums(plain, 'png'));

  const webp = image('WEBP', 'webp');
  const [vp8] = webpChunks(webp);
  assert.match(vp8.fourcc, /^VP8/);
  const vp8x = Buffer.alloc(10);
  vp8x[0] = 0x08 | 0x04;  // EXIF and XMP present
  vp8x.writeUIntLE(32 - 1, 4, 3);
  vp8x.writeUIntLE(24 - 1, 7, 3);
  const chunks = Buffer.concat([riffChunk('VP8X', vp8x), riffChunk(vp8.fourcc, vp8.data),
    riffChunk('EXIF', exifSegment().subarray(10)), riffChunk('XMP ', Buffer.from('<x:xmpmeta>Le Van C</x:xmpmeta>'))]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(chunks.length + 4);
  const tagged2 = Buffer.concat([Buffer.from('RIFF'), size, Buffer.from('WEBP'), chunks]);
  const posted2 = await report({ bytes: tagged2, type: 'image/jpeg', name: 'lies.jpg' });
  assert.equal(posted2.status, 201, posted2.text);
  const clean = await photoOf(posted2.body[0].service_request_id);
  assert.equal(clean.type, 'image/webp');
  assert.deepEqual(webpChunks(clean.bytes).map((c) => c.fourcc), ['VP8X', vp8.fourcc]);
  assert.equal(webpChunks(clean.bytes)[0].data[0] & 0x0c, 0, 'EXIF and XMP flags cleared');
  assert.equal(clean.bytes.readUInt32LE(4), clean.bytes.length - 8);
  assert.ok(!clean.bytes.includes('Le Van C') && !clean.bytes.includes('Nguyen Van A'));
  assert.deepEqual(checksums(clean.bytes, 'webp'), checksums(webp, 'webp'));
});

test('staff updates carry photos too', async () => {
  const posted = await report(undefined);
  assert.equal(posted.status, 201, posted.text);
  const id = posted.body[0].service_request_id;
  const plain = image('JPEG', 'jpg');
  const update = await postForm('/open311/v2/servicerequestupdates.json',
    { api_key: ADMIN, service_request_id: id, status: 'resolved', description: 'Đã vá, ảnh sau khi sửa' },
    { bytes: jpegWithMetadata(plain), type: 'image/jpeg', name: 'sau.jpg' });
  assert.equal(update.status, 201, update.text);
  const list = await (await fetch(`${server.url}/open311/v2/servicerequestupdates.json?service_request_id=${id}`)).json();
  assert.match(list[0].media_url, /\/open311\/v2\/media\/[0-9a-f]{32}\.jpg$/);
  const bytes = Buffer.from(await (await fetch(list[0].media_url)).arrayBuffer());
  assert.ok(!bytes.includes('Nguyen Van A'));
  assert.deepEqual(checksums(bytes, 'jpg'), checksums(plain, 'jpg'));
});

test('bad uploads are 4xx in Open311 format and store nothing', async () => {
  const count = async () => (await (await fetch(`${server.url}/open311/v2/requests.json`)).json()).length;
  const reports = await count();
  const files = mediaFiles();
  const jpeg = image('JPEG', 'jpg');
  const cases = [
    [{ bytes: Buffer.from('đây là văn bản, không phải ảnh\n'), type: 'image/jpeg', name: 'anh.jpg' }, 415, /not a JPEG, PNG or WebP/],
    [{ bytes: jpeg.subarray(0, jpeg.length - 40), type: 'image/jpeg', name: 'cut.jpg' }, 400, /not a valid image/],
    [{ bytes: Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(30)]), type: 'image/png', name: 'x.png' }, 400, /not a valid image/],
  ];
  for (const [file, status, message] of cases) {
    const r = await report(file);
    assert.equal(r.status, status, r.text);
    assert.equal(r.body[0].code, status);
    assert.match(r.body[0].description, message);
  }
  // A valid photo with a report the service refuses: nothing kept either.
  const refused = await report({ bytes: jpeg, type: 'image/jpeg', name: 'a.jpg' }, { lat: '48.85', long: '2.35' });
  assert.equal(refused.status, 400);
  // 20 MB: above the server's body limit.
  const huge = await report({ bytes: Buffer.concat([jpeg, Buffer.alloc(20 << 20)]), type: 'image/jpeg', name: 'big.jpg' });
  assert.equal(huge.status, 413, huge.text.slice(0, 200));
  assert.equal(huge.body[0].code, 413);
  // Malformed multipart bodies.
  const raw = async (body, type) => {
    const res = await fetch(`${server.url}/open311/v2/requests.xml`, { method: 'POST', body, headers: { 'Content-Type': type } });
    return { status: res.status, text: await res.text() };
  };
  for (const [body, type] of [
    ['--b\r\nContent-Disposition: form-data; name="service_code"\r\n\r\nduong-via-he', 'multipart/form-data; boundary=b'],
    ['no boundary here', 'multipart/form-data; boundary=b'],
    ['--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--', 'multipart/form-data; boundary=b'],
    ['--b\r\n\r\n', 'multipart/form-data'],
  ]) {
    const r = await raw(body, type);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.text, /<errors><error><code>400<\/code>/);
  }
  assert.equal((await raw('x', 'text/plain')).status, 415);
  // Two photos in one request.
  const form = new FormData();
  for (const [k, v] of Object.entries({ service_code: 'duong-via-he', lat: '21.0290', long: '105.8530' })) form.append(k, v);
  form.append('media', new Blob([jpeg]), 'a.jpg');
  form.append('media2', new Blob([jpeg]), 'b.jpg');
  assert.equal((await fetch(`${server.url}/open311/v2/requests.json`, { method: 'POST', body: form })).status, 400);

  assert.equal(await count(), reports, 'no report stored');
  assert.equal(mediaFiles(), files, 'no photo stored');
  assert.equal((await fetch(`${server.url}/open311/v2/media/../dothi.db`)).status, 404);
  assert.equal((await fetch(`${server.url}/open311/v2/media/0123456789abcdef0123456789abcdef.jpg`)).status, 404);
});
