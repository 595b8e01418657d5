// Package pion tests pathdtls against pion/dtls, a Go DTLS stack that
// implements connection IDs (RFC 9146), where OpenSSL 3.0 and GnuTLS 3.7
// do not. It is a module of its own, so that pion/dtls stays a test-only
// dependency: run its tests with "cd tests/pion && go test ./...".
package pion
