#!/bin/bash
# CI: builds the Debian packages from this tree with Debian's tooling (dpkg-buildpackage,
# debhelper's meson build system), checks them with lintian, installs them with apt-get on
# this machine and smoke-tests the INSTALLED programs and files; removes them at the end.
# The test suite runs separately (.ci/run), so the package build skips it (nocheck).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
start=$(date +%s)
step() { echo "== package.sh [$(($(date +%s) - start)) s] $*"; }

step "installing the packaging tools and build dependencies"
$SUDO apt-get install -y --no-install-recommends debhelper dpkg-dev fakeroot lintian \
  xvfb xauth desktop-file-utils appstream man-db bash-completion
$SUDO apt-get build-dep -y --no-install-recommends ./

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Not the package, but cheap here, where build/ exists: ./run.sh on a machine without a
# display says so in one line and classifies a sample with the CLI instead (exit 0).
step "./run.sh without a display"
env -u DISPLAY -u WAYLAND_DISPLAY ./run.sh > "$work/run.out" 2> "$work/run.err" \
  || { cat "$work/run.err"; exit 1; }
grep -q "the window needs a display" "$work/run.err"
grep -q "Ankle boot" "$work/run.out"

# Build from a copy of the tracked tree (a clean source, and the .debs land there, not in
# the parent of the checkout).
src="$work/nondeep-$(dpkg-parsechangelog -S Version)"
mkdir "$src"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$src"

step "dpkg-buildpackage -us -uc -b"
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b)
ls -l "$work"/*.deb

step "lintian"
lintian --fail-on error,warning --info "$work"/*.changes

installed=0
remove() {
  if [ "$installed" = 1 ]; then
    $SUDO apt-get remove -y nondeep nondeep-cli nondeep-data >/dev/null
  fi
  rm -rf "$work"
}
trap remove EXIT
step "apt-get install ./*.deb"
$SUDO apt-get install -y "$work"/nondeep_*.deb "$work"/nondeep-cli_*.deb "$work"/nondeep-data_*.deb
installed=1

# From a directory outside the tree, so nothing can come from the sources or build/.
cd "$work"
for f in /usr/bin/nondeep /usr/bin/nondeep-cli; do
  [ "$(command -v "$(basename "$f")")" = "$f" ] || { echo "$f is not the one on PATH"; exit 1; }
done

step "nondeep-cli eval --limit 100 (installed weights)"
nondeep-cli eval --limit 100 | tee eval.txt
grep -q "parnet-s on Fashion-MNIST test: .* / 100 correct" eval.txt

step "nondeep --screenshot under Xvfb, English and zh_CN"
export GSETTINGS_BACKEND=memory GSK_RENDERER=cairo GDK_DISABLE=vulkan
LANG=C.UTF-8 LANGUAGE= xvfb-run -a -s "-screen 0 1600x1000x24" nondeep --screenshot "$work/en.png"
LANG=zh_CN.UTF-8 LANGUAGE=zh_CN xvfb-run -a -s "-screen 0 1600x1000x24" \
  nondeep --screenshot "$work/zh.png"
for png in en.png zh.png; do
  [ -s "$png" ] && [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
    || { echo "$png is not a PNG"; exit 1; }
done
cmp -s en.png zh.png && { echo "the English and zh_CN screenshots are the same"; exit 1; }
ls -l en.png zh.png
# The installed catalogue, as the installed window loads it.
LANG=zh_CN.UTF-8 LANGUAGE=zh_CN nondeep --help | grep "宽度倍数" >/dev/null

step "desktop-file-validate, appstreamcli validate, the schema"
desktop-file-validate /usr/share/applications/org.nondeep.Explorer.desktop
appstreamcli validate --no-net /usr/share/metainfo/org.nondeep.Explorer.metainfo.xml
gsettings list-keys org.nondeep.Explorer | grep -x fused >/dev/null

step "man pages"
for page in nondeep-cli nondeep; do
  if [ -f "/usr/share/man/man1/$page.1.gz" ]; then
    MANWIDTH=100 man -P cat "$page" > "$page.txt"
  else
    # Minimal images may tell dpkg to skip /usr/share/man: read the page from the package.
    echo "/usr/share/man/man1/$page.1.gz not installed (dpkg path-exclude?); reading the .deb"
    dpkg-deb -x "$work/${page}_"*.deb "$work/x-$page"
    MANWIDTH=100 man -P cat -l "$work/x-$page/usr/share/man/man1/$page.1.gz" > "$page.txt"
  fi
done
for cmd in info run bench verify fuse models inspect eval; do
  grep -q "^   $cmd" nondeep-cli.txt || { echo "man nondeep-cli lacks $cmd"; exit 1; }
done
grep -q -- "--screenshot" nondeep.txt

step "bash completion"
bash -c 'source /usr/share/bash-completion/bash_completion
  _completion_loader nondeep-cli
  complete -p nondeep-cli
  COMP_WORDS=(nondeep-cli run --model parnet-); COMP_CWORD=3; _nondeep_cli
  printf "%s\n" "${COMPREPLY[@]}" | grep -x parnet-s >/dev/null
  COMP_WORDS=(nondeep-cli ev); COMP_CWORD=1; _nondeep_cli
  [ "${COMPREPLY[*]}" = eval ]'

step "done: packages built, lintian-clean, installed and smoke-tested; removing them"
