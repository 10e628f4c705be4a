/*
 * webmail.c -- webmail for the instance: Roundcube (Debian's
 * roundcube-core and roundcube-sqlite3) run by php-fpm behind nginx,
 * HTTPS with the instance certificate on the webmail port.  Everything is
 * under ROOT, nothing in /etc is written or read as configuration
 * (Roundcube's package defaults.inc.php is included for its defaults):
 *
 *   ROOT/webmail/nginx.conf        nginx: TLS, static files, index.php
 *   ROOT/webmail/php-fpm.conf      php-fpm: one pool, its socket, and
 *                                  ROUNDCUBE_CONFIG_DIR/RCUBE_CONFIG_PATH
 *   ROOT/webmail/config/           Roundcube: config.inc.php (rewritten),
 *                                  secret.inc.php (des_key, made once),
 *                                  defaults.inc.php (the package's)
 *   ROOT/webmail/db/roundcube.db   sqlite: users, sessions, caches
 *   ROOT/webmail/temp/
 *   ROOT/log/webmail/ (nginx: errors, access), ROOT/log/webmail-php/
 *                                  (php-fpm and Roundcube: "errors: ...",
 *                                  "userlogins: ..." lines)
 *   ROOT/run/webmail/              sockets, pids, nginx's temp files
 *   ROOT/service/webmail           nginx -g 'daemon off;'
 *   ROOT/service/webmail-php       php-fpm -F
 *
 * Privileges (root instance): the masters of nginx and php-fpm run as
 * root (bind the port, load the key, write the log pipe) and their
 * workers as sluicew, which alone can read the Roundcube configuration
 * (des_key) and write its database.  Neither can read
 * users.cdb or a mailbox: Roundcube logs in to the instance's Dovecot
 * over TLS with the user's own password and sends through the submission
 * port with STARTTLS and the same credentials, so sluice's sending rules
 * apply.  Roundcube keeps its CSRF tokens; cookies are secure and
 * HttpOnly; only index.php and static files are served.
 */
#include <fcntl.h>
#include <glob.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"

#define RC_SHARE "/usr/share/roundcube"
#define RC_DEFAULTS "/etc/roundcube/defaults.inc.php"
#define WEB_USER "sluicew"

static char *
url_host(const char *ip)
{
	char *c = listen_connect_ip(ip);

	return strchr(c, ':') ? str_join(str_join("[", c), "]") : c;
}

static char *
me_name(void)
{
	stralloc me = {0};

	if (control_get_str("me", &me) < 0 || !me.len || !me.s[0])
		usage_fail("webmail: control/me is missing", NULL);
	return sa_keep(&me);
}

