"""float16 storage of cached embeddings (``--cache-dtype float16``): half the bytes, never mixed with float32."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from harness.catalogue.queries import get_task
from harness.encode.cache import CacheEntryInvalid, EmbeddingCache, entry_problem
from harness.results.store import Provenance
from harness.runner import SettingsChanged, build_engine, provenance_of, run_task
from tests.faults.store_support import STS17, MeanColour, sts17_source

KEY = {"model": "m", "images": "ds@rev/test", "n": 256}


def _embeddings(rows: int = 256, dim: int = 64) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((rows, dim)).astype(np.float32)


def _stored(cache: EmbeddingCache, key: dict) -> np.ndarray:
    return np.load(cache.path_for(key), allow_pickle=False)


def test_a_float16_entry_is_half_the_bytes_and_round_trips_as_float32(tmp_path: Path) -> None:
    array = _embeddings()
    full, half = EmbeddingCache(tmp_path / "32"), EmbeddingCache(tmp_path / "16", storage_dtype="float16")
    full.put(KEY, array)
    half.put(KEY, array)
    payload = array.size * 4
    header = full.path_for(KEY).stat().st_size - payload
    assert half.path_for(KEY).stat().st_size - header == payload // 2
    assert _stored(half, KEY).dtype == np.float16
    served = half.get(KEY)
    assert served.dtype == np.float32  # handed on in the dtype the model computed
    np.testing.assert_array_equal(served, array.astype(np.float16).astype(np.float32))
    assert 0 < np.abs(served - array).max() <= 2**-11 * np.abs(array).max()  # rounded, to float16's precision


def test_an_entry_is_never_served_across_storage_dtypes(tmp_path: Path) -> None:
    full, half = EmbeddingCache(tmp_path), EmbeddingCache(tmp_path, storage_dtype="float16")
    half.put(KEY, _embeddings())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # absent, not discarded: a different key
        assert full.get(KEY) is None
        full.put({**KEY, "images": "other"}, _embeddings())
        assert half.get({**KEY, "images": "other"}) is None
    assert half.path_for(KEY) != full.path_for(KEY)
    assert json.loads(half.path_for(KEY).with_suffix(".json").read_text())["key"]["storage"] == "float16"


def test_a_fresh_encode_gives_the_values_a_later_read_gives(tmp_path: Path) -> None:
    half = EmbeddingCache(tmp_path, storage_dtype="float16")
    array = _embeddings()
    first, hit = half.get_or_compute(KEY, lambda: array)
    again, hit_again = half.get_or_compute(KEY, lambda: pytest.fail("recomputed"))
    assert (hit, hit_again) == (False, True)
    np.testing.assert_array_equal(first, again)  # a resumed run scores what the first one did
    assert first.dtype == again.dtype == np.float32


def test_a_float16_model_output_stays_float16(tmp_path: Path) -> None:
    half = EmbeddingCache(tmp_path, storage_dtype="float16")
    array = _embeddings().astype(np.float16)
    half.put(KEY, array)
    served = half.get(KEY)
    assert served.dtype == np.float16
    np.testing.assert_array_equal(served, array)


def test_the_entry_check_wants_float16_where_the_key_stores_float16() -> None:
    key = {**KEY, "storage": "float16"}
    assert "expected float16" in entry_problem(key, _embeddings())
    assert entry_problem(key, _embeddings().astype(np.float16)) is None
    assert entry_problem(KEY, _embeddings().astype(np.float16)) is None  # fp16 CUDA models, as before


def test_a_float32_payload_under_a_float16_key_is_discarded(tmp_path: Path) -> None:
    half = EmbeddingCache(tmp_path, storage_dtype="float16")
    half.put(KEY, _embeddings())
    full_payload = EmbeddingCache(tmp_path / "elsewhere")
    full_payload.put(KEY, _embeddings())
    path = half.path_for(KEY)
    data = full_payload.path_for(KEY).read_bytes()
    path.write_bytes(data)
    record = json.loads(path.with_suffix(".json").read_text())
    record.update(npy_sha256=hashlib.sha256(data).hexdigest(), npy_bytes=len(data))
    path.with_suffix(".json").write_text(json.dumps(record))
    with pytest.warns(UserWarning, match="expected float16"):
        assert half.get(KEY) is None


def test_values_beyond_float16_are_one_clear_error_not_a_stored_inf(tmp_path: Path) -> None:
    half = EmbeddingCache(tmp_path, storage_dtype="float16")
    array = _embeddings() * 1e5
    with pytest.raises(CacheEntryInvalid, match="--cache-dtype float32"):
        half.get_or_compute(KEY, lambda: array)
    assert not half.path_for(KEY).exists()


def test_the_option_offers_exactly_the_storage_dtypes_the_cache_has() -> None:
    from harness.encode.cache import STORAGE_DTYPES
    from harness.run_options import OPTIONS

    (row,) = [row for row in OPTIONS if row.name == "cache_dtype"]
    assert row.choices == STORAGE_DTYPES
    assert row.default == STORAGE_DTYPES[0] and row.travels and row.changes_scores


def test_an_unknown_storage_dtype_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="float32, float16"):
        EmbeddingCache(tmp_path, storage_dtype="bfloat16")


def test_build_engine_hands_the_storage_dtype_to_the_cache_and_the_provenance(tmp_path: Path) -> None:
    from harness.data.hub import DataSource

    engine = build_engine(MeanColour(), cache_dir=tmp_path, num_workers=0, progress=False, cache_dtype="float16")
    assert engine.cache.storage_dtype == "float16"
    assert provenance_of(engine, DataSource.from_env(tmp_path)).cache_dtype == "float16"
    default = build_engine(MeanColour(), cache_dir=tmp_path, num_workers=0, progress=False)
    assert default.cache.storage_dtype == "float32"


def test_cells_recorded_before_the_option_existed_count_as_float32() -> None:
    old = {"dataset_source": "published", "precision": "fp32", "fast_preprocess": False, "model_revision": "1"}
    assert Provenance("published", "fp32", False, "1").differences(old) == []
    assert Provenance("published", "fp32", False, "1", "float16").differences(old) == [
        "cache_dtype: 'float32' -> 'float16'"
    ]


def test_resume_recomputes_a_task_stored_under_another_storage_dtype(tmp_path: Path) -> None:
    task, source = get_task(STS17), sts17_source(tmp_path / "data")

    def engine(dtype: str):
        return build_engine(
            MeanColour(), cache_dir=tmp_path / "cache", num_workers=0, progress=False, cache_dtype=dtype
        )

    run_task(task, engine("float32"), source, tmp_path / "results", subsets=["en-de"])
    with pytest.warns(SettingsChanged, match="cache_dtype: 'float32' -> 'float16'"):
        again = run_task(task, engine("float16"), source, tmp_path / "results", subsets=["en-de"])
    assert not again.reused
    stored = json.loads(again.path.read_text())
    assert stored["mieb"]["provenance"]["test"]["en-de"]["cache_dtype"] == "float16"
    assert run_task(task, engine("float16"), source, tmp_path / "results", subsets=["en-de"]).reused
    with pytest.warns(SettingsChanged, match="cache_dtype: 'float16' -> 'float32'"):
        assert not run_task(task, engine("float32"), source, tmp_path / "results", subsets=["en-de"]).reused
