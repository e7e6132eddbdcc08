#!/bin/sh
# test_docs.sh: what the READMEs show as program output is the program's
# output, their links lead somewhere and their command lines use flags that
# exist, so the documentation cannot go stale unnoticed. For every README.md
# in git:
#  (a) the text between "<!-- output: CMD -->" and "<!-- end -->" equals the
#      output of CMD, fence lines aside (the CSV column lists are
#      `qarray run --help-columns`, the architecture keys
#      `qarray run --help-config`);
#  (b) a fenced block right after "<!-- transcript -->" is a shell session:
#      each "$ CMD" line is run and the lines up to the next "$ " must be
#      its output (stdout and stderr), where a line "..." stands for any
#      number of lines. Wall times are masked on both sides (normalize).
#      The commands of one README run in order in one scratch folder that
#      sees the repository's folders, with ./qarray the built binary, so
#      what they write stays out of the tree;
#  (c) every relative link points at a file, and every inline code span
#      that is a path under a top-level folder names an existing file
#      (wildcards allowed);
#  (d) every `qarray COMMAND ...` in code names a command whose --help
#      exits 0 and lists each option the line uses.
# Run from the repository root; uses ./build/qarray.
set -u
# One thread: the transcripts check values, and OpenMP threads spinning on a
# loaded machine only slow them down (tests/run.sh does the same).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
cd "$(dirname "$0")/.." || exit 1
REPO=$(pwd)
Q=$REPO/build/qarray
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
[ -x "$Q" ] || { echo "FAIL: $Q not built"; exit 1; }

docs=$(git ls-files --cached --others --exclude-standard '*README.md')
[ -n "$docs" ] || { echo "FAIL: no README.md in git"; exit 1; }

# A scratch root in which the documented commands run as they would from a
# clone after `make test`: the sources, presets, tests and build through
# symlinks, results/ empty but for the gnuplot scripts.
mkroot() {
    rm -rf "$T/root"
    mkdir -p "$T/root/results"
    for d in arch workloads models quant sim tests; do
        ln -s "$REPO/$d" "$T/root/$d"
    done
    ln -s "$REPO/results/plots" "$T/root/results/plots"
    ln -s "$Q" "$T/root/qarray"
    ln -s "$REPO/build" "$T/root/build"
}

# Timings differ from run to run: wall seconds, and the sweep's summary line.
normalize() {
    sed -e 's/[0-9][0-9.]* s wall/T s wall/g' \
        -e 's/ in [0-9][0-9.]* s, -j [0-9]* -> / in T s, -j J -> /' \
        -e 's/  [0-9]*s  [0-9.]* img\/s  [0-9.]* GFLOP\/s/  Ts  T img\/s  T GFLOP\/s/'
}

# match EXPECTED ACTUAL: every line equal, "..." in EXPECTED matching any
# number of lines of ACTUAL.
match() {
    awk 'FNR == NR { e[++ne] = $0; next } { a[++na] = $0 }
         function m(i, j,    k) {
             if (i > ne) return j > na
             if (e[i] == "...") {
                 for (k = j; k <= na + 1; k++) if (m(i + 1, k)) return 1
                 return 0
             }
             return j <= na && e[i] == a[j] && m(i + 1, j + 1)
         }
         END { exit m(1, 1) ? 0 : 1 }' "$1" "$2"
}

# check LABEL CMD EXPECTED: run CMD in the scratch root, compare.
check() {
    (cd "$T/root" && sh -c "$2") > "$T/actual.raw" 2>&1
    normalize < "$T/actual.raw" > "$T/actual"
    normalize < "$3" > "$T/expected"
    if match "$T/expected" "$T/actual"; then
        echo "ok: $1: $2"
    else
        fail "$1: $2: output differs from the documentation (-doc +program):"
        diff "$T/expected" "$T/actual" | sed -n '1,40p'
    fi
}

