#!/usr/bin/env python3
"""Make the PyTorch reference fixtures in test/fixtures/torch/ from archai's own Shake-Shake code.

archai's code is never committed here. At run time the three model files are read out of a git
checkout / mirror of microsoft/archai (`--archai-git DIR`, env ARCHAI_GIT) into the git-ignored
folder `.archai/` as the package `archai.supergraph.models.shakeshake` (with empty `__init__.py`
files of our own: archai's own ones import the whole library), and imported from there.

Shake-Shake draws alpha (forward) and beta (backward) at random per sample, and archai draws them
with torch.cuda.FloatTensor, i.e. on CUDA only. Random draws cannot be matched across frameworks, so
for the fixtures ShakeShake is replaced by the deterministic "even" mode: alpha = 0.5 in training and
in eval, beta = 0.5 in backward. (In eval archai already uses alpha = 0.5, so eval outputs are exact.)

Usage: python3 scripts/make_torch_fixtures.py [--archai-git DIR] [--archai-rev REV] [--out DIR]
(`npm run fixtures`). Needs torch and numpy; if the `python3` found first lacks torch, the script
re-runs itself with $TORCH_PYTHON or /usr/bin/python3 (Debian's python3-torch) when that has it.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARCHAI_GIT = '/work/.mirror/microsoft+archai/repo'
PKG_PATH = 'archai/supergraph/models/shakeshake'
ARCHAI_FILES = ('shakeshake.py', 'shake_resnet.py', 'shake_resnext.py')
SEED = 20240611


# ---------------------------------------------------------------------------------------------------
# environment


def ensure_torch() -> None:
    """Re-exec under a Python that has torch if this one does not (pyenv shims often lack it)."""
    try:
        import torch  # noqa: F401
        import numpy  # noqa: F401
        return
    except ImportError as err:
        first_error = err
    if os.environ.get('_MAKE_TORCH_FIXTURES_REEXEC') != '1':
        for cand in (os.environ.get('TORCH_PYTHON'), '/usr/bin/python3'):
            if not cand or not os.path.exists(cand):
                continue
            if os.path.realpath(cand) == os.path.realpath(sys.executable):
                continue
            ok = subprocess.run([cand, '-c', 'import torch, numpy'], capture_output=True).returncode == 0
            if ok:
                print(f'[fixtures] {sys.executable} lacks torch/numpy; re-running with {cand}', file=sys.stderr)
                env = dict(os.environ, _MAKE_TORCH_FIXTURES_REEXEC='1')
                os.execve(cand, [cand, str(Path(__file__).resolve()), *sys.argv[1:]], env)
    sys.exit(f'make_torch_fixtures: cannot import torch/numpy ({first_error}); '
             'install python3-torch or set TORCH_PYTHON to a Python that has them')


def git_dir_of(path: str) -> str:
    p = Path(path)
    return str(p / '.git') if (p / '.git').exists() else str(p)


def extract_archai(archai_git: str, rev: str) -> str:
    """Copy archai's three Shake-Shake files into .archai/ as a minimal package; return the commit."""
    gd = git_dir_of(archai_git)

    def git(*args: str) -> str:
        res = subprocess.run(['git', f'--git-dir={gd}', *args], capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(f'make_torch_fixtures: git {" ".join(args)} failed in {gd}: {res.stderr.strip()}')
        return res.stdout

    commit = git('rev-parse', f'{rev}^{{commit}}').strip()
    base = ROOT / '.archai'
    shutil.rmtree(base / 'archai', ignore_errors=True)
    pkg = base / PKG_PATH
    pkg.mkdir(parents=True)
    # Empty __init__.py files of our own on the way down (archai's import the whole library).
    d = base / 'archai'
    for part in [''] + PKG_PATH.split('/')[1:]:
        d = d / part if part else d
        (d / '__init__.py').write_text('')
    for name in ARCHAI_FILES:
        (pkg / name).write_text(git('show', f'{commit}:{PKG_PATH}/{name}'))
    return commit


# ---------------------------------------------------------------------------------------------------
# safetensors writer (same layout rules as HF safetensors: u64 LE header length, JSON header padded
# with spaces to a multiple of 8, little-endian contiguous data, offsets relative to the data start)


def write_safetensors(path: Path, tensors: dict, metadata: dict[str, str]) -> None:
    import numpy as np
    import torch

    header: dict = {'__metadata__': dict(sorted(metadata.items()))}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype.is_floating_point:
            arr, dtype = t.to(torch.float32).numpy().astype('<f4'), 'F32'
        else:
            wide = t.to(torch.int64)
            assert wide.numel() == 0 or (wide.min() >= -2**31 and wide.max() < 2**31), name
            arr, dtype = wide.numpy().astype('<i4'), 'I32'
        data = np.ascontiguousarray(arr).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(',', ':')).encode('utf-8')
    hjson += b' ' * (-len(hjson) % 8)
    tmp = path.with_name(path.name + '.tmp')
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------
# models


