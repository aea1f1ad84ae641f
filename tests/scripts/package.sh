#!/usr/bin/env bash
# The Debian package, installed as a user would install it. The version must be stated
# consistently (scripts/version-check); the package is built with scripts/package unless
# ANNOTATE_DEB names a .deb already built (ANNOTATE_PACKAGE_PROFILE=debug builds it from the debug
# build the other tests use, which keeps tests/run short). The development install's files (the
# library, the control file, every annotate_ext*.sql) are set aside so that only the package can
# provide them, and `apt-get install ./<deb>` installs it. dpkg must list every file where
# pg_config says PostgreSQL looks, and a fresh cluster of its own, without preloading, must run
# CREATE EXTENSION at Cargo.toml's version on an app database with data and answer a selection
# call and a response call.
# Always, also on failure: the cluster is stopped, the package purged, and the development
# install put back exactly as it was (the library by copy and rename, so that running servers
# are not disturbed); the files are compared with what was there before. dpkg unpacks by
# rename too, so the test runner's cluster, which has the development library mapped, keeps
# running throughout.
set -euo pipefail
cd "$(dirname "$0")/../.."
export USER=${USER:-$(id -un)}
fail() { echo "package: $*" >&2; exit 1; }
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

pkg=postgresql-15-annotate-ext
version=$(sed -n '/^\[package\]/,/^\[/ s/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -1)
libdir=$(pg_config --pkglibdir)
extdir=$(pg_config --sharedir)/extension

# The version the package must carry is stated consistently everywhere.
bash scripts/version-check | sed 's/^/package: /' || fail "the version is not stated consistently (above)"
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
    fail "$pkg is already installed; this test installs and removes it itself (dpkg --purge $pkg first)"
fi

# -- the package --------------------------------------------------------------------------------
if [ -n "${ANNOTATE_DEB:-}" ]; then
    [ -f "$ANNOTATE_DEB" ] || fail "ANNOTATE_DEB=$ANNOTATE_DEB is not a file"
    deb=$(realpath "$ANNOTATE_DEB")
else
    flag=; [ "${ANNOTATE_PACKAGE_PROFILE:-release}" = debug ] && flag=--debug
    log=$(mktemp)
    deb=$(bash scripts/package $flag 2>"$log") || { tail -30 "$log" >&2; rm -f "$log"; fail "scripts/package failed"; }
    rm -f "$log"
fi
[ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] || fail "$deb is not a $pkg package"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] \
    || fail "$deb is version $(dpkg-deb -f "$deb" Version), Cargo.toml says $version"
echo "package: ${deb#"$PWD"/}, Depends: $(dpkg-deb -f "$deb" Depends)"

# -- the development install, set aside -----------------------------------------------------
work=$(mktemp -d)
export ANNOTATE_PGDIR=/tmp/annotate_ext-pkg ANNOTATE_PGPORT=54369 ANNOTATE_PRELOAD=none
dev_files() { ls -d "$libdir"/annotate_ext.so "$extdir"/annotate_ext.control "$extdir"/annotate_ext--*.sql 2>/dev/null || true; }
manifest() { dev_files | while read -r f; do echo "$(stat -c %a "$f") $(md5sum <"$f" | cut -d' ' -f1) $f"; done; }
mkdir -p "$work/saved"
dev_files >"$work/saved.list"
while read -r f; do cp -p "$f" "$work/saved/$(basename "$f")"; done <"$work/saved.list"
manifest >"$work/before"

put_back() {  # the saved development files, each by copy and rename
    local f
    while read -r f; do
        cp -p "$work/saved/$(basename "$f")" "$f.annotate_ext-new" && mv -f "$f.annotate_ext-new" "$f"
    done <"$work/saved.list"
}
cleanup() {
    local rc=$? f sum want known
    set +e
    scripts/cluster stop
    known=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ -n "$known" ] && [[ "$known" != *not-installed ]]; then   # installed, or half so
        # A file that no longer matches the package was installed by someone else meanwhile
        # (scripts/install, by rename): that newer file is the one to put back.
        while read -r sum f; do
            f=/$f
            [ -f "$f" ] || continue
            case "$(basename "$f")" in annotate_ext.so | annotate_ext.control | annotate_ext--*.sql) ;; *) continue ;; esac
            want=$(md5sum <"$f" | cut -d' ' -f1)
            if [ "$want" != "$sum" ]; then
                echo "package: $f changed during the test (a concurrent install); keeping that version" >&2
                cp -p "$f" "$work/saved/$(basename "$f")"
                grep -qxF "$f" "$work/saved.list" || echo "$f" >>"$work/saved.list"
                touch "$work/concurrent"
            fi
        done < <(dpkg-query --control-show "$pkg" md5sums 2>/dev/null)
        dpkg --purge "$pkg" >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; rc=1; }
    fi
    put_back
    manifest >"$work/after"
    if [ ! -e "$work/concurrent" ] && ! diff "$work/before" "$work/after" >&2; then
        echo "package: the development install was not put back as it was (diff above)" >&2
        rc=1
    fi
    case "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" in
        '' | *not-installed) ;;
        *) echo "package: $pkg is still known to dpkg: $(dpkg-query -W -f='${Status}' "$pkg")" >&2; rc=1 ;;
    esac
    [ "$rc" = 0 ] && echo "package: cleaned up: cluster stopped, package purged, development install as before ($(wc -l <"$work/saved.list") files)"
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

