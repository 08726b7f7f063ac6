#!/usr/bin/env bash
# Score parity between mieb and the reference mteb on tiny local datasets (no hub, ~1 minute).
#
#   bash scripts/parity/run.sh /path/to/mteb/python [WORKDIR]
#
# /path/to/mteb/python: an interpreter with mteb 2.26.24 and pillow installed (a scratch venv,
# e.g. `python -m venv .mteb-venv && .mteb-venv/bin/pip install mteb==2.26.24 pillow`);
# mteb is never imported by mieb itself. mieb runs with the repository's .venv (or $MIEB_PYTHON).
# WORKDIR (default: a fresh temporary folder) receives the datasets, both score files and a
# private datasets cache. Exit status 1 when any metric differs at all (PARITY_TOL=1e-6 loosens it)
# or is missing, in either pass (float32 and float16 embeddings).
#
# Steps: build_datasets.py (mieb venv) writes every task's data under both its mieb path and its
# mteb path; run_mieb.py scores them with harness.runner.run_task; run_mteb.py scores them with
# mteb.evaluate on mteb's own task objects pointed at the local folders; compare.py diffs them.
# Both sides embed with parity_encoder.py (numpy + PIL, deterministic).
#
# Wall time vs mteb (CIFAR10 trio, random ViT-B/32 CLIP, local data; a few minutes on 2 CPUs):
#   .venv/bin/python scripts/parity/time_vs_mteb.py /path/to/mteb/python [WORKDIR]
set -euo pipefail
MTEB_PYTHON=${1:?usage: run.sh /path/to/mteb/python [WORKDIR]}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
MIEB_PYTHON=${MIEB_PYTHON:-$REPO/.venv/bin/python}
WORK=${2:-$(mktemp -d /tmp/mieb-parity.XXXXXX)}
mkdir -p "$WORK"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONWARNINGS=ignore
export TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -rf "$WORK/hf-cache-mieb" "$WORK/hf-cache-mteb"

echo "== building datasets in $WORK/data"
HF_DATASETS_CACHE="$WORK/hf-cache-mieb" "$MIEB_PYTHON" "$HERE/build_datasets.py" "$WORK/data"
status=0
# Two passes: float32 embeddings, then float16 ones (what mteb's wrappers return under CUDA
# autocast; scikit-learn then computes STS distances, k-means and the linear probe in float64).
for DTYPE in float32 float16; do
  export MIEB_PARITY_DTYPE=$DTYPE
  echo "== mieb ($DTYPE embeddings)"
  (cd "$REPO" && HF_DATASETS_CACHE="$WORK/hf-cache-mieb" "$MIEB_PYTHON" "$HERE/run_mieb.py" "$WORK/data" "$WORK/mieb-$DTYPE.json")
  echo "== mteb $("$MTEB_PYTHON" -c 'import mteb; print(mteb.__version__)' 2>/dev/null) ($DTYPE embeddings)"
  # run from a neutral folder so nothing in the repository shadows mteb's imports
  (cd "$WORK" && HF_DATASETS_CACHE="$WORK/hf-cache-mteb" "$MTEB_PYTHON" "$HERE/run_mteb.py" "$WORK/data" "$WORK/mteb-$DTYPE.json" 2>&1 \
    | grep -v -e "superseded" -e "check_if_dataset_is_superseded" -e "_warn_prf" || true)
  test -s "$WORK/mteb-$DTYPE.json" || { echo "mteb run failed" >&2; exit 2; }
  echo "== compare (mteb vs mieb, $DTYPE embeddings)"
  python3 "$HERE/compare.py" "$WORK/mteb-$DTYPE.json" "$WORK/mieb-$DTYPE.json" --tol "${PARITY_TOL:-0}" || status=1
done
exit $status
