#!/usr/bin/env python3
"""Make the PyTorch reference fixtures in test/fixtures/torch/ from archai's own model code.

archai's code is never committed here. At run time its model files (Shake-Shake, WideResNet,
PyramidNet and ShakeDrop) are read out of a git checkout / mirror of microsoft/archai
(`--archai-git DIR`, env ARCHAI_GIT) into the git-ignored folder `.archai/` as the packages
`archai.supergraph.models[.shakeshake]` (with empty `__init__.py` files of our own: archai's own
ones import the whole library), and imported from there.

Shake-Shake draws alpha (forward) and beta (backward) at random per sample, and archai draws them
with torch.cuda.FloatTensor, i.e. on CUDA only. Random draws cannot be matched across frameworks, so
for the fixtures ShakeShake is replaced by the deterministic "even" mode: alpha = 0.5 in training and
in eval, beta = 0.5 in backward. (In eval archai already uses alpha = 0.5, so eval outputs are exact.)
ShakeDrop likewise runs in the deterministic "keep" mode (every gate open in training); see
load_families() for that and the other two patches the WideResNet and PyramidNet cases need.

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
MODELS_PATH = 'archai/supergraph/models'
FAMILY_FILES = ('wideresnet.py', 'pyramidnet.py', 'shakedrop.py')
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
    """Copy archai's Shake-Shake, WideResNet, PyramidNet and ShakeDrop files into .archai/ as a minimal
    package; return the commit."""
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
    for name in FAMILY_FILES:
        (base / MODELS_PATH / name).write_text(git('show', f'{commit}:{MODELS_PATH}/{name}'))
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


# ---------------------------------------------------------------------------------------------------
# WideResNet and PyramidNet (ShakeDrop)
#
# Their fixtures carry no weights: every state entry is made from test/helpers.ts's lcgValues (an
# LCG, exact in float32 on both sides) seeded by the FNV-1a hash of its key, by the rule in
# lcg_state(), which the TypeScript test repeats. That halves the files (the gradients are as large
# as the weights), keeping the new fixtures well under 1 MB.


def load_families():
    """archai's WideResNet, PyramidNet and ShakeDrop, patched to run deterministically on the CPU."""
    import types

    import torch
    from archai.supergraph.models import pyramidnet, shakedrop, wideresnet

    loaded = Path(pyramidnet.__file__).resolve()
    assert loaded.is_relative_to((ROOT / '.archai').resolve()), f'imported archai from {loaded}'

    class KeepShakeDrop(torch.autograd.Function):
        """ShakeDrop's deterministic 'keep' mode: every gate open in training (identity forward and
        backward); eval (1 - p_drop)·x, exactly archai's. archai's own draws the gate, alpha and beta
        with torch.cuda.FloatTensor, at random and on CUDA only."""

        @staticmethod
        def forward(ctx, x, training=True, p_drop=0.5, alpha_range=(-1, 1)):
            return x.clone() if training else (1 - p_drop) * x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, None, None, None

    class CpuTorch:
        """torch for pyramidnet.py, whose zero channels come from torch.cuda.FloatTensor (CUDA only):
        the same zeros made on the CPU; everything else is torch itself."""

        cuda = types.SimpleNamespace(FloatTensor=torch.FloatTensor)

        def __getattr__(self, name):
            return getattr(torch, name)

    # ShakeDrop.forward and the blocks' forward look these names up in module globals at call time.
    shakedrop.ShakeDropFunction = KeepShakeDrop
    pyramidnet.torch = CpuTorch()
    return {'WideResNet': wideresnet.WideResNet, 'PyramidNet': pyramidnet.PyramidNet}


def pytorch_bn_momentum(model) -> None:
    """archai's WideBasic and WideResNet build BatchNorm2d(momentum=0.9): TensorFlow's decay
    convention in PyTorch's argument, where it weights the newest batch 0.9. archai-ts keeps
    PyTorch's (and the WRN paper's) 0.1, so the fixtures do too."""
    import torch.nn as nn

    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1


