/* sk-test-nginx.h: a real nginx on loopback for tests that fetch over http.
 *
 * Everything lives under the test's @root: nginx.conf, the logs
 * (access.log, one line a request: "uri|status|range|if-range|
 * if-none-match|bytes"; error.log), its temp paths under tmp/ and the
 * files it serves under www/. It listens on a free loopback port (kept
 * across restarts; a first start moves to another when the one picked is
 * taken before nginx binds it), runs in the foreground and is stopped by
 * its process id; if the test dies, so does its nginx. Every wait is
 * bounded (and stretched by SK_TEST_TIME_FACTOR). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char *program; /* the nginx binary, NULL when there is none */
  char *root;
  GPid pid; /* 0 when not running */
  guint16 port;
} SkTestNginx;

/* Finds nginx and creates @root/www and @root/tmp (@root made readable
 * for nginx's unprivileged worker); FALSE, and nothing made, when nginx
 * is not installed. */
gboolean sk_test_nginx_init (SkTestNginx *n, const char *root);
/* Writes the configuration and starts nginx; returns once nginx's pid file
 * names the process started here and the port answers (the test fails
 * with nginx's error log when it does not in time).
 * @tls: https with @root/cert.pem and @root/key.pem. @server_conf: more
 * directives inside the server block (NULL for none). */
void sk_test_nginx_start (SkTestNginx *n, gboolean tls, const char *server_conf);
/* Sends @sig and waits (bounded) for nginx to exit; TRUE when it did in
 * time, FALSE when it had to be killed. TRUE when it was not running. */
gboolean sk_test_nginx_stop (SkTestNginx *n, int sig);
/* Stops nginx (SIGQUIT) if it runs and frees what @n holds. */
void sk_test_nginx_clear (SkTestNginx *n);

/* A loopback port that nothing listens on now. */
guint16 sk_test_free_port (void);
/* TRUE when something accepts connections on loopback @port. */
gboolean sk_test_port_answers (guint16 port);

G_END_DECLS