static void
rc_config(stralloc *sa)
{
	char *ip, *port, *imap, *smtp;

	if (listen_get("imaps", &ip, &port))
		imap = str_join(str_join(str_join("ssl://", url_host(ip)), ":"),
		    port);
	else if (listen_get("imapd", &ip, &port))
		imap = str_join(str_join(str_join("tls://", url_host(ip)), ":"),
		    port);
	else
		usage_fail("webmail needs imap or imaps on", NULL);
	if (!listen_get("submission", &ip, &port))
		usage_fail("webmail needs submission on", NULL);
	smtp = str_join(str_join(str_join("tls://", url_host(ip)), ":"), port);
	sa->len = 0;
	cats_all(sa, "<?php\n// Roundcube for the sluice instance ",
	    instance_root(), "\n// Written by sluice-conf (init, ports, bind):"
	    " edits are lost.\n$config = [];\n"
	    "include __DIR__ . '/secret.inc.php';\n"
	    "$config['db_dsnw'] = 'sqlite:///", ipath("webmail/db/roundcube.db"),
	    "?mode=0600';\n"
	    "$config['imap_host'] = '", imap, "';\n"
	    "$config['smtp_host'] = '", smtp, "';\n"
	    "$config['smtp_user'] = '%u';\n$config['smtp_pass'] = '%p';\n"
	    "$config['smtp_helo_host'] = '", me_name(), "';\n"
	    "// the instance certificate: trusted as itself when self-signed,\n"
	    "// else through the system's CAs; the name is always checked\n"
	    "$sluice_cert = '", ipath("tls/cert.pem"), "';\n"
	    "$sluice_x = @openssl_x509_parse(@file_get_contents($sluice_cert));\n"
	    "$sluice_tls = ['ssl' => ['verify_peer' => true,\n"
	    "    'verify_peer_name' => true, 'peer_name' => '", me_name(), "',\n"
	    "    'allow_self_signed' => false]];\n"
	    "if ($sluice_x && $sluice_x['subject'] == $sluice_x['issuer'])\n"
	    "    $sluice_tls['ssl']['cafile'] = $sluice_cert;\n"
	    "$config['imap_conn_options'] = $sluice_tls;\n"
	    "$config['smtp_conn_options'] = $sluice_tls;\n"
	    "$config['temp_dir'] = '", ipath("webmail/temp"), "';\n"
	    "// logs on stdout: php-fpm passes them to multilog (log/webmail-php)\n"
	    "$config['log_driver'] = 'stdout';\n$config['log_logins'] = true;\n"
	    "$config['use_https'] = true;\n$config['ip_check'] = true;\n"
	    "$config['login_lc'] = 2;\n$config['username_domain'] = '';\n"
	    "$config['identities_level'] = 3;\n"
	    "$config['enable_installer'] = false;\n"
	    "$config['skin'] = 'elastic';\n$config['plugins'] = [];\n"
	    "$config['product_name'] = 'sluice webmail';\n"
	    "$config['support_url'] = '';\n$config['useragent'] = '';\n"
	    "$config['enable_spellcheck'] = false;\n"
	    "$config['drafts_mbox'] = 'Drafts';\n"
	    "$config['sent_mbox'] = 'Sent';\n$config['trash_mbox'] = 'Trash';\n"
	    "$config['junk_mbox'] = 'Junk';\n"
	    "$config['create_default_folders'] = true;\n", NULL);
}

