/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-hide-model"

#include "config.h"

#include "pixverse-hide-model.h"

#include "pixverse-task.h"

/* How far into a replaced range a hidden row is looked for again (a new
 * filter, another process's write); past that it is simply shown. */
#define REFIND_LIMIT 256

typedef struct
{
  gint64 id;
  guint  position;   /* in the underlying model */
} Hidden;

struct _PixverseHideModel
{
  GObject     parent_instance;

  GListModel *model;
  GArray     *hidden;   /* of Hidden, sorted by position */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PixverseHideModel, pixverse_hide_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_MODEL,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static gint64
task_id_at (GListModel *model,
            guint       position)
{
  g_autoptr(PixverseTask) task = g_list_model_get_item (model, position);

  return task != NULL ? pixverse_task_get_id (task) : -1;
}

static int
compare_hidden (gconstpointer a,
                gconstpointer b)
{
  const Hidden *ha = a;
  const Hidden *hb = b;

  return (ha->position > hb->position) - (ha->position < hb->position);
}

/* Hidden rows before underlying @position. */
static guint
count_before (PixverseHideModel *self,
              guint              position)
{
  guint n = 0;

  for (guint i = 0; i < self->hidden->len; i++)
    {
      if (g_array_index (self->hidden, Hidden, i).position >= position)
        break;
      n++;
    }

  return n;
}

static guint
count_in_range (PixverseHideModel *self,
                guint              position,
                guint              length)
{
  guint n = 0;

  for (guint i = 0; i < self->hidden->len; i++)
    {
      guint p = g_array_index (self->hidden, Hidden, i).position;

      if (p >= position && p - position < length)
        n++;
    }

  return n;
}

static guint
to_underlying (PixverseHideModel *self,
               guint              position)
{
  for (guint i = 0; i < self->hidden->len; i++)
    {
      if (g_array_index (self->hidden, Hidden, i).position > position)
        break;
      position++;
    }

  return position;
}

static void
items_changed_cb (PixverseHideModel *self,
                  guint              position,
                  guint              removed,
                  guint              added,
                  GListModel        *model)
{
  guint view_position;
  guint view_removed;
  guint view_added;
  guint n_before;

  g_assert (PIXVERSE_IS_HIDE_MODEL (self));
  g_assert (G_IS_LIST_MODEL (model));

  n_before = self->hidden->len;
  view_position = position - count_before (self, position);
  view_removed = removed - count_in_range (self, position, removed);

  for (guint i = self->hidden->len; i > 0; i--)
    {
      Hidden *h = &g_array_index (self->hidden, Hidden, i - 1);
      gboolean found = FALSE;

      if (h->position < position)
        continue;

      if (h->position - position >= removed)
        {
          h->position = h->position - removed + added;
          continue;
        }

      /* Its range was replaced: it may be among the new rows. */
      for (guint j = 0; j < MIN (added, REFIND_LIMIT); j++)
        {
          if (task_id_at (model, position + j) == h->id)
            {
              h->position = position + j;
              found = TRUE;
              break;
            }
        }

      if (!found)
        g_array_remove_index (self->hidden, i - 1);
    }

  g_array_sort (self->hidden, compare_hidden);
  view_added = added - count_in_range (self, position, added);

  if (view_removed > 0 || view_added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), view_position, view_removed, view_added);

  if (view_removed != view_added || n_before != self->hidden->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
}

static GType
pixverse_hide_model_get_item_type (GListModel *list)
{
  return PIXVERSE_TYPE_TASK;
}

static guint
pixverse_hide_model_get_n_items (GListModel *list)
{
  PixverseHideModel *self = PIXVERSE_HIDE_MODEL (list);
  guint n;

  if (self->model == NULL)
    return 0;

  n = g_list_model_get_n_items (self->model);

  return n > self->hidden->len ? n - self->hidden->len : 0;
}

static gpointer
pixverse_hide_model_get_item (GListModel *list,
                              guint       position)
{
  PixverseHideModel *self = PIXVERSE_HIDE_MODEL (list);

  if (self->model == NULL)
    return NULL;

  return g_list_model_get_item (self->model, to_underlying (self, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = pixverse_hide_model_get_item_type;
  iface->get_n_items = pixverse_hide_model_get_n_items;
  iface->get_item = pixverse_hide_model_get_item;
}

static void
pixverse_hide_model_dispose (GObject *object)
{
  PixverseHideModel *self = (PixverseHideModel *)object;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, items_changed_cb, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (pixverse_hide_model_parent_class)->dispose (object);
}

static void
pixverse_hide_model_finalize (GObject *object)
{
  PixverseHideModel *self = (PixverseHideModel *)object;

  g_clear_pointer (&self->hidden, g_array_unref);

  G_OBJECT_CLASS (pixverse_hide_model_parent_class)->finalize (object);
}

static void
pixverse_hide_model_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  PixverseHideModel *self = PIXVERSE_HIDE_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self)));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_hide_model_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  PixverseHideModel *self = PIXVERSE_HIDE_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      self->model = g_value_dup_object (value);
      if (self->model != NULL)
        g_signal_connect_object (self->model, "items-changed",
                                 G_CALLBACK (items_changed_cb), self,
                                 G_CONNECT_SWAPPED);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_hide_model_class_init (PixverseHideModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pixverse_hide_model_dispose;
  object_class->finalize = pixverse_hide_model_finalize;
  object_class->get_property = pixverse_hide_model_get_property;
  object_class->set_property = pixverse_hide_model_set_property;

  properties [PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pixverse_hide_model_init (PixverseHideModel *self)
{
  self->hidden = g_array_new (FALSE, FALSE, sizeof (Hidden));
}

PixverseHideModel *
pixverse_hide_model_new (GListModel *model)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  return g_object_new (PIXVERSE_TYPE_HIDE_MODEL,
                       "model", model,
                       NULL);
}

GListModel *
pixverse_hide_model_get_model (PixverseHideModel *self)
{
  g_return_val_if_fail (PIXVERSE_IS_HIDE_MODEL (self), NULL);

  return self->model;
}

void
pixverse_hide_model_hide (PixverseHideModel *self,
                          guint              position)
{
  Hidden h;

  g_return_if_fail (PIXVERSE_IS_HIDE_MODEL (self));
  g_return_if_fail (position < g_list_model_get_n_items (G_LIST_MODEL (self)));

  h.position = to_underlying (self, position);
  h.id = task_id_at (self->model, h.position);

  g_array_append_val (self->hidden, h);
  g_array_sort (self->hidden, compare_hidden);

  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
}

gboolean
pixverse_hide_model_unhide (PixverseHideModel *self,
                            gint64             id)
{
  g_return_val_if_fail (PIXVERSE_IS_HIDE_MODEL (self), FALSE);

  for (guint i = 0; i < self->hidden->len; i++)
    {
      Hidden h = g_array_index (self->hidden, Hidden, i);

      if (h.id != id)
        continue;

      g_array_remove_index (self->hidden, i);
      g_list_model_items_changed (G_LIST_MODEL (self),
                                  h.position - count_before (self, h.position),
                                  0, 1);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);

      return TRUE;
    }

  return FALSE;
}

gboolean
pixverse_hide_model_is_hidden (PixverseHideModel *self,
                               gint64             id)
{
  g_return_val_if_fail (PIXVERSE_IS_HIDE_MODEL (self), FALSE);

  for (guint i = 0; i < self->hidden->len; i++)
    {
      if (g_array_index (self->hidden, Hidden, i).id == id)
        return TRUE;
    }

  return FALSE;
}
