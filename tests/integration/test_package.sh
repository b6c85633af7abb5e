#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package: built by CPack from a /usr-prefixed tree of this source, its control data
# and payload checked, installed into a scratch dpkg root (its postinst makes the ampshare user
# in dialout and enables the unit there), the installed binary finds the installed policy
# directory, the unit passes `systemd-analyze verify`, and remove keeps the edited config while
# purge deletes it. Nothing is installed on the host.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" package
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for tool in dpkg dpkg-deb cpack dpkg-shlibdeps systemd-analyze; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

# A release build with the install prefix a package has (the policy directory is compiled in).
cmake -S "$src" -B "$tmp/build" -DCMAKE_INSTALL_PREFIX=/usr -DAMPSHARE_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMPSHARE_SANITIZE= >"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log"; fail "configure"; }
cmake --build "$tmp/build" -j"$(nproc)" >"$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; fail "build"; }
(cd "$tmp/build" && cpack -G DEB >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack"; }
deb=$(ls "$tmp"/build/ampshare_*_*.deb)
echo "built $(basename "$deb")"

# Control data: name, dependencies found by dpkg-shlibdeps, the conffile and the scripts.
[ "$(dpkg-deb -f "$deb" Package)" = ampshare ] || fail "package name"
deps=$(dpkg-deb -f "$deb" Depends)
for d in libc6 libmodbus5 libserialport0 libinih1; do
    grep -q "$d" <<<"$deps" || fail "Depends lacks $d: $deps"
done
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/ampshare/ampshare.ini "$tmp/control/conffiles" || fail "config is not a conffile"
for s in postinst prerm postrm; do [ -x "$tmp/control/$s" ] || fail "$s missing or not executable"; done

# Payload: everything the install layout promises.
dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/payload"
for f in ./usr/bin/ampshare ./etc/ampshare/ampshare.ini ./lib/systemd/system/ampshare.service \
         ./usr/lib/sysusers.d/ampshare.conf ./usr/include/ampshare/ampshare_policy.h \
         ./usr/include/ampshare/ampshare_policy_rules.h \
         ./usr/share/man/man1/ampshare.1.gz ./usr/share/man/man5/ampshare.ini.5.gz \
         ./usr/share/doc/ampshare/copyright; do
    grep -qx "$f" "$tmp/payload" || fail "payload lacks $f"
done
grep -q '/ampshare/policies/idle_reclaim\.so$' "$tmp/payload" || fail "no policy plugins"
grep -q '/ampshare/policies/fair_cap\.so$' "$tmp/payload" || fail "no example plugin"

# Install into a scratch root; the maintainer scripts run with DPKG_ROOT pointing at it.
root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
dpkg_root() { DPKG_ROOT="$root" dpkg --root="$root" --force-depends --force-script-chrootless \
                  --log=/dev/null "$@"; }
dpkg_root -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "dpkg -i"; }
grep -q '^ampshare:' "$root/etc/passwd" || { cat "$tmp/install.log"; fail "no ampshare user"; }
grep -q '^dialout:.*ampshare' "$root/etc/group" || fail "ampshare is not in dialout"
[ -e "$root/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/ampshare.service" ] ||
    fail "unit not enabled"
"$root/usr/bin/ampshare" --version | grep -q ampshare || fail "installed binary does not run"
if command -v man >/dev/null; then
    man -l "$root/usr/share/man/man1/ampshare.1.gz" >/dev/null 2>&1 || fail "ampshare(1) does not render"
fi

# The installed binary finds a plugin by name in the policy directory it was built for; here
# that directory lives under the scratch root, so the config names it.
pdir=$(dirname "$(find "$root" -name fair_cap.so)")
cp "$root/etc/ampshare/ampshare.ini" "$tmp/site.ini"
sed -i '/^\[policy\]/,$d' "$tmp/site.ini"
printf '[policy]\nname = fair_cap\ndir = %s\n' "$pdir" >>"$tmp/site.ini"
"$root/usr/bin/ampshare" check-config "$tmp/site.ini" >"$tmp/check.log" 2>&1 ||
    { cat "$tmp/check.log"; fail "check-config with a plugin from the policy directory"; }
grep -q "fair_cap" "$tmp/check.log" || { cat "$tmp/check.log"; fail "policy not shown"; }
printf '[policy]\nname = no_such_policy\ndir = %s\n' "$pdir" >"$tmp/bad.ini"
sed -n '1,/^\[policy\]/p' "$tmp/site.ini" | sed '$d' >"$tmp/bad-site.ini"
cat "$tmp/bad.ini" >>"$tmp/bad-site.ini"
if "$root/usr/bin/ampshare" check-config "$tmp/bad-site.ini" >"$tmp/bad.log" 2>&1; then
    fail "an unknown policy name passed"
fi
grep -q "no_such_policy.so" "$tmp/bad.log" || { cat "$tmp/bad.log"; fail "error does not name the plugin path"; }

# The unit as installed (its binary path pointed at the scratch root) passes systemd's verifier.
mkdir -p "$tmp/unit"
sed "s#/usr/bin/ampshare#$root/usr/bin/ampshare#" "$root/lib/systemd/system/ampshare.service" \
    >"$tmp/unit/ampshare.service"
systemd-analyze verify --man=no --recursive-errors=yes "$tmp/unit/ampshare.service" \
    >"$tmp/verify.log" 2>&1 || { cat "$tmp/verify.log"; fail "systemd-analyze verify"; }
systemd-analyze security --offline=yes "$tmp/unit/ampshare.service" 2>&1 | tail -1

# Remove keeps an edited conffile; purge removes it.
echo "; edited" >>"$root/etc/ampshare/ampshare.ini"
dpkg_root -r ampshare >"$tmp/remove.log" 2>&1 || { cat "$tmp/remove.log"; fail "dpkg -r"; }
[ -e "$root/usr/bin/ampshare" ] && fail "binary left after remove"
grep -q "; edited" "$root/etc/ampshare/ampshare.ini" || fail "edited config lost on remove"
dpkg_root --purge ampshare >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; fail "dpkg --purge"; }
[ -e "$root/etc/ampshare/ampshare.ini" ] && fail "config left after purge"
echo "package: ok"