static void
nginx_config(stralloc *sa)
{
	char *ip, *port, *sock = ipath("run/webmail/php.sock");
	const char *listen_addr;
	const char *run = ipath("run/webmail");

	if (!listen_get("webmail", &ip, &port))
		usage_fail("webmail is off", NULL);
	if (!strcmp(ip, "0.0.0.0"))	/* every address: no IP */
		listen_addr = "";
	else if (!strcmp(ip, "::"))
		listen_addr = "[::]:";
	else
		listen_addr = str_join(url_host(ip), ":");
	sa->len = 0;
	cats_all(sa, "# nginx for the webmail of the sluice instance ",
	    instance_root(), "\n# Written by sluice-conf (init, ports, bind):"
	    " edits are lost.\n", conf_multiuid ? "user " WEB_USER " "
	    WEB_USER ";\n" : "", "worker_processes 1;\npid ", run,
	    "/nginx.pid;\nerror_log stderr warn;\n"
	    "events {\n\tworker_connections 256;\n}\nhttp {\n"
	    "\ttypes {\n\t\ttext/html html;\n\t\ttext/css css;\n"
	    "\t\tapplication/javascript js;\n\t\tapplication/json json;\n"
	    "\t\timage/svg+xml svg;\n\t\timage/png png;\n\t\timage/gif gif;\n"
	    "\t\timage/jpeg jpg jpeg;\n\t\timage/x-icon ico;\n"
	    "\t\tfont/woff woff;\n\t\tfont/woff2 woff2;\n\t\tfont/ttf ttf;\n"
	    "\t}\n\tdefault_type application/octet-stream;\n"
	    "\taccess_log /dev/stderr;\n\tserver_tokens off;\n"
	    "\tclient_max_body_size 25m;\n"
	    "\tclient_body_temp_path ", run, "/body;\n"
	    "\tproxy_temp_path ", run, "/proxy;\n"
	    "\tfastcgi_temp_path ", run, "/fastcgi;\n"
	    "\tuwsgi_temp_path ", run, "/uwsgi;\n"
	    "\tscgi_temp_path ", run, "/scgi;\n"
	    "\tserver {\n\t\tlisten ", listen_addr, port, " ssl;\n", NULL);
	cats_all(sa, "\t\tssl_certificate ", ipath("tls/cert.pem"), ";\n"
	    "\t\tssl_certificate_key ", ipath("tls/key.pem"), ";\n"
	    "\t\tssl_protocols TLSv1.2 TLSv1.3;\n"
	    "\t\tssl_session_tickets off;\n"
	    "\t\troot " RC_SHARE ";\n\t\tindex index.php;\n"
	    "\t\tadd_header X-Content-Type-Options nosniff always;\n"
	    "\t\tadd_header Referrer-Policy same-origin always;\n"
	    "\t\tlocation ~ ^/(\\.|config|temp|logs|bin|SQL|installer|vendor|"
	    "program/(include|lib|localization|steps|actions))(/|$) {\n"
	    "\t\t\treturn 404;\n\t\t}\n"
	    "\t\tlocation ~ ^/(?!index\\.php$)[^/]+$ {\n"
	    "\t\t\treturn 404;\n\t\t}\n"
	    "\t\tlocation = /index.php {\n"
	    "\t\t\tfastcgi_pass unix:", sock, ";\n"
	    "\t\t\tfastcgi_read_timeout 180s;\n"
	    "\t\t\tfastcgi_param SCRIPT_FILENAME " RC_SHARE "/index.php;\n"
	    "\t\t\tfastcgi_param SCRIPT_NAME /index.php;\n"
	    "\t\t\tfastcgi_param QUERY_STRING $query_string;\n"
	    "\t\t\tfastcgi_param REQUEST_METHOD $request_method;\n"
	    "\t\t\tfastcgi_param CONTENT_TYPE $content_type;\n"
	    "\t\t\tfastcgi_param CONTENT_LENGTH $content_length;\n"
	    "\t\t\tfastcgi_param REQUEST_URI $request_uri;\n"
	    "\t\t\tfastcgi_param DOCUMENT_URI $document_uri;\n"
	    "\t\t\tfastcgi_param DOCUMENT_ROOT $document_root;\n"
	    "\t\t\tfastcgi_param SERVER_PROTOCOL $server_protocol;\n"
	    "\t\t\tfastcgi_param REQUEST_SCHEME https;\n"
	    "\t\t\tfastcgi_param HTTPS on;\n"
	    "\t\t\tfastcgi_param GATEWAY_INTERFACE CGI/1.1;\n"
	    "\t\t\tfastcgi_param REMOTE_ADDR $remote_addr;\n"
	    "\t\t\tfastcgi_param REMOTE_PORT $remote_port;\n"
	    "\t\t\tfastcgi_param SERVER_ADDR $server_addr;\n"
	    "\t\t\tfastcgi_param SERVER_PORT $server_port;\n"
	    "\t\t\tfastcgi_param SERVER_NAME $host;\n"
	    "\t\t\tfastcgi_param HTTP_PROXY \"\";\n"
	    "\t\t}\n\t\tlocation ~ \\.php(/|$) {\n\t\t\treturn 404;\n\t\t}\n"
	    "\t\tlocation / {\n\t\t\ttry_files $uri $uri/ =404;\n\t\t}\n"
	    "\t}\n}\n", NULL);
}

