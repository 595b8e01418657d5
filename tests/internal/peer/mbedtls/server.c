/*
 * server.c: dtls_server, a DTLS echo server on Mbed TLS 2.28 for the
 * pathdtls interoperability tests. See peer.h for its options.
 *
 * It binds its UDP socket, prints "listening on HOST:PORT", and serves one
 * client, the first to send it a datagram: a ClientHello without a cookie
 * gets a HelloVerifyRequest (RFC 6347, Section 4.2.1) from the ssl_cookie
 * module; the ClientHello that returns the cookie starts the handshake. Then it writes each record of
 * application data it receives to standard output and sends it back, until
 * the client's close_notify, which it answers before it exits 0.
 */
#include "peer.h"

#include <stdio.h>

#include <mbedtls/ssl_cookie.h>

/* accept_client waits for a client, connects the socket to it and runs
 * the handshake, again on the same socket after each HelloVerifyRequest:
 * the client sends its ClientHello with the cookie from the same address
 * (RFC 6347, Section 4.2.1). */
static int accept_client(struct peer *p, const struct options *o, mbedtls_net_context *listener,
			 mbedtls_net_context *client)
{
	unsigned char ip[16];
	size_t iplen;
	int ret;
	if ((ret = mbedtls_net_accept(listener, client, ip, sizeof ip, &iplen)) != 0)
		return print_error("mbedtls_net_accept", ret);
	for (;;) {
		if ((ret = mbedtls_ssl_session_reset(&p->ssl)) != 0)
			return print_error("mbedtls_ssl_session_reset", ret);
		peer_start(p, o);
		/* The cookie is bound to the client's address. */
		if ((ret = mbedtls_ssl_set_client_transport_id(&p->ssl, ip, iplen)) != 0)
			return print_error("mbedtls_ssl_set_client_transport_id", ret);
		mbedtls_ssl_set_bio(&p->ssl, client, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
		ret = handshake(&p->ssl);
		if (ret != MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED)
			return ret == 0 ? 0 : print_error("handshake", ret);
		printf("sent HelloVerifyRequest\n");
		fflush(stdout);
	}
}

/* echo sends back each record the client sends until it closes. */
static int echo(mbedtls_ssl_context *ssl)
{
	unsigned char buf[MBEDTLS_SSL_IN_CONTENT_LEN];
	for (;;) {
		int n = mbedtls_ssl_read(ssl, buf, sizeof buf);
		if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			int ret;
			printf("peer closed\n");
			fflush(stdout);
			while ((ret = mbedtls_ssl_close_notify(ssl)) == MBEDTLS_ERR_SSL_WANT_WRITE)
				;
			return ret == 0 ? 0 : print_error("mbedtls_ssl_close_notify", ret);
		}
		if (n < 0)
			return print_error("mbedtls_ssl_read", n);
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
		int ret;
		while ((ret = mbedtls_ssl_write(ssl, buf, (size_t)n)) == MBEDTLS_ERR_SSL_WANT_WRITE)
			;
		if (ret < 0)
			return print_error("mbedtls_ssl_write", ret);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct peer p;
	mbedtls_ssl_cookie_ctx cookies;
	mbedtls_net_context listener, client;
	char host[256], port[16];
	int ret;

	if (parse_options(argc, argv, 1, &o) != 0)
		return 2;
	if (split_addr(o.addr, host, sizeof host, port, sizeof port) != 0) {
		fprintf(stderr, "%s: -accept wants HOST:PORT\n", argv[0]);
		return 2;
	}
	mbedtls_net_init(&listener);
	mbedtls_net_init(&client);
	mbedtls_ssl_cookie_init(&cookies);
	if ((ret = peer_init(&p, &o, MBEDTLS_SSL_IS_SERVER)) != 0)
		goto out;
	if ((ret = mbedtls_ssl_cookie_setup(&cookies, mbedtls_ctr_drbg_random, &p.drbg)) != 0) {
		print_error("mbedtls_ssl_cookie_setup", ret);
		goto out;
	}
	mbedtls_ssl_conf_dtls_cookies(&p.conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check, &cookies);
	if ((ret = mbedtls_ssl_setup(&p.ssl, &p.conf)) != 0) {
		print_error("mbedtls_ssl_setup", ret);
		goto out;
	}
	if ((ret = mbedtls_net_bind(&listener, host, port, MBEDTLS_NET_PROTO_UDP)) != 0) {
		print_error("mbedtls_net_bind", ret);
		goto out;
	}
	printf("listening on %s\n", o.addr);
	fflush(stdout);
	if ((ret = accept_client(&p, &o, &listener, &client)) != 0)
		goto out;
	print_done(&p.ssl);
	ret = echo(&p.ssl);
out:
	mbedtls_net_free(&client);
	mbedtls_net_free(&listener);
	mbedtls_ssl_cookie_free(&cookies);
	peer_free(&p);
	return ret == 0 ? 0 : 1;
}
