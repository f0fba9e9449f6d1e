"""
The one file the agent edits: a small GPT, trained for a fixed time budget,
then scored by prepare.evaluate_bpb. Runs on a GPU (bf16, PyTorch 2.x) and on
a CPU (any PyTorch from 1.13 on).
"""

import gc
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

t_start = time.time()

import torch
import torch.nn as nn
import torch.nn.functional as F

from prepare import MAX_SEQ_LEN, TIME_BUDGET, VOCAB_SIZE, DataLoader, evaluate_bpb

# --- hyperparameters ---
CPU_DEPTH = 2  # transformer blocks on a CPU
CUDA_DEPTH = 8  # transformer blocks on a GPU
CPU_WIDTH = 128  # model width on a CPU
CUDA_WIDTH = 512  # model width on a GPU
CPU_HEAD_DIM = 64  # width of one attention head on a CPU
CUDA_HEAD_DIM = 128  # width of one attention head on a GPU
MLP_RATIO = 4  # MLP hidden width / model width
CPU_BATCH_SIZE = 8  # sequences per step on a CPU
CUDA_BATCH_SIZE = 64  # sequences per step on a GPU
CPU_BF16 = False  # bf16 autocast on a CPU: faster only where the CPU has bf16 instructions (AVX512-BF16, AMX)
LEARNING_RATE = 3e-3  # peak AdamW learning rate
EMBED_LR_MULT = 3.0  # learning rate multiplier for the embedding
WEIGHT_DECAY = 0.1  # AdamW weight decay on matrices
ADAM_BETA1 = 0.9  # AdamW first moment decay
ADAM_BETA2 = 0.95  # AdamW second moment decay
WARMUP_RATIO = 0.05  # share of the budget spent warming up the learning rate
WARMDOWN_RATIO = 0.4  # share of the budget spent decaying it to zero
GRAD_CLIP = 1.0  # max gradient norm (0 turns clipping off)
ROPE_BASE = 10000.0  # rotary embedding base
# --- end hyperparameters ---

SEED = 42  # outside the block: a seed is not worth searching over

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
on_cuda = device.type == "cuda"
DEPTH = CUDA_DEPTH if on_cuda else CPU_DEPTH
WIDTH = CUDA_WIDTH if on_cuda else CPU_WIDTH
HEAD_DIM = CUDA_HEAD_DIM if on_cuda else CPU_HEAD_DIM
BATCH_SIZE = CUDA_BATCH_SIZE if on_cuda else CPU_BATCH_SIZE
torch.manual_seed(SEED)
if on_cuda:
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
print(f"device: {device.type} (torch {torch.__version__})", flush=True)


def rms_norm(x, eps=1e-6):
    xf = x.float()  # statistics in fp32 even under bf16 autocast
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).type_as(x)


def rotary(seq_len, head_dim, base):
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
    freqs = torch.outer(torch.arange(seq_len).float(), inv)
    return freqs.cos(), freqs.sin()


def apply_rotary(x, cos, sin):
    # Rotates the two halves of each head against each other (cheaper than interleaved pairs on a CPU).
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).type_as(x)


class Attention(nn.Module):
    def __init__(self, width, head_dim):
        super().__init__()
        self.heads = max(1, width // head_dim)
        while width % self.heads:  # heads must split the width evenly
            self.heads -= 1
        self.head_dim = width // self.heads
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.out = nn.Linear(width, width, bias=False)
        nn.init.zeros_(self.out.weight)
        future = torch.ones(MAX_SEQ_LEN, MAX_SEQ_LEN, dtype=torch.bool).triu(1)
        self.register_buffer("future", future, persistent=False)

    def forward(self, x, cos, sin):
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        q, k = rms_norm(q), rms_norm(k)  # QK-norm keeps attention logits tame at high learning rates
        q, k = apply_rotary(q, cos[:, :, :t], sin[:, :, :t]), apply_rotary(k, cos[:, :, :t], sin[:, :, :t])
        if hasattr(F, "scaled_dot_product_attention"):  # PyTorch 2.x: flash / memory-efficient kernels
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # PyTorch 1.13: causal attention written out; scale q (b*t*d) rather than the scores (b*t*t)
            scores = (q * (1.0 / math.sqrt(self.head_dim))) @ k.transpose(-2, -1)
            y = scores.masked_fill_(self.future[:t, :t], float("-inf")).softmax(-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, t, c))


