/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "bench-stalls"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gstdio.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>

#include "fake-pixwith.h"
#include "pixverse-application.h"
#include "pixverse-window.h"

/*
 * bench-stalls JOBS SCALE IDLE_MS
 *
 * The real app and window (under Xvfb), the fake service on a thread of its
 * own (so its work is not counted as ours). A 1 ms timeout source and a
 * frame-clock tick callback note the longest gap between their runs: first
 * for IDLE_MS with the window idle (the reference: what the machine and GTK
 * alone cost), then while JOBS jobs (estimated_time 150 s, time SCALE times
 * faster) are submitted at once through the app's PixverseMonitor, shown in
 * the list, polled, completed, downloaded and written to the history, until
 * the monitor has nothing left to do, and last for IDLE_MS with the window
 * (now showing the JOBS finished jobs) drawn whole at every frame, changing
 * nothing: the second reference, what GTK alone costs to paint this window
 * on this machine (a busy frame paints what changed, often less). Prints:
 *   stalls JOBS idle_max_ms busy_max_ms busy_frame_max_ms busy_gaps_over_16ms busy_s
 *          busy_cpu_max_ms busy_frame_cpu_max_ms busy_other_cpu_max_ms
 *          busy_frames busy_frame_cpu_mean_ms busy_frame_cpu_p90_ms
 *          redraw_max_ms redraw_frame_cpu_max_ms redraw_frames
 *          redraw_frame_cpu_mean_ms redraw_frame_cpu_p90_ms
 * busy_other_cpu_max_ms being the most CPU time the main thread itself spent
 * between two runs of the timeout, less its frames (the wall-clock gaps also
 * hold time the machine gave to other processes). The frames' mean and 90th
 * percentile CPU tell a change in what each frame costs apart from the luck
 * of the longest one.
 */

#define ESTIMATED_TIME 150

/* The fake service's thread */

typedef struct
{
  GMutex   lock;
  GCond    cond;
  char    *url;
  double   scale;
  gboolean quit;
  GMainContext *context;
} Server;

