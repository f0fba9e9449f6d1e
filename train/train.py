"""
The one file the agent edits: a small GPT, trained for a fixed time budget,
then scored by prepare.evaluate_bpb. Runs on a GPU (bf16, PyTorch 2.x) and on
a CPU (any PyTorch from 1.13 on).
"""

import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch
import torch.nn as nn
import torch.nn.functional as F

from prepare import MAX_SEQ_LEN, TIME_BUDGET, VOCAB_SIZE, DataLoader, evaluate_bpb

# --- hyperparameters ---
CPU_DEPTH = 2  # transformer blocks on a CPU
CUDA_DEPTH = 8  # transformer blocks on a GPU
CPU_WIDTH = 128  # model width on a CPU
CUDA_WIDTH = 512  # model width on a GPU
HEAD_DIM = 32  # width of one attention head
MLP_RATIO = 4  # MLP hidden width / model width
CPU_BATCH_SIZE = 8  # sequences per step on a CPU
CUDA_BATCH_SIZE = 64  # sequences per step on a GPU
LEARNING_RATE = 3e-3  # peak AdamW learning rate
EMBED_LR_MULT = 3.0  # learning rate multiplier for the embedding
WEIGHT_DECAY = 0.1  # AdamW weight decay on matrices
ADAM_BETA1 = 0.9  # AdamW first moment decay
ADAM_BETA2 = 0.95  # AdamW second moment decay
WARMUP_RATIO = 0.05  # share of the budget spent warming up the learning rate
WARMDOWN_RATIO = 0.4  # share of the budget spent decaying it to zero
GRAD_CLIP = 1.0  # max gradient norm (0 turns clipping off)
ROPE_BASE = 10000.0  # rotary embedding base
SEED = 42  # random seed
# --- end hyperparameters ---

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
on_cuda = device.type == "cuda"
DEPTH = CUDA_DEPTH if on_cuda else CPU_DEPTH
WIDTH = CUDA_WIDTH if on_cuda else CPU_WIDTH
BATCH_SIZE = CUDA_BATCH_SIZE if on_cuda else CPU_BATCH_SIZE
torch.manual_seed(SEED)
if on_cuda:
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
print(f"device: {device.type} (torch {torch.__version__})", flush=True)


def rms_norm(x, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rotary(seq_len, head_dim, base):
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
    freqs = torch.outer(torch.arange(seq_len).float(), inv)
    return freqs.cos(), freqs.sin()


def apply_rotary(x, cos, sin):
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Attention(nn.Module):
    def __init__(self, width, head_dim):
        super().__init__()
        self.heads = max(1, width // head_dim)
        self.head_dim = width // self.heads
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.out = nn.Linear(width, width, bias=False)
        nn.init.zeros_(self.out.weight)

    def forward(self, x, cos, sin):
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.head_dim).unbind(2)
        q, k = rms_norm(q), rms_norm(k)  # QK-norm keeps attention logits tame at high learning rates
        q, k = apply_rotary(q, cos[:t], sin[:t]), apply_rotary(k, cos[:t], sin[:t])
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # PyTorch 1.13
            scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
            mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
            y = scores.masked_fill(mask, float("-inf")).softmax(-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, t, c))


class MLP(nn.Module):
    def __init__(self, width, ratio):
        super().__init__()
        self.up = nn.Linear(width, ratio * width, bias=False)
        self.down = nn.Linear(ratio * width, width, bias=False)
        nn.init.zeros_(self.down.weight)

    def forward(self, x):
        return self.down(F.relu(self.up(x)).square())  # ReLU^2


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.attn = Attention(width, HEAD_DIM)
        self.mlp = MLP(width, MLP_RATIO)

    def forward(self, x, cos, sin):
        x = x + self.attn(rms_norm(x), cos, sin)
        return x + self.mlp(rms_norm(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, WIDTH)
        self.blocks = nn.ModuleList(Block(WIDTH) for _ in range(DEPTH))
        self.head = nn.Linear(WIDTH, VOCAB_SIZE, bias=False)
        nn.init.normal_(self.embed.weight, std=1.0)
        nn.init.zeros_(self.head.weight)  # an untrained model predicts every byte alike
        cos, sin = rotary(MAX_SEQ_LEN, self.blocks[0].attn.head_dim, ROPE_BASE)
        self.register_buffer("cos", cos[None, :, None, :], persistent=False)
        self.register_buffer("sin", sin[None, :, None, :], persistent=False)

    def forward(self, idx):
        x = rms_norm(self.embed(idx))
        for block in self.blocks:
            x = block(x, self.cos, self.sin)
        return self.head(rms_norm(x))


model = GPT().to(device)
num_params = sum(p.numel() for p in model.parameters())
matrices = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith("embed")]
groups = [
    {"params": [model.embed.weight], "lr": LEARNING_RATE * EMBED_LR_MULT, "weight_decay": 0.0},
    {"params": matrices, "lr": LEARNING_RATE, "weight_decay": WEIGHT_DECAY},
]
for g in groups:
    g["initial_lr"] = g["lr"]
