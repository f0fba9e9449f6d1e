import {makeArena, type TempArena} from './workspace.js';

// A stand-in for train.py that needs no torch and runs in a blink: its
// val_bpb is a smooth function of two hyperparameters, lowest at
// LEARNING_RATE=0.04, WIDTH=128. For testing the loop's logic fast; the real
// train.py has its own tests.
export const fakeTrain = `import math, os, sys, time
# --- hyperparameters ---
LEARNING_RATE = 0.01  # step size
WIDTH = 64  # model width
SLEEP = 0.0  # seconds to pretend to train
# --- end hyperparameters ---
budget = float(os.environ.get("NIGHTSHIFT_TIME_BUDGET", "1"))
print("device: cpu", flush=True)
loss = 3.0
for step in range(5):
    loss = loss * (1 - LEARNING_RATE * 5)
    if not math.isfinite(loss) or loss > 1e6:
        print()
        print("FAIL")
        sys.exit(1)
    print(f"step {step:05d} ({step * 20:.1f}%) | loss: {loss:.6f} | lrm: 1.00 | remaining: {int(budget)}s", end="\\r", flush=True)
    time.sleep(SLEEP / 5)
print()
val = 1.0 + 0.1 * math.log(LEARNING_RATE / 0.04) ** 2 + 0.05 * math.log2(WIDTH / 128) ** 2
print("---")
print(f"val_bpb:          {val:.6f}")
print(f"training_seconds: {budget:.1f}")
print(f"total_seconds:    {budget + 0.1:.1f}")
print(f"peak_vram_mb:     {WIDTH * 10:.1f}")
print(f"mfu_percent:      0.00")
print(f"total_tokens_M:   0.1")
print(f"num_steps:        5")
print(f"num_params_M:     0.1")
print(f"depth:            2")
`;

export const fakeProgram = `---
editable: [train/train.py]
command: python train.py
cwd: train
metric: val_bpb
direction: lower
budget: 1
timeout: 20
baseline_runs: 1
---
Make val_bpb low.
`;

export function makeFakeArena(program = fakeProgram, train = fakeTrain): TempArena {
	return makeArena({'program.md': program, 'train/train.py': train, '.gitignore': '__pycache__/\n'});
}
