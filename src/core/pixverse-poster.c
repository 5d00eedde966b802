/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-poster"

#include "config.h"

#include "pixverse-poster.h"

#include <glib/gi18n-lib.h>
#include <gst/gst.h>

/*
 * A poster frame the way totem's thumbnailer makes one: a playbin with fake
 * sinks is paused (which decodes the first frame), seeked to a frame that
 * says more than the first one, and asked for that frame through its
 * "convert-sample" action signal, encoded as PNG by GStreamer itself.
 *
 * Everything blocks, so it runs on a worker thread; the bus is popped in
 * short slices so that cancellation and a stuck decoder are both noticed.
 * Posters are made one at a time, each decoded on one thread: a job's
 * videos arrive together, and so do many jobs' (issue 14), and a decoder
 * per video with a thread per core would leave no core to the window.
 */

/* A video that does not preroll (or seek) in this long is not going to. */
#define STEP_TIMEOUT_USEC (10 * G_USEC_PER_SEC)
#define POLL_SLICE_USEC (100 * 1000)
/* Where the frame is taken: one second in, or a third of a shorter video. */
#define POSTER_POSITION (1 * GST_SECOND)
/* The longer side of the poster; videos above it are scaled down. */
#define POSTER_MAX_SIZE 640

typedef struct
{
  GFile *video;
  GFile *poster;
} PosterData;

static void
poster_data_free (PosterData *data)
{
  g_clear_object (&data->video);
  g_clear_object (&data->poster);
  g_free (data);
}

static gpointer
init_gstreamer (gpointer user_data)
{
  GError *error = NULL;

  /* The GError, if any, is kept for every later caller. */
  if (!gst_init_check (NULL, NULL, &error))
    return error;
  return NULL;
}

static gboolean
ensure_gstreamer (GError **error)
{
  static GOnce once = G_ONCE_INIT;
  const GError *init_error;

  init_error = g_once (&once, init_gstreamer, NULL);
  if (init_error != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("GStreamer could not be started: %s"), init_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Waits for @play to finish a state change or seek (ASYNC_DONE). */
static gboolean
wait_for_async_done (GstElement    *play,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GstBus) bus = gst_element_get_bus (play);
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_USEC;

  for (;;)
    {
      g_autoptr(GstMessage) message = NULL;
      gint64 remaining;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      remaining = deadline - g_get_monotonic_time ();
      if (remaining <= 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               _("The video took too long to decode"));
          return FALSE;
        }

      message = gst_bus_timed_pop_filtered (bus,
                                            MIN (remaining, POLL_SLICE_USEC) * GST_USECOND,
                                            GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_ERROR);
      if (message == NULL)
        continue;

      if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
        {
          g_autoptr(GError) gst_error = NULL;
          g_autofree char *debug = NULL;

          gst_message_parse_error (message, &gst_error, &debug);
          g_debug ("GStreamer error: %s (%s)", gst_error->message, debug ? debug : "");
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The video could not be decoded: %s"), gst_error->message);
          return FALSE;
        }

      if (GST_MESSAGE_SRC (message) == GST_OBJECT (play))
        return TRUE;
    }
}

/* image/png caps no larger than POSTER_MAX_SIZE, square pixels, or plain
 * image/png when the video's size is not known yet. */