static void
fpm_config(stralloc *sa)
{
	const char *cfg = ipath("webmail/config"), *tmp = ipath("webmail/temp");

	sa->len = 0;
	cats_all(sa, "; php-fpm for the webmail of the sluice instance ",
	    instance_root(), "\n; Written by sluice-conf (init, ports, bind):"
	    " edits are lost.\n[global]\npid = ",
	    ipath("run/webmail/php-fpm.pid"), "\nerror_log = /proc/self/fd/2\n"
	    "daemonize = no\n\n[roundcube]\nlisten = ",
	    ipath("run/webmail/php.sock"), "\nlisten.mode = 0600\n",
	    conf_multiuid ? "user = " WEB_USER "\ngroup = " WEB_USER "\n"
	    "listen.owner = " WEB_USER "\nlisten.group = " WEB_USER "\n" : "",
	    "pm = ondemand\npm.max_children = 8\n"
	    "pm.process_idle_timeout = 60s\nrequest_terminate_timeout = 120s\n"
	    "catch_workers_output = yes\ndecorate_workers_output = no\n"
	    "clear_env = yes\n"
	    "env[PATH] = /usr/local/bin:/usr/bin:/bin\n"
	    "env[TMPDIR] = ", tmp, "\n"
	    "env[ROUNDCUBE_CONFIG_DIR] = ", cfg, "\n"
	    "env[RCUBE_CONFIG_PATH] = ", cfg, "\n"
	    "php_admin_value[upload_tmp_dir] = ", tmp, "\n"
	    "php_admin_value[session.save_path] = ", tmp, "\n"
	    "php_admin_flag[session.cookie_secure] = on\n"
	    "php_admin_flag[session.cookie_httponly] = on\n"
	    "php_admin_flag[display_errors] = off\n"
	    "php_admin_flag[log_errors] = on\n"
	    "php_admin_value[upload_max_filesize] = 20M\n"
	    "php_admin_value[post_max_size] = 26M\n", NULL);
}

/* des_key: made once, kept across rewrites */
static void
secret_write(void)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char *path = ipath("webmail/config/secret.inc.php");
	unsigned char rnd[24];
	char key[25];
	stralloc sa = {0};
	struct stat st;
	size_t i;

	if (lstat(path, &st) == 0)
		return;
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		sys_fail("unable to get random bytes", NULL);
	for (i = 0; i < sizeof rnd; i++)
		key[i] = abc[rnd[i] % (sizeof abc - 1)];
	key[sizeof rnd] = 0;
	cats_all(&sa, "<?php\n// made once by sluice-conf: Roundcube's key for"
	    " the IMAP password in a session\n$config['des_key'] = '", key,
	    "';\n", NULL);
	file_put(path, sa.s, sa.len, 0640, 0, WEB_USER);
	explicit_bzero(sa.s, sa.len);
	stralloc_free(&sa);
}

static const char defaults_php[] =
    "<?php\n// Roundcube's defaults, as packaged (written by sluice-conf)\n"
    "include '" RC_DEFAULTS "';\n";

