#!/usr/bin/env bash
# tools/check_doc_links_test.sh — //tools:doc_links_test: first shows that
# check_doc_links.sh finds dead links (a made-up tree with one of each kind),
# then runs it on the checkout. The checkout is where the README.md in this
# test's runfiles links to; the test is tagged "external" (never cached),
# since the files links point to are not its inputs.
set -uo pipefail

check=tools/check_doc_links.sh
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. A tree with two live links, three dead ones and two that are not links.
fixture=$(mktemp -d "${TEST_TMPDIR:-/tmp}/doc-links.XXXXXX")
mkdir -p "$fixture/docs" "$fixture/src"
touch "$fixture/src/a.h"
cat > "$fixture/docs/x.md" <<'MD'
Live: [a](../src/a.h) and [self](x.md#part), [web](https://example.org/y).
Dead: [gone](../src/b.h), [out](../../elsewhere.md), see `../shared/notes.md`.
```
[in a fence](nowhere.md)
```
Code: `[not a link](nowhere.md)`.
MD
out=$("$check" "$fixture" 2>&1)
rc=$?
[[ $rc -eq 1 ]] || fail "dead links in the fixture: exit $rc, want 1; output: $out"
for want in "docs/x.md:2: ../src/b.h (no such file)" \
            "docs/x.md:2: ../../elsewhere.md (outside the repository)" \
            "docs/x.md:2: ../shared/notes.md (no such file)" \
            "check_doc_links: 5 relative links, 3 dead"; do
  grep -qxF "$want" <<<"$out" || fail "fixture: no line '$want' in: $out"
done
rm -rf "$fixture"

# 2. The checkout.
root=$(dirname "$(readlink -f README.md)")
[[ -f $root/docs/architecture.md ]] || fail "no checkout at $root"
"$check" "$root"