# Only the package may provide the extension: the development files go (unlinking is safe for
# servers that have the library mapped).
while read -r f; do rm -f "$f"; done <"$work/saved.list"
[ -z "$(dev_files)" ] || fail "could not remove the development install: $(dev_files)"

# -- install ------------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$deb" >"$work/apt.log" 2>&1 \
    || { tail -30 "$work/apt.log" >&2; fail "apt-get install $deb failed"; }
dpkg-query -W -f='${Status}' "$pkg" | grep -q 'install ok installed' || fail "$pkg is not installed after apt-get install"
listed=$(dpkg -L "$pkg")
expected=("$libdir/annotate_ext.so" "$extdir/annotate_ext.control" "$extdir/annotate_ext--$version.sql")
for f in sql/annotate_ext--*--*.sql; do expected+=("$extdir/$(basename "$f")"); done
for f in "${expected[@]}"; do
    grep -qxF "$f" <<<"$listed" || fail "dpkg -L $pkg does not list $f"
    [ -f "$f" ] || fail "$f is listed but not on disk"
    [ "$(dpkg -S "$f" 2>/dev/null | cut -d: -f1)" = "$pkg" ] || fail "$f is not owned by $pkg"
done
verify=$(dpkg --verify "$pkg" 2>&1) || true
[ -z "$verify" ] || fail "dpkg --verify $pkg: $verify"
[ "$(dev_files | wc -l)" = "${#expected[@]}" ] || fail "unexpected annotate_ext files: $(dev_files | tr '\n' ' ')"
default_version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$extdir/annotate_ext.control")
[ "$default_version" = "$version" ] || fail "installed control file: default_version '$default_version', expected $version"
echo "package: installed; dpkg lists ${#expected[@]} extension files where pg_config looks ($libdir, $extdir); dpkg --verify clean"

# -- a fresh cluster, an app database, the extension --------------------------------------------
scripts/cluster stop   # a leftover of an interrupted run
scripts/cluster start
eval "$(scripts/cluster env)"
db=annotate_pkg
q -d postgres -c "CREATE DATABASE $db"
q -d "$db" -f tests/fixtures/app_schema.sql
scripts/seed S "$db" >/dev/null
q -d "$db" -c 'CREATE EXTENSION annotate_ext'
installed=$(q -d "$db" -c "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'annotate_ext'")
[ "$installed" = "$version" ] || fail "CREATE EXTENSION installed version '$installed', Cargo.toml says $version"
row=$(q -d "$db" -c 'SELECT url_id, url FROM annotate.next_url_for_annotation(1)')
[ -n "$row" ] || fail "next_url_for_annotation(1) returned no URL on a seeded database"
first=${row%%|*}
body_url=$(q -d "$db" -c "SELECT annotate.next_annotation(1)->'next_annotation'->'url_info'->>'url_id'")
[ "$body_url" = "$first" ] || fail "next_annotation(1) answers URL '$body_url', next_url_for_annotation(1) $first"
attached=$(q -d "$db" -c "SELECT annotate.status()->>'attached'")
[ "$attached" = true ] || fail "status() says attached = $attached"
loaded=$(q -d "$db" -c "SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc WHERE probin LIKE '%annotate_ext'")
echo "package: fresh cluster: CREATE EXTENSION annotate_ext -> $installed; next_url_for_annotation(1) -> $row;"
echo "package: next_annotation(1) -> url_id $body_url; status() attached; $loaded functions in annotate_ext.so"
