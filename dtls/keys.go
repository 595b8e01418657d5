package dtls

// Finished labels (RFC 5246 §7.4.9), made once: a label passed to the PRF
// as a []byte converted from a string would be a new slice every time.
var (
	clientFinishedLabel = []byte("client finished")
	serverFinishedLabel = []byte("server finished")
)
