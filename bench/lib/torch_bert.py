"""PyTorch peer of the encoder training benchmark (run by bench/engine.ts as a child process).

argv[1]: JSON {"layers","hidden","heads","ffn","vocab","seq","batch","maxPositions","reps","warmup","threads"}
Prints one JSON line: {"torch_version", "threads", "step_seconds": [...], "forward_seconds": [...]}.
Same model as tuneshot's BERT: post-LN, GELU (erf), tied MLM head with transform + LayerNorm,
cross-entropy over all B*T positions, dropout off, AdamW (weight decay 0.01).
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_bert_layer import BertLayer

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
H, L, NH, FF, V, T, B = cfg["hidden"], cfg["layers"], cfg["heads"], cfg["ffn"], cfg["vocab"], cfg["seq"], cfg["batch"]


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(V, H)
        self.pos = nn.Embedding(cfg["maxPositions"], H)
        self.typ = nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(H, NH, FF) for _ in range(L))
        self.tr = nn.Linear(H, H)
        self.tr_ln = nn.LayerNorm(H, eps=1e-12)
        self.out_bias = nn.Parameter(torch.zeros(V))
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, pos, types, bias):
        h = self.ln(self.word(ids) + self.pos(pos) + self.typ(types))
        for layer in self.layers:
            h = layer(h, bias)
        t = self.tr_ln(F.gelu(self.tr(h)))
        return t @ self.word.weight.t() + self.out_bias


model = Bert()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
g = torch.Generator().manual_seed(7)
ids = torch.randint(0, V, (B, T), generator=g)
labels = torch.randint(0, V, (B * T,), generator=g)
pos = torch.arange(T).unsqueeze(0).expand(B, T)
types = torch.zeros(B, T, dtype=torch.long)
bias = torch.zeros(B, 1, 1, T)


def step():
    opt.zero_grad(set_to_none=True)
    logits = model(ids, pos, types, bias)
    loss = F.cross_entropy(logits.view(-1, V), labels)
    loss.backward()
    opt.step()
    return loss.item()


def forward():
    with torch.no_grad():
        logits = model(ids, pos, types, bias)
        F.cross_entropy(logits.view(-1, V), labels).item()


def timed(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


steps = timed(step, cfg["reps"], cfg["warmup"])
fwd = timed(forward, cfg["reps"], 1)
print(json.dumps({"torch_version": torch.__version__, "threads": torch.get_num_threads(), "step_seconds": steps, "forward_seconds": fwd}))
