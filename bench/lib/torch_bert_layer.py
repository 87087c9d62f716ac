"""One post-LN BERT layer for the PyTorch peers (torch_bert.py, torch_scale.py): the same layer as tuneshot's BERT."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def plain_linear(_name, i, o):
    return nn.Linear(i, o)


class BertLayer(nn.Module):
    """Self-attention + GELU (erf) FFN, each followed by a residual LayerNorm. `linear(name, in, out)` makes the
    projections (Hugging Face names: query, key, value, dense, intermediate, output), so a peer can put LoRA on them."""

    def __init__(self, H, NH, FF, linear=plain_linear):
        super().__init__()
        self.nh, self.hd = NH, H // NH
        self.q, self.k, self.v, self.o = (linear(n, H, H) for n in ("query", "key", "value", "dense"))
        self.ln1 = nn.LayerNorm(H, eps=1e-12)
        self.ff1, self.ff2 = linear("intermediate", H, FF), linear("output", FF, H)
        self.ln2 = nn.LayerNorm(H, eps=1e-12)

    def forward(self, h, bias):
        b, t, H = h.shape
        split = lambda x: x.view(b, t, self.nh, self.hd).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        s = torch.matmul(q, k.transpose(-1, -2)) * (self.hd ** -0.5) + bias
        ctx = torch.matmul(torch.softmax(s, -1), v).transpose(1, 2).reshape(b, t, H)
        h = self.ln1(h + self.o(ctx))
        return self.ln2(h + self.ff2(F.gelu(self.ff1(h))))
