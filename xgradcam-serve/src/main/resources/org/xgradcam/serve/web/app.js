// xgradcam viewer: plain JavaScript, no build step. The server explains an image with the model's
// own kind in mind (classifier, segmenter, detector) and sends each map as an 8-bit grayscale PNG;
// the page colours it, blends it over the image at the slider's opacity and reads values under the
// pointer, without another request.
const $ = (id) => document.getElementById(id);

// Every string from the server (class names, layer names, errors) reaches the page as text:
// elements are built here, never parsed from HTML.
const SVG = 'http://www.w3.org/2000/svg';
function h(tag, attrs, ...children) {
  const e = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
function fill(parent, ...children) {   // replaces a container's content
  parent.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
}
let image = null;        // the Blob being explained
let targets = [];        // the classes asked for, by index or name: none (the top class, or the most pixels), one,
                         // or two side by side (shift-click a second class)
let box = null;          // the detection asked for: its number or 'all' (null: the best)
let step = null;         // a sequence model's step asked for (null: the text as a whole)
let kind = null;         // what the model is: classifier, segmenter, detection head, detector, sequence
let last = null;         // the last answer

let tables = null;       // the server's colour map tables (OpenCV's), by name

function colour(v) {     // the chosen colour map at v in [0, 1]
  const lut = tables[$('colormap').value];
  return lut[Math.max(0, Math.min(255, Math.round(v * 255)))];
}

async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function status(text, isError) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

async function loadModels() {
  const models = await getJson('/api/models');
  fill($('model'), models.map((m) => h('option', { value: m.id }, m.id)));
  window.models = models;
  await loadLayers();
}

async function loadLayers() {
  const answer = await getJson(`/api/models/${encodeURIComponent($('model').value)}/layers`);
  kind = answer.kind;
  fill($('layer'), answer.layers.map((l) =>
    h('option', { value: l.tensor, selected: l.default }, `${l.default ? '★ ' : ''}${l.tensor} [${l.shape.join('x')}]`)));
  const model = (window.models || []).find((m) => m.id === $('model').value);
  fill($('class-names'), (model ? model.classes : []).map((c, i) => h('option', { value: c }, `${i}`)));
  $('class-search').hidden = kind === 'detector' || kind === 'detection head';
  targets = [];
  box = null;
  step = null;
}

async function loadMethods() {
  const methods = await getJson('/api/methods');
  $('methods').append(...methods.map((m) =>
    h('label', { title: m.cost }, h('input', { type: 'checkbox', value: m.id, checked: ['xgradcam', 'gradcam'].includes(m.id) }),
      ' ' + m.name)));
  $('methods').addEventListener('change', () => image && explain());
}

async function loadExamples() {
  const examples = await getJson('/api/examples');
  fill($('examples'), examples.map((e, i) =>
    h('img', { src: e.url, alt: `example ${i}: ${e.shapes.join(' and ')}`, title: e.shapes.join(' and '), 'data-url': e.url })));
  $('examples').querySelectorAll('img').forEach((img) => img.addEventListener('click', async () => {
    choose(await (await fetch(img.dataset.url)).blob());
  }));
}

function choose(blob) {
  image = blob;
  targets = [];
  box = null;
  step = null;
  explain();
}

// one request: the image explained for one class (null: the model's choice)
async function request(target) {
  const form = new FormData();
  form.append('image', image, 'image.png');
  form.append('model', $('model').value);
  form.append('layer', $('layer').value);
  form.append('convention', $('convention').value);
  form.append('colormap', $('colormap').value);
  document.querySelectorAll('#methods input:checked').forEach((c) => form.append('method', c.value));
  if (target !== null) form.append('target', target);
  if (box !== null) form.append('box', box);
  if (step !== null) form.append('step', step);
  if ($('metrics').checked) form.append('metrics', 'true');
  form.append('raw', 'true');
  const r = await fetch('/api/explain', { method: 'POST', body: form });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

async function explain() {
  const started = Date.now();
  status('explaining...');
  const ticking = setInterval(() => status(`explaining... ${Math.round((Date.now() - started) / 1000)} s`), 1000);
  let bodies;
  try {
    bodies = [];
    for (const t of (targets.length ? targets : [null])) bodies.push(await request(t));
  } catch (e) {
    status(e.message, true);
    return;
  } finally {
    clearInterval(ticking);
  }
  const body = bodies[0];
  if (bodies.length > 1) {      // two classes side by side: each one's maps, named by its class
    body.explanations = bodies.flatMap((b) => b.explanations.map((e) => ({ ...e, compared: true })));
  }
  last = body;
  const first = body.explanations[0];
  const said = [...(body.notes || []), ...(body.warnings || [])].join(' ');
  const classes = body.explanations.map((e) => `${e.class} (score ${e.score.toFixed(3)})`).join(' and ');
  if (!first) status(said || 'nothing to explain', true);
  else if (first.detection !== undefined) {
    status(`${body.explanations.length > 1 ? body.explanations.length + ' detections' : 'detection ' + first.detection
      + ': ' + first.class + ' (score ' + first.score.toFixed(3) + ')'} at ${body.layer}${said ? ' — ' + said : ''}`);
  } else status(`${classes} at ${body.layer}${said ? ' — ' + said : ''}`);
  showFound(body);
  await showMaps(body);
  showCurves(first);
  showEq5(body);
}

// what the model found: its top classes, the classes by their share of pixels, or its detections; a click explains one
function showFound(body) {
  const chosen = body.explanations.map((e) => (e.detection !== undefined ? e.detection : e.class_index));
  let items = [];
  if (body.sequence) {
    // a text: each symbol read (a click explains its step), or the whole text
    const explained = body.sequence.explained_step;
    items = body.sequence.symbols.map((q) => [`step ${q.step}`, `${q.step}: ${q.text} ${q.score.toFixed(2)}`,
      () => { step = q.step; targets = []; }]);
    items.push(['whole', `the whole text: "${body.sequence.text}"`, () => { step = null; targets = []; }]);
    chosen.length = 0;
    chosen.push(explained === null || explained === undefined ? 'whole' : `step ${explained}`);
  } else if (body.detections) {
    items = body.detections.map((d) => [d.index, `${d.index}: ${d.class} ${d.score.toFixed(2)}`, () => { box = d.index; }]);
    if (body.detections.length > 1) {
      items.push(['all', `all ${body.detections.length} detections`, () => { box = 'all'; }]);
    }
  } else {
    // a click explains a class; shift-click adds it beside the one shown (two classes side by side)
    const pick = (index) => (ev) => {
      const shown = body.explanations.length ? body.explanations[0].class_index : null;
      targets = ev.shiftKey && shown !== null && shown !== index ? [shown, index] : [index];
    };
    items = body.segments
      ? body.segments.map((t) => [t.class_index, `${t.class}: ${(100 * t.pixel_share).toFixed(1)}% of pixels`, pick(t.class_index)])
      : body.top5.map((t) => [t.class_index, `${t.class}: ${(100 * t.probability).toFixed(1)}%`, pick(t.class_index)]);
  }
  const all = box === 'all';
  fill($('found'), items.map(([key, text, choose]) => {
    const on = key === 'all' ? all : !all && chosen.includes(key);
    const li = h('li', { 'data-index': key, class: on ? 'chosen' : null }, text);
    li.addEventListener('click', (ev) => { choose(ev); explain(); });
    return li;
  }));
  $('overview').hidden = !body.overview;
  if (body.overview) $('overview').src = 'data:image/png;base64,' + body.overview;
}

// one plot per method: probability of the class as pixels are deleted / inserted, with axes
function showCurves(first) {
  const W = 240, H = 160, L = 34, B = 24;
  const plots = [];
  const text = (attrs, t) => h('svg:text', attrs, t);
  for (const [id, m] of Object.entries(first ? first.maps : {})) {
    if (!m.deletion) continue;
    const line = (ys, colour) => h('svg:polyline', { fill: 'none', stroke: colour, 'stroke-width': 1.5,
      points: ys.map((y, i) => `${L + (W - L - 6) * i / (ys.length - 1)},${H - B - (H - B - 6) * y}`).join(' ') });
    const ticks = [0, 0.5, 1].flatMap((t) => [
      text({ x: L - 4, y: H - B - (H - B - 6) * t + 3, 'text-anchor': 'end' }, t),
      text({ x: L + (W - L - 6) * t, y: H - B + 12, 'text-anchor': 'middle' }, t)]);
    plots.push(h('svg:svg', { width: W, height: H + 24, 'data-method': id, role: 'img', 'aria-label': `${m.name} deletion and insertion` },
      h('svg:line', { x1: L, y1: 6, x2: L, y2: H - B, stroke: '#333' }),
      h('svg:line', { x1: L, y1: H - B, x2: W - 6, y2: H - B, stroke: '#333' }),
      ticks,
      text({ x: (W + L) / 2, y: H - 2, 'text-anchor': 'middle' }, 'fraction of pixels'),
      text({ x: 8, y: (H - B) / 2, transform: `rotate(-90 8 ${(H - B) / 2})`, 'text-anchor': 'middle' }, 'probability'),
      line(m.deletion.scores, '#1f77b4'), line(m.insertion.scores, '#ff7f0e'),
      text({ x: L + 4, y: H + 10, fill: '#1f77b4' }, `deletion AUC ${m.deletion.auc.toFixed(3)}`),
      text({ x: L + 4, y: H + 22, fill: '#ff7f0e' }, `insertion AUC ${m.insertion.auc.toFixed(3)}`),
      text({ x: W - 6, y: 14, 'text-anchor': 'end' }, m.name)));
  }
  fill($('curves'), plots);
}

function showEq5(body) {
  const e = body.eq5;
  if (!e) { fill($('eq5')); return; }
  if (e.note) { fill($('eq5'), h('tr', {}, h('td', {}, `Eq. (5): ${e.note}`))); return; }
  fill($('eq5'), h('caption', {}, `Eq. (5) at ${e.layer}`),
    [['class score', e.score], ['sum(A dS/dA)', e.feature_term], ['bias term', e.bias_term], ['residual', e.residual]]
      .map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, Number(v).toPrecision(7)))));
}