class MLP(nn.Module):
    def __init__(self, width, ratio):
        super().__init__()
        hidden = int(ratio * width)
        self.up = nn.Linear(width, hidden, bias=False)
        self.down = nn.Linear(hidden, width, bias=False)
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
        self.register_buffer("cos", cos[None, None], persistent=False)  # (1, 1, time, head_dim / 2)
        self.register_buffer("sin", sin[None, None], persistent=False)

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
autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=on_cuda or CPU_BF16)
loader = DataLoader("train", BATCH_SIZE, device, seed=SEED)


def lr_multiplier(progress):
    if WARMUP_RATIO > 0 and progress < WARMUP_RATIO:
        return (progress + 1e-3) / WARMUP_RATIO
    if progress > 1 - WARMDOWN_RATIO:
        return max(0.0, (1 - progress) / max(WARMDOWN_RATIO, 1e-9))
    return 1.0


flops_per_token = 6 * num_params + 12 * DEPTH * WIDTH * MAX_SEQ_LEN  # matmuls forward and backward, attention included
peak_flops = 989.5e12 if on_cuda else None  # H100 bf16 dense; no MFU is reported on a CPU
tokens_per_step = BATCH_SIZE * MAX_SEQ_LEN
uncounted = 11 if on_cuda else 0  # first GPU steps (compilation, allocator) do not count against the budget
training_time = 0.0
smooth = 0.0
step = 0

while TIME_BUDGET > 0:  # a budget of 0 trains nothing: the untrained model's val_bpb
    t0 = time.time()
    progress = min(training_time / TIME_BUDGET, 1.0)
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
    if not math.isfinite(loss_value) or loss_value > 100:  # NaN, inf or exploding: stop at once
        print()
        print("FAIL", flush=True)
        sys.exit(1)
    if on_cuda:
        torch.cuda.synchronize()
    dt = time.time() - t0
    if step >= uncounted:
        training_time += dt
    smooth = 0.9 * smooth + 0.1 * loss_value
    debiased = smooth / (1 - 0.9 ** (step + 1))
    tok_per_sec = int(tokens_per_step / max(dt, 1e-9))
    mfu = 100 * flops_per_token * tokens_per_step / dt / peak_flops if peak_flops else 0.0
    remaining = max(0.0, TIME_BUDGET - training_time)
    print(
        f"step {step:05d} ({100 * progress:.1f}%) | loss: {debiased:.6f} | lrm: {lrm:.2f} | dt: {dt * 1000:.0f}ms | "
        f"tok/sec: {tok_per_sec:,} | mfu: {mfu:.1f}% | epoch: {loader.epoch} | remaining: {remaining:.0f}s    ",
        end="\r",
        flush=True,
    )
    if step == 0:  # the collector's pauses cost more than its garbage: freeze what exists, collect rarely
        gc.collect()
        gc.freeze()
        gc.disable()
    elif step % 5000 == 0:
        gc.collect()
    step += 1
    if step >= uncounted and training_time >= TIME_BUDGET:
        break

print()
with autocast:
    val_bpb = evaluate_bpb(model, device, batch_size=BATCH_SIZE)
if not math.isfinite(val_bpb):
    print("FAIL", flush=True)
    sys.exit(1)
total_seconds = time.time() - t_start
peak_vram_mb = torch.cuda.max_memory_allocated() / 2**20 if on_cuda else 0.0
counted_steps = max(0, step - uncounted)
mfu_percent = 100 * flops_per_token * tokens_per_step * counted_steps / training_time / peak_flops if peak_flops and training_time > 0 else 0.0
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