static gpointer
server_thread (gpointer data)
{
  Server *server = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(FakePixwith) fake = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  fake = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_set_estimated_time (fake, ESTIMATED_TIME);
  fake_pixwith_set_time_scale (fake, server->scale);

  g_mutex_lock (&server->lock);
  server->url = g_strdup (fake_pixwith_get_url (fake));
  server->context = context;
  g_cond_signal (&server->cond);
  g_mutex_unlock (&server->lock);

  while (!g_atomic_int_get (&server->quit))
    g_main_context_iteration (context, TRUE);

  g_clear_object (&fake);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* The gap meters */

typedef struct
{
  gint64 last_timeout;
  gint64 last_frame;
  gint64 max_timeout;
  gint64 max_frame;
  guint  over_16ms;
  gint64 last_cpu;
  gint64 max_cpu;
  gint64 paint_start_cpu;  /* at the frame's before-paint */
  gint64 frame_cpu;        /* in frames since the last timeout */
  gint64 max_frame_cpu;    /* one frame, before-paint to after-paint */
  gint64 max_other_cpu;    /* one gap, less its frames */
} Meter;

static Meter meter;
static GArray *frame_costs; /* gint64 µs of CPU, one per frame */

/* CPU time of the calling (main) thread, in µs. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
meter_reset (void)
{
  gint64 now = g_get_monotonic_time ();

  meter = (Meter) { .last_timeout = now, .last_cpu = thread_cpu_us () };
  g_array_set_size (frame_costs, 0);
}

static int
compare_costs (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* The mean and the 90th percentile (nearest rank) of the frames' CPU. */
static void
frame_costs_summary (double *mean_ms,
                     double *p90_ms)
{
  gint64 sum = 0;
  guint n = frame_costs->len;

  *mean_ms = *p90_ms = 0;
  if (n == 0)
    return;

  g_array_sort (frame_costs, compare_costs);
  for (guint i = 0; i < n; i++)
    sum += g_array_index (frame_costs, gint64, i);
  *mean_ms = sum / 1000.0 / n;
  *p90_ms = g_array_index (frame_costs, gint64, (n * 9 + 9) / 10 - 1) / 1000.0;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 gap = now - meter.last_timeout;
  gint64 cpu = thread_cpu_us ();

  /* The wall-clock gap includes time the machine gave to other processes;
   * the main thread's own CPU time in it is what our code cost. */
  meter.max_timeout = MAX (meter.max_timeout, gap);
  meter.max_cpu = MAX (meter.max_cpu, cpu - meter.last_cpu);
  meter.max_other_cpu = MAX (meter.max_other_cpu, cpu - meter.last_cpu - meter.frame_cpu);
  meter.last_cpu = cpu;
  meter.frame_cpu = 0;
  if (gap > 16000)
    meter.over_16ms++;
  meter.last_timeout = now;

  return G_SOURCE_CONTINUE;
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  gint64 now = g_get_monotonic_time ();

  if (meter.last_frame != 0)
    meter.max_frame = MAX (meter.max_frame, now - meter.last_frame);
  meter.last_frame = now;

  return G_SOURCE_CONTINUE;
}

/* BENCH_HEAVY_FRAMES=MS, for finding the cause: each frame that costs
 * the main thread more than MS ms of CPU is printed with when it came (the
 * burst of new rows, the jobs ending together) and with the CPU and the page
 * faults of its phases (the first touch of a page is dear on some virtual
 * machines). The marks are taken at the frame's start and at the ends of its
 * layout and paint phases (our handlers run after GDK's own). */
typedef struct
{
  gint64 cpu;
  long   faults;
} Mark;

enum { MARK_START, MARK_LAYOUT, MARK_PAINT, N_MARKS };

static gint64 heavy_frame_us;
static gint64 frame_start_us;  /* monotonic, to find the frame in a profile */
static const char *phase = "idle";
static gint64 phase_start;
static Mark   marks[N_MARKS];

static Mark
mark_now (void)
{
  struct rusage usage;

  getrusage (RUSAGE_THREAD, &usage);
  return (Mark) { thread_cpu_us (), usage.ru_minflt + usage.ru_majflt };
}

static void
phase_done_cb (GdkFrameClock *clock,
               gpointer       user_data)
{
  marks[GPOINTER_TO_INT (user_data)] = mark_now ();
}

static void
print_heavy_frame (void)
{
  Mark end = mark_now ();

  /* A phase that did not run ends where the one before it did. */
  if (marks[MARK_LAYOUT].cpu == 0)
    marks[MARK_LAYOUT] = marks[MARK_START];
  if (marks[MARK_PAINT].cpu == 0)
    marks[MARK_PAINT] = marks[MARK_LAYOUT];

  g_printerr ("bench-stalls: %s +%.2f s: frame of %.1f ms CPU, %ld page faults: "
              "update and layout %.1f ms (%ld), paint %.1f ms (%ld); "
              "monotonic %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " µs\n",
              phase, (g_get_monotonic_time () - phase_start) / (double) G_USEC_PER_SEC,
              (end.cpu - marks[MARK_START].cpu) / 1000.0,
              end.faults - marks[MARK_START].faults,
              (marks[MARK_LAYOUT].cpu - marks[MARK_START].cpu) / 1000.0,
              marks[MARK_LAYOUT].faults - marks[MARK_START].faults,
              (marks[MARK_PAINT].cpu - marks[MARK_LAYOUT].cpu) / 1000.0,
              marks[MARK_PAINT].faults - marks[MARK_LAYOUT].faults,
              frame_start_us, g_get_monotonic_time ());
}

/* A frame's own cost, to tell drawing (layout, CSS, rendering) from the
 * app's work between frames. */
static void
before_paint_cb (GdkFrameClock *clock,
                 gpointer       user_data)
{
  meter.paint_start_cpu = thread_cpu_us ();
  if (heavy_frame_us > 0)
    {
      memset (marks, 0, sizeof marks);
      marks[MARK_START] = mark_now ();
      frame_start_us = g_get_monotonic_time ();
    }
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  gint64 cost;

  if (meter.paint_start_cpu == 0)
    return;
  cost = thread_cpu_us () - meter.paint_start_cpu;
  meter.frame_cpu += cost;
  meter.max_frame_cpu = MAX (meter.max_frame_cpu, cost);
  if (heavy_frame_us > 0 && cost > heavy_frame_us)
    print_heavy_frame ();
  g_array_append_val (frame_costs, cost);
  meter.paint_start_cpu = 0;
}

/* BENCH_STALL_STACKS=MS, for finding the cause: a watchdog prints the main
 * thread's stack (eu-stack) when it has not run the timeout for MS ms
 * (1 means 60 ms). */
static gint64 watched_pid;
static gint64 watch_threshold_us;
static volatile gint watchdog_quit;

static gpointer
watchdog_thread (gpointer data)
{
  gint64 dumped_for = -1;

  while (!g_atomic_int_get (&watchdog_quit))
    {
      gint64 last = meter.last_timeout;

      g_usleep (MIN (watch_threshold_us / 3, 20000));
      if (last != 0 && last == meter.last_timeout && last != dumped_for &&
          g_get_monotonic_time () - last > watch_threshold_us)
        {
          g_autofree char *cmd = g_strdup_printf ("eu-stack -p %" G_GINT64_FORMAT " -n 40", watched_pid);
          g_autofree char *out = NULL;
          char *main_end;

          dumped_for = last;
          if (g_spawn_command_line_sync (cmd, &out, NULL, NULL, NULL) && out != NULL)
            {
              /* The main thread is the first one listed. */
              if ((main_end = strstr (out, "\nTID")) && (main_end = strstr (main_end + 1, "\nTID")))
                *main_end = '\0';
              g_printerr ("--- main thread stalled %.0f ms:\n%s\n",
                          (g_get_monotonic_time () - last) / 1000.0, out);
            }
        }
    }

  return NULL;
}

/* The app */

typedef struct
{
  guint    n_jobs;
  guint    idle_ms;
  guint    submitted;
  guint    failed;
  gboolean done;
  gint64   idle_max;
  gint64   busy_max;
  gint64   busy_frame_max;
  gint64   busy_cpu_max;
  gint64   busy_frame_cpu_max;
  gint64   busy_other_cpu_max;
  guint    busy_over;
  double   busy_s;
  guint    busy_frames;
  double   busy_frame_cpu_mean;
  double   busy_frame_cpu_p90;
  gint64   redraw_max;
  gint64   redraw_frame_cpu_max;
  guint    redraw_frames;
  double   redraw_frame_cpu_mean;
  double   redraw_frame_cpu_p90;
} Bench;

static gboolean
flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* The reference of the last phase: the whole window painted again at each
 * frame, with nothing changed, so no layout, only the paint. Queuing a draw
 * would not do: GTK paints only what differs from the last frame. An Expose
 * of the whole window, as when it is uncovered, is painted whole. It is
 * sent from an X connection of the bench's own (GTK's X11 calls are
 * deprecated), to the mapped top-level window of this process. */
