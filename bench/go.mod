module github.com/pathdtls/pathdtls/bench

go 1.26.0

require (
	github.com/pathdtls/pathdtls v0.0.0
	github.com/pion/dtls/v3 v3.1.15
	github.com/pion/dtls/v4 v4.0.2
)

require (
	github.com/pion/logging v0.2.4 // indirect
	github.com/pion/transport/v5 v5.1.5 // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/pathdtls/pathdtls => ../
