/*
 * common.c: option parsing and Mbed TLS set-up shared by dtls_server and
 * dtls_client. See peer.h.
 */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/debug.h>
#include <mbedtls/error.h>

/* usage prints the options and returns -1. */
static int usage(const char *prog, const char *problem)
{
	fprintf(stderr, "%s: %s\n", prog, problem);
	fprintf(stderr, "usage: %s -accept|-connect HOST:PORT [-dtls1|-dtls1_2] [-cipher NAME]\n"
		"\t[-cert FILE -key FILE] [-CAfile FILE] [-verify] [-servername NAME]\n"
		"\t[-psk HEX -psk_identity ID] [-mtu N] [-debug N]\n", prog);
	return -1;
}

int parse_options(int argc, char **argv, int server, struct options *o)
{
	const char *addr_flag = server ? "-accept" : "-connect";
	memset(o, 0, sizeof *o);
	o->minor = MBEDTLS_SSL_MINOR_VERSION_3;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;
		if (strcmp(a, "-dtls1") == 0) {
			o->minor = MBEDTLS_SSL_MINOR_VERSION_2, takes = 0;
		} else if (strcmp(a, "-dtls1_2") == 0) {
			o->minor = MBEDTLS_SSL_MINOR_VERSION_3, takes = 0;
		} else if (strcmp(a, "-verify") == 0 && server) {
			o->verify = 1, takes = 0;
		} else if (v == NULL) {
			return usage(argv[0], "missing value or unknown option");
		} else if (strcmp(a, addr_flag) == 0) {
			o->addr = v;
		} else if (strcmp(a, "-cipher") == 0) {
			o->cipher = v;
		} else if (strcmp(a, "-cert") == 0) {
			o->cert = v;
		} else if (strcmp(a, "-key") == 0) {
			o->key = v;
		} else if (strcmp(a, "-CAfile") == 0) {
			o->ca = v;
		} else if (strcmp(a, "-servername") == 0 && !server) {
			o->servername = v;
		} else if (strcmp(a, "-psk") == 0) {
			o->psk_hex = v;
		} else if (strcmp(a, "-psk_identity") == 0) {
			o->psk_identity = v;
		} else if (strcmp(a, "-mtu") == 0) {
			o->mtu = atoi(v);
		} else if (strcmp(a, "-debug") == 0) {
			o->debug = atoi(v);
		} else {
			return usage(argv[0], "unknown option");
		}
		i += takes;
	}
	if (o->addr == NULL)
		return usage(argv[0], server ? "-accept is required" : "-connect is required");
	if ((o->cert == NULL) != (o->key == NULL))
		return usage(argv[0], "-cert and -key go together");
	if ((o->psk_hex == NULL) != (o->psk_identity == NULL))
		return usage(argv[0], "-psk and -psk_identity go together");
	if (o->mtu < 0 || o->mtu > 65535)
		return usage(argv[0], "-mtu out of range");
	return 0;
}

int split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t n;
	if (colon == NULL)
		return -1;
	n = (size_t)(colon - addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']')
		h++, n -= 2;
	if (n >= hostlen || strlen(colon + 1) >= portlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

/* debug_line writes one line of Mbed TLS debug output to standard error. */
static void debug_line(void *ctx, int level, const char *file, int line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "debug %d %s:%d: %s", level, file, line, msg);
	fflush(stderr);
}

/* parse_hex decodes hex into out, at most max bytes; -1 if it is not hex. */
static int parse_hex(const char *hex, unsigned char *out, size_t max, size_t *n)
{
	size_t len = strlen(hex);
	if (len % 2 != 0 || len / 2 > max || len == 0)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned int b;
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (unsigned char)b;
	}
	*n = len / 2;
	return 0;
}

