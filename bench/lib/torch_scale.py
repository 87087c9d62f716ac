"""PyTorch peer of `npm run bench:scale` (run by bench/scale.ts as a child process, so its peak RSS is its own).

argv[1]: JSON {"name","shape":{family,layers,hidden,heads,kvHeads,ffn,vocab,maxPositions},"batch","seq","method",
               "loss","lora":{r,alpha,targets}|null,"steps","threads"}
Prints one JSON line: {"torch_version","threads","step_seconds":[...],"warmup_seconds","peak_rss_gb","params","trainable"}.

The same models as tuneshot builds (seeded random weights, dropout off):
  bert:  post-LN BERT, GELU (erf), [CLS] -> pooler (dense + tanh) -> 2-class linear head, cross-entropy.
  qwen2: pre-RMSNorm decoder, RoPE (theta 1e6), grouped-query attention with q/k/v biases, SiLU-gated MLP,
         tied embeddings, next-token cross-entropy; LoRA (A [r,in], B [out,r] = 0, scale alpha/r) on the targets.
AdamW (weight decay 0.01) over the trainable parameters, gradient clipping at global norm 1, one warm-up step.
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_bert_layer import BertLayer

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
S = cfg["shape"]
H, L, NH, KV, FF, V = S["hidden"], S["layers"], S["heads"], S["kvHeads"], S["ffn"], S["vocab"]
B, T = cfg["batch"], cfg["seq"]
HD = H // NH
LORA = cfg.get("lora") if cfg["method"] == "lora" else None


class Lin(nn.Module):
    """nn.Linear with an optional LoRA adapter (frozen base when LoRA is on)."""

    def __init__(self, name, i, o, bias=True):
        super().__init__()
        self.base = nn.Linear(i, o, bias=bias)
        self.lora = LORA is not None and name in LORA["targets"]
        if self.lora:
            r = LORA["r"]
            self.A = nn.Parameter(torch.empty(r, i).uniform_(-1 / i ** 0.5, 1 / i ** 0.5))
            self.B = nn.Parameter(torch.zeros(o, r))
            self.scale = LORA["alpha"] / r

    def forward(self, x):
        y = self.base(x)
        if self.lora:
            y = y + (x @ self.A.t() @ self.B.t()) * self.scale
        return y


def peak_rss_gb():
    # Linux: ru_maxrss in kB, the process's high-water mark (VmHWM).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


class BertClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(V, H)
        self.pos = nn.Embedding(S["maxPositions"], H)
        self.typ = nn.Embedding(2, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(H, NH, FF, Lin) for _ in range(L))
        self.pooler = nn.Linear(H, H)
        self.classifier = nn.Linear(H, 2)

    def forward(self, ids, pos, types, bias):
        h = self.ln(self.word(ids) + self.pos(pos) + self.typ(types))
        for layer in self.layers:
            h = layer(h, bias)
        return self.classifier(torch.tanh(self.pooler(h[:, 0])))


class RMSNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(H))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class QwenLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(), RMSNorm()
        self.q = Lin("q_proj", H, NH * HD)
        self.k = Lin("k_proj", H, KV * HD)
        self.v = Lin("v_proj", H, KV * HD)
        self.o = Lin("o_proj", NH * HD, H, bias=False)
        self.gate = Lin("gate_proj", H, FF, bias=False)
        self.up = Lin("up_proj", H, FF, bias=False)
        self.down = Lin("down_proj", FF, H, bias=False)

    def forward(self, h, cos, sin, bias):
        b, t, _ = h.shape
        n = self.n1(h)
        q = self.q(n).view(b, t, NH, HD).transpose(1, 2)
        k = self.k(n).view(b, t, KV, HD).transpose(1, 2)
        v = self.v(n).view(b, t, KV, HD).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(NH // KV, dim=1), v.repeat_interleave(NH // KV, dim=1)
        s = torch.matmul(q, k.transpose(-1, -2)) * (HD ** -0.5) + bias
        ctx = torch.matmul(torch.softmax(s, -1), v).transpose(1, 2).reshape(b, t, NH * HD)
        h = h + self.o(ctx)
        m = self.n2(h)
        return h + self.down(F.silu(self.gate(m)) * self.up(m))


class QwenLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, H)
        self.layers = nn.ModuleList(QwenLayer() for _ in range(L))
        self.norm = RMSNorm()
        inv = 1.0 / (1e6 ** (torch.arange(0, HD, 2).float() / HD))
        ang = torch.outer(torch.arange(T).float(), inv)
        ang = torch.cat((ang, ang), dim=-1)
        self.register_buffer("cos", ang.cos())
        self.register_buffer("sin", ang.sin())

    def forward(self, ids, bias):
        h = self.embed(ids)
        for layer in self.layers:
            h = layer(h, self.cos, self.sin, bias)
        return self.norm(h) @ self.embed.weight.t()  # tied embeddings


with torch.no_grad():
    model = BertClassifier() if S["family"] == "bert" else QwenLM()
    for name, p in model.named_parameters():
        if p.dim() > 1 and not name.endswith((".A", ".B")):
            nn.init.normal_(p, std=0.02)
if LORA is not None:
    for name, p in model.named_parameters():
        p.requires_grad_(name.endswith((".A", ".B")))
params = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.01)
g = torch.Generator().manual_seed(7)
ids = torch.randint(0, V, (B, T), generator=g)
if S["family"] == "bert":
    labels = torch.randint(0, 2, (B,), generator=g)
    pos = torch.arange(T).unsqueeze(0).expand(B, T)
    types = torch.zeros(B, T, dtype=torch.long)
    bias = torch.zeros(B, 1, 1, T)
    run = lambda: F.cross_entropy(model(ids, pos, types, bias), labels)
else:
    labels = torch.cat((ids[:, 1:], torch.full((B, 1), -100)), dim=1).reshape(-1)
    bias = torch.triu(torch.full((T, T), -1e9), diagonal=1).view(1, 1, T, T)
    run = lambda: F.cross_entropy(model(ids, bias).view(-1, V), labels, ignore_index=-100)


def step():
    opt.zero_grad(set_to_none=True)
    loss = run()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss.item()


t0 = time.perf_counter()
step()
warm = time.perf_counter() - t0
steps = []
for _ in range(cfg["steps"]):
    t0 = time.perf_counter()
    step()
    steps.append(time.perf_counter() - t0)
print(json.dumps({
    "torch_version": torch.__version__, "threads": torch.get_num_threads(), "step_seconds": steps, "warmup_seconds": warm,
    "peak_rss_gb": peak_rss_gb(), "params": sum(p.numel() for p in model.parameters()), "trainable": sum(p.numel() for p in params),
}))