static Display *expose_display;
static Window   expose_window;

static Window
find_own_window (Display *display)
{
  Atom pid_atom = XInternAtom (display, "_NET_WM_PID", False);
  Window root, parent, *children = NULL, found = None;
  unsigned int n_children = 0;

  if (!XQueryTree (display, DefaultRootWindow (display), &root, &parent, &children, &n_children))
    return None;

  for (unsigned int i = 0; i < n_children && found == None; i++)
    {
      unsigned char *data = NULL;
      unsigned long n_items = 0, after;
      XWindowAttributes attributes;
      Atom type;
      int format;

      if (XGetWindowProperty (display, children[i], pid_atom, 0, 1, False, XA_CARDINAL,
                              &type, &format, &n_items, &after, &data) == Success &&
          data != NULL && n_items == 1 && format == 32 &&
          *(unsigned long *) data == (unsigned long) getpid () &&
          XGetWindowAttributes (display, children[i], &attributes) &&
          attributes.map_state == IsViewable)
        found = children[i];
      if (data != NULL)
        XFree (data);
    }

  if (children != NULL)
    XFree (children);
  return found;
}

static gboolean
redraw_cb (GtkWidget     *widget,
           GdkFrameClock *clock,
           gpointer       user_data)
{
  XClearArea (expose_display, expose_window, 0, 0, 0, 0, True);
  XFlush (expose_display);
  return G_SOURCE_CONTINUE;
}

