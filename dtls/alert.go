package dtls

import "strconv"

// An Alert is a TLS alert description (RFC 5246 §7.2). An Alert received from
// the peer or sent to it is returned as an error wrapped in an [*AlertError].
type Alert uint8

// Alert descriptions used by DTLS 1.0 and 1.2 (RFC 5246 §7.2, RFC 4347 §4.1.2.1).
const (
	AlertCloseNotify            Alert = 0
	AlertUnexpectedMessage      Alert = 10
	AlertBadRecordMAC           Alert = 20
	AlertRecordOverflow         Alert = 22
	AlertHandshakeFailure       Alert = 40
	AlertBadCertificate         Alert = 42
	AlertUnsupportedCertificate Alert = 43
	AlertCertificateExpired     Alert = 45
	AlertCertificateUnknown     Alert = 46
	AlertIllegalParameter       Alert = 47
	AlertUnknownCA              Alert = 48
	AlertDecodeError            Alert = 50
	AlertDecryptError           Alert = 51
	AlertProtocolVersion        Alert = 70
	AlertInsufficientSecurity   Alert = 71
	AlertInternalError          Alert = 80
	AlertUserCanceled           Alert = 90
	AlertNoRenegotiation        Alert = 100
	AlertUnsupportedExtension   Alert = 110
	AlertUnknownPSKIdentity     Alert = 115
	AlertCertificateRequired    Alert = 116 // RFC 8446 §6.2, DTLS 1.3 only
	AlertNoApplicationProtocol  Alert = 120 // RFC 7301 §3.2
)

// Alert levels (RFC 5246 §7.2).
const (
	alertLevelWarning = 1
	alertLevelFatal   = 2
)

var alertNames = map[Alert]string{
	AlertCloseNotify:            "close notify",
	AlertUnexpectedMessage:      "unexpected message",
	AlertBadRecordMAC:           "bad record MAC",
	AlertRecordOverflow:         "record overflow",
	AlertHandshakeFailure:       "handshake failure",
	AlertBadCertificate:         "bad certificate",
	AlertUnsupportedCertificate: "unsupported certificate",
	AlertCertificateExpired:     "expired certificate",
	AlertCertificateUnknown:     "unknown certificate",
	AlertIllegalParameter:       "illegal parameter",
	AlertUnknownCA:              "unknown certificate authority",
	AlertDecodeError:            "error decoding message",
	AlertDecryptError:           "error decrypting message",
	AlertProtocolVersion:        "protocol version not supported",
	AlertInsufficientSecurity:   "insufficient security level",
	AlertInternalError:          "internal error",
	AlertUserCanceled:           "user canceled",
	AlertNoRenegotiation:        "no renegotiation",
	AlertUnsupportedExtension:   "unsupported extension",
	AlertUnknownPSKIdentity:     "unknown PSK identity",
	AlertCertificateRequired:    "certificate required",
	AlertNoApplicationProtocol:  "no application protocol",
}

// String returns the alert's name as RFC 5246 spells it, in words.
func (a Alert) String() string {
	if s, ok := alertNames[a]; ok {
		return s
	}
	return "alert(" + strconv.Itoa(int(a)) + ")"
}

// Error makes an Alert usable as the error that caused it to be sent.
func (a Alert) Error() string { return "dtls: " + a.String() }

// An AlertError reports an alert, sent by us (Remote false) or received from
// the peer (Remote true). Fatal alerts end the connection. For an alert we
// sent, Err is the reason we sent it.
type AlertError struct {
	Alert  Alert
	Fatal  bool
	Remote bool
	Err    error
}

func (e *AlertError) Error() string {
	if e.Remote {
		return "dtls: remote error: " + e.Alert.String()
	}
	if e.Err != nil {
		return e.Err.Error() + " (sent alert: " + e.Alert.String() + ")"
	}
	return "dtls: local error: " + e.Alert.String()
}

// Unwrap returns the Alert and the reason, so that both
// errors.Is(err, dtls.AlertHandshakeFailure) and errors.Is(err, reason) work.
func (e *AlertError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Alert}
	}
	return []error{e.Alert, e.Err}
}
