#!/bin/sh
# Regenerates openssl-dtls13.txt: the DTLS 1.3 key schedule (label prefix
# "dtls13", RFC 9147, Section 5.9) over the inputs of RFC 8448, Section 3,
# computed with OpenSSL 3's HKDF and TLS13-KDF rather than with our code, for
# SHA-256 and SHA-384. The transcript hashes are taken with "openssl dgst"
# over the messages of rfc8448.txt. Run from this directory:
#
#	sh openssl-dtls13.sh > openssl-dtls13.txt
set -eu

hex() { tr -d ':\n' | tr 'A-F' 'a-f'; }

# expand DIGEST SECRET LABEL CONTEXT LENGTH: HKDF-Expand-Label with "dtls13".
expand() {
	openssl kdf -keylen "$5" -kdfopt digest:"$1" -kdfopt mode:EXPAND_ONLY \
		-kdfopt hexkey:"$2" -kdfopt prefix:dtls13 -kdfopt label:"$3" \
		-kdfopt hexdata:"$4" TLS13-KDF | hex
}

# extract DIGEST SALT IKM: HKDF-Extract.
extract() {
	openssl kdf -keylen "$4" -kdfopt digest:"$1" -kdfopt mode:EXTRACT_ONLY \
		-kdfopt hexsalt:"$2" -kdfopt hexkey:"$3" HKDF | hex
}

# msg NAME: the hex of the Section 3 message NAME in rfc8448.txt.
msg() {
	awk -v name="$1" '
		/^\[/ { sec = $0; next }
		sec != "[3]" { next }
		/^[^ #]/ { on = (index($0, name ": ") == 1); if (on) { sub(/^[^:]*: /, ""); printf "%s", $0 }; next }
		on && /^ / { printf "%s", $0 }
	' rfc8448.txt | tr -d ' '
}

# transcript DIGEST NAME...: the hash of the messages, as hex.
transcript() {
	d=$1
	shift
	for m in "$@"; do msg "$m"; done | xxd -r -p | openssl dgst -"$d" -r | cut -d' ' -f1
}

# hmac DIGEST KEY DATA: HMAC, as hex.
hmac() {
	printf '%s' "$3" | xxd -r -p | openssl mac -digest "$1" -macopt hexkey:"$2" HMAC | tr 'A-F' 'a-f'
}

ecdhe=8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d

for d in SHA256 SHA384; do
	case $d in
	SHA256) n=32 keylen=16 ;;
	SHA384) n=48 keylen=32 ;;
	esac
	dg=$(echo $d | tr 'A-Z' 'a-z')
	empty=$(printf '' | openssl dgst -"$dg" -r | cut -d' ' -f1)
	hello=$(transcript $dg ClientHello ServerHello)
	cv=$(transcript $dg ClientHello ServerHello EncryptedExtensions Certificate CertificateVerify)
	sfin=$(transcript $dg ClientHello ServerHello EncryptedExtensions Certificate CertificateVerify "server Finished")
	cfin=$(transcript $dg ClientHello ServerHello EncryptedExtensions Certificate CertificateVerify "server Finished" "client Finished")
	zeros=$(head -c "$n" /dev/zero | od -An -v -tx1 | tr -d ' \n')
	early=$(extract $d "" "$zeros" $n)
	derived=$(expand $d "$early" derived "$empty" $n)
	hs=$(extract $d "$derived" "$ecdhe" $n)
	chs=$(expand $d "$hs" "c hs traffic" "$hello" $n)
	shs=$(expand $d "$hs" "s hs traffic" "$hello" $n)
	derived2=$(expand $d "$hs" derived "$empty" $n)
	master=$(extract $d "$derived2" "$zeros" $n)
	cap=$(expand $d "$master" "c ap traffic" "$sfin" $n)
	sap=$(expand $d "$master" "s ap traffic" "$sfin" $n)
	exp=$(expand $d "$master" "exp master" "$sfin" $n)
	res=$(expand $d "$master" "res master" "$cfin" $n)
	echo "[$d]"
	echo "hello hash: $hello"
	echo "certificate verify hash: $cv"
	echo "server finished hash: $sfin"
	echo "client finished hash: $cfin"
	echo "early: $early"
	echo "handshake: $hs"
	echo "c hs traffic: $chs"
	echo "s hs traffic: $shs"
	echo "master: $master"
	echo "c ap traffic: $cap"
	echo "s ap traffic: $sap"
	echo "exp master: $exp"
	echo "res master: $res"
	echo "s hs key: $(expand $d "$shs" key "" $keylen)"
	echo "s hs iv: $(expand $d "$shs" iv "" 12)"
	echo "s hs sn: $(expand $d "$shs" sn "" $keylen)"
	sfk=$(expand $d "$shs" finished "" $n)
	echo "s finished key: $sfk"
	echo "s finished: $(hmac $d "$sfk" "$cv")"
	em=$(expand $d "$exp" EXPERIMENTAL-pathdtls "$empty" $n)
	ctx=$(printf 'context' | openssl dgst -"$dg" -r | cut -d' ' -f1)
	echo "exporter: $(expand $d "$em" exporter "$ctx" 42)"
	echo "s ap traffic 1: $(expand $d "$sap" "traffic upd" "" $n)"
	echo "resumption psk: $(expand $d "$res" resumption 0000 $n)"
	echo
done
