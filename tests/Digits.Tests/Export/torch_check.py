# Run by TorchLayoutTests where python3 has torch (Debian's python3-torch; not installed by CI: 213 packages).
# 1. Digits' torch-safetensors export loaded into the nn.Sequential the README builds, with load_state_dict(strict=True),
#    run on the MNIST test images; its probabilities compared with Digits' (float32 raw file).
# 2. A model made by PyTorch: a real nn.Sequential's state_dict saved per the safetensors specification (the
#    safetensors package is not installable here), with its probabilities, for digits import to read back.
# Usage: torch_check.py EXPORT DIGITS_PROBS IMAGES MINE MINE_PROBS
import json, struct, sys
import numpy as np, torch

def read_safetensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, e in header.items():
        assert e['dtype'] == 'F32', e
        b, en = e['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + b:8 + n + en], dtype='<f4').reshape(e['shape']).copy())
    return out

def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

export, digits_probs, images, mine, mine_probs = sys.argv[1:6]
x = torch.from_numpy(np.fromfile(images, dtype='<f4').reshape(-1, 784).copy())
tensors = read_safetensors(export)
widths = [tensors['0.weight'].shape[1]] + [tensors[f'{2 * l}.weight'].shape[0] for l in range(len(tensors) // 2)]
layers = []
for l in range(len(widths) - 1):
    layers += [torch.nn.Linear(widths[l], widths[l + 1])] + ([torch.nn.ReLU()] if l < len(widths) - 2 else [])
model = torch.nn.Sequential(*layers)
model.load_state_dict(tensors)  # strict: every name and shape must match the Sequential's own
with torch.no_grad():
    p = model(x).softmax(dim=1).numpy()
d = np.fromfile(digits_probs, dtype='<f4').reshape(p.shape)
same = int((p.argmax(1) == d.argmax(1)).sum())
print(f'torch {torch.__version__}: {model}; argmax equal on {same}/{len(p)}; max |p_torch - p_digits| = {np.abs(p - d).max():.3g}')

torch.manual_seed(0)
made = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10))
write_safetensors(mine, made.state_dict())
with torch.no_grad():
    made(x).softmax(dim=1).numpy().astype('<f4').tofile(mine_probs)
sys.exit(0 if same == len(p) else 1)