def fnv1a(text: str) -> int:
    h = 0x811C9DC5
    for b in text.encode('utf-8'):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def lcg_values(n: int, seed: int):
    """test/helpers.ts's lcgValues: s = 1664525·s + 1013904223 mod 2^32, value s/2^31 − 1 in float32."""
    import numpy as np

    out = np.empty(n, np.float64)
    s = seed & 0xFFFFFFFF
    for i in range(n):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = s / 2**31 - 1
    return out.astype(np.float32)


def lcg_entry(key: str, shape: list[int], keys: set[str]):
    """One state entry by the rule the TypeScript test repeats: u = lcg_values(numel, fnv1a(key)) in
    float32, then (in float64, rounded once to float32) BN weight and running_var 1 + u/2, BN bias and
    running_mean u/5, conv and linear weights u/sqrt(fan_in), their biases u/10, counters 0."""
    import numpy as np

    owner, leaf = key.rsplit('.', 1)
    n = int(np.prod(shape)) if shape else 1
    if leaf == 'num_batches_tracked':
        return np.zeros(shape, np.int64)
    u = lcg_values(n, fnv1a(key)).astype(np.float64)
    is_bn = f'{owner}.running_mean' in keys
    if leaf == 'running_var' or (is_bn and leaf == 'weight'):
        v = 1 + u / 2
    elif leaf == 'running_mean' or (is_bn and leaf == 'bias'):
        v = u / 5
    elif leaf == 'weight':
        v = u / np.sqrt(float(np.prod(shape[1:])))
    elif leaf == 'bias':
        v = u / 10
    else:
        raise ValueError(f'no LCG rule for {key}')
    return v.astype(np.float32).reshape(shape)


def lcg_state(model) -> None:
    import torch

    sd = model.state_dict()
    keys = set(sd)
    model.load_state_dict({k: torch.from_numpy(lcg_entry(k, list(v.shape), keys)) for k, v in sd.items()})


def case_family(A, torch, meta: dict, name: str, make, num_classes: int, batch: int = 4):
    """A registry name's network with LCG weights and an LCG input [batch,3,32,32] (key 'input'):
    labels, eval_logits, train_logits, loss, grad.*, after.* (no state.*: see lcg_state)."""
    import torch.nn.functional as F

    model = make()
    lcg_state(model)
    x = torch.from_numpy(lcg_values(batch * 3 * 32 * 32, fnv1a('input')).reshape(batch, 3, 32, 32))
    labels = torch.arange(batch) * 7 % num_classes
    rec, missing = run_case(model, x, lambda logits: F.cross_entropy(logits, labels), 'logits')
    assert not missing, missing
    for k in [k for k in rec if k.startswith('state.')] + ['_input_grad']:
        del rec[k]
    rec['labels'] = labels.to(torch.int32)
    return rec, {**meta, 'model': name, 'num_classes': str(num_classes), 'weights': 'lcg_state (see README)',
                 'input': f'lcg_values({batch}*3*32*32, fnv1a("input")) as [{batch},3,32,32]',
                 'loss': 'F.cross_entropy(train_logits, labels) (mean)'}


def family_cases(A, torch, meta: dict) -> list:
    def wrn(depth, k, n_classes):
        def make():
            torch.manual_seed(0)
            m = A['WideResNet'](depth, k, dropout_rate=0.0, n_classes=n_classes)
            pytorch_bn_momentum(m)
            return m
        return make

    def pyramid(depth, alpha, n_classes, bottleneck):
        def make():
            torch.manual_seed(0)
            return A['PyramidNet']('cifar10', depth, alpha, n_classes, bottleneck=bottleneck)
        return make

    meta = {**meta, 'shakedrop_mode': 'keep: gates open in training (identity), eval (1 - p_drop)·x'}
    return [
        ('wide_resnet10_1.safetensors', lambda: case_family(A, torch, meta, 'wide_resnet10_1', wrn(10, 1, 10), 10)),
        ('pyramidnet14_a10.safetensors', lambda: case_family(A, torch, meta, 'pyramidnet14_a10', pyramid(14, 10, 10, False), 10)),
        ('pyramidnet11_a9_bottleneck_c100.safetensors',
         lambda: case_family(A, torch, meta, 'pyramidnet11_a9_bottleneck', pyramid(11, 9, 100, True), 100)),
    ]


