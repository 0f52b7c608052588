# Sourced by the compare scripts (needs $python): checks that PyTorch is installed and pins it to OpenBLAS.

# require_torch WHO MODULE: stop with the install line unless $python can import MODULE.
require_torch() {
  if ! "$python" -c "import $2" 2>/dev/null; then
    echo "$1: $python cannot import $2; install Debian's python3-torch and libopenblas0-openmp:" >&2
    echo "  apt-get install -y python3-torch libopenblas0-openmp" >&2
    exit 1
  fi
}

# pin_openblas: put the openblas-openmp libblas first for this run (no root needed; update-alternatives does it
# system-wide). OPENBLAS_DIR overrides where it is.
pin_openblas() {
  local multiarch openblas_dir
  multiarch="$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("MULTIARCH") or "")')"
  openblas_dir="${OPENBLAS_DIR:-/usr/lib/$multiarch/openblas-openmp}"
  if [[ -f "$openblas_dir/libblas.so.3" ]]; then
    export LD_LIBRARY_PATH="$openblas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  export PYTHONDONTWRITEBYTECODE=1
}
