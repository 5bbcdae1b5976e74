// xgradcam viewer: plain JavaScript, no build step. The server sends each map as an 8-bit
// grayscale PNG; the page colours it (JET), blends it over the image at the slider's opacity and
// reads values under the pointer, without another request.
const $ = (id) => document.getElementById(id);
let image = null;        // the Blob being explained
let target = null;       // the class asked for (null: the top class)
let last = null;         // the last answer

function jet(v) {        // OpenCV's JET: blue - cyan - yellow - red
  const f = (x) => Math.max(0, Math.min(1, x));
  return [f(1.5 - Math.abs(4 * v - 3)), f(1.5 - Math.abs(4 * v - 2)), f(1.5 - Math.abs(4 * v - 1))].map((c) => Math.round(c * 255));
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
  $('model').innerHTML = models.map((m) => `<option value="${m.id}">${m.id}</option>`).join('');
  await loadLayers();
}

async function loadLayers() {
  const layers = await getJson(`/api/models/${encodeURIComponent($('model').value)}/layers`);
  $('layer').innerHTML = layers.map((l) =>
    `<option value="${l.tensor}" ${l.default ? 'selected' : ''}>${l.default ? '★ ' : ''}${l.tensor} [${l.shape.join('x')}]</option>`).join('');
}

async function loadMethods() {
  const methods = await getJson('/api/methods');
  $('methods').innerHTML += methods.map((m) =>
    `<label title="${m.cost}"><input type="checkbox" value="${m.id}" ${['xgradcam', 'gradcam'].includes(m.id) ? 'checked' : ''}> ${m.name}</label>`).join('');
  $('methods').addEventListener('change', () => image && explain());
}

async function loadExamples() {
  const examples = await getJson('/api/examples');
  $('examples').innerHTML = examples.map((e, i) =>
    `<img src="${e.url}" alt="example ${i}: ${e.shapes.join(' and ')}" title="${e.shapes.join(' and ')}" data-url="${e.url}">`).join('');
  $('examples').querySelectorAll('img').forEach((img) => img.addEventListener('click', async () => {
    choose(await (await fetch(img.dataset.url)).blob());
  }));
}

function choose(blob) {
  image = blob;
  target = null;
  explain();
}

async function explain() {
  const form = new FormData();
  form.append('image', image, 'image.png');
  form.append('model', $('model').value);
  form.append('layer', $('layer').value);
  form.append('convention', $('convention').value);
  document.querySelectorAll('#methods input:checked').forEach((c) => form.append('method', c.value));
  if (target !== null) form.append('target', target);
  status('explaining...');
  const r = await fetch('/api/explain', { method: 'POST', body: form });
  const body = await r.json();
  if (!r.ok) { status(body.error || r.statusText, true); return; }
  last = body;
  status(`${body.class_name} (score ${body.score.toFixed(3)}) at ${body.layer}`);
  showTop5(body);
  await showMaps(body);
}

function showTop5(body) {
  $('top5').innerHTML = body.top5.map((t) =>
    `<li data-index="${t.index}" class="${t.index === body.class ? 'chosen' : ''}">${t.name}: ${(100 * t.probability).toFixed(1)}%</li>`).join('');
  $('top5').querySelectorAll('li').forEach((li) => li.addEventListener('click', () => {
    target = Number(li.dataset.index);
    explain();
  }));
}

function loadImage(src) {
  return new Promise((ok, fail) => { const i = new Image(); i.onload = () => ok(i); i.onerror = fail; i.src = src; });
}

async function showMaps(body) {
  const base = await loadImage('data:image/png;base64,' + body.image);
  $('grid').innerHTML = '';
  const links = [];
  for (const [id, m] of Object.entries(body.maps)) {
    const cell = document.createElement('div');
    cell.className = 'cell';
    cell.innerHTML = `<h3>${m.name}</h3><canvas width="${body.width}" height="${body.height}" data-method="${id}"></canvas><div class="value"></div>`;
    $('grid').appendChild(cell);
    const canvas = cell.querySelector('canvas');
    if (m.gray) {
      const gray = await loadImage('data:image/png;base64,' + m.gray);
      const tmp = document.createElement('canvas');
      tmp.width = body.width; tmp.height = body.height;
      tmp.getContext('2d').drawImage(gray, 0, 0);
      canvas.values = tmp.getContext('2d').getImageData(0, 0, body.width, body.height).data;
      canvas.base = base;
      draw(canvas);
      canvas.addEventListener('mousemove', (ev) => {
        const r = canvas.getBoundingClientRect();
        const x = Math.floor((ev.clientX - r.left) * body.width / r.width);
        const y = Math.floor((ev.clientY - r.top) * body.height / r.height);
        cell.querySelector('.value').textContent = `(${x}, ${y}): ${(canvas.values[4 * (y * body.width + x)] / 255).toFixed(3)}`;
      });
    } else {
      canvas.getContext('2d').drawImage(await loadImage('data:image/png;base64,' + m.png), 0, 0);
    }
    links.push(`<a download="${id}.png" href="data:image/png;base64,${m.png}">${id}.png</a>`);
  }
  const summary = JSON.stringify({ ...body, image: undefined, maps: Object.keys(body.maps) }, null, 1);
  links.push(`<a download="summary.json" href="data:application/json,${encodeURIComponent(summary)}">summary.json</a>`);
  $('downloads').innerHTML = 'download: ' + links.join(' ');
}

function draw(canvas) {          // the image, then the coloured map at the slider's opacity
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  ctx.globalAlpha = 1;
  ctx.drawImage(canvas.base, 0, 0);
  const over = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = jet(canvas.values[4 * i] / 255);
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
  for (let x = 0; x < 256; x++) { const [r, g, b] = jet(x / 255); ctx.fillStyle = `rgb(${r},${g},${b})`; ctx.fillRect(x, 0, 1, 12); }
}

$('opacity').addEventListener('input', () => document.querySelectorAll('#grid canvas').forEach((c) => c.values && draw(c)));
$('model').addEventListener('change', async () => { await loadLayers(); if (image) explain(); });
$('layer').addEventListener('change', () => image && explain());
$('convention').addEventListener('change', () => image && explain());
$('file').addEventListener('change', (e) => e.target.files[0] && choose(e.target.files[0]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) choose(e.dataTransfer.files[0]); });

colorbar();
Promise.all([loadModels(), loadMethods(), loadExamples()]).catch((e) => status(e.message, true));
