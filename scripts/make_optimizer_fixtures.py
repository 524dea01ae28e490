#!/usr/bin/env python3
"""PyTorch's SGD (Nesterov, weight decay), Adam and AdamW on a tiny fixed case, for
test/trainer/optimizer.test.ts: three steps with known gradients, parameters after each step.
Run with Debian's python3-torch: /usr/bin/python3 scripts/make_optimizer_fixtures.py"""
import json
import os
import sys

try:
    import torch
except ImportError:
    if sys.executable != '/usr/bin/python3' and os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3', *sys.argv])
    raise

torch.set_default_dtype(torch.float32)
p0 = [1.0, -2.0, 0.5, 0.0]
grads = [[0.1, 0.2, -0.3, 0.05], [-0.2, 0.4, 0.1, 0.0], [0.3, -0.1, 0.2, -0.5]]
lrs = [0.1, 0.05, 0.02]
cases = {
    'sgd_nesterov_wd': (torch.optim.SGD, dict(momentum=0.9, nesterov=True, weight_decay=1e-2)),
    'sgd_momentum': (torch.optim.SGD, dict(momentum=0.9, weight_decay=0)),
    'sgd_plain_wd': (torch.optim.SGD, dict(weight_decay=1e-2)),
    'adam_wd': (torch.optim.Adam, dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)),
    'adamw': (torch.optim.AdamW, dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)),
}
out = {'torch': torch.__version__, 'p0': p0, 'grads': grads, 'lrs': lrs, 'cases': {}}
for name, (cls, kw) in cases.items():
    p = torch.nn.Parameter(torch.tensor(p0))
    opt = cls([p], lr=lrs[0], **kw)
    steps = []
    for g, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group['lr'] = lr
        p.grad = torch.tensor(g)
        opt.step()
        steps.append([float(v) for v in p.detach()])
    out['cases'][name] = {'kwargs': {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()}, 'steps': steps}
path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'torch', 'optimizers.json')
with open(path, 'w') as f:
    json.dump(out, f, indent=1)
print('wrote', os.path.normpath(path))