extra = {"fused": True} if on_cuda and "fused" in torch.optim.AdamW.__init__.__code__.co_varnames else {}
optimizer = torch.optim.AdamW(groups, betas=(ADAM_BETA1, ADAM_BETA2), eps=1e-8, **extra)
train_model = torch.compile(model) if on_cuda and hasattr(torch, "compile") else model
autocast = torch.autocast("cuda", dtype=torch.bfloat16) if on_cuda else torch.autocast("cpu", enabled=False)
loader = DataLoader("train", BATCH_SIZE, device, seed=SEED)


def lr_multiplier(progress):
    if WARMUP_RATIO > 0 and progress < WARMUP_RATIO:
        return (progress + 1e-3) / WARMUP_RATIO
    if progress > 1 - WARMDOWN_RATIO:
        return max(0.0, (1 - progress) / max(WARMDOWN_RATIO, 1e-9))
    return 1.0


flops_per_token = 6 * num_params + 12 * DEPTH * WIDTH * MAX_SEQ_LEN
peak_flops = 989e12 if on_cuda else None  # H100 bf16 dense; MFU is not reported on a CPU
tokens_per_step = BATCH_SIZE * MAX_SEQ_LEN
t_start = time.time()
training_time = 0.0
smooth = 0.0
step = 0
warmup_steps = 3 if on_cuda else 0  # compile and allocator warm-up do not count against the budget

while training_time < TIME_BUDGET:
    t0 = time.time()
    progress = min(training_time / TIME_BUDGET, 1.0) if TIME_BUDGET > 0 else 1.0
    lrm = lr_multiplier(progress)
    for g in optimizer.param_groups:
        g["lr"] = g["initial_lr"] * lrm
    x, y = loader.next_batch()
    with autocast:
        logits = train_model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, VOCAB_SIZE), y.reshape(-1))
    loss.backward()
    if GRAD_CLIP > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    loss_value = loss.item()
    if not math.isfinite(loss_value) or loss_value > 100:
        print()
        print("FAIL")
        sys.exit(1)
    if on_cuda:
        torch.cuda.synchronize()
    dt = time.time() - t0
    if step >= warmup_steps:
        training_time += dt
    step += 1
    smooth = 0.9 * smooth + 0.1 * loss_value
    debiased = smooth / (1 - 0.9 ** step)
    pct = 100 * min(training_time / TIME_BUDGET, 1.0) if TIME_BUDGET > 0 else 100.0
    tok_per_sec = int(tokens_per_step / max(dt, 1e-9))
    mfu = 100 * flops_per_token * tokens_per_step / dt / peak_flops if peak_flops else 0.0
    remaining = max(0.0, TIME_BUDGET - training_time)
    print(
        f"step {step:05d} ({pct:.1f}%) | loss: {debiased:.6f} | lrm: {lrm:.2f} | dt: {dt * 1000:.0f}ms | "
        f"tok/sec: {tok_per_sec:,} | mfu: {mfu:.1f}% | epoch: {loader.epoch} | remaining: {remaining:.0f}s    ",
        end="\r",
        flush=True,
    )

print()
val_bpb = evaluate_bpb(model, device)
if not math.isfinite(val_bpb):
    print("FAIL")
    sys.exit(1)
total_seconds = time.time() - t_start
peak_vram_mb = torch.cuda.max_memory_allocated() / 2**20 if on_cuda else 0.0
mfu_percent = 100 * flops_per_token * step * tokens_per_step / max(training_time, 1e-9) / peak_flops if peak_flops else 0.0
print("---")
print(f"val_bpb:          {val_bpb:.6f}")
print(f"training_seconds: {training_time:.1f}")
print(f"total_seconds:    {total_seconds:.1f}")
print(f"peak_vram_mb:     {peak_vram_mb:.1f}")
print(f"mfu_percent:      {mfu_percent:.2f}")
print(f"total_tokens_M:   {step * tokens_per_step / 1e6:.1f}")
print(f"num_steps:        {step}")
print(f"num_params_M:     {num_params / 1e6:.1f}")
print(f"depth:            {DEPTH}")
