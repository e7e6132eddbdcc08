#!/bin/sh
# deps_check.sh: the include graph of qarray's C and C++ sources is a DAG
# that follows the folder rule of shared/STYLE.md (who may include whom),
# and no C header includes SystemC. Run by `make deps-check` inside
# `make test`; prints each offending #include and exits 1, or "include graph
# ok" and exits 0.
#
# A folder may include itself and the folders listed for it here; nothing
# includes sim/cli (tests may include anything).
set -u
cd "$(dirname "$0")/.."

allowed() {
    case "$1" in
    arch)        echo "arch" ;;
    workloads)   echo "arch workloads" ;;
    quant)       echo "arch workloads quant" ;;
    quant/train) echo "arch workloads quant quant/train" ;;
    quant/int)   echo "arch workloads quant quant/train quant/int" ;;
    models)      echo "arch workloads models" ;;
    sim/engine)  echo "arch workloads quant quant/train quant/int models sim/engine" ;;
    sim/report)  echo "arch workloads quant quant/train quant/int models sim/engine sim/report" ;;
    sim/study)   echo "arch workloads quant quant/train quant/int models sim/engine sim/report sim/study" ;;
    sim/cli)     echo "arch workloads quant quant/train quant/int models sim/engine sim/report sim/study sim/cli" ;;
    *)           echo "" ;;
    esac
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in $(git ls-files 'arch/*.[ch]' 'workloads/*.[ch]' 'models/*.[ch]' \
                         'quant/*.[ch]' 'sim/*.[ch]' 'sim/*.cc' 'sim/*.hh'); do
    dir=$(dirname "$f")
    ok=$(allowed "$dir")
    if [ -z "$ok" ]; then
        echo "deps-check: $f: folder $dir is not in the rule table (tests/deps_check.sh)"
        bad=1
        continue
    fi
    # Every quoted include is a path from the top of the tree.
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        idir=$(dirname "$inc")
        case " $ok " in
        *" $idir "*) ;;
        *) echo "deps-check: $f includes $inc ($dir may not include $idir)"; bad=1 ;;
        esac
        echo "$f $inc" >> "$edges"
    done
    case "$f" in
    *.h)
        if grep -q '#[[:space:]]*include[[:space:]]*<\(systemc\|tlm\)' "$f"; then
            echo "deps-check: $f: a C header includes SystemC"
            bad=1
        fi ;;
    esac
done
# The file graph itself must have no cycle (tsort reports one on stderr).
if ! tsort "$edges" > /dev/null 2> "$edges.err"; then
    cat "$edges.err"
    bad=1
fi
if [ -s "$edges.err" ]; then
    echo "deps-check: the include graph has a cycle:"
    cat "$edges.err"
    bad=1
fi
rm -f "$edges.err"
[ "$bad" = 0 ] && echo "include graph ok"
exit "$bad"
