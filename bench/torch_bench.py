#!/usr/bin/env python3
"""archai's own PyTorch Shake-Shake models, timed the way `archai-ts bench` times ours.

Same protocol: random NCHW input (N(0,1)) and labels, W warm-up steps then K timed steps, each step
synchronised by one small read (`loss.item()` in training, the logits copied to the host in eval),
SGD with Nesterov momentum 0.9, lr 0.2, weight decay 1e-4 (the paper's), fp32. Prints one JSON line
per configuration with the keys of `archai-ts bench --json` (backend 'pytorch-cuda' or
'pytorch-cpu'; node/tfjs are null, torch/cuda/cudnn added).

archai's files are imported from --archai DIR (a folder holding the package
archai/supergraph/models/shakeshake, as scripts/gpu-check.sh prepares it; never committed here).
archai's ShakeShake draws its coefficients with torch.cuda.FloatTensor, so it runs as is on a GPU;
on the CPU (the local dry run) its draws are replaced by the same uniform draws on the input's
device.

  python3 bench/torch_bench.py --archai .bundle/archai --models shakeshake26_2x32d \
      --modes train eval --batch 128 --warmup 5 --steps 20 [--device cuda|cpu] [--threads N] [--tf32]

Used by scripts/gpu-check.sh on the GPU machine and by bench/cpu/run.mjs (--device cpu --threads N).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import resource
import statistics
import sys
import time


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--archai', required=True, help='folder holding archai/supergraph/models/shakeshake')
    p.add_argument('--models', nargs='+', default=['shakeshake26_2x32d'],
                   help="archai's names (shakeshake26_2x32d) or ours (shake_resnet26_2x32d)")
    p.add_argument('--modes', nargs='+', default=['train', 'eval'], choices=['train', 'eval'])
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--image-size', type=int, default=32)
    p.add_argument('--num-classes', type=int, default=10)
    p.add_argument('--device', default=None, help='cuda or cpu (default: cuda if available)')
    p.add_argument('--tf32', action='store_true',
                   help="allow TF32 in cuDNN convolutions and matmuls (PyTorch's default for convs); off = strict fp32")
    p.add_argument('--threads', type=int, default=None, help="torch.set_num_threads (default: PyTorch's own)")
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args()


def our_name(name: str) -> tuple[str, int, int]:
    """(our zoo name, depth, width) from archai's or our ShakeResNet name."""
    m = re.fullmatch(r'(?:shakeshake|shake_resnet)(\d+)_2x(\d+)d', name)
    if not m:
        sys.exit(f'torch_bench: {name!r} is not a ShakeResNet name like shakeshake26_2x32d')
    depth, width = int(m.group(1)), int(m.group(2))
    return f'shake_resnet{depth}_2x{width}d', depth, width


def main() -> None:
    a = parse_args()
    sys.path.insert(0, os.path.abspath(a.archai))
    import torch
    import torch.nn.functional as F
    if a.threads:
        torch.set_num_threads(a.threads)
    from archai.supergraph.models.shakeshake import shakeshake as ss
    from archai.supergraph.models.shakeshake.shake_resnet import ShakeResNet

    device = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    if device.type == 'cuda':
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = a.tf32
        torch.backends.cuda.matmul.allow_tf32 = a.tf32
    else:
        # archai's ShakeShake is CUDA-only (torch.cuda.FloatTensor); the same draws on the input's device.
        class DeviceShakeShake(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x1, x2, training=True):
                if training:
                    alpha = x1.new_empty(x1.size(0)).uniform_().view(-1, 1, 1, 1).expand_as(x1)
                else:
                    alpha = 0.5
                return alpha * x1 + (1 - alpha) * x2

            @staticmethod
            def backward(ctx, grad_output):
                beta = grad_output.new_empty(grad_output.size(0)).uniform_().view(-1, 1, 1, 1).expand_as(grad_output)
                return beta * grad_output, (1 - beta) * grad_output, None

        ss.ShakeShake.forward = DeviceShakeShake.forward
        ss.ShakeShake.backward = DeviceShakeShake.backward

    def sync() -> None:
        if device.type == 'cuda':
            torch.cuda.synchronize()

    adapter = None
    if device.type == 'cuda':
        props = torch.cuda.get_device_properties(device)
        adapter = {'vendor': 'nvidia', 'architecture': f'sm_{props.major}{props.minor}', 'device': props.name,
                   'description': f'{props.name}, {props.multi_processor_count} SMs, {props.total_memory // 2**20} MiB',
                   'software': False}

    for name in a.models:
        ours, depth, width = our_name(name)
        for mode in a.modes:
            torch.manual_seed(a.seed)
            model = ShakeResNet(depth, width, a.num_classes).to(device)
            x = torch.randn(a.batch, 3, a.image_size, a.image_size, device=device)
            y = torch.randint(0, a.num_classes, (a.batch,), device=device)
            opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True, weight_decay=1e-4)

            if mode == 'train':
                model.train()

                def step() -> None:
                    opt.zero_grad(set_to_none=True)
                    loss = F.cross_entropy(model(x), y)
                    loss.backward()
                    opt.step()
                    loss.item()
            else:
                model.eval()

                def step() -> None:
                    with torch.no_grad():
                        model(x).cpu()

            first = None
            for i in range(a.warmup):
                t0 = time.perf_counter()
                step()
                if i == 0:
                    first = (time.perf_counter() - t0) * 1000
            sync()
            times = []
            for _ in range(a.steps):
                t0 = time.perf_counter()
                step()
                times.append((time.perf_counter() - t0) * 1000)
            med = statistics.median(times)
            line = {
                'model': ours,
                'archai_model': f'shakeshake{depth}_2x{width}d',
                'backend': f'pytorch-{device.type}',
                'adapter': adapter,
                'batch': a.batch,
                'mode': mode,
                'image_size': a.image_size,
                'images_per_s': round(a.batch / (med / 1000), 1),
                'step_ms_median': round(med, 3),
                'step_ms_min': round(min(times), 3),
                'step_ms_max': round(max(times), 3),
                'step_ms': [round(t, 3) for t in times],
                'first_step_ms': None if first is None else round(first, 1),
                'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                'peak_gpu_mb': round(torch.cuda.max_memory_allocated(device) / 2**20, 1) if device.type == 'cuda' else None,
                'steps': a.steps,
                'warmup': a.warmup,
                'threads': torch.get_num_threads(),
                'precision': 'tf32' if (a.tf32 and device.type == 'cuda') else 'fp32',
                'node': None,
                'tfjs': None,
                'torch': torch.__version__,
                'cuda': torch.version.cuda,
                'cudnn': torch.backends.cudnn.version() if device.type == 'cuda' else None,
                'date': datetime.datetime.now(datetime.timezone.utc).isoformat(),
            }
            print(json.dumps(line), flush=True)
            del model, opt, x, y
            if device.type == 'cuda':
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)


if __name__ == '__main__':
    main()
