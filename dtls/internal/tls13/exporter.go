package tls13

import (
	"crypto"
	"errors"
)

// labelExporter is the inner label of the exporter (RFC 8446, Section 7.5).
const labelExporter = "exporter"

var (
	errExporterLabel  = errors.New("dtls: exporter label too long")
	errExporterLength = errors.New("dtls: exporter length out of range")
	errExporterHash   = errors.New("dtls: exporter hash not available")
)

// ExportKeyingMaterial returns length bytes of keying material for label
// and context (RFC 8446, Section 7.5; RFC 5705 for the API):
//
//	TLS-Exporter(label, context_value, key_length) =
//	    HKDF-Expand-Label(Derive-Secret(Secret, label, ""),
//	                      "exporter", Hash(context_value), key_length)
//
// Secret is the exporter master secret (MasterSecret.ExporterMasterSecret),
// or the early exporter master secret for 0-RTT. In DTLS 1.3 both
// HKDF-Expand-Label steps take the "dtls13" prefix (RFC 9147, Section 5.9):
// the application's label is expanded as "dtls13" + label, so the output
// differs from that of TLS 1.3 for the same secret. A nil context and an
// empty one are the same (TLS 1.3 does not tell them apart). The label may
// be at most 249 bytes and length at most 255 times the hash size.
func ExportKeyingMaterial(h crypto.Hash, exporterMaster []byte, label string, context []byte, length int) ([]byte, error) {
	switch {
	case !h.Available():
		return nil, errExporterHash
	case len(labelPrefix)+len(label) > maxLabel:
		return nil, errExporterLabel
	case length < 0 || length > maxLength || length > 255*h.Size():
		return nil, errExporterLength
	}
	secret := DeriveSecret(h, exporterMaster, label, EmptyHash(h))
	hc := h.New()
	hc.Write(context)
	out := ExpandLabel(h, secret, labelExporter, hc.Sum(nil), length)
	if out == nil {
		return nil, errExporterLength
	}
	return out, nil
}