// a float32 .npy of a low-resolution map (nested rows), for download
function npy(rows) {
  const h = rows.length, w = rows[0].length;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${h}, ${w}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const buf = new ArrayBuffer(10 + header.length + 4 * h * w);
  const bytes = new Uint8Array(buf);
  bytes.set([0x93, 78, 85, 77, 80, 89, 1, 0]);
  new DataView(buf).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  const data = new Float32Array(buf, 10 + header.length);
  rows.flat().forEach((v, i) => { data[i] = v; });
  return URL.createObjectURL(new Blob([buf], { type: 'application/octet-stream' }));
}

function loadImage(src) {
  return new Promise((ok, fail) => { const i = new Image(); i.onload = () => ok(i); i.onerror = fail; i.src = src; });
}

async function showMaps(body) {
  const base = await loadImage('data:image/png;base64,' + body.picture);
  // the input as the model sees it, first
  fill($('grid'), h('div', { class: 'cell input' }, h('h3', {}, 'input'), h('p', { class: 'about' }, `${body.width} x ${body.height}`),
    h('img', { src: 'data:image/png;base64,' + body.picture, alt: 'the input as the model sees it', width: body.width,
      height: body.height })));
  const links = [];
  for (const e of body.explanations) {
    const backdrop = e.picture ? await loadImage('data:image/png;base64,' + e.picture) : base;
    const about = e.detection !== undefined ? `detection ${e.detection}: ${e.class}`
      : e.rank !== undefined ? `${e.rank}: ${e.class}` : e.compared ? e.class : '';
    const tag = e.detection !== undefined ? `box${e.detection}_` : e.compared ? `class${e.class_index}_` : '';
    for (const [id, m] of Object.entries(e.maps)) {
      const canvas = h('canvas', { width: body.width, height: body.height, 'data-method': id });
      canvas.style.aspectRatio = `${body.width} / ${body.height}`;  // a text line or a clip's frames keep their shape
      const value = h('div', { class: 'value' });
      $('grid').appendChild(h('div', { class: 'cell' }, h('h3', {}, m.name), about ? h('p', { class: 'about' }, about) : null,
        canvas, value));
      if (m.gray) {
        const gray = await loadImage('data:image/png;base64,' + m.gray);
        const tmp = document.createElement('canvas');
        tmp.width = body.width; tmp.height = body.height;
        tmp.getContext('2d').drawImage(gray, 0, 0);
        canvas.values = tmp.getContext('2d').getImageData(0, 0, body.width, body.height).data;
        canvas.base = backdrop;
        draw(canvas);
        canvas.addEventListener('mousemove', (ev) => {
          const r = canvas.getBoundingClientRect();
          const x = Math.floor((ev.clientX - r.left) * body.width / r.width);
          const y = Math.floor((ev.clientY - r.top) * body.height / r.height);
          value.textContent = `(${x}, ${y}): ${(canvas.values[4 * (y * body.width + x)] / 255).toFixed(3)}`;
        });
      } else {
        canvas.getContext('2d').drawImage(await loadImage('data:image/png;base64,' + m.png), 0, 0);
      }
      links.push(h('a', { download: `${tag}${id}.png`, href: `data:image/png;base64,${m.png}` }, `${tag}${id}.png`));
      if (m.lowres) links.push(h('a', { download: `${tag}${id}_cam.npy`, href: npy(m.lowres) }, `${tag}${id}_cam.npy`));
    }
  }
  const summary = JSON.stringify({ ...body, picture: undefined, overview: undefined,
    explanations: body.explanations.map((e) => ({ ...e, picture: undefined, maps: Object.keys(e.maps) })) }, null, 1);
  links.push(h('a', { download: 'summary.json', href: URL.createObjectURL(new Blob([summary], { type: 'application/json' })) },
    'summary.json'));
  fill($('downloads'), 'download: ', links.flatMap((a) => [a, ' ']));
}

