package transport

import "github.com/pathdtls/pathdtls/dtls"

// A Conn is a DTLS association over UDP, returned by [Dial] and
// [Listener.Accept]. It is a [dtls.Conn]: one Write sends one record in one
// datagram, and one Read returns the data of one record.
type Conn struct {
	*dtls.Conn
}