FAMILY_KEY_MODELS = [
    # name, class, args, keys in full (else only their count and a SHA-256 of the 'key shape' lines)
    ('wide_resnet10_1', 'WideResNet', (10, 1, 0.0, 10), True),
    ('wide_resnet40_2', 'WideResNet', (40, 2, 0.0, 10), True),
    ('wide_resnet28_10', 'WideResNet', (28, 10, 0.0, 10), True),
    ('pyramidnet14_a10', 'PyramidNet', ('cifar10', 14, 10, 10, False), True),
    ('pyramidnet11_a9_bottleneck', 'PyramidNet', ('cifar10', 11, 9, 100, True), True),
    ('pyramidnet110_a270', 'PyramidNet', ('cifar10', 110, 270, 10, False), False),
    ('pyramidnet272_a200_bottleneck', 'PyramidNet', ('cifar10', 272, 200, 10, True), False),
]


def family_state_dict_keys(A, torch) -> dict:
    import hashlib

    result = {}
    for name, cls_name, args, full in FAMILY_KEY_MODELS:
        torch.manual_seed(0)
        model = build_for_keys(A[cls_name], args, torch)
        keys = [[k, list(v.shape)] for k, v in model.state_dict().items()]
        lines = ''.join(f'{k} {",".join(map(str, s))}\n' for k, s in keys)
        result[name] = {
            'class': cls_name,
            'args': list(args),
            'num_classes': args[-1] if cls_name == 'WideResNet' else args[3],
            'trainable_params': sum(p.numel() for p in model.parameters() if p.requires_grad),
            'num_keys': len(keys),
            'keys_sha256': hashlib.sha256(lines.encode('utf-8')).hexdigest(),
            **({'keys': keys} if full else {}),
        }
    return result


def dump_family_keys_json(data: dict) -> str:
    """One state_dict entry per line, as state_dict_keys.json."""
    lines = ['{']
    models = list(data.items())
    for mi, (name, m) in enumerate(models):
        head = {k: v for k, v in m.items() if k != 'keys'}
        body = json.dumps(head, separators=(', ', ': '))[1:-1]
        if 'keys' not in m:
            lines.append(f'  {json.dumps(name)}: {{{body}}}' + (',' if mi < len(models) - 1 else ''))
            continue
        lines.append(f'  {json.dumps(name)}: {{{body},')
        lines.append('    "keys": [')
        for ki, k in enumerate(m['keys']):
            lines.append(f'      {json.dumps(k, separators=(",", ":"))}' + (',' if ki < len(m['keys']) - 1 else ''))
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

    F = load_families()
    for fname, make in family_cases(F, torch, meta):
        tensors, md = make()
        write_safetensors(out / fname, tensors, md)
        print(f'[fixtures] {fname}: {len(tensors)} tensors, {(out / fname).stat().st_size} bytes')
    fkeys = family_state_dict_keys(F, torch)
    (out / 'family_state_dict_keys.json').write_text(dump_family_keys_json(fkeys))
    for name, m in fkeys.items():
        print(f'[fixtures] {name}: {m["num_keys"]} keys, trainable {m["trainable_params"]:,}')

    keys = state_dict_keys(A, torch)
    (out / 'state_dict_keys.json').write_text(dump_keys_json(keys))
    for name, m in keys.items():
        print(f'[fixtures] {name}: {len(m["keys"])} keys, trainable {m["trainable_params"]:,}, '
              f'unused keys {len(m["unused_keys"])}')
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f'[fixtures] total {total} bytes in {out}')


if __name__ == '__main__':
    main()
