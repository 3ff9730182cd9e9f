#!/usr/bin/env bash
# Fails (exit 1) when a C++ file tracked by git is not formatted as .clang-format says, and
# lists the files with the command that fixes them. Run by .ci/run after `make test`; locally
# `make format` formats the tree. Uses Debian's clang-format (installed by install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null 2>&1; then
  echo "check-format: clang-format is missing; run scripts/install-deps.sh" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
unformatted=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then unformatted+=("$f"); fi
done
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "check-format: ${#unformatted[@]} of ${#files[@]} C++ files are not formatted ($(clang-format --version)):" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "check-format: run 'make format' (or clang-format -i FILE...) and commit the result" >&2
  exit 1
fi
echo "check-format: all ${#files[@]} C++ files formatted"
