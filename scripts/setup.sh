#!/usr/bin/env bash
# Sets up a fresh machine for backprop-solver: TeX Live and poppler from Debian's
# packages (only when something is missing), then a virtual environment in .venv with
# the package installed in editable mode. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_tex=0
for cmd in pdflatex latexmk pdftotext pdftoppm kpsewhich; do
  command -v "$cmd" >/dev/null 2>&1 || need_tex=1
done
if [ "$need_tex" = 0 ]; then
  for sty in tikz.sty amsmath.sty booktabs.sty xcolor.sty geometry.sty; do
    kpsewhich "$sty" >/dev/null 2>&1 || need_tex=1
  done
fi
if [ "$need_tex" = 1 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "setup: installing TeX Live and poppler-utils from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    texlive-latex-base texlive-latex-recommended texlive-pictures latexmk poppler-utils >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv --system-site-packages .venv
fi
if ! .venv/bin/python -c "import backprop_solver, numpy, sympy, click, yaml, pytest, hypothesis, nbclient, ipykernel" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.installed ]; then
  echo "setup: installing backprop-solver into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  touch .venv/.installed
fi
# byte-compile the package once: every command starts faster, also where the
# environment sets PYTHONDONTWRITEBYTECODE (Python still reads existing .pyc files)
.venv/bin/python -m compileall -q solver >/dev/null
