namespace Digits.Cli.Commands;

/// <summary>The one page <c>digits serve</c> shows: a canvas to draw on (pointer events: mouse, pen or finger), a
/// photo picker and drop zone, the ten probabilities as bars, and the 28×28 input the model got. While drawing, at
/// most one request is in flight; the latest stroke is sent when it answers. A file's name goes in X-File-Name
/// percent-encoded (a header carries only Latin-1; fetch refuses anything else).</summary>
internal static class ServePage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>digits</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; background: #f6f6f4; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  .row { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
  #pad { background: #fff; border: 1px solid #999; touch-action: none; cursor: crosshair; border-radius: 4px; }
  #drop { border: 2px dashed #999; border-radius: 6px; padding: .8rem; margin-top: .8rem; width: 256px; text-align: center; }
  #drop.over { background: #e8f0ff; border-color: #36c; }
  #photo { max-width: 280px; max-height: 200px; display: none; margin-top: .5rem; }
  #bars { width: 320px; }
  .bar { display: flex; align-items: center; gap: .5rem; margin: 3px 0; font-variant-numeric: tabular-nums; }
  .bar .d { width: 1.2rem; font-weight: bold; }
  .bar .track { display: block; flex: 1; background: #ddd; height: 16px; border-radius: 3px; overflow: hidden; }
  .bar .fill { display: block; background: #36c; height: 100%; width: 0; }
  .bar.best .fill { background: #e63; }
  .bar .p { width: 4.2rem; text-align: right; }
  #predicted { font-size: 3rem; font-weight: bold; min-height: 3.5rem; }
  #field { image-rendering: pixelated; border: 1px solid #999; background: #000; }
  #error { color: #b00; min-height: 1.2rem; margin-top: .5rem; }
  button { margin-top: .5rem; }
</style>
</head>
<body>
<h1>digits — draw a digit, or drop a photo</h1>
<div class="row">
  <div>
    <canvas id="pad" width="280" height="280"></canvas><br>
    <button id="clear">Clear</button>
    <div id="drop">Drop a photo here, or <label><u>pick one</u><input id="file" type="file" accept="image/*" hidden></label></div>
    <img id="photo" alt="the photo sent">
  </div>
  <div>
    <div>Prediction</div>
    <div id="predicted"></div>
    <div id="bars"></div>
    <div id="error"></div>
  </div>
  <div>
    <div>What the model sees (28×28)</div>
    <canvas id="field" width="28" height="28" style="width:168px;height:168px"></canvas>
  </div>
</div>
<script>
const pad = document.getElementById('pad'), ctx = pad.getContext('2d');
const bars = document.getElementById('bars'), predicted = document.getElementById('predicted');
const error = document.getElementById('error'), field = document.getElementById('field');
for (let d = 0; d < 10; d++) {
  bars.insertAdjacentHTML('beforeend',
    `<div class="bar" data-digit="${d}"><span class="d">${d}</span><span class="track"><span class="fill"></span></span><span class="p"></span></div>`);
}
function clearPad() {
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, pad.width, pad.height);
  predicted.textContent = ''; error.textContent = '';
  for (const b of bars.children) { b.querySelector('.fill').style.width = '0'; b.querySelector('.p').textContent = ''; b.classList.remove('best'); }
  field.getContext('2d').clearRect(0, 0, 28, 28);
}
clearPad();
function show(result) {
  error.textContent = result.error || result.problem || '';
  if (result.field) {
    const image = field.getContext('2d').createImageData(28, 28);
    result.field.forEach((v, i) => { const c = Math.round(v * 255); image.data.set([c, c, c, 255], 4 * i); });
    field.getContext('2d').putImageData(image, 0, 0);
  }
  if (result.probabilities) {
    predicted.textContent = String(result.predicted);
    result.probabilities.forEach((p, d) => {
      const b = bars.children[d];
      b.querySelector('.fill').style.width = (100 * p).toFixed(1) + '%';
      b.querySelector('.p').textContent = (100 * p).toFixed(1) + ' %';
      b.classList.toggle('best', d === result.predicted);
    });
  } else {
    predicted.textContent = result.problem ? '?' : '';
  }
}
async function send(blob, name) {
  try {
    const response = await fetch('/predict', { method: 'POST', body: blob, headers: { 'X-File-Name': encodeURIComponent(name) } });
    const text = await response.text();
    let result;
    try { result = JSON.parse(text); } catch { result = { error: `the server answered ${response.status}` }; }
    show(result);
  } catch (e) {
    show({ error: 'cannot reach the server: ' + e.message });
  }
}
// drawing: one request at a time, the latest drawing sent when the previous answer arrives
let busy = false, dirty = false, drawing = false, last = null;
async function classifyPad() {
  if (busy) { dirty = true; return; }
  busy = true; dirty = false;
  const blob = await new Promise(r => pad.toBlob(r, 'image/png'));
  await send(blob, 'drawing.png');
  busy = false;
  if (dirty) classifyPad();
}
function at(e) { const r = pad.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
pad.addEventListener('pointerdown', e => {
  drawing = true; last = at(e); pad.setPointerCapture(e.pointerId);
  document.getElementById('photo').style.display = 'none';
});
pad.addEventListener('pointermove', e => {
  if (!drawing) return;
  const p = at(e);
  ctx.strokeStyle = '#000'; ctx.lineWidth = 18; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
  last = p;
  classifyPad();
});
for (const type of ['pointerup', 'pointercancel']) pad.addEventListener(type, () => { if (drawing) { drawing = false; classifyPad(); } });
document.getElementById('clear').addEventListener('click', clearPad);
function sendFile(file) {
  if (!file) return;
  const photo = document.getElementById('photo');
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, pad.width, pad.height);
  photo.src = URL.createObjectURL(file); photo.style.display = 'block';
  send(file, file.name);
}
document.getElementById('file').addEventListener('change', e => sendFile(e.target.files[0]));
const drop = document.getElementById('drop');
drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); sendFile(e.dataTransfer.files[0]); });
</script>
</body>
</html>
""";
}