void
webmail_write(const char *bin)
{
	stralloc sa = {0};

	dir_make(ipath("webmail"), 0755, 0, 0);
	dir_make(ipath("webmail/config"), 0750, 0, WEB_USER);
	dir_make(ipath("webmail/db"), 0700, WEB_USER, WEB_USER);
	dir_make(ipath("webmail/temp"), 0700, WEB_USER, WEB_USER);
	dir_make(ipath("log"), 0755, 0, 0);
	dir_make(ipath("run"), 0755, 0, 0);
	dir_make(ipath("run/webmail"), 0750, WEB_USER, WEB_USER);
	secret_write();
	file_put(ipath("webmail/config/defaults.inc.php"), defaults_php,
	    sizeof defaults_php - 1, 0640, 0, WEB_USER);
	rc_config(&sa);
	file_put(ipath("webmail/config/config.inc.php"), sa.s, sa.len, 0640,
	    0, WEB_USER);
	nginx_config(&sa);
	file_put(ipath("webmail/nginx.conf"), sa.s, sa.len, 0644, 0, 0);
	fpm_config(&sa);
	file_put(ipath("webmail/php-fpm.conf"), sa.s, sa.len, 0644, 0, 0);

	app_run_head(&sa, "webmail: nginx (HTTPS) in front of php-fpm", bin);
	cats_all(&sa, "if ! command -v nginx >/dev/null; then\n"
	    "\techo 'webmail: nginx is not installed (apt-get install "
	    "nginx-light)'\n\tsleep 5\n\texit 111\nfi\n"
	    "exec nginx -e stderr -p \"$ROOT/webmail/\" "
	    "-c \"$ROOT/webmail/nginx.conf\" -g 'daemon off;'\n", NULL);
	service_make("webmail", &sa);

	app_run_head(&sa, "webmail: php-fpm running Roundcube", bin);
	cats_all(&sa, "for f in php-fpm8.2 php-fpm8.3 php-fpm8.4 php-fpm; do\n"
	    "\tcommand -v $f >/dev/null || continue\n\texec "
	    "$f -F -y \"$ROOT/webmail/php-fpm.conf\"\ndone\n"
	    "echo 'webmail-php: php-fpm is not installed (apt-get install "
	    "php-fpm)'\nsleep 5\nexit 111\n", NULL);
	service_make("webmail-php", &sa);
	stralloc_free(&sa);
}

static const char *
same_text(const char *rel, void (*make)(stralloc *))
{
	stralloc want = {0}, have = {0};
	int same;

	if (access(ipath(rel), F_OK) < 0)
		return str_join(ipath(rel), ": missing (sluice-conf bind or "
		    "ports rewrites it)");
	make(&want);
	file_get(ipath(rel), &have, 1);
	same = want.len == have.len && !memcmp(want.s, have.s, want.len);
	stralloc_free(&want);
	stralloc_free(&have);
	return same ? 0 : str_join(ipath(rel), ": differs from what "
	    "control/listen says (sluice-conf bind or ports rewrites it)");
}

static int
have_fpm(void)
{
	static const char *const v[] = { "8.2", "8.3", "8.4", "", 0 };
	int i;

	for (i = 0; v[i]; i++)
		if (access(str_join("/usr/sbin/php-fpm", v[i]), X_OK) == 0)
			return 1;
	return 0;
}

const char *
webmail_check(void)
{
	const char *why;
	glob_t g;

	if (access("/usr/sbin/nginx", X_OK) < 0)
		return "webmail is on but nginx is missing (apt-get install "
		    "nginx-light)";
	if (!have_fpm())
		return "webmail is on but php-fpm is missing (apt-get install "
		    "php8.2-fpm)";
	if (access(RC_SHARE "/index.php", R_OK) < 0 ||
	    access(RC_DEFAULTS, R_OK) < 0)
		return "webmail is on but Roundcube is missing (apt-get "
		    "install roundcube-core roundcube-sqlite3)";
	if (glob("/usr/lib/php/*/pdo_sqlite.so", 0, 0, &g) != 0 ||
	    (globfree(&g), access(RC_SHARE "/SQL/sqlite.initial.sql", R_OK)
	    < 0))
		return "webmail is on but Roundcube's sqlite schema is missing "
		    "(apt-get install roundcube-sqlite3)";
	if (access(ipath("webmail/config/secret.inc.php"), F_OK) < 0)
		return str_join(ipath("webmail/config/secret.inc.php"),
		    ": missing (sluice-conf ports or bind makes it)");
	if ((why = same_text("webmail/config/config.inc.php", rc_config)) ||
	    (why = same_text("webmail/nginx.conf", nginx_config)) ||
	    (why = same_text("webmail/php-fpm.conf", fpm_config)))
		return why;
	return 0;
}

void
webmail_systemd(const char *dir)
{
	app_unit(dir, "webmail-php", "php-fpm running Roundcube", 0);
	app_unit(dir, "webmail", "webmail over HTTPS (nginx)",
	    "sluice-webmail-php.service");
}
