#!/usr/bin/env bash
# Create side virtualenvs with the reference implementation, for the parity checks.
#
#   bash scripts/parity/side_env.sh mteb1 DIR    # mteb 1.39.7 (the loaders behind the published scores)
#   bash scripts/parity/side_env.sh mteb2 DIR    # mteb 2.26.24
#
# Then point the tests at them: MIEB_MTEB1_PYTHON=DIR/bin/python (loader parity, 1.39.7) and
# MIEB_MTEB_PYTHON=DIR/bin/python (score parity and result files, 2.26.24). mteb is never imported
# by mieb itself. The 1.39.7 pins are the ones that make it import today: it needs datasets<4 (it
# runs loading scripts), transformers<4.56 and sentence-transformers<5; the `kernels` package that
# newer transformers pull in breaks its import, so it is removed.
set -euo pipefail
WHICH=${1:?usage: side_env.sh mteb1|mteb2 DIR}
DIR=${2:?usage: side_env.sh mteb1|mteb2 DIR}
PYTHON=${PYTHON:-python3}
"$PYTHON" -m venv "$DIR"
PIP="$DIR/bin/pip"
"$PIP" install -q --upgrade pip
case "$WHICH" in
  mteb1)
    "$PIP" install -q mteb==1.39.7 "datasets<4" torch==2.14.1 torchvision==0.29.1 "transformers<4.56" \
      "sentence-transformers<5" pillow polars
    "$PIP" uninstall -y -q kernels || true
    ;;
  mteb2)
    "$PIP" install -q mteb==2.26.24 torch==2.14.1 torchvision==0.29.1 pillow
    ;;
  *) echo "unknown side environment $WHICH (mteb1 or mteb2)" >&2; exit 2 ;;
esac
"$DIR/bin/python" -c "import mteb; print('mteb', mteb.__version__, 'in $DIR')"
