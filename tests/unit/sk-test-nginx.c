#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk-test-nginx.h"
#include "sk-test-util.h"

guint16
sk_test_free_port (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, addr, TRUE, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (sock, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

gboolean
sk_test_port_answers (guint16 port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;

  g_socket_client_set_timeout (client, 1);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

gboolean
sk_test_nginx_init (SkTestNginx *n, const char *root)
{
  g_autofree char *www = g_build_filename (root, "www", NULL);
  g_autofree char *tmp = g_build_filename (root, "tmp", NULL);

  memset (n, 0, sizeof *n);
  n->program = g_find_program_in_path ("nginx");
  if (n->program == NULL && g_file_test ("/usr/sbin/nginx", G_FILE_TEST_IS_EXECUTABLE))
    n->program = g_strdup ("/usr/sbin/nginx");
  if (n->program == NULL)
    return FALSE;
  n->root = g_strdup (root);
  /* Run as root, nginx serves from an unprivileged worker: it must be able
   * to reach the files. */
  g_assert_cmpint (g_mkdir_with_parents (root, 0755), ==, 0);
  g_assert_cmpint (g_chmod (root, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (www, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (tmp, 0700), ==, 0);
  return TRUE;
}

void
sk_test_nginx_start (SkTestNginx *n, gboolean tls, const char *server_conf)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *conf_path = g_build_filename (n->root, "nginx.conf", NULL);
  g_autofree char *err_log = g_build_filename (n->root, "error.log", NULL);
  g_autofree char *conf = NULL;
  g_autofree char *listen = NULL;

  g_assert_nonnull (n->program);
  g_assert_cmpint (n->pid, ==, 0);
  if (n->port == 0)
    n->port = sk_test_free_port ();
  if (tls)
    listen = g_strdup_printf ("127.0.0.1:%u ssl; ssl_certificate %s/cert.pem; "
                              "ssl_certificate_key %s/key.pem",
                              (guint) n->port, n->root, n->root);
  else
    listen = g_strdup_printf ("127.0.0.1:%u", (guint) n->port);
  conf = g_strdup_printf (
      "daemon off;\n"
      "worker_processes 1;\n"
      "pid %1$s/nginx.pid;\n"
      "error_log %1$s/error.log info;\n"
      "events { worker_connections 64; }\n"
      "http {\n"
      "  log_format t escape=none\n"
      "    '$uri|$status|$http_range|$http_if_range|$http_if_none_match|$body_bytes_sent';\n"
      "  access_log %1$s/access.log t;\n"
      "  client_body_temp_path %1$s/tmp/body;\n"
      "  proxy_temp_path %1$s/tmp/proxy;\n"
      "  fastcgi_temp_path %1$s/tmp/fastcgi;\n"
      "  uwsgi_temp_path %1$s/tmp/uwsgi;\n"
      "  scgi_temp_path %1$s/tmp/scgi;\n"
      "  default_type application/octet-stream;\n"
      "  server {\n"
      "    listen %2$s;\n"
      "    root %1$s/www;\n"
      "%3$s\n"
      "  }\n"
      "}\n",
      n->root, listen, server_conf != NULL ? server_conf : "");
  g_assert_true (g_file_set_contents (conf_path, conf, -1, &error));
  g_assert_no_error (error);

  {
    const char *argv[] = { n->program, "-p", n->root, "-c", conf_path, "-e", err_log, NULL };

    g_assert_true (g_spawn_async (n->root, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                  sk_test_child_setup, NULL, &n->pid, &error));
    g_assert_no_error (error);
  }

  /* Ready when the port answers (~15 ms); bounded, and an nginx that exits
   * (a bad config, a taken port) fails the test with its error log. */
  for (guint waited = 0; !sk_test_port_answers (n->port); waited += 5)
    {
      int status;

      if (waitpid (n->pid, &status, WNOHANG) == n->pid || waited > 5000)
        {
          g_autofree char *log = NULL;

          g_file_get_contents (err_log, &log, NULL, NULL);
          g_error ("nginx did not start on port %u: %s", (guint) n->port, log ? log : "");
        }
      g_usleep (5000);
    }
}

gboolean
sk_test_nginx_stop (SkTestNginx *n, int sig)
{
  gboolean in_time = TRUE;

  if (n->pid <= 0)
    return TRUE;
  kill (n->pid, sig);
  if (!sk_test_reap (n->pid, 3000))
    {
      kill (n->pid, SIGKILL);
      sk_test_reap (n->pid, 5000);
      g_test_message ("nginx %d did not stop on signal %d: killed", (int) n->pid, sig);
      in_time = FALSE;
    }
  g_spawn_close_pid (n->pid);
  n->pid = 0;
  return in_time;
}

void
sk_test_nginx_clear (SkTestNginx *n)
{
  sk_test_nginx_stop (n, SIGQUIT);
  g_clear_pointer (&n->program, g_free);
  g_clear_pointer (&n->root, g_free);
}
