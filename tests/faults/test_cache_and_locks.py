"""Cache entries checked against their key, model buffers copied, lock waits that end and say why,
factory imports that neither shadow installed packages nor hide their errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from harness.catalogue.queries import get_task
from harness.encode.cache import CacheEntryDiscarded, CacheEntryInvalid, EmbeddingCache
from harness.encode.checks import ModelOutputError
from harness.encode.engine import EncodeEngine, texts_digest
from harness.files import LockTimeout, file_lock
from harness.runner import run_task
from tests.faults.store_support import STS17, MeanColour, engine, sts17_source

ROOT = Path(__file__).resolve().parents[2]


class Text:
    def __init__(self) -> None:
        self.meta = MeanColour().meta

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        return np.stack([[len(t), t.count("a") + 1.0] for t in texts]).astype(np.float32)


def test_an_empty_array_for_300_texts_is_never_cached(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    broken = EncodeEngine(Text(), cache, batch_size=-1, num_workers=0, progress=False)  # no batch at all
    with pytest.raises(ModelOutputError, match="0 rows for 300 inputs"):
        broken.texts([f"text {i}" for i in range(300)])
    assert not list(tmp_path.rglob("*.npy"))  # nothing poisoned the cache
    fine = EncodeEngine(Text(), cache, batch_size=32, num_workers=0, progress=False)
    assert fine.texts([f"text {i}" for i in range(300)]).shape == (300, 2)


def test_an_entry_that_does_not_fit_its_key_is_neither_written_nor_served(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    key = {"model": "m", "texts": "d", "n": 3}
    with pytest.raises(CacheEntryInvalid, match="NaN"):
        cache.put(key, np.array([[1.0], [np.nan], [2.0]], dtype=np.float32))
    with pytest.raises(CacheEntryInvalid, match="dtype"):
        cache.put(key, np.ones((3, 2), dtype=np.int64))
    # an entry written by an older version for the wrong number of rows
    path = cache.path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    cache.put({**key, "n": 2}, np.ones((2, 2), dtype=np.float32))
    cache.path_for({**key, "n": 2}).rename(path)
    cache.path_for({**key, "n": 2}).with_suffix(".json").rename(path.with_suffix(".json"))
    with pytest.warns(CacheEntryDiscarded, match="2 rows for 3 inputs"):
        assert cache.get(key) is None


@pytest.mark.parametrize(
    ("first", "second"),
    [(["a\x1fb"], ["a", "b"]), (["a", "b\x1fc"], ["a\x1fb", "c"]), (["x\x1f"], ["x", ""])],
)
def test_the_text_key_tells_any_two_lists_apart(first: list[str], second: list[str]) -> None:
    assert texts_digest(first) != texts_digest(second)


def test_text_lists_that_share_a_joined_string_get_their_own_embeddings(tmp_path: Path) -> None:
    run = EncodeEngine(Text(), EmbeddingCache(tmp_path), num_workers=0, progress=False)
    joined = run.texts(["aa\x1fa", "b"])  # the same "\x1f"-joined text as the next list
    split = run.texts(["aa", "a\x1fb"])
    assert not np.array_equal(joined, split)


class ReusedBuffer(MeanColour):
    """Writes every batch into one output array and returns it (as some compiled models do)."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = None

    def encode_images(self, images: list) -> np.ndarray:
        out = super().encode_images(images)
        if self.buffer is None or self.buffer.shape != out.shape:
            self.buffer = np.empty_like(out)
        self.buffer[...] = out
        return self.buffer


def test_a_model_that_reuses_its_output_buffer_scores_as_one_that_does_not(tmp_path: Path) -> None:
    source = sts17_source(tmp_path / "data")
    task = get_task(STS17)
    honest = run_task(task, engine(batch_size=1), source, tmp_path / "a", subsets=["en-de"])
    reused = run_task(task, engine(ReusedBuffer(), batch_size=1), source, tmp_path / "b", subsets=["en-de"])
    assert reused.score == pytest.approx(honest.score, abs=1e-9)


HOLDER = """
import sys, time
from pathlib import Path
from harness.files import file_lock
with file_lock(Path(sys.argv[1]), timeout=5, what="test"):
    print("held", flush=True)
    time.sleep(60)
"""