static GstCaps *
poster_caps (GstElement *play)
{
  g_autoptr(GstPad) pad = NULL;
  g_autoptr(GstCaps) video_caps = NULL;
  GstStructure *structure;
  int width = 0;
  int height = 0;
  int par_n = 1;
  int par_d = 1;
  double display_width;
  double scale;

  g_signal_emit_by_name (play, "get-video-pad", 0, &pad);
  if (pad != NULL)
    video_caps = gst_pad_get_current_caps (pad);
  if (video_caps == NULL || gst_caps_get_size (video_caps) == 0)
    return gst_caps_new_empty_simple ("image/png");

  structure = gst_caps_get_structure (video_caps, 0);
  if (!gst_structure_get_int (structure, "width", &width) ||
      !gst_structure_get_int (structure, "height", &height) ||
      width <= 0 || height <= 0)
    return gst_caps_new_empty_simple ("image/png");
  if (!gst_structure_get_fraction (structure, "pixel-aspect-ratio", &par_n, &par_d) ||
      par_n <= 0 || par_d <= 0)
    par_n = par_d = 1;

  display_width = (double) width * par_n / par_d;
  scale = MIN (1.0, POSTER_MAX_SIZE / MAX (display_width, (double) height));

  return gst_caps_new_simple ("image/png",
                              "width", G_TYPE_INT, MAX (1, (int) (display_width * scale + 0.5)),
                              "height", G_TYPE_INT, MAX (1, (int) (height * scale + 0.5)),
                              NULL);
}

static GstSample *
grab_frame (GstElement  *play,
            GError     **error)
{
  g_autoptr(GstCaps) caps = poster_caps (play);
  GstSample *sample = NULL;

  g_signal_emit_by_name (play, "convert-sample", caps, &sample);
  if (sample == NULL && gst_caps_get_size (caps) > 0 &&
      gst_structure_has_field (gst_caps_get_structure (caps, 0), "width"))
    {
      /* A size the encoder would not take: the frame as it is, then. */
      g_autoptr(GstCaps) plain = gst_caps_new_empty_simple ("image/png");

      g_signal_emit_by_name (play, "convert-sample", plain, &sample);
    }

  if (sample == NULL || gst_sample_get_buffer (sample) == NULL)
    {
      g_clear_pointer (&sample, gst_sample_unref);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("No frame could be taken from the video (is a PNG encoder installed?)"));
      return NULL;
    }

  return sample;
}

/* Two frames do not need a decoding thread per core. */
static void
element_setup_cb (GstElement *play,
                  GstElement *element,
                  gpointer    user_data)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element), "max-threads");

  /* libav's decoders: 0 means one per core. */
  if (pspec != NULL && pspec->value_type == G_TYPE_INT && (pspec->flags & G_PARAM_WRITABLE))
    g_object_set (element, "max-threads", 1, NULL);
}