def load_archai():
    sys.path.insert(0, str(ROOT / '.archai'))
    for mod in list(sys.modules):
        if mod == 'archai' or mod.startswith('archai.'):
            del sys.modules[mod]
    import torch
    from archai.supergraph.models.shakeshake import shake_resnet, shake_resnext, shakeshake

    loaded = Path(shakeshake.__file__).resolve()
    assert loaded.is_relative_to((ROOT / '.archai').resolve()), f'imported archai from {loaded}'

    class EvenShakeShake(torch.autograd.Function):
        """Deterministic stand-in for archai's ShakeShake: alpha = beta = 0.5 (train and eval).

        archai's original draws alpha/beta ~ U(0,1) per sample with torch.cuda.FloatTensor (CUDA
        only); random draws cannot be reproduced in another framework, so fixtures use even mode.
        """

        @staticmethod
        def forward(ctx, x1, x2, training=True):
            alpha = 0.5
            return alpha * x1 + (1 - alpha) * x2

        @staticmethod
        def backward(ctx, grad_output):
            beta = 0.5
            return beta * grad_output, (1 - beta) * grad_output, None

    # The block modules bound the name at import (`from ...shakeshake import ShakeShake`); their
    # forward() looks it up in module globals at call time, so replacing it there is enough.
    shake_resnet.ShakeShake = EvenShakeShake
    shake_resnext.ShakeShake = EvenShakeShake
    shakeshake.ShakeShake = EvenShakeShake
    return {
        'ShakeResNet': shake_resnet.ShakeResNet,
        'ShakeBlock': shake_resnet.ShakeBlock,
        'ShakeResNeXt': shake_resnext.ShakeResNeXt,
        'ShakeBottleNeck': shake_resnext.ShakeBottleNeck,
        'Shortcut': shakeshake.Shortcut,
        'ShakeShake': EvenShakeShake,
    }


def unused_state_keys(model, A) -> list[str]:
    """State keys of modules that forward() never runs: the Shortcut that archai's ShakeBlock builds
    even for identity blocks (`self.equal_io and None or Shortcut(...)` is always a Shortcut)."""
    prefixes = [f'{name}.shortcut.' if name else 'shortcut.'
                for name, m in model.named_modules()
                if getattr(m, 'equal_io', False) and getattr(m, 'shortcut', None) is not None]
    return [k for k in model.state_dict() if any(k.startswith(p) for p in prefixes)]


def randomise_bn_and_bias(model, gen) -> None:
    """So eval mode is a meaningful check: BN affine and running stats away from 1/0, nonzero fc bias."""
    import torch
    import torch.nn as nn

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)  # U(0.5, 1.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.2)
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)  # U(0.5, 1.5), positive
            elif isinstance(m, nn.Linear) and m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def record_state(out: dict, prefix: str, model, keys=None) -> None:
    import torch

    for k, v in model.state_dict().items():
        if keys is not None and k not in keys:
            continue
        out[prefix + k] = v.detach().clone().to(torch.int32 if k.endswith('num_batches_tracked') else torch.float32)


