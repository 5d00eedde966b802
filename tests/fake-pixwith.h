/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A fake of the pixwith.ai service on 127.0.0.1 (random port), validating
 * requests as strictly as the documented service (DESIGN §2), with a fake S3
 * form target for uploads and a fake CDN for result videos. It serves in the
 * thread-default main context of its creator.
 *
 * Endpoints: "create", "get", "credits", "pre_url", "s3" (the presigned POST
 * target) and "cdn" (result videos).
 */

#define FAKE_TYPE_PIXWITH (fake_pixwith_get_type ())
G_DECLARE_FINAL_TYPE (FakePixwith, fake_pixwith, FAKE, PIXWITH, GObject)

typedef enum
{
  FAKE_FAULT_NONE,
  FAKE_FAULT_STATUS,        /* answer with fault status, content type and body */
  FAKE_FAULT_HANG,          /* accept the request and never answer */
  FAKE_FAULT_RESET,         /* close the connection without an answer */
  FAKE_FAULT_RESET_MID_BODY,/* send headers and half a body, then close */
  FAKE_FAULT_HUGE_BODY,     /* a 200 with a body of fault size bytes */
  FAKE_FAULT_SLOW,          /* answer normally after fault delay_ms */
  FAKE_FAULT_REDIRECT,      /* 302 to the given body as Location */
} FakeFaultKind;

typedef struct
{
  FakeFaultKind  kind;
  guint          status;        /* FAKE_FAULT_STATUS */
  const char    *content_type;  /* FAKE_FAULT_STATUS; NULL: application/json */
  const char    *body;          /* FAKE_FAULT_STATUS, FAKE_FAULT_REDIRECT */
  gsize          size;          /* FAKE_FAULT_HUGE_BODY */
  guint          delay_ms;      /* FAKE_FAULT_SLOW */
} FakeFault;

typedef enum
{
  FAKE_OUTCOME_COMPLETE,
  FAKE_OUTCOME_FAIL,
} FakeOutcome;

FakePixwith *fake_pixwith_new                 (GError      **error);
FakePixwith *fake_pixwith_new_on_port         (guint         port,
                                               GError      **error);
/* "http://127.0.0.1:PORT", the base URL to give the client */
const char  *fake_pixwith_get_url             (FakePixwith  *self);

/* Accepted keys: the public test key, and any added here. */
void         fake_pixwith_add_api_key         (FakePixwith  *self,
                                               const char   *api_key);
void         fake_pixwith_set_credits         (FakePixwith  *self,
                                               gint64        credits);
gint64       fake_pixwith_get_credits         (FakePixwith  *self);
/* Credits one video costs; creating needs num_outputs times this. */
void         fake_pixwith_set_price           (FakePixwith  *self,
                                               gint64        price);
/* estimated_time reported by create (seconds, default 150) */
void         fake_pixwith_set_estimated_time  (FakePixwith  *self,
                                               int           seconds);
/* Real time passes this many times faster for jobs (default 1.0): a job
 * completes after estimated_time * time_scale seconds. */
void         fake_pixwith_set_time_scale      (FakePixwith  *self,
                                               double        time_scale);
/* Jobs created from now on run this many times their estimated_time
 * (default 1.0): 5.0 makes a job that runs 5× past its estimate. */
void         fake_pixwith_set_duration_factor (FakePixwith  *self,
                                               double        factor);
/* When the job ends at the service, in g_get_monotonic_time() microseconds,
 * or -1 for an unknown task id. */
gint64       fake_pixwith_get_task_end_time   (FakePixwith  *self,
                                               const char   *task_id);
/* How the jobs created from now on end (default: complete). */
void         fake_pixwith_set_outcome         (FakePixwith  *self,
                                               FakeOutcome   outcome);
/* Forgets a job's result videos, as when result URLs expire. */
void         fake_pixwith_expire_results      (FakePixwith  *self,
                                               const char   *task_id);

/* The next @count requests to @endpoint misbehave as @fault says. */
void         fake_pixwith_add_fault           (FakePixwith     *self,
                                               const char      *endpoint,
                                               const FakeFault *fault,
                                               guint            count);
void         fake_pixwith_clear_faults        (FakePixwith  *self);

/* Requests seen on @endpoint, valid or not. */
guint        fake_pixwith_get_request_count   (FakePixwith  *self,
                                               const char   *endpoint);
/* The last request's body on @endpoint (owned by the server) or NULL. */
GBytes      *fake_pixwith_get_last_body       (FakePixwith  *self,
                                               const char   *endpoint);
/* The last request's value of header @name on @endpoint, or NULL. */
const char  *fake_pixwith_get_last_header     (FakePixwith  *self,
                                               const char   *endpoint,
                                               const char   *name);
/* Names of the parts of the last upload to "s3", in order, NULL-terminated. */
const char * const *fake_pixwith_get_last_upload_parts (FakePixwith *self);
/* The bytes of the file part of the last upload, or NULL. */
GBytes      *fake_pixwith_get_last_upload_file (FakePixwith *self);
/* The bytes every result video serves. */
GBytes      *fake_pixwith_get_video_bytes     (FakePixwith  *self);

G_END_DECLS