def _holder(lock: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_lock_held_by_a_stopped_process_is_not_waited_for(tmp_path: Path) -> None:
    lock = tmp_path / "entry.lock"
    holder = _holder(lock)
    try:
        os.kill(holder.pid, signal.SIGSTOP)
        start = time.monotonic()
        with (
            pytest.raises(LockTimeout, match=rf"held by a stopped process, pid {holder.pid} on "),
            file_lock(lock, timeout=30),
        ):
            pass
        assert time.monotonic() - start < 10
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()


def test_a_lock_wait_says_who_holds_it_and_ends(tmp_path: Path) -> None:
    lock = tmp_path / "entry.lock"
    holder = _holder(lock)
    said = []
    try:
        with (
            pytest.raises(LockTimeout, match=rf"still held by pid {holder.pid}"),
            file_lock(lock, timeout=1.0, notify=said.append),
        ):
            pass
        assert said and f"pid {holder.pid}" in said[0]
    finally:
        holder.kill()
        holder.wait()
    with file_lock(lock, timeout=1.0):  # a dead holder's lock is taken over at once
        pass
    assert not lock.exists()


def test_the_cache_computes_itself_when_the_entry_lock_is_not_freed(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, lock_wait_s=0.5)
    key = {"model": "m", "texts": "d", "n": 2}
    path = cache.path_for(key)
    holder = _holder(path.with_name(path.name + ".lock"))
    try:
        with pytest.warns(UserWarning, match=f"not waited for .*pid {holder.pid}"):
            array, hit = cache.get_or_compute(key, lambda: np.ones((2, 3), dtype=np.float32))
        assert not hit and array.shape == (2, 3)
    finally:
        holder.kill()
        holder.wait()


SHADOW = 'open("shadow-ran", "w").write("yes")\n'
FACTORY = """
import numpy as np
import wave  # an installed (standard library) module the current directory also holds

class M:
    def encode_images(self, images):
        return np.ones((len(images), 2), dtype=np.float32)
    def encode_texts(self, texts):
        return np.ones((len(texts), 2), dtype=np.float32)

def build():
    return M()
"""


LOAD = "import sys; sys.path.remove(''); from mieb_models.registry import load_model; load_model({spec!r})"


def _in(folder: Path, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, env=env)


def test_a_factory_module_never_runs_a_file_shadowing_an_installed_package(tmp_path: Path) -> None:
    (tmp_path / "wave.py").write_text(SHADOW)
    (tmp_path / "shadow_factory.py").write_text(FACTORY)
    # -c puts "" first on sys.path, as `python -m` does; the import must still find the installed module
    code = LOAD.format(spec="shadow_factory:build")
    done = _in(tmp_path, code)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "shadow-ran").exists()


def test_a_factory_import_error_shows_its_cause(tmp_path: Path) -> None:
    (tmp_path / "broken_factory.py").write_text("import numpy_not_installed_anywhere\ndef build(): pass\n")
    code = LOAD.format(spec="broken_factory:build")
    done = _in(tmp_path, code)
    assert "numpy_not_installed_anywhere" in done.stderr
    assert "Unknown model factory module" not in done.stderr


class SlowPreparation(MeanColour):
    """A model whose own preparation code hangs: image ``preprocess`` or text ``tokenize``."""

    def preprocess(self, image):
        time.sleep(30)
        return image

    def tokenize(self, texts):
        time.sleep(30)
        return texts

    def encode_tokens(self, tokens):
        return np.ones((len(tokens), 2), dtype=np.float32)


@pytest.mark.parametrize("kind", ["images", "texts"])
def test_the_batch_timeout_covers_preprocess_and_tokenize(tmp_path: Path, kind: str) -> None:
    from harness.encode.checks import BatchTimeout

    run = engine(SlowPreparation())
    run.guard.timeout = 1.0
    start = time.monotonic()
    with pytest.raises(BatchTimeout, match="image preprocessing" if kind == "images" else "tokenizing"):
        if kind == "images":
            source = sts17_source(tmp_path)
            run_task(get_task(STS17), run, source, tmp_path / "results", subsets=["en-de"])
        else:
            run.texts(["a", "b"])
    assert time.monotonic() - start < 10


def test_an_image_cell_holding_a_path_reads_only_inside_its_dataset_folder(tmp_path: Path) -> None:
    import datasets
    from PIL import Image

    from harness.data.hub import DatasetInvalid
    from harness.data.records import ImageSource

    folder = tmp_path / "dataset"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (4, 4), (10, 20, 30)).save(folder / "images" / "inside.png")
    Image.new("RGB", (4, 4), (200, 0, 0)).save(tmp_path / "private.png")  # any file of the machine
    outside = str(tmp_path / "private.png")
    paths = ["images/inside.png", str(folder / "images" / "inside.png"), "../private.png", outside]
    data = datasets.Dataset.from_dict({"img": paths}).cast_column("img", datasets.Image())
    run = engine()
    with pytest.raises(DatasetInvalid) as err:
        run.images(ImageSource(data, "paths", "img", roots=(str(folder),)))
    message = str(err.value)
    assert "row 2" in message and "row 3" in message and "outside the dataset's folder" in message
    assert "row 0" not in message and "row 1" not in message
    inside = ImageSource(data, "paths", "img", rows=(0, 1), roots=(str(folder),))
    assert run.images(inside).shape == (2, 6)
