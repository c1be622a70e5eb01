#!/usr/bin/env bash
# tools/check_doc_links.sh — every relative link in the repository's Markdown
# files must name a file or directory inside the repository, so that the
# links work in a clone.
#
#   tools/check_doc_links.sh [ROOT]   ROOT: default the checkout holding this
#                                     script
#
# Checked, in every *.md under ROOT (not .git or bazel-*), outside fenced code
# blocks: [text](target) and reference definitions "[label]: target" outside
# `code spans`, and code spans that are a path leaving the file's folder
# (`../x/y.md`, a glob in it allowed). Skipped: targets with a scheme (https:, mailto:) and in-page
# anchors (#...); an anchor after a path is dropped. Each dead link is printed
# as FILE:LINE: TARGET (why); the exit status is 1 if there is one, else 0.
set -euo pipefail

root=${1:-$(dirname "$0")/..}
root=$(cd "$root" && pwd -P)

# FILE -> "LINE<TAB>TARGET" for each link.
links() {
  awk '
    /^[ \t]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    {
      line = $0
      rest = line
      while (match(rest, /`\.\.\/[^` \t]+`/)) {
        print NR "\t" substr(rest, RSTART + 1, RLENGTH - 2)
        rest = substr(rest, RSTART + RLENGTH)
      }
      gsub(/`[^`]*`/, "", line)
      if (match(line, /^[ \t]*\[[^]]+\]:[ \t]*[^ \t]+/)) {
        def = substr(line, RSTART, RLENGTH)
        sub(/^[ \t]*\[[^]]+\]:[ \t]*/, "", def)
        print NR "\t" def
      }
      while (match(line, /\]\([^) \t]+/)) {
        print NR "\t" substr(line, RSTART + 2, RLENGTH - 2)
        line = substr(line, RSTART + RLENGTH)
      }
    }' "$1"
}

dead=0
checked=0
while IFS= read -r -d '' md; do
  rel=${md#"$root"/}
  dir=$(dirname "$md")
  while IFS=$'\t' read -r line target; do
    target=${target#<}
    target=${target%>}
    path=${target%%#*}
    [[ -z $path ]] && continue                          # #anchor
    [[ $path =~ ^[A-Za-z][A-Za-z0-9+.-]*: ]] && continue  # https:, mailto:
    checked=$((checked + 1))
    if [[ $path == /* ]]; then
      echo "$rel:$line: $target (an absolute path)"
      dead=$((dead + 1))
      continue
    fi
    resolved=$(realpath -m "$dir/$path")
    if [[ $resolved != "$root" && $resolved != "$root"/* ]]; then
      echo "$rel:$line: $target (outside the repository)"
      dead=$((dead + 1))
    elif [[ $path == *'*'* ]] && compgen -G "$dir/$path" >/dev/null; then
      :
    elif [[ ! -e $resolved ]]; then
      echo "$rel:$line: $target (no such file)"
      dead=$((dead + 1))
    fi
  done < <(links "$md")
done < <(find "$root" \( -name .git -o -name 'bazel-*' \) -prune -o \
              -name '*.md' -type f -print0 | sort -z)

echo "check_doc_links: $checked relative links, $dead dead" >&2
[[ $dead -eq 0 ]]
