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

static void
write_conf (SkTestNginx *n, const char *conf_path, gboolean tls, const char *server_conf)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *listen = NULL;

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
}

/* The error log from byte @from on ("" when there is none). */
static char *
read_log_from (const char *err_log, gsize from)
{
  g_autofree char *log = NULL;
  gsize len = 0;

  if (!g_file_get_contents (err_log, &log, &len, NULL) || len <= from)
    return g_strdup ("");
  return g_strdup (log + from);
}

/* TRUE when @pid_path names the nginx this fixture started: nginx writes
 * its pid file only after it has bound and listens on every port of its
 * configuration, so then the port is ours, not another server's. */
static gboolean
pid_file_is_ours (SkTestNginx *n, const char *pid_path)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (pid_path, &text, NULL, NULL))
    return FALSE;
  return g_ascii_strtoll (text, NULL, 10) == (gint64) n->pid;
}

/* How many ports a first start tries when the one it picked is taken
 * before nginx binds it (the port is free when picked, not reserved). */
#define NGINX_PORT_TRIES 5

void
sk_test_nginx_start (SkTestNginx *n, gboolean tls, const char *server_conf)
{
  g_autofree char *conf_path = g_build_filename (n->root, "nginx.conf", NULL);
  g_autofree char *err_log = g_build_filename (n->root, "error.log", NULL);
  g_autofree char *pid_path = g_build_filename (n->root, "nginx.pid", NULL);
  /* A restart keeps its port (the test's URLs name it); a first start may
   * move to another when the one it picked was taken meanwhile. */
  gboolean may_move = n->port == 0;

  g_assert_nonnull (n->program);
  g_assert_cmpint (n->pid, ==, 0);
  for (guint attempt = 1;; attempt++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *taken = NULL;
      gint64 deadline;
      gsize log_start = 0;
      GStatBuf st;

      if (n->port == 0)
        n->port = sk_test_free_port ();
      write_conf (n, conf_path, tls, server_conf);
      taken = g_strdup_printf ("bind() to 127.0.0.1:%u failed (%d: ", (guint) n->port, EADDRINUSE);
      /* Only what this start writes counts; a stale pid file (an nginx
       * that was killed leaves one) must not pass for ours. */
      if (g_stat (err_log, &st) == 0)
        log_start = (gsize) st.st_size;
      g_unlink (pid_path);
      {
        const char *argv[] = { n->program, "-p", n->root, "-c", conf_path, "-e", err_log, NULL };

        g_assert_true (g_spawn_async (n->root, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                      sk_test_child_setup, NULL, &n->pid, &error));
        g_assert_no_error (error);
      }

      /* Ready (~15 ms) when nginx's pid file names the process started
       * here and the port answers: a port that answers alone could be
       * another server's. Bounded; an nginx that exits for any reason but
       * a taken port fails the test with its error log. */
      deadline = sk_test_deadline_ms (5000);
      for (;;)
        {
          g_autofree char *log = NULL;
          int status;

          if (pid_file_is_ours (n, pid_path) && sk_test_port_answers (n->port))
            return;
          log = read_log_from (err_log, log_start);
          /* nginx itself tries a taken port for 2.5 s: worth it for a port
           * that must stay, not for one picked anew. */
          if (may_move && strstr (log, taken) != NULL)
            {
              sk_test_nginx_stop (n, SIGKILL);
              break;
            }
          if (waitpid (n->pid, &status, WNOHANG) == n->pid)
            {
              g_spawn_close_pid (n->pid);
              n->pid = 0;
              g_free (log); /* all it wrote before it exited */
              log = read_log_from (err_log, log_start);
              if (strstr (log, taken) != NULL)
                break;
              g_error ("nginx exited before it was ready on port %u: %s", (guint) n->port, log);
            }
          if (g_get_monotonic_time () > deadline)
            g_error ("nginx (pid %d) was not ready on port %u in time: %s", (int) n->pid,
                     (guint) n->port, log);
          g_usleep (5000);
        }

      if (attempt == NGINX_PORT_TRIES)
        g_error ("nginx could not bind loopback port %u (%u tries%s): something else holds it",
                 (guint) n->port, attempt, may_move ? ", each on a new port" : "");
      g_test_message ("nginx: port %u was taken before nginx bound it; %s", (guint) n->port,
                      may_move ? "trying another" : "trying it again");
      if (may_move)
        n->port = 0;
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
