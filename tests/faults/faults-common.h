/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fake-pixwith.h"
#include "pixverse-error.h"

G_BEGIN_DECLS

/* The endpoints of the matrix, in table order. */
typedef enum
{
  FAULTS_CREATE,
  FAULTS_GET,
  FAULTS_CREDITS,
  FAULTS_PRE_URL,
  FAULTS_S3,
  FAULTS_CDN,
  N_FAULTS_ENDPOINTS
} FaultsEndpoint;

/* Expected outcomes besides a PixverseError code. */
#define FAULTS_OK (-1)
#define FAULTS_NOT_APPLICABLE (-2)

/* A `data` every endpoint accepts (@ID@, @URL@, @S3@, @IMG@ are filled in):
 * each "wrong shape" case breaks one member of it. */
#define FAULTS_UNIVERSAL_DATA(task_id, status, result_urls, credits, upload_url) \
  "{\"code\":1,\"message\":\"success\",\"data\":{\"task_id\":" task_id ",\"estimated_time\":150," \
  "\"status\":" status ",\"result_urls\":" result_urls ",\"credits\":" credits "," \
  "\"upload_url\":" upload_url ",\"image_url\":\"@IMG@\"}}"
#define FAULTS_UNIVERSAL_ANSWER \
  FAULTS_UNIVERSAL_DATA ("\"@ID@\"", "2", "[\"@URL@\"]", "1000", \
                         "{\"url\":\"@S3@\",\"fields\":{\"key\":\"k\"}}")

typedef struct
{
  const char *name;
  FakeFault   fault;
  guint       count;      /* answers with the fault; 0 for "all of them" */
  gboolean    refused;    /* nothing listens at the address instead */
  int         expect[N_FAULTS_ENDPOINTS];
} FaultCase;

extern const FaultCase fault_cases[];
extern const guint n_fault_cases;

const char *faults_endpoint_fake_name (FaultsEndpoint  endpoint);
const char *faults_endpoint_label     (FaultsEndpoint  endpoint);
int         faults_expected_client    (const FaultCase *c,
                                       FaultsEndpoint   endpoint);
const char *faults_code_name          (const GError   *error);
const char *faults_expected_name      (int             expected);
void        faults_assert_readable    (const char     *message,
                                       const char     *api_key);
char       *faults_dead_url           (void);
void        faults_remove_tree        (GFile          *file);
/* Every regular file under @dir whose bytes hold @needle, as paths. */
GPtrArray  *faults_find_in_tree       (const char     *dir,
                                       const char     *needle);

/* An https listener on 127.0.0.1 with the self-signed certificate of
 * tests/fixtures: counts the clients that complete the TLS handshake and so
 * could send a request (none should). */
GObject    *faults_tls_server_new     (guint          *requests,
                                       char          **url);
/* Stops listening and ends the server side of every handshake. */
void        faults_tls_server_stop    (GObject        *server);

G_END_DECLS
