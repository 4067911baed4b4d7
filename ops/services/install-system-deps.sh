#!/usr/bin/env bash
# System packages the test suite needs (Debian/Ubuntu): Chromium for the
# browser tests, Redis and PostgreSQL for stage 2 of `make test`, a font so
# pages render the same everywhere.
#
# As root: installs whatever is missing with apt-get. Otherwise: prints what to
# install; exits 0 when everything is present, 1 when something is missing.
set -euo pipefail

# slapd and ldap-utils: the LDAP sign-in tests start their own slapd; libldap2-dev and
# libsasl2-dev: pip builds python-ldap (django-auth-ldap) from source; gettext: makemessages
# and compilemessages when translations change (the compiled .mo files are committed);
# iproute2 and strace: the no-egress test (tests/system/test_egress.py) runs Enclave in a
# network namespace and traces its connections (unshare and mount come with util-linux);
# cmake, ninja-build and g++: `make llama-server` builds llama.cpp's server for the llm tests;
# stress-ng: CI runs stage 2 beside a CPU hog (Makefile, CPU_HOG);
# tesseract-ocr with its English and Portuguese data: OCR of scanned PDFs and images
# (retrieval/parsing/ocr.py) and its tests; samba: the SMB connector tests start their own smbd.
PACKAGES=(chromium redis-server postgresql fonts-dejavu-core slapd ldap-utils libldap2-dev libsasl2-dev gettext
          iproute2 strace cmake ninja-build g++ stress-ng tesseract-ocr tesseract-ocr-eng tesseract-ocr-por
          samba)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! command -v dpkg-query >/dev/null; then
    echo "install-system-deps: not a Debian system; install yourself: ${PACKAGES[*]}" >&2
    # Accept a non-Debian machine that already has the programs.
    for cmd in chromium redis-server pg_ctl; do
        command -v "$cmd" >/dev/null || ls /usr/lib/postgresql/*/bin/"$cmd" >/dev/null 2>&1 || exit 1
    done
    exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-system-deps: all present (${PACKAGES[*]})"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "install-system-deps: missing system packages: ${missing[*]}" >&2
    echo "install-system-deps: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${missing[@]}"
