#!/usr/bin/env bash
# .ci/wolfssl.sh: builds wolfSSL's example client and server with DTLS 1.3
# from Debian's source package, for the DTLS 1.3 interoperability tests.
#
#	bash .ci/wolfssl.sh
#
# Debian 12 ships wolfSSL 5.5.4, but its binary packages are configured
# with --enable-distro (which implies --enable-all but not --enable-dtls13)
# and --disable-examples: no DTLS 1.3 and no programs. This script fetches
# the same source (deb-src, from the mirror the machine already uses),
# configures it with the options below and builds only the library and the
# two example programs. It installs them, with the certs/ directory the
# programs look for at start-up, into
#
#	${PATHDTLS_CACHE:-/var/cache/pathdtls}/wolfssl-5.5.4-dtls13/
#
# and does nothing if that directory already holds a build made with the
# same configure line (the stamp file). It needs root, or sudo, only to add
# the deb-src entries and install build tools; CI runs it as root.
set -euo pipefail

VERSION=5.5.4
CACHE=${PATHDTLS_CACHE:-/var/cache/pathdtls}
DEST=$CACHE/wolfssl-$VERSION-dtls13
# Each option exists in 5.5.4's configure.ac. --enable-dtls13 also turns on
# the HRR cookie (WOLFSSL_SEND_HRR_COOKIE), which the server then uses for
# every handshake; --enable-hrrcookie says so explicitly. KeyUpdate needs
# no option. Resumption needs session tickets. The test suite, the wolfCrypt
# tests and benchmarks are not built: make builds only the targets below.
# WOLFSSL_STATIC_PSK adds the DTLS 1.2 PSK suites without (EC)DHE, which
# no configure option enables on its own.
CONFIGURE=(
	--enable-dtls --enable-dtls13 --enable-tls13 --enable-hrrcookie
	--enable-psk --enable-aesccm --enable-chacha --enable-poly1305
	--enable-curve25519 --enable-ed25519 --enable-session-ticket
	--enable-dtlscid --enable-dtls-mtu --enable-sni --enable-alpn
	--enable-keying-material
	--enable-static --disable-shared --disable-crypttests --disable-benchmark
	CPPFLAGS=-DWOLFSSL_STATIC_PSK
)
TARGETS=(examples/client/client examples/server/server)
BUILD_TOOLS=(autoconf automake libtool gcc make dpkg-dev)
BUILD_COMMANDS=(autoreconf automake libtoolize gcc make dpkg-source)
DEB_SRC=/etc/apt/sources.list.d/pathdtls-deb-src.sources

start=$SECONDS
stamp="configure ${CONFIGURE[*]}"
sudo=
((EUID == 0)) || sudo=sudo

cached() {
	[[ -x $DEST/client && -x $DEST/server && -f $DEST/certs/dh2048.pem && -f $DEST/stamp ]] &&
		[[ $(<"$DEST/stamp") == "$stamp" ]]
}

# add_deb_src adds a deb-src entry for each deb entry of Debian's own
# sources file, so that apt-get source uses the same mirror and suites.
add_deb_src() {
	local debian=/etc/apt/sources.list.d/debian.sources
	if [[ -f $debian ]]; then
		sed 's/^Types: deb$/Types: deb-src/' "$debian" | $sudo tee "$DEB_SRC" >/dev/null
	else
		printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
			'Suites: bookworm bookworm-updates' 'Components: main' \
			'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
			$sudo tee "$DEB_SRC" >/dev/null
	fi
	$sudo apt-get update -qq
}

install_build_tools() {
	local cmd
	for cmd in "${BUILD_COMMANDS[@]}"; do
		if ! command -v "$cmd" >/dev/null; then
			echo "installing ${BUILD_TOOLS[*]}"
			$sudo apt-get install -y -qq --no-install-recommends "${BUILD_TOOLS[@]}" >/dev/null
			return
		fi
	done
}

# build runs in a subshell, whose EXIT trap removes the build directory.
build() {
	local src
	work=$(mktemp -d "$CACHE/wolfssl-build.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	cd "$work"
	apt-cache showsrc wolfssl 2>/dev/null | grep -q '^Package: wolfssl' || add_deb_src
	install_build_tools
	# As root, apt warns that it downloads unsandboxed; the log is shown
	# only if the source does not unpack.
	apt-get source wolfssl >source.log 2>&1 || true
	src=$(find . -mindepth 1 -maxdepth 1 -type d -name "wolfssl-$VERSION")
	[[ -n $src ]] || {
		cat source.log
		echo "apt-get source wolfssl did not give wolfssl-$VERSION"
		return 1
	}
	echo "Debian source $(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)"
	cd "$src"
	./autogen.sh >autogen.log 2>&1 || { cat autogen.log; return 1; }
	./configure --quiet "${CONFIGURE[@]}" >configure.log 2>&1 || { cat configure.log; return 1; }
	grep -q '^#define WOLFSSL_DTLS13' wolfssl/options.h || {
		echo "configure did not enable DTLS 1.3"
		return 1
	}
	make -j2 "${TARGETS[@]}" >make.log 2>&1 || { tail -50 make.log; return 1; }

	rm -rf "$work/out"
	mkdir "$work/out"
	cp examples/client/client examples/server/server "$work/out/"
	cp -R certs "$work/out/certs"
	printf 'wolfSSL %s, Debian source %s\n' "$(sed -n 's/^#define LIBWOLFSSL_VERSION_STRING "\(.*\)"/\1/p' wolfssl/version.h)" \
		"$(dpkg-parsechangelog -l debian/changelog -S Version)" >"$work/out/VERSION"
	printf '%s\n' "$stamp" >"$work/out/stamp"
	rm -rf "$DEST"
	mv "$work/out" "$DEST"
}

$sudo mkdir -p "$CACHE"
[[ -w $CACHE ]] || $sudo chown "$(id -u):$(id -g)" "$CACHE"
if cached; then
	echo "cached in $DEST"
else
	(build)
fi
cat "$DEST/VERSION"
echo "client: $DEST/client"
echo "server: $DEST/server"
echo "$stamp"
echo "took $((SECONDS - start))s"