function draw(canvas) {          // the image, then the coloured map at the slider's opacity
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  ctx.globalAlpha = 1;
  ctx.drawImage(canvas.base, 0, 0);
  const over = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = colour(canvas.values[4 * i] / 255);
    over.data.set([r, g, b, 255], 4 * i);
  }
  const tmp = document.createElement('canvas');
  tmp.width = w; tmp.height = h;
  tmp.getContext('2d').putImageData(over, 0, 0);
  ctx.globalAlpha = $('opacity').value / 100;
  ctx.drawImage(tmp, 0, 0);
  ctx.globalAlpha = 1;
}

function colorbar() {
  const ctx = $('bar').getContext('2d');
  for (let x = 0; x < 256; x++) { const [r, g, b] = colour(x / 255); ctx.fillStyle = `rgb(${r},${g},${b})`; ctx.fillRect(x, 0, 1, 12); }
}

$('metrics').addEventListener('change', () => image && explain());
$('opacity').addEventListener('input', () => document.querySelectorAll('#grid canvas').forEach((c) => c.values && draw(c)));
$('model').addEventListener('change', async () => { await loadLayers(); if (image) explain(); });
$('class-search').addEventListener('submit', (e) => {   // any class, by name or index
  e.preventDefault();
  const v = $('class').value.trim();
  if (!v) return;
  targets = [v];
  if (image) explain();
});
$('layer').addEventListener('change', () => image && explain());
$('convention').addEventListener('change', () => image && explain());
$('file').addEventListener('change', (e) => e.target.files[0] && choose(e.target.files[0]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) choose(e.dataTransfer.files[0]); });

$('colormap').addEventListener('change', () => {   // recoloured in the page; the downloads follow on the next request
  colorbar();
  document.querySelectorAll('#grid canvas').forEach((c) => c.values && draw(c));
});

getJson('/api/colormaps').then((t) => { tables = t; colorbar(); })
  .then(() => Promise.all([loadModels(), loadMethods(), loadExamples()])).catch((e) => status(e.message, true));
