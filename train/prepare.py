"""
The fixed half of the arena: constants, data, tokenizer, dataloader and the
evaluation that defines the metric. The agent edits train.py, never this file.

Default data needs no download: the Python interpreter's own standard-library
sources, split into train and validation by file. Prepared once, cached.

    python prepare.py                      # prepare the default data, print what was built
    python prepare.py --download --base-url URL --shards N   # fetch public shards into the cache
"""

import argparse
import hashlib
import math
import os
import shutil
import sys
import sysconfig
import time
import urllib.error
import urllib.request

import torch

# ---------------------------------------------------------------------------
# Constants (fixed: changing them changes what the metric means)

MAX_SEQ_LEN = 1024 if torch.cuda.is_available() else 256  # tokens (bytes) per training and evaluation window
TIME_BUDGET = float(os.environ.get("NIGHTSHIFT_TIME_BUDGET", "300"))  # seconds of training
EVAL_TOKENS_CPU = 2**15  # validation tokens scored on a CPU (about a second)
EVAL_TOKENS_CUDA = 2**21  # validation tokens scored on a GPU
VAL_FRACTION = 0.05  # share of files (by a hash of their path) held out for validation
MAX_CORPUS_BYTES = 24 * 2**20  # the default corpus stops growing here
CACHE_DIR = os.environ.get("NIGHTSHIFT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "nightshift")
DATA_DIR = os.environ.get("NIGHTSHIFT_DATA")  # a folder of .txt / .parquet files to use instead

# ---------------------------------------------------------------------------
# Tokenizer: bytes. Every text has a tokenization, nothing to train or
# download, and bits per byte is simply bits per token.


class ByteTokenizer:
    vocab_size = 256

    def encode(self, text):
        return list(text.encode("utf-8"))

    def decode(self, tokens):
        return bytes(tokens).decode("utf-8", errors="replace")

    def token_bytes(self):
        """How many bytes of text each token stands for (1 for every byte)."""
        return torch.ones(self.vocab_size, dtype=torch.long)


tokenizer = ByteTokenizer()
VOCAB_SIZE = tokenizer.vocab_size

# ---------------------------------------------------------------------------
# Sources


def _is_val(name):
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < VAL_FRACTION


def _stdlib_documents():
    """(relative path, text) for the standard library's .py files, sorted: the same on every run of one Python."""
    root = sysconfig.get_paths()["stdlib"]
    skip = {"site-packages", "dist-packages", "__pycache__"}
    paths = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for f in sorted(files):
            if f.endswith(".py"):
                paths.append(os.path.join(folder, f))
    total = 0
    for path in sorted(paths):
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        if total >= MAX_CORPUS_BYTES:
            break
        total += len(data)
        yield os.path.relpath(path, root), data.decode("utf-8", errors="replace")


def _folder_files(folder):
    paths = []
    for base, dirs, files in os.walk(folder):
        dirs.sort()
        paths += [os.path.join(base, f) for f in sorted(files) if f.endswith((".txt", ".parquet"))]
    return sorted(paths)


def _folder_documents(folder):
    """(relative path, text) for a folder of .txt and .parquet files (parquet: its `text` column)."""
    paths = _folder_files(folder)
    if not paths:
        raise SystemExit(f"prepare.py: no .txt or .parquet files in {folder}")
    for path in paths:
        rel = os.path.relpath(path, folder)
        if path.endswith(".txt"):
            with open(path, "r", encoding="utf-8", errors="replace") as fh:
                yield rel, fh.read()
            continue
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise SystemExit(f"prepare.py: {rel} is parquet; reading it needs pyarrow (pip install pyarrow)")
        for i, text in enumerate(pq.read_table(path, columns=["text"]).column("text").to_pylist()):
            yield f"{rel}#{i}", text or ""


def _source():
    if DATA_DIR:
        folder = os.path.abspath(DATA_DIR)
        if not os.path.isdir(folder):
            raise SystemExit(f"prepare.py: NIGHTSHIFT_DATA={DATA_DIR} is not a folder")
        # The files' names, sizes and times are part of the source: adding or changing one prepares anew.
        listing = hashlib.sha256()
        for path in _folder_files(folder):
            st = os.stat(path)
            listing.update(f"{os.path.relpath(path, folder)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        return f"folder:{folder}@{listing.hexdigest()[:12]}", lambda: _folder_documents(folder)
    return f"stdlib:{sys.version.split()[0]}", _stdlib_documents


# ---------------------------------------------------------------------------
# Preparation and cache


def _cache_path(source):
    key = hashlib.sha256(f"v1|{source}|bytes|{MAX_CORPUS_BYTES}|{VAL_FRACTION}".encode()).hexdigest()[:16]
    return os.path.join(CACHE_DIR, "data", key)


def _write_atomic(path, data):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def prepare(verbose=False):
    """Builds train.bin and val.bin (one byte a token) once; later calls find them in the cache."""
    source, documents = _source()
    folder = _cache_path(source)
    done = os.path.join(folder, "done")
    if os.path.exists(done):
        if verbose:
            with open(done, encoding="utf-8") as fh:
                what = fh.read().split("\n")
            sizes = [os.path.getsize(os.path.join(folder, f"{split}.bin")) for split in ("train", "val")]
            print(f"cached {what[0]}: {what[1]}, train {sizes[0]:,} bytes, val {sizes[1]:,} bytes -> {folder}")
        return folder
    os.makedirs(folder, exist_ok=True)
    t0 = time.time()
    splits = {"train": bytearray(), "val": bytearray()}
    names = []
    for name, text in documents():
        splits["val" if _is_val(name) else "train"].extend(text.encode("utf-8") + b"\n")
        names.append(name)
    if len(splits["val"]) < MAX_SEQ_LEN + 1 or len(splits["train"]) < MAX_SEQ_LEN + 1:
        # Too few files to split by file: hold out the tail instead.
        everything = splits["train"] + splits["val"]
        cut = int(len(everything) * (1 - VAL_FRACTION))
        splits = {"train": everything[:cut], "val": everything[cut:]}
    if len(splits["val"]) < MAX_SEQ_LEN + 1:
        raise SystemExit(f"prepare.py: the data from {source} is too small ({sum(map(len, splits.values()))} bytes)")
    for split, data in splits.items():
        _write_atomic(os.path.join(folder, f"{split}.bin"), bytes(data))
    _write_atomic(done, f"{source}\n{len(names)} documents\n".encode())
    if verbose:
        print(f"prepared {source}: {len(names)} documents, train {len(splits['train']):,} bytes, "
              f"val {len(splits['val']):,} bytes in {time.time() - t0:.1f}s -> {folder}")
    return folder


def load_split(split):
    folder = prepare()
    with open(os.path.join(folder, f"{split}.bin"), "rb") as fh:
        data = fh.read()
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


# ---------------------------------------------------------------------------
# Dataloader


class DataLoader:
    """Random windows of MAX_SEQ_LEN + 1 tokens from a split, as (inputs, targets)."""

    def __init__(self, split, batch_size, device, seed=1337):
        self.data = load_split(split)
        self.batch_size = batch_size
        self.device = device
        self.generator = torch.Generator().manual_seed(seed)
        self.tokens_seen = 0

    @property
    def epoch(self):
        return 1 + self.tokens_seen // max(1, len(self.data))

    def next_batch(self):
        starts = torch.randint(0, len(self.data) - MAX_SEQ_LEN - 1, (self.batch_size,), generator=self.generator)
        rows = torch.stack([self.data[s:s + MAX_SEQ_LEN + 1] for s in starts.tolist()]).long()
        self.tokens_seen += self.batch_size * MAX_SEQ_LEN
        x, y = rows[:, :-1], rows[:, 1:]
        if self.device.type == "cuda":
            return x.pin_memory().to(self.device, non_blocking=True), y.pin_memory().to(self.device, non_blocking=True)
        return x.to(self.device), y.to(self.device)


# ---------------------------------------------------------------------------
# Evaluation: the metric


@torch.no_grad()
def evaluate_bpb(model, device, batch_size=16):
    """
    Validation bits per byte: the model's summed cross-entropy (nats) over a
    fixed set of validation windows, divided by ln 2 and by the number of
    bytes those targets stand for. Independent of the vocabulary.
    `model(x)` must return logits of shape (batch, time, VOCAB_SIZE).
    """
    data = load_split("val")
    budget = EVAL_TOKENS_CUDA if device.type == "cuda" else EVAL_TOKENS_CPU
    windows = max(1, min(budget // MAX_SEQ_LEN, (len(data) - 1) // MAX_SEQ_LEN))
    stride = (len(data) - MAX_SEQ_LEN - 1) // windows
    starts = [i * stride for i in range(windows)]
    token_bytes = tokenizer.token_bytes().to(device)
    was_training = model.training
    model.eval()
    nats, nbytes = 0.0, 0
    for i in range(0, len(starts), batch_size):
        rows = torch.stack([data[s:s + MAX_SEQ_LEN + 1] for s in starts[i:i + batch_size]]).long().to(device)
        x, y = rows[:, :-1], rows[:, 1:]
        logits = model(x).float()
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum")
        nats += loss.item()
        nbytes += int(token_bytes[y].sum().item())
    model.train(was_training)
    return nats / (math.log(2) * nbytes)


# ---------------------------------------------------------------------------
# Download (for machines with internet): public corpus shards into the cache


def _fetch(url, target, tries=3):
    """One file to `target`, streamed to a temp file and renamed; retried on network errors, not on 4xx."""
    tmp = f"{target}.{os.getpid()}.tmp"
    for attempt in range(tries):
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as fh:
                shutil.copyfileobj(response, fh, 1 << 20)
            os.replace(tmp, target)
            return
        except OSError as error:
            if os.path.exists(tmp):
                os.remove(tmp)
            client_error = isinstance(error, urllib.error.HTTPError) and 400 <= error.code < 500
            missing_file = url.startswith("file:") and isinstance(error, urllib.error.URLError)
            if attempt == tries - 1 or client_error or missing_file:
                raise SystemExit(f"prepare.py: could not download {url}: {error}")
            time.sleep(2 ** attempt)


def download(base_url, shards, pattern="shard_{:05d}.parquet", out=None):
    """
    Fetches `shards` files named by `pattern` (shard 0, 1, ...) from `base_url`
    (http, https or file) into the cache; returns the folder, to use as
    NIGHTSHIFT_DATA. Files already there are not fetched again.
    """
    out = out or os.path.join(CACHE_DIR, "downloads", hashlib.sha256(base_url.encode()).hexdigest()[:12])
    os.makedirs(out, exist_ok=True)
    for i in range(shards):
        name = pattern.format(i)
        target = os.path.join(out, name)
        if os.path.exists(target):
            print(f"have {name}")
            continue
        _fetch(base_url.rstrip("/") + "/" + name, target)
        print(f"downloaded {name} ({os.path.getsize(target):,} bytes)")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Prepare the arena's data.")
    parser.add_argument("--download", action="store_true", help="download corpus shards (needs internet)")
    parser.add_argument("--base-url", help="where the shards are (http, https or file URL)")
    parser.add_argument("--shards", type=int, default=1, help="how many shards")
    parser.add_argument("--pattern", default="shard_{:05d}.parquet", help="shard file names")
    args = parser.parse_args()
    if args.download:
        if not args.base_url:
            parser.error("--download needs --base-url")
        folder = download(args.base_url, args.shards, args.pattern)
        print(f"shards in {folder}; train on them with NIGHTSHIFT_DATA={folder}")
    else:
        folder = prepare(verbose=True)
        print(f"ready: {folder}")
