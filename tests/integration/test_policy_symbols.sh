#!/usr/bin/env bash
# Every built policy plugin exports exactly one symbol, ampshare_policy_entry, and holds no
# writable data symbol (STYLE §2.7: a policy's state lives behind the pointer init returns, so
# two instances never share anything). The check is first shown to catch a plugin with a global.
set -euo pipefail
command -v nm >/dev/null || { echo "nm not found"; exit 77; }
dir="${AMPSHARE_BUILD:?}/policies"

# Toolchain symbols every shared object has, and sections that are read-only once relocated.
allow='^(completed\.0|__dso_handle|__TMC_END__|_GLOBAL_OFFSET_TABLE_|_DYNAMIC|__frame_dummy_init_array_entry|__do_global_dtors_aux_fini_array_entry)$'

# Prints one line per problem in plugin $1; returns 1 if there is any.
check() {
    local so=$1 bad=0 exports writable
    exports=$(nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | sort | tr '\n' ' ')
    if [ "$exports" != "ampshare_policy_entry " ]; then
        echo "$so: exports '$exports' (only ampshare_policy_entry is allowed)"
        bad=1
    fi
    writable=$(nm --format=sysv --defined-only "$so" | awk -F'|' -v allow="$allow" '
        { for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i) }
        $3 ~ /^[bBdD]$/ && $7 !~ /^\.(data\.rel\.ro|init_array|fini_array|dynamic|got|got\.plt)$/ &&
        $1 !~ allow && $1 !~ /^(__asan|__odr_asan|\.L)/ { print $1 " in " $7 }')
    if [ -n "$writable" ]; then
        echo "$so: writable data symbols:"
        echo "$writable" | sed 's/^/    /'
        bad=1
    fi
    return $bad
}

# The check must be able to fail: a plugin with a global counter is refused.
cc=${CC:-cc}
if command -v "$cc" >/dev/null; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cat >"$tmp/global.c" <<'SRC'
static int calls;
__attribute__((visibility("default"))) const void *ampshare_policy_entry(unsigned short a, unsigned short b)
{
    calls += a + b;
    return &calls;
}
SRC
    "$cc" -shared -fPIC -fvisibility=hidden -O1 -o "$tmp/global.so" "$tmp/global.c"
    if check "$tmp/global.so" >/dev/null; then
        echo "self-test: a plugin with a writable global passed the check"
        exit 1
    fi
fi

shopt -s nullglob
plugins=("$dir"/*.so)
if [ ${#plugins[@]} -lt 7 ]; then
    echo "expected the 6 built-in plugins and the example in $dir, found ${#plugins[@]}"
    exit 1
fi
fail=0
for so in "${plugins[@]}"; do
    if check "$so"; then
        echo "ok: $(basename "$so")"
    else
        fail=1
    fi
done
exit $fail
