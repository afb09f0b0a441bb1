#!/usr/bin/env bash
# Make sure the system packages the notebooks need are present:
#   - Graphviz (`dot`), which keras.utils.plot_model draws with;
#   - Debian's dataset-fashion-mnist, the full dataset, read offline.
# Installs them with apt-get when run as root or with password-less sudo;
# otherwise stops and names exactly what to install.
set -euo pipefail

need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
[ -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] || need+=(dataset-fashion-mnist)

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: graphviz and dataset-fashion-mnist are present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  sudo=none
fi

if [ "${sudo[*]}" = none ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them, then run make again:" >&2
  echo "  Debian/Ubuntu: sudo apt-get install ${need[*]}" >&2
  echo "  macOS/Windows: use the conda route in README.md (it brings Graphviz); get the" >&2
  echo "  dataset with keras.datasets.fashion_mnist.load_data() once while online," >&2
  echo "  or set FASHION_MNIST_DIR to a folder holding the four .gz files." >&2
  exit 1
fi

echo "system packages: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