/* set_credentials loads the certificates, key and PSK o names into p. */
static int set_credentials(struct peer *p, const struct options *o)
{
	int ret;
	if (o->cert != NULL) {
		if ((ret = mbedtls_x509_crt_parse_file(&p->cert, o->cert)) != 0)
			return print_error("reading -cert", ret);
		if ((ret = mbedtls_pk_parse_keyfile(&p->key, o->key, NULL)) != 0)
			return print_error("reading -key", ret);
		if ((ret = mbedtls_ssl_conf_own_cert(&p->conf, &p->cert, &p->key)) != 0)
			return print_error("mbedtls_ssl_conf_own_cert", ret);
	}
	if (o->ca != NULL) {
		if ((ret = mbedtls_x509_crt_parse_file(&p->ca, o->ca)) != 0)
			return print_error("reading -CAfile", ret);
		mbedtls_ssl_conf_ca_chain(&p->conf, &p->ca, NULL);
	}
	if (o->psk_hex != NULL) {
		size_t n;
		if (parse_hex(o->psk_hex, p->psk, sizeof p->psk, &n) != 0)
			return print_error("-psk is not 1 to 64 bytes in hex", MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
		ret = mbedtls_ssl_conf_psk(&p->conf, p->psk, n, (const unsigned char *)o->psk_identity,
					   strlen(o->psk_identity));
		if (ret != 0)
			return print_error("mbedtls_ssl_conf_psk", ret);
	}
	return 0;
}

/* set_policy sets the version, cipher suite, verification and debug
 * level o asks for. */
static int set_policy(struct peer *p, const struct options *o, int endpoint)
{
	int authmode = MBEDTLS_SSL_VERIFY_NONE;
	mbedtls_ssl_conf_min_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3, o->minor);
	mbedtls_ssl_conf_max_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3, o->minor);
	if (o->cipher != NULL) {
		p->suites[0] = mbedtls_ssl_get_ciphersuite_id(o->cipher);
		if (p->suites[0] == 0)
			return print_error("-cipher names no suite Mbed TLS knows", MBEDTLS_ERR_SSL_BAD_INPUT_DATA);
		p->suites[1] = 0;
		mbedtls_ssl_conf_ciphersuites(&p->conf, p->suites);
	}
	if (endpoint == MBEDTLS_SSL_IS_CLIENT && o->ca != NULL)
		authmode = MBEDTLS_SSL_VERIFY_REQUIRED;
	if (endpoint == MBEDTLS_SSL_IS_SERVER && o->ca != NULL)
		authmode = o->verify ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_OPTIONAL;
	mbedtls_ssl_conf_authmode(&p->conf, authmode);
	mbedtls_ssl_conf_dbg(&p->conf, debug_line, NULL);
	mbedtls_debug_set_threshold(o->debug);
	return 0;
}

int peer_init(struct peer *p, const struct options *o, int endpoint)
{
	static const char personalization[] = "pathdtls mbedtls peer";
	int ret;
	mbedtls_entropy_init(&p->entropy);
	mbedtls_ctr_drbg_init(&p->drbg);
	mbedtls_ssl_config_init(&p->conf);
	mbedtls_ssl_init(&p->ssl);
	mbedtls_x509_crt_init(&p->cert);
	mbedtls_x509_crt_init(&p->ca);
	mbedtls_pk_init(&p->key);
	ret = mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func, &p->entropy,
				    (const unsigned char *)personalization, sizeof personalization - 1);
	if (ret != 0)
		return print_error("mbedtls_ctr_drbg_seed", ret);
	ret = mbedtls_ssl_config_defaults(&p->conf, endpoint, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret != 0)
		return print_error("mbedtls_ssl_config_defaults", ret);
	mbedtls_ssl_conf_rng(&p->conf, mbedtls_ctr_drbg_random, &p->drbg);
	if ((ret = set_credentials(p, o)) != 0 || (ret = set_policy(p, o, endpoint)) != 0)
		return ret;
	return 0;
}

void peer_start(struct peer *p, const struct options *o)
{
	mbedtls_ssl_set_timer_cb(&p->ssl, &p->timer, mbedtls_timing_set_delay, mbedtls_timing_get_delay);
	if (o->mtu > 0)
		mbedtls_ssl_set_mtu(&p->ssl, (uint16_t)o->mtu);
}

void peer_free(struct peer *p)
{
	mbedtls_ssl_free(&p->ssl);
	mbedtls_ssl_config_free(&p->conf);
	mbedtls_pk_free(&p->key);
	mbedtls_x509_crt_free(&p->ca);
	mbedtls_x509_crt_free(&p->cert);
	mbedtls_ctr_drbg_free(&p->drbg);
	mbedtls_entropy_free(&p->entropy);
}

int handshake(mbedtls_ssl_context *ssl)
{
	int ret;
	do {
		ret = mbedtls_ssl_handshake(ssl);
	} while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
	return ret;
}

void print_done(const mbedtls_ssl_context *ssl)
{
	printf("handshake done: %s %s\n", mbedtls_ssl_get_version(ssl), mbedtls_ssl_get_ciphersuite(ssl));
	printf("peer certificate: %s\n", mbedtls_ssl_get_peer_cert(ssl) != NULL ? "yes" : "none");
	fflush(stdout);
}

int print_error(const char *what, int ret)
{
	char msg[200];
	mbedtls_strerror(ret, msg, sizeof msg);
	printf("error: %s: -0x%04x %s\n", what, (unsigned int)-ret, msg);
	fflush(stdout);
	return ret;
}
