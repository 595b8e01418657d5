// Package pion tests pathdtls against pion/dtls, a Go DTLS stack that
// implements connection IDs (RFC 9146), where OpenSSL 3.0 and GnuTLS 3.7
// do not. It is a module of its own, so that pion/dtls stays a test-only
// dependency: run its tests with "cd tests/pion && go test ./...".
//
// # DTLS 1.3
//
// pion/dtls v4 speaks DTLS 1.3 (RFC 9147). peer13_test.go runs it as a
// peer (an echo server, a client), and testdata/dtls13-session-*.json
// hold sessions between two pion v4 peers, each with its datagrams in
// order, its NSS key log and its application data, recorded by
// "go test -run TestCaptureDTLS13 -capture" (see capture13_test.go);
// TestCaptures13WellFormed keeps the files valid.
package pion
