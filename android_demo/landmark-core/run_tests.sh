#!/usr/bin/env bash
# Compiles the landmark core and its JUnit 4 tests with plain javac (no Gradle, no Android SDK)
# and runs them with org.junit.runner.JUnitCore. Exits non-zero on any failure.
#
# Usage: bash android_demo/landmark-core/run_tests.sh [TestClass ...]
#   GOLDEN_DIR=/path  run GoldenParityTest on that golden folder, and require vectors there
#                     (default: src/test/resources/golden, skipped with a hint when empty)
#   GOLDEN_REQUIRED=true|false  fail (true) or skip (false) when there are no vectors;
#                     default true when GOLDEN_DIR is set, else false
#   MODELS_DIR=/path  the shipped models (default: fld_tf/models or models at the repo root)
#   FACES_FILE=/path.json  real annotated faces for RealFacesTest (tests/test_android_core.py writes it)
#   BUILD_DIR=/path  compile there and keep it (reused while no source changed); default: a temporary folder
#   JUNIT_JARS=a.jar:b.jar  use these JUnit 4 + Hamcrest jars instead of Debian's
# Needs JDK 17 (javac) and Debian's junit4 package (installed here when missing and run as root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jars="${JUNIT_JARS:-/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar}"

missing_jars() {
  local IFS=:
  for jar in $jars; do [[ -f "$jar" ]] || return 0; done
  return 1
}
if missing_jars; then
  if [[ -z "${JUNIT_JARS:-}" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "run_tests.sh: installing Debian's junit4 (JUnit 4 + Hamcrest)" >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq junit4 >/dev/null
  fi
  if missing_jars; then
    echo "run_tests.sh: JUnit jars not found ($jars); apt-get install junit4, or set JUNIT_JARS" >&2
    exit 2
  fi
fi
command -v javac >/dev/null || { echo "run_tests.sh: javac not found (needs JDK 17)" >&2; exit 2; }

if [[ -n "${BUILD_DIR:-}" ]]; then
  build="$BUILD_DIR" # kept between runs; recompiled only when a source is newer than the last build
  mkdir -p "$build"
else
  build="$(mktemp -d "${TMPDIR:-/tmp}/landmark-core.XXXXXX")"
  trap 'rm -rf "$build"' EXIT
fi

mapfile -t main_sources < <(find "$here/src/main/java" -name '*.java' | sort)
mapfile -t test_sources < <(find "$here/src/test/java" -name '*.java' | sort)
if [[ ! -f "$build/.stamp" ]] || [[ -n "$(find "$here/src" -newer "$build/.stamp" -print -quit)" ]]; then
  rm -rf "$build/main" "$build/test"
  javac --release 17 -Xlint:all -Werror -d "$build/main" "${main_sources[@]}"
  javac --release 17 -Xlint:all,-serial -d "$build/test" -cp "$build/main:$jars" "${test_sources[@]}"
  touch "$build/.stamp"
fi

if [[ $# -gt 0 ]]; then
  classes=("${@/#/dev.fldtf.core.}")
else
  mapfile -t classes < <(cd "$here/src/test/java" && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
fi

golden_dir="${GOLDEN_DIR:-$here/src/test/resources/golden}"
golden_required="${GOLDEN_REQUIRED:-$([[ -n "${GOLDEN_DIR:-}" ]] && echo true || echo false)}"
repo="$(cd "$here/../.." && pwd)"
models_dir="${MODELS_DIR:-}"
if [[ -z "$models_dir" ]]; then
  for candidate in "$repo/fld_tf/models" "$repo/models"; do
    if compgen -G "$candidate/*.tflite" >/dev/null; then models_dir="$candidate"; break; fi
  done
fi

# JUnitMain ends with the plain line "landmark-core: N passed, N failed, N skipped".
java "-Dfldtf.golden.dir=$golden_dir" "-Dfldtf.golden.required=$golden_required" \
  "-Dfldtf.models.dir=${models_dir:-$repo/models}" "-Dfldtf.faces.file=${FACES_FILE:-}" \
  -cp "$build/main:$build/test:$here/src/test/resources:$jars" dev.fldtf.core.JUnitMain "${classes[@]}"
