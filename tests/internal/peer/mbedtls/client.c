/*
 * client.c: dtls_client, a DTLS client on Mbed TLS 2.28 for the pathdtls
 * interoperability tests. See peer.h for its options.
 *
 * It runs the handshake with the server at -connect, answering a
 * HelloVerifyRequest as Mbed TLS does by itself (RFC 6347, Section
 * 4.2.1). Then it sends each line of its standard input, newline
 * included, as one record, and writes each record of application data it
 * receives to standard output. It sends close_notify and exits 0 when its
 * standard input closes, and answers the server's close_notify and exits
 * 0 when the server closes first.
 */
#include "peer.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* readTimeout bounds, in milliseconds, how long mbedtls_ssl_read waits for
 * application data once a datagram has arrived that carried none, such as
 * a retransmission of the server's last flight. */
enum { readTimeout = 100 };

/* send_record sends b as one record. */
static int send_record(mbedtls_ssl_context *ssl, const unsigned char *b, size_t n)
{
	int ret;
	while ((ret = mbedtls_ssl_write(ssl, b, n)) == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ)
		;
	if (ret < 0)
		return print_error("mbedtls_ssl_write", ret);
	if ((size_t)ret != n)
		return print_error("mbedtls_ssl_write: line longer than a record", MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
	return 0;
}

/* close_connection sends close_notify. */
static int close_connection(mbedtls_ssl_context *ssl)
{
	int ret;
	while ((ret = mbedtls_ssl_close_notify(ssl)) == MBEDTLS_ERR_SSL_WANT_WRITE)
		;
	return ret == 0 ? 0 : print_error("mbedtls_ssl_close_notify", ret);
}

/* receive reads what arrived: it returns 0 to go on, 1 once the server has
 * closed the connection, or an error code. */
static int receive(mbedtls_ssl_context *ssl)
{
	unsigned char buf[MBEDTLS_SSL_IN_CONTENT_LEN];
	int n = mbedtls_ssl_read(ssl, buf, sizeof buf);
	switch (n) {
	case MBEDTLS_ERR_SSL_WANT_READ:
	case MBEDTLS_ERR_SSL_WANT_WRITE:
	case MBEDTLS_ERR_SSL_TIMEOUT:
		return 0;
	case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
		printf("peer closed\n");
		fflush(stdout);
		return 1;
	}
	if (n < 0)
		return print_error("mbedtls_ssl_read", n);
	fwrite(buf, 1, (size_t)n, stdout);
	fflush(stdout);
	return 0;
}

/* lines keeps what standard input has given that is not yet sent. */
struct lines {
	unsigned char buf[4096];
	size_t len;
};

/* send_lines reads standard input and sends each complete line; at the
 * end of input it sends what is left. It returns 0 to go on, 1 at the end
 * of input, or an error code. */
static int send_lines(mbedtls_ssl_context *ssl, struct lines *in)
{
	ssize_t n = read(STDIN_FILENO, in->buf + in->len, sizeof in->buf - in->len);
	unsigned char *nl;
	int ret;
	if (n < 0)
		return errno == EINTR ? 0 : print_error("reading standard input", MBEDTLS_ERR_NET_RECV_FAILED);
	if (n == 0)
		return in->len > 0 && (ret = send_record(ssl, in->buf, in->len)) != 0 ? ret : 1;
	in->len += (size_t)n;
	while ((nl = memchr(in->buf, '\n', in->len)) != NULL) {
		size_t line = (size_t)(nl - in->buf) + 1;
		if ((ret = send_record(ssl, in->buf, line)) != 0)
			return ret;
		memmove(in->buf, in->buf + line, in->len - line);
		in->len -= line;
	}
	if (in->len == sizeof in->buf) {
		ret = send_record(ssl, in->buf, in->len);
		in->len = 0;
		return ret;
	}
	return 0;
}

/* talk carries standard input to the server and the server's records to
 * standard output until one side closes. */
static int talk(mbedtls_ssl_context *ssl, int fd)
{
	static struct lines in;
	for (;;) {
		struct pollfd fds[2] = {{fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
		int ret = 0;
		if (mbedtls_ssl_check_pending(ssl)) {
			fds[0].revents = POLLIN;
			fds[1].revents = 0;
		} else if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return print_error("poll", MBEDTLS_ERR_NET_POLL_FAILED);
		}
		if (fds[0].revents != 0 && (ret = receive(ssl)) != 0)
			return ret == 1 ? close_connection(ssl) : ret;
		if (fds[1].revents != 0 && (ret = send_lines(ssl, &in)) != 0)
			return ret == 1 ? close_connection(ssl) : ret;
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct peer p;
	mbedtls_net_context server;
	char host[256], port[16];
	int ret;

	if (parse_options(argc, argv, 0, &o) != 0)
		return 2;
	if (split_addr(o.addr, host, sizeof host, port, sizeof port) != 0) {
		fprintf(stderr, "%s: -connect wants HOST:PORT\n", argv[0]);
		return 2;
	}
	mbedtls_net_init(&server);
	if ((ret = peer_init(&p, &o, MBEDTLS_SSL_IS_CLIENT)) != 0)
		goto out;
	mbedtls_ssl_conf_read_timeout(&p.conf, readTimeout);
	if ((ret = mbedtls_ssl_setup(&p.ssl, &p.conf)) != 0) {
		print_error("mbedtls_ssl_setup", ret);
		goto out;
	}
	if (o.servername != NULL && (ret = mbedtls_ssl_set_hostname(&p.ssl, o.servername)) != 0) {
		print_error("mbedtls_ssl_set_hostname", ret);
		goto out;
	}
	peer_start(&p, &o);
	if ((ret = mbedtls_net_connect(&server, host, port, MBEDTLS_NET_PROTO_UDP)) != 0) {
		print_error("mbedtls_net_connect", ret);
		goto out;
	}
	mbedtls_ssl_set_bio(&p.ssl, &server, mbedtls_net_send, mbedtls_net_recv, mbedtls_net_recv_timeout);
	if ((ret = handshake(&p.ssl)) != 0) {
		print_error("handshake", ret);
		goto out;
	}
	print_done(&p.ssl);
	ret = talk(&p.ssl, server.fd);
out:
	mbedtls_net_free(&server);
	peer_free(&p);
	return ret == 0 ? 0 : 1;
}
