package handshake

import (
	"strings"
	"testing"
)

func newHelloVerifyRequest() message { return new(HelloVerifyRequest) }

func TestHelloVerifyRequestVectors(t *testing.T) {
	tests := []struct {
		name string
		m    HelloVerifyRequest
		raw  []string
	}{
		{
			"20-byte cookie",
			HelloVerifyRequest{Version: 0xfeff, Cookie: []byte("pathdtls-cookie-0001")},
			[]string{
				"feff", // server_version: DTLS 1.0, as RFC 6347 recommends
				"14 706174686474 6c732d636f6f6b69652d30303031", // cookie
			},
		},
		{
			"empty cookie",
			HelloVerifyRequest{Version: 0xfefd},
			[]string{"fefd", "00"},
		},
		{
			"255-byte cookie",
			HelloVerifyRequest{Version: 0xfefd, Cookie: []byte(strings.Repeat("\x5a", 255))},
			[]string{"fefd", "ff", strings.Repeat("5a", 255)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVector(t, &tt.m, newHelloVerifyRequest, unhex(t, tt.raw...), nil)
		})
	}
}

func TestHelloVerifyRequestMarshalError(t *testing.T) {
	m := HelloVerifyRequest{Version: 0xfefd, Cookie: make([]byte, 256)}
	if _, err := m.Marshal(); err == nil {
		t.Error("Marshal of a 256-byte cookie succeeded")
	}
}

func FuzzHelloVerifyRequest(f *testing.F) {
	addCaptured(f, TypeHelloVerifyRequest)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, newHelloVerifyRequest, b, true)
	})
}