def bn_stat_keys(model, used_modules) -> set[str]:
    import torch.nn as nn

    keys = set()
    for name, m in model.named_modules():
        if isinstance(m, nn.BatchNorm2d) and m in used_modules:
            for b in ('running_mean', 'running_var', 'num_batches_tracked'):
                keys.add(f'{name}.{b}')
    return keys


def run_case(model, x, loss_fn, out_name: str) -> tuple[dict, list[str]]:
    """state.*, eval_<out>, train_<out>, loss, grad.*, after.* for one model and input."""
    import torch

    rec: dict = {}
    record_state(rec, 'state.', model)

    model.eval()
    with torch.no_grad():
        rec[f'eval_{out_name}'] = model(x).clone()

    used = set()
    hooks = [m.register_forward_hook(lambda mod, i, o: used.add(mod)) for m in model.modules()]
    model.train()
    x = x.clone().requires_grad_(True)
    y = model(x)
    for h in hooks:
        h.remove()
    rec[f'train_{out_name}'] = y.detach().clone()
    loss = loss_fn(y)
    loss.backward()
    rec['loss'] = loss.detach().clone().reshape(())

    grads, missing = {}, []
    for name, p in model.named_parameters():
        if p.grad is None:
            missing.append(name)
        else:
            grads['grad.' + name] = p.grad.detach().clone()
    rec.update(grads)
    record_state(rec, 'after.', model, bn_stat_keys(model, used))
    rec['_input_grad'] = x.grad.detach().clone()
    return rec, missing


# ---------------------------------------------------------------------------------------------------
# cases


def case_resnet(A, torch, meta: dict):
    import torch.nn.functional as F

    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED + 1)
    model = A['ShakeResNet'](14, 8, 10)
    randomise_bn_and_bias(model, gen)
    x = torch.randn(4, 3, 32, 32, generator=gen)
    labels = torch.randint(0, 10, (4,), generator=gen)
    rec, missing = run_case(model, x, lambda logits: F.cross_entropy(logits, labels), 'logits')
    del rec['_input_grad']  # 48 KB; the bottleneck cases carry input gradients
    unused = unused_state_keys(model, A)
    unused_params = sorted(k for k in unused if k in dict(model.named_parameters()))
    assert sorted(missing) == unused_params, (missing, unused_params)
    assert unused, 'expected unused identity-block shortcuts'
    rec['input'] = x
    rec['labels'] = labels.to(torch.int32)
    return rec, {**meta, 'model': 'ShakeResNet(14, 8, 10)', 'loss': 'F.cross_entropy(train_logits, labels) (mean)',
                 'unused_keys': json.dumps(unused)}


def case_bottleneck(A, torch, args, in_shape, meta: dict, seed: int):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = A['ShakeBottleNeck'](*args[:4], stride=args[4])
    randomise_bn_and_bias(model, gen)
    x = torch.randn(*in_shape, generator=gen)
    with torch.no_grad():
        model.eval()
        out_shape = model(x).shape
    r = torch.randn(*out_shape, generator=gen)
    rec, missing = run_case(model, x, lambda out: (out * r).sum(), 'out')
    assert not missing, missing
    rec['grad_input'] = rec.pop('_input_grad')
    rec['input'] = x
    rec['r'] = r
    in_ch, mid_ch, out_ch, card, stride = args
    return rec, {**meta, 'model': f'ShakeBottleNeck({in_ch}, {mid_ch}, {out_ch}, {card}, stride={stride})',
                 'loss': '(train_out * r).sum()'}


KEY_MODELS = [
    ('shake_resnet26_2x32d', 'ShakeResNet', (26, 32, 10)),
    ('shake_resnet26_2x64d', 'ShakeResNet', (26, 64, 10)),
    ('shake_resnet26_2x96d', 'ShakeResNet', (26, 96, 10)),
    ('shake_resnet26_2x112d', 'ShakeResNet', (26, 112, 10)),
    ('shake_resnext29_2x4x64d', 'ShakeResNeXt', (29, 64, 4, 10)),
    ('shakeshake26_2x96d_next', 'ShakeResNeXt', (26, 96, 4, 10)),
]