static void
submit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = pixverse_monitor_submit_finish (PIXVERSE_MONITOR (object), result, &error);
  if (task == NULL)
    {
      g_printerr ("bench-stalls: %s\n", error->message);
      bench->failed++;
    }
  bench->submitted++;
}

static void
activate_cb (GApplication *app,
             Bench        *bench)
{
  PixverseApplication *self = PIXVERSE_APPLICATION (app);
  GtkWidget *window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (app)));
  PixverseMonitor *monitor;
  GdkFrameClock *clock;
  guint timeout_id;
  guint tick_id;
  guint redraw_id;
  gint64 start;

  if (bench->done)
    return;

  while (pixverse_application_get_loading (self) ||
         pixverse_application_get_key_state (self) == PIXVERSE_KEY_LOOKING_UP ||
         !gtk_widget_get_mapped (window))
    g_main_context_iteration (NULL, TRUE);
  monitor = pixverse_application_get_monitor (self);
  if (monitor == NULL)
    g_error ("The history did not open");
  run_for (500);

  timeout_id = g_timeout_add (1, timeout_cb, NULL);
  tick_id = gtk_widget_add_tick_callback (window, tick_cb, NULL, NULL);
  clock = gtk_widget_get_frame_clock (window);
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
  if (heavy_frame_us > 0)
    {
      g_signal_connect (clock, "layout", G_CALLBACK (phase_done_cb), GINT_TO_POINTER (MARK_LAYOUT));
      g_signal_connect (clock, "paint", G_CALLBACK (phase_done_cb), GINT_TO_POINTER (MARK_PAINT));
    }

  meter_reset ();
  phase_start = g_get_monotonic_time ();
  run_for (bench->idle_ms);
  bench->idle_max = meter.max_timeout;

  meter_reset ();
  phase_start = start = g_get_monotonic_time ();
  phase = "busy";
  for (guint i = 0; i < bench->n_jobs; i++)
    {
      g_autoptr(PixverseRequest) request = pixverse_request_new ();
      g_autofree char *prompt = g_strdup_printf ("A paper boat on a stormy sea, take %u", i + 1);

      pixverse_request_set_prompt (request, prompt);
      pixverse_monitor_submit_async (monitor, request, NULL, NULL, submit_cb, bench);
    }
  while (bench->submitted < bench->n_jobs || pixverse_monitor_get_n_active (monitor) > 0)
    g_main_context_iteration (NULL, TRUE);
  bench->busy_s = (g_get_monotonic_time () - start) / 1e6;
  bench->busy_max = meter.max_timeout;
  bench->busy_frame_max = meter.max_frame;
  bench->busy_cpu_max = meter.max_cpu;
  bench->busy_frame_cpu_max = meter.max_frame_cpu;
  bench->busy_other_cpu_max = meter.max_other_cpu;
  bench->busy_over = meter.over_16ms;
  bench->busy_frames = frame_costs->len;
  frame_costs_summary (&bench->busy_frame_cpu_mean, &bench->busy_frame_cpu_p90);

  /* Let the last row updates and the poster frames settle first. */
  run_for (500);
  meter_reset ();
  phase_start = g_get_monotonic_time ();
  phase = "redraw";
  if ((expose_display = XOpenDisplay (NULL)) == NULL ||
      (expose_window = find_own_window (expose_display)) == None)
    g_error ("bench-stalls runs under Xvfb: its window was not found there");
  redraw_id = gtk_widget_add_tick_callback (window, redraw_cb, NULL, NULL);
  run_for (bench->idle_ms);
  gtk_widget_remove_tick_callback (window, redraw_id);
  g_clear_pointer (&expose_display, XCloseDisplay);
  bench->redraw_max = meter.max_timeout;
  bench->redraw_frame_cpu_max = meter.max_frame_cpu;
  bench->redraw_frames = frame_costs->len;
  frame_costs_summary (&bench->redraw_frame_cpu_mean, &bench->redraw_frame_cpu_p90);

  g_source_remove (timeout_id);
  gtk_widget_remove_tick_callback (window, tick_id);
  g_signal_handlers_disconnect_by_func (clock, before_paint_cb, NULL);
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, NULL);
  g_signal_handlers_disconnect_matched (clock, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, phase_done_cb, NULL);
  bench->done = TRUE;
  gtk_window_close (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  Server server = { 0 };
  Bench bench = { 0 };
  g_autoptr(PixverseApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  GThread *thread;
  int status;

  if (argc != 4 || (bench.n_jobs = atoi (argv[1])) < 1 ||
      !((server.scale = g_ascii_strtod (argv[2], NULL)) > 0) ||
      (bench.idle_ms = atoi (argv[3])) < 1)
    {
      g_printerr ("usage: bench-stalls JOBS SCALE IDLE_MS\n");
      return 2;
    }

  frame_costs = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (g_getenv ("BENCH_HEAVY_FRAMES") != NULL)
    heavy_frame_us = g_ascii_strtoll (g_getenv ("BENCH_HEAVY_FRAMES"), NULL, 10) * 1000;
  dir = g_dir_make_tmp ("bench-stalls-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", dir, TRUE);
  g_setenv ("XDG_CACHE_HOME", dir, TRUE);
  g_setenv ("XDG_CONFIG_HOME", dir, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("PIXVERSE_TIME_SCALE", argv[2], TRUE);
  g_setenv ("PIXVERSE_API_KEY", PIXVERSE_TEST_API_KEY, TRUE);

  g_mutex_init (&server.lock);
  g_cond_init (&server.cond);
  thread = g_thread_new ("fake-pixwith", server_thread, &server);
  g_mutex_lock (&server.lock);
  while (server.url == NULL)
    g_cond_wait (&server.cond, &server.lock);
  g_mutex_unlock (&server.lock);
  g_setenv ("PIXVERSE_API_URL", server.url, TRUE);

  if (g_getenv ("BENCH_STALL_STACKS") != NULL &&
      (watch_threshold_us = g_ascii_strtoll (g_getenv ("BENCH_STALL_STACKS"), NULL, 10) * 1000) > 0)
    {
      if (watch_threshold_us == 1000)
        watch_threshold_us = 60000;
      watched_pid = getpid ();
      /* Yama lets a child (eu-stack) trace its parent only when asked. */
      prctl (PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
      g_thread_unref (g_thread_new ("watchdog", watchdog_thread, NULL));
    }

  app = pixverse_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (activate_cb), &bench);
  status = g_application_run (G_APPLICATION (app), 0, NULL);

  g_atomic_int_set (&watchdog_quit, TRUE);
  g_atomic_int_set (&server.quit, TRUE);
  g_main_context_wakeup (server.context);
  g_thread_join (thread);
  g_free (server.url);
  g_clear_pointer (&frame_costs, g_array_unref);

  if (status != 0 || !bench.done || bench.failed > 0)
    return 1;

  g_print ("stalls %u %.1f %.1f %.1f %u %.1f %.1f %.1f %.1f %u %.2f %.2f %.1f %.1f %u %.2f %.2f\n",
           bench.n_jobs, bench.idle_max / 1000.0, bench.busy_max / 1000.0,
           bench.busy_frame_max / 1000.0, bench.busy_over, bench.busy_s,
           bench.busy_cpu_max / 1000.0, bench.busy_frame_cpu_max / 1000.0,
           bench.busy_other_cpu_max / 1000.0, bench.busy_frames,
           bench.busy_frame_cpu_mean, bench.busy_frame_cpu_p90,
           bench.redraw_max / 1000.0, bench.redraw_frame_cpu_max / 1000.0,
           bench.redraw_frames, bench.redraw_frame_cpu_mean, bench.redraw_frame_cpu_p90);
  return 0;
}