for doc in $docs; do
    # (a) and (b): split the README into checks. Each check is a file
    # T/chk/N.cmd (the command), T/chk/N.exp (the documented output) and
    # T/chk/N.at (README:line).
    rm -rf "$T/chk"
    mkdir -p "$T/chk"
    awk -v dir="$T/chk" -v doc="$doc" '
        function start(cmd) { n++; f = dir "/" n; printf "%s", cmd > (f ".cmd")
                              close(f ".cmd"); printf "" > (f ".exp")
                              print doc ":" NR > (f ".at"); close(f ".at") }
        function add(line) { print line >> (f ".exp") }
        function done_() { if (f != "") close(f ".exp"); f = "" }
        /^<!-- output: .* -->$/ {
            c = $0; sub(/^<!-- output: /, "", c); sub(/ -->$/, "", c)
            start(c); mode = "output"; next
        }
        mode == "output" && /^<!-- end -->$/ { done_(); mode = ""; next }
        mode == "output" && /^```/ { next }
        mode == "output" { add($0); next }
        /^<!-- transcript -->$/ { mode = "want_fence"; next }
        mode == "want_fence" && /^```/ { mode = "transcript"; f = ""; cont = 0; next }
        mode == "want_fence" { print doc ":" NR ": <!-- transcript --> without a fenced block"
                               mode = ""; next }
        mode == "transcript" && /^```/ { done_(); mode = ""; next }
        mode == "transcript" && cont {
            c = $0; cont = sub(/\\$/, "", c); printf "\n%s", c >> (f ".cmd"); next
        }
        mode == "transcript" && /^\$ / {
            done_(); c = substr($0, 3); cont = sub(/\\$/, "", c); start(c); next
        }
        mode == "transcript" && f == "" { print doc ":" NR ": output before any \"$ \" line"; next }
        mode == "transcript" { add($0); next }
        END { if (mode != "") print doc ": block not closed" }
    ' "$doc" > "$T/parse.err"
    [ -s "$T/parse.err" ] && fail "$(cat "$T/parse.err")"
    if ls "$T/chk" | grep -q '\.cmd$'; then
        mkroot
        n=1
        while [ -f "$T/chk/$n.cmd" ]; do
            # Continued lines were joined with newlines: one command.
            check "$(cat "$T/chk/$n.at")" "$(tr '\n' ' ' < "$T/chk/$n.cmd")" "$T/chk/$n.exp"
            n=$((n + 1))
        done
    fi

    # (c) links and paths. Code spans and fenced blocks are not links.
    dir=$(dirname "$doc")
    awk '/^```/ { fence = !fence; next } !fence' "$doc" |
        grep -o '\](\([^)]*\))' | sed 's/^](//; s/)$//' | while read -r target; do
        case "$target" in http://*|https://*|mailto:*|'#'*) continue ;; esac
        target=${target%%#*}
        [ -e "$dir/$target" ] || echo "FAIL: $doc: link to $target: no such file"
    done > "$T/links"
    awk '/^```/ { fence = !fence; next }
         !fence { n = split($0, p, "`"); for (i = 2; i <= n; i += 2) print p[i] }' "$doc" |
        grep -E '^(\./)?(arch|workloads|models|quant|sim|tests|results/plots)/[A-Za-z0-9_.*/-]*$' |
        sort -u | while read -r path; do
        # shellcheck disable=SC2086 # the wildcard is meant to expand
        set -- $path
        [ -e "$1" ] || echo "FAIL: $doc: \`$path\`: no such file"
    done >> "$T/links"
    if [ -s "$T/links" ]; then
        cat "$T/links"
        fails=$((fails + $(wc -l < "$T/links")))
    else
        echo "ok: $doc: links and paths"
    fi

    # (d) every qarray command line in code: "cmd option" pairs.
    awk '/^```/ { fence = !fence; next }
         fence { print; next }
         { n = split($0, p, "`"); for (i = 2; i <= n; i += 2) print p[i] }' "$doc" |
    awk '{
        s = $0
        while (match(s, /(^|[ (])(\.\/)?qarray [a-z][a-z-]*/)) {
            rest = substr(s, RSTART + RLENGTH)
            c = substr(s, RSTART, RLENGTH); sub(/^.*qarray /, "", c)
            s = rest
            if (match(rest, /[|;&>#)]/)) rest = substr(rest, 1, RSTART - 1)
            print c
            n = split(rest, w, /[ \t]+/)
            for (i = 1; i <= n; i++) {
                if (w[i] ~ /^--?[A-Za-z]/) { o = w[i]; sub(/=.*/, "", o); print c, o }
            }
        }
    }' | sort -u > "$T/opts"
    while read -r c o; do
        "$Q" "$c" --help > "$T/help" 2>&1 ||
            { fail "$doc: qarray $c --help exits non-zero"; continue; }
        [ -z "${o:-}" ] && continue
        grep -Eq -- "(^|[ ,])$o([ ,=]|\$)" "$T/help" ||
            fail "$doc: qarray $c $o: not an option of qarray $c (--help)"
    done < "$T/opts"
done
[ "$fails" -eq 0 ] && echo "test_docs: every README checked"
[ "$fails" -eq 0 ]