def build_for_keys(cls, args, torch):
    dev = torch.device('meta')
    if hasattr(dev, '__enter__'):  # torch >= 2.0: no memory, no init cost
        with dev:
            return cls(*args)
    return cls(*args)


def state_dict_keys(A, torch) -> dict:
    result = {}
    for name, cls_name, args in KEY_MODELS:
        torch.manual_seed(0)
        model = build_for_keys(A[cls_name], args, torch)
        unused = unused_state_keys(model, A)
        params = dict(model.named_parameters())
        trainable = sum(p.numel() for k, p in params.items() if k not in unused)
        result[name] = {
            'class': cls_name,
            'args': list(args),
            'keys': [[k, list(v.shape)] for k, v in model.state_dict().items()],
            'trainable_params': trainable,
            'all_params': sum(p.numel() for p in params.values()),
            'unused_keys': unused,
        }
    return result


def dump_keys_json(data: dict) -> str:
    """Readable but compact: one state_dict entry per line."""
    lines = ['{']
    models = list(data.items())
    for mi, (name, m) in enumerate(models):
        lines.append(f'  {json.dumps(name)}: {{')
        lines.append(f'    "class": {json.dumps(m["class"])}, "args": {json.dumps(m["args"])},')
        lines.append(f'    "trainable_params": {m["trainable_params"]}, "all_params": {m["all_params"]},')
        lines.append('    "keys": [')
        for ki, k in enumerate(m['keys']):
            lines.append(f'      {json.dumps(k, separators=(",", ":"))}' + (',' if ki < len(m['keys']) - 1 else ''))
        lines.append('    ],')
        lines.append('    "unused_keys": [')
        for ki, k in enumerate(m['unused_keys']):
            lines.append(f'      {json.dumps(k)}' + (',' if ki < len(m['unused_keys']) - 1 else ''))
        lines.append('    ]')
        lines.append('  }' + (',' if mi < len(models) - 1 else ''))
    lines.append('}')
    text = '\n'.join(lines) + '\n'
    assert json.loads(text) == data
    return text


def main() -> None:
    ensure_torch()
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--archai-git', default=os.environ.get('ARCHAI_GIT', DEFAULT_ARCHAI_GIT),
                    help='git dir or checkout of microsoft/archai (default: $ARCHAI_GIT or %(default)s)')
    ap.add_argument('--archai-rev', default='HEAD', help='archai revision to read (default HEAD)')
    ap.add_argument('--out', default=str(ROOT / 'test' / 'fixtures' / 'torch'), help='output folder')
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)  # same reduction order on every run
    torch.use_deterministic_algorithms(True)
    commit = extract_archai(args.archai_git, args.archai_rev)
    A = load_archai()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        'generator': 'scripts/make_torch_fixtures.py',
        'torch': torch.__version__,
        'archai_commit': commit,
        'shake_mode': 'even: forward alpha=0.5 (train and eval), backward beta=0.5',
    }

    cases = [
        ('shake_resnet14_2x8d.safetensors', lambda: case_resnet(A, torch, meta)),
        ('shake_bottleneck_s2.safetensors',
         lambda: case_bottleneck(A, torch, (16, 16, 32, 4, 2), (2, 16, 8, 8), meta, SEED + 10)),
        ('shake_bottleneck_s1.safetensors',
         lambda: case_bottleneck(A, torch, (32, 16, 32, 4, 1), (2, 32, 8, 8), meta, SEED + 20)),
    ]
    for fname, make in cases:
        tensors, md = make()
        write_safetensors(out / fname, tensors, md)
        print(f'[fixtures] {fname}: {len(tensors)} tensors, {(out / fname).stat().st_size} bytes')

    keys = state_dict_keys(A, torch)
    (out / 'state_dict_keys.json').write_text(dump_keys_json(keys))
    for name, m in keys.items():
        print(f'[fixtures] {name}: {len(m["keys"])} keys, trainable {m["trainable_params"]:,}, '
              f'unused keys {len(m["unused_keys"])}')
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f'[fixtures] total {total} bytes in {out}')


if __name__ == '__main__':
    main()