static gboolean
make_poster (GFile         *video,
             GFile         *poster,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GstElement) play = NULL;
  g_autoptr(GstSample) sample = NULL;
  g_autoptr(GFile) parent = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *uri = NULL;
  GstElement *audio_sink;
  GstElement *video_sink;
  GstBuffer *buffer;
  GstMapInfo map;
  gint64 duration = -1;
  gboolean ok;

  if (!ensure_gstreamer (error))
    return FALSE;

  play = gst_element_factory_make ("playbin", NULL);
  audio_sink = gst_element_factory_make ("fakesink", NULL);
  video_sink = gst_element_factory_make ("fakesink", NULL);
  if (play == NULL || audio_sink == NULL || video_sink == NULL)
    {
      if (audio_sink != NULL)
        gst_object_unref (gst_object_ref_sink (audio_sink));
      if (video_sink != NULL)
        gst_object_unref (gst_object_ref_sink (video_sink));
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("GStreamer’s base plugins (playbin, fakesink) are not installed"));
      return FALSE;
    }
  /* playbin is floating; the autoptr owns it from here. */
  gst_object_ref_sink (play);

  uri = g_file_get_uri (video);
  g_object_set (play,
                "uri", uri,
                "audio-sink", audio_sink,
                "video-sink", video_sink,
                NULL);
  /* Sound is not needed for a picture; software decoders always work
   * with a fake sink, hardware ones may not (as totem found with vaapi). */
  gst_util_set_object_arg (G_OBJECT (play), "flags", "video+force-sw-decoders");
  g_signal_connect (play, "element-setup", G_CALLBACK (element_setup_cb), NULL);

  if (gst_element_set_state (play, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE)
    {
      /* The reason, if any, is on the bus. */
      if (!wait_for_async_done (play, cancellable, &local_error))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("The video could not be opened"));
      gst_element_set_state (play, GST_STATE_NULL);
      return FALSE;
    }

  ok = wait_for_async_done (play, cancellable, error);

  if (ok && gst_element_query_duration (play, GST_FORMAT_TIME, &duration) && duration > 0)
    {
      gint64 position = MIN ((gint64) POSTER_POSITION, duration / 3);

      /* A seek that is refused leaves the first frame, which is still a frame. */
      if (gst_element_seek_simple (play, GST_FORMAT_TIME,
                                   GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE,
                                   position))
        ok = wait_for_async_done (play, cancellable, error);
    }

  if (ok)
    {
      sample = grab_frame (play, error);
      ok = sample != NULL;
    }

  gst_element_set_state (play, GST_STATE_NULL);
  if (!ok)
    return FALSE;

  buffer = gst_sample_get_buffer (sample);
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("No frame could be taken from the video"));
      return FALSE;
    }

  parent = g_file_get_parent (poster);
  if (parent != NULL &&
      !g_file_make_directory_with_parents (parent, cancellable, &local_error) &&
      !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_autofree char *name = g_file_get_parse_name (parent);

      gst_buffer_unmap (buffer, &map);
      g_set_error (error, G_IO_ERROR, local_error->code,
                   _("Could not make the folder “%s”: %s"), name, local_error->message);
      return FALSE;
    }
  g_clear_error (&local_error);

  ok = g_file_replace_contents (poster, (const char *) map.data, map.size,
                                NULL, FALSE,
                                G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                NULL, cancellable, &local_error);
  gst_buffer_unmap (buffer, &map);
  if (!ok)
    {
      g_autofree char *name = g_file_get_parse_name (poster);

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, G_IO_ERROR, local_error->code,
                     _("Could not write “%s”: %s"), name, local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Makes one poster; the GTask is the queue's, handed over with its reference. */
static void
poster_run (gpointer item,
            gpointer user_data)
{
  g_autoptr(GTask) task = item;
  PosterData *data = g_task_get_task_data (task);
  GError *error = NULL;

  /* One cancelled while it waited for its turn costs nothing. */
  if (g_task_return_error_if_cancelled (task))
    return;

  if (make_poster (data->video, data->poster, g_task_get_cancellable (task), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gpointer
make_queue (gpointer user_data)
{
  /* Shared (not exclusive): its thread goes back to GLib when idle. */
  return g_thread_pool_new (poster_run, NULL, 1, FALSE, NULL);
}

static GThreadPool *
poster_queue (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, make_queue, NULL);
}

/**
 * pixverse_poster_make_async:
 * @video: a local video file
 * @poster: the PNG file to write (its folder is made if needed)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the poster is written, or not
 * @user_data: data for @callback
 *
 * Makes a poster frame for @video: a frame about a second in (a third of
 * the way into shorter videos), at most 640 pixels on its longer side, as
 * PNG. Runs GStreamer on a worker thread, one poster at a time.
 */
void
pixverse_poster_make_async (GFile               *video,
                            GFile               *poster,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  PosterData *data;

  g_return_if_fail (G_IS_FILE (video));
  g_return_if_fail (G_IS_FILE (poster));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_poster_make_async);
  g_task_set_name (task, "[pixverse] poster frame");

  data = g_new0 (PosterData, 1);
  data->video = g_object_ref (video);
  data->poster = g_object_ref (poster);
  g_task_set_task_data (task, data, (GDestroyNotify) poster_data_free);

  /* On failure the task is queued all the same, for the pool's next thread. */
  if (!g_thread_pool_push (poster_queue (), g_steal_pointer (&task), &error))
    g_warning ("No thread for poster frames yet: %s", error->message);
}

/**
 * pixverse_poster_make_finish:
 * @result: the result given to the callback
 * @error: the place for a #GIOError with a message for a person
 *
 * Returns: whether the poster was written
 */
gboolean
pixverse_poster_make_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pixverse_poster_make_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
