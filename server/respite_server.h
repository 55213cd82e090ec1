/* SPDX-License-Identifier: BSD-3-Clause
 *
 * respite_server.h -- serve a respite store over TCP with the RESP protocol.
 *
 * A server puts a store (respite.h) on one or more TCP listeners, so that
 * redis-cli, redis-benchmark and Redis client libraries use it as they use
 * redis-server. It reads bind, port, maxclients, timeout, hz, the query and
 * output buffer limits and the log settings from the store's configuration
 * (respite_config_set before creating the server, CONFIG SET while serving).
 *
 *     struct respite *st = respite_open(NULL, 0, err, sizeof err);
 *     respite_config_set(st, "port", "0", err, sizeof err);   // any free port
 *     struct respite_server *srv = respite_server_new(st, err, sizeof err);
 *     respite_server_start(srv);                 // serve from a background thread
 *     int port = respite_server_port(srv);       // connect clients here
 *     ...
 *     respite_server_stop(srv);                  // joins the thread
 *     respite_server_free(srv);
 *     respite_close(st);
 *
 * Threads: the store is used only by the thread that runs the server's loop
 * (the caller of respite_server_run, or the background thread of
 * respite_server_start). respite_server_stop may be called from any thread.
 * The store must outlive the server.
 */
#ifndef RESPITE_SERVER_H
#define RESPITE_SERVER_H

#include "respite.h"

#ifdef __cplusplus
extern "C" {
#endif

struct respite_server;

/* Create a server for st and start listening on every address of the
 * store's "bind" parameter at its "port" (0: a free port, the same for all
 * addresses). Returns NULL with a message in err if no address could be
 * bound. The server does not own st. */
struct respite_server *respite_server_new(struct respite *st, char *err, size_t errlen);

/* The TCP port the server listens on (the chosen one when port was 0). */
int respite_server_port(const struct respite_server *srv);

/* Stop cleanly on SIGINT and SIGTERM (for a program whose main loop this is,
 * like respite-server; one server a process), as redis-server: the signal
 * is logged at once, and the loop stops at its next turn -- while a script
 * runs, once it ends (meanwhile others get -BUSY); a second SIGINT before
 * then exits at once with status 1. Installs sigaction handlers (restored
 * to the defaults when the server closes). Call before running. */
void respite_server_catch_signals(struct respite_server *srv);

/* Run the loop on the calling thread until SHUTDOWN, a caught signal or
 * respite_server_stop(). Connections are closed before it returns.
 * Returns 0. */
int respite_server_run(struct respite_server *srv);

/* Run the loop on a new background thread. Returns 0, or -1 if the thread
 * could not be created. */
int respite_server_start(struct respite_server *srv);

/* Ask the loop to stop, from any thread; when the server was started with
 * respite_server_start, also wait for its thread to end. */
void respite_server_stop(struct respite_server *srv);

/* Free a server whose loop has ended (or never ran). */
void respite_server_free(struct respite_server *srv);

#ifdef __cplusplus
}
#endif

#endif
