/*
 * peer.h: what the pathdtls test peers built on Mbed TLS 2.28 share.
 *
 * dtls_server and dtls_client are small DTLS programs written for the
 * pathdtls interoperability tests against the Mbed TLS 2.28 API (the
 * Debian package libmbedtls-dev). They take openssl-style options:
 *
 *   -accept HOST:PORT     server: the address to listen on
 *   -connect HOST:PORT    client: the server's address
 *   -dtls1 | -dtls1_2     the only protocol version spoken (default 1.2)
 *   -cipher NAME          the only cipher suite, by its Mbed TLS name
 *                         (TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256)
 *   -cert FILE -key FILE  our certificate chain (leaf first) and key, PEM
 *   -CAfile FILE          the roots that verify the peer's certificate:
 *                         a client then requires a valid server
 *                         certificate, a server asks for a client one
 *   -verify               server: require a client certificate
 *   -servername NAME      client: the name the server certificate must
 *                         carry, also sent in server_name
 *   -psk HEX -psk_identity ID
 *                         a pre-shared key and its identity (RFC 4279)
 *   -mtu N                the largest datagram we send, UDP payload bytes
 *                         (mbedtls_ssl_set_mtu): handshake messages are
 *                         fragmented to fit
 *   -debug N              Mbed TLS debug level 0-4, on standard error
 *
 * Both print "handshake done: VERSION SUITE" once the handshake is
 * complete, and write every record of application data they receive to
 * standard output as it is. The server serves one connection, echoing
 * each record back, and exits once the client closes it. The client
 * sends each line of its standard input as one record, and sends
 * close_notify and exits when standard input closes or when the server
 * closes the connection. A failure prints "error: ..." and exits 1.
 */
#ifndef PATHDTLS_MBEDTLS_PEER_H
#define PATHDTLS_MBEDTLS_PEER_H

#include <stddef.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/timing.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#if MBEDTLS_VERSION_MAJOR != 2
#error "the pathdtls Mbed TLS peers are written for the Mbed TLS 2.x API"
#endif

#define MAX_PSK_LEN 64

/* options holds the command line. */
struct options {
	const char *addr; /* -accept or -connect */
	const char *cert, *key, *ca;
	const char *servername;
	const char *psk_hex, *psk_identity;
	const char *cipher;
	int minor; /* the TLS minor version: 3 for DTLS 1.2, 2 for DTLS 1.0 */
	int verify;
	int mtu;
	int debug;
};

/* peer holds every Mbed TLS object of one program. */
struct peer {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_x509_crt cert, ca;
	mbedtls_pk_context key;
	mbedtls_timing_delay_context timer;
	unsigned char psk[MAX_PSK_LEN];
	int suites[2];
};

/* parse_options fills o from the command line; it returns 0, or prints
 * the problem and returns -1. */
int parse_options(int argc, char **argv, int server, struct options *o);

/* split_addr splits HOST:PORT, or [HOST]:PORT, into its two parts. */
int split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen);

/* peer_init sets p up for the endpoint (MBEDTLS_SSL_IS_CLIENT or
 * MBEDTLS_SSL_IS_SERVER) as o asks, up to and including
 * mbedtls_ssl_setup; the caller sets the bio. It returns 0 or an
 * Mbed TLS error code, having printed it. */
int peer_init(struct peer *p, const struct options *o, int endpoint);

/* peer_free frees what peer_init set up. */
void peer_free(struct peer *p);

/* peer_start sets the MTU and the timer of p's context, which must be
 * done again after mbedtls_ssl_session_reset. */
void peer_start(struct peer *p, const struct options *o);

/* handshake runs the handshake to completion or failure and returns
 * what mbedtls_ssl_handshake last returned. */
int handshake(mbedtls_ssl_context *ssl);

/* print_done prints the "handshake done" line. */
void print_done(const mbedtls_ssl_context *ssl);

/* print_error prints "error: WHAT: CODE DESCRIPTION" and returns ret. */
int print_error(const char *what, int ret);

#endif
