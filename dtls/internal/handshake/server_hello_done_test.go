package handshake

import "testing"

func TestServerHelloDone(t *testing.T) {
	var m ServerHelloDone
	checkVector(t, &m, func() message { return new(ServerHelloDone) }, []byte{}, nil)
	if m.Unmarshal([]byte{0}) {
		t.Error("Unmarshal accepted a non-empty body")
	}
}
