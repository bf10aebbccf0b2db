"""Scrolling and lists: scroll views drawing only what is in view, columns of blocks,
recycled lists whose rows are placed by index and kept for the next list."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.recycleboxlayout import RecycleBoxLayout
from kivy.uix.recyclelayout import RecycleLayout
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview import views as recycle_views
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.scrollview import ScrollView


def settle(view: ScrollView) -> None:
    """Stop a scroll view where its content starts: no touch held, no fling, no spring back.

    A scroll view keeps its motion when the page it shows changes (a guide page's tree handed
    to the next guide, a flow's next question built inside the touch that chose it): Kivy
    takes the jump to the top, or an emptied page's overscroll, as motion, so the new page
    would keep moving and take the visitor's next tap as stopping it, or move the button
    away under the finger.
    """
    view._touch = None
    for effect in (view.effect_x, view.effect_y):
        if effect is not None:
            effect.is_manual = False
            effect.velocity = 0
            effect.overscroll = 0
    view.scroll_x, view.scroll_y = 0, 1
    view._update_effect_bounds()  # the effects' values where the view now is


class _OneBarBinding:
    """Kivy 2.3's ScrollView binds bar_color on every scroll update but unbinds it only
    once per half second, so scrolling accumulates bindings; keep at most one."""

    def update_from_scroll(self, *largs: Any) -> None:
        """Drop the previous bar_color binding before Kivy adds one."""
        self.funbind("bar_color", self._change_bar_color)  # type: ignore[attr-defined]
        super().update_from_scroll(*largs)  # type: ignore[misc]


class KScrollView(_OneBarBinding, ScrollView):
    """ScrollView without the bar-colour binding leak.

    With ``cull`` on and a Column as its content, only the Column's children in the visible
    part are drawn: Kivy draws (and so renders the text textures of) every widget of a long
    page in its first frame, though a guide page shows a third to a half of it. Culling
    changes nothing in the layout (sizes and positions are computed for every child, so the
    page height, the bar and scroll_to stay exact); a child is drawn again, its texture
    rendered then, in the frame in which it scrolls into view (before that frame is drawn).
    """

    cull = BooleanProperty(False)
    CULL_MARGIN = 0.0  # of the view's height drawn beyond it (none needed: see above)

    def update_from_scroll(self, *largs: Any) -> None:
        """Position the content, then draw only what is in view."""
        super().update_from_scroll(*largs)
        self.cull_content()

    def on_cull(self, *_args: Any) -> None:
        """Turning culling off draws every child again."""
        self.cull_content()

    def cull_content(self) -> None:
        """Show the content's children in view, hide the others."""
        content = self._viewport
        if not isinstance(content, Column):
            return
        if not self.cull:
            if content.culled:
                content.show_band(float("-inf"), float("inf"))
            return
        if content.height > self.height:
            bottom = self.scroll_y * (content.height - self.height)
        else:
            bottom = content.height - self.height
        margin = self.height * self.CULL_MARGIN
        content.show_band(bottom - margin, bottom + self.height + margin)


class Column(BoxLayout):
    """A vertical box of blocks as tall as they are (styled in widgets.kv). In a KScrollView
    with ``cull`` on, its children out of view are not drawn (their canvases are taken out
    of this widget's canvas, and put back when they come into view)."""

    def __init__(self, **kwargs: Any):
        self._hidden: set[Any] = set()
        super().__init__(**kwargs)

    @property
    def culled(self) -> bool:
        """Whether some children are not drawn now."""
        return bool(self._hidden)

    def show_band(self, low: float, high: float) -> None:
        """Draw the children that reach into low..high (in this widget's coordinates)."""
        canvas, hidden, origin = self.canvas, self._hidden, self.y
        for child in self.children:
            bottom = child.y - origin
            near = bottom <= high and bottom + child.height >= low
            if near and child in hidden:
                hidden.discard(child)
                canvas.add(child.canvas)
            elif not near and child not in hidden:
                hidden.add(child)
                canvas.remove(child.canvas)

    def do_layout(self, *largs: Any) -> None:
        """Lay out, then draw only what is in the scroll view's visible part."""
        super().do_layout(*largs)
        if isinstance(self.parent, KScrollView):
            self.parent.cull_content()

    def remove_widget(self, widget: Any, *args: Any, **kwargs: Any) -> None:
        """Forget a removed child's culling (Kivy leaves an absent canvas alone)."""
        self._hidden.discard(widget)
        super().remove_widget(widget, *args, **kwargs)


class KRecycleView(_OneBarBinding, RecycleView):
    """RecycleView without the bar-colour binding leak."""

    def release_rows(self) -> None:
        """The list is dropped (its screen released): its row widgets go, without their
        texts (so without textures), to Kivy's cache of views shared by every list, where
        the next list built takes them instead of building rows through their kv rules
        (about 1.2 ms a row, 20 ms a screen of them)."""
        adapter = self.view_adapter
        if adapter is None:
            return
        rows = [*adapter.views.values(),
                *(view for views in adapter.dirty_views.values() for view in views.values())]
        for row in rows:
            if isinstance(row, ListRow):
                # The subtitle a space, not "" (a Preview of spaces has no texture): a row
                # without a subtitle is laid out differently, and the next list's rows would
                # be laid out twice.
                row.subtitle = " "
                row.title = row.badge = row.kind = row.key = ""
        layout = self.layout_manager
        if layout is not None:
            layout.clear_layout()  # the views to the shared cache, out of this layout
        else:
            adapter.invalidate()
        # No data either: a list handed on with its screen's widgets (BaseScreen.body_class)
        # and given the same rows again (the same category) would not see a change, and
        # would show no rows.
        self.data: list[dict[str, Any]] = []
        # Kivy keeps up to 1,000 spare views; a screen of rows is all the next list needs.
        spare = recycle_views._cached_views.get(ListRow)
        if spare is not None and len(spare) > SPARE_ROWS:
            recycle_views._cache_count -= len(spare) - SPARE_ROWS
            del spare[:len(spare) - SPARE_ROWS]


SPARE_ROWS = 32  # list rows kept in Kivy's view cache for the next lists (a screen holds ~15)


def fill_spare_rows(limit: int = SPARE_ROWS) -> int:
    """Build list rows into Kivy's shared view cache up to SPARE_ROWS (when nobody is using
    the screen: at start and between visitors), so that the lists of a visit take built rows
    (building 15 through kv was about 18 ms of the tap that opened a list, issue #17). A list
    that keeps its screen for the session (service points, questions) keeps its rows; the
    others come back when their screens are released. At most limit rows are built (a few
    a frame at start, see KioskApp.on_start). Returns how many were built."""
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.layout import Layout

    theme = App.get_running_app().theme
    # the size of a row in a list of the whole window's width (a Body's padding aside):
    # its labels are first laid out at about their width, not at Kivy's default 100 px
    size = (Window.width - 2 * theme.spacing,
            theme.target * (1.7 if theme.elder else 1.35))  # as ItemList's rows
    spare = recycle_views._cached_views[ListRow]
    built = min(limit, max(0, SPARE_ROWS - len(spare)))
    for _ in range(built):
        row = ListRow(size_hint=(None, None), size=size)
        row.subtitle = " "  # as a released row (see KRecycleView.release_rows)
        for widget in row.walk(restrict=True):
            if isinstance(widget, Layout):
                widget.do_layout()
        row.size_hint = (1, None)  # RowsLayout sets size and hint of the rows it shows
        spare.append(row)
    recycle_views._cache_count += built
    return built


def release_rows(root: Any) -> None:
    """Hand the rows of every list under root to the shared cache (see KRecycleView)."""
    for widget in root.walk(restrict=True):
        if isinstance(widget, KRecycleView):
            widget.release_rows()


class RowsLayout(RecycleBoxLayout):
    """The layout of a list (ItemList) whose rows are all ``default_size`` high.

    Kivy's RecycleBoxLayout works a new list out row by row, looking each row's data up for
    a size, a size hint and a position hint and running the general box algorithm over them
    (about 15 ms for 1,000 rows, on every new list and again when the list's height
    follows). A list's rows here never carry a size in their data (title, subtitle, kind,
    key, badge), so each row's size and position follows from its index. Any other use
    (horizontal, key_size ... set, or a size in the first row's data) takes Kivy's way.
    """

    SIZE_KEYS = frozenset({"size", "width", "height", "size_hint", "size_hint_x",
                           "size_hint_y", "pos_hint", "size_hint_min", "size_hint_max",
                           "size_hint_min_x", "size_hint_min_y", "size_hint_max_x",
                           "size_hint_max_y"})

    def _uniform(self, data: Any) -> bool:
        return (self.orientation == "vertical" and self.default_size[1] is not None
                and self.default_size_hint[1] is None and not self.default_pos_hint
                and self.key_size is None and self.key_size_hint is None
                and self.key_pos_hint is None and self.key_viewclass is None
                and self.key_size_hint_min is None and self.key_size_hint_max is None
                and not (data and self.SIZE_KEYS & data[0].keys()))

    def compute_sizes_from_data(self, data: Any, flags: Any) -> None:
        """The same options for every row (what Kivy would work out for each)."""
        if not self._uniform(data):
            super().compute_sizes_from_data(data, flags)
            return
        opts: list[Any] = getattr(self, "view_opts")  # noqa: B009 (mypy: Kivy's untyped property)
        if opts and len(opts) == len(data) and not flags:
            return  # nothing changed
        self.clear_layout()
        width, height = self.default_size
        # One set of options copied for every row; Kivy replaces these lists, never
        # changes them in place, so the rows may share them.
        template = {"size": [self.initial_size[0] if width is None else width, height],
                    "size_hint": list(self.default_size_hint),
                    "size_hint_min": list(self.default_size_hint_min),
                    "size_hint_max": list(self.default_size_hint_max), "pos": None,
                    "pos_hint": self.default_pos_hint, "viewclass": self.viewclass,
                    "width_none": width is None, "height_none": False}
        self.view_opts = [template.copy() for _item in data]

    def compute_layout(self, data: Any, flags: Any) -> None:
        """Rows one under the other, each its own height, from the top."""
        if not self._uniform(data):
            super().compute_layout(data, flags)
            return
        RecycleLayout.compute_layout(self, data, flags)  # sizes views changed by themselves
        changed = self._changed_views
        if changed is None or changed and not self._update_sizes(changed):
            return
        self.clear_layout()
        self._rv_positions = None
        left, top, right, bottom = self.padding
        if not data:
            self.minimum_size = left + right, top + bottom
            return
        view_opts = self.view_opts
        count, spacing, height = len(view_opts), self.spacing, self.default_size[1]
        hint_x = self.default_size_hint[0]
        width = (max(0.0, hint_x * (self.width - left - right)) if hint_x is not None
                 else view_opts[0]["size"][0])
        self.minimum_size = (left + right + (0 if hint_x is not None else width),
                             top + bottom + count * height + spacing * (count - 1))
        x, step, size = self.x + left, height + spacing, [width, height]
        lowest = self.y + bottom
        for index, opt in enumerate(view_opts):
            opt["pos"] = x, lowest + (count - 1 - index) * step
            opt["size"] = size
        # where each row starts, as Kivy keeps it for finding the rows in view
        first = self.y + self.height - top - height - spacing / 2.0
        self._rv_positions = [first - (count - 1 - i) * step for i in range(count)]


class ListRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One row of a list: title, subtitle, optional badge; reports its item when tapped."""

    title = StringProperty("")
    subtitle = StringProperty("")
    badge = StringProperty("")
    kind = StringProperty("")
    key = StringProperty("")
    index = NumericProperty(0)

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> Any:
        """Take a row's values from the RecycleView data."""
        self.index = index
        return super().refresh_view_attrs(rv, index, data)

    def on_release(self) -> None:
        """Open the item this row shows."""
        from kivy.app import App

        App.get_running_app().open_item(self.kind, self.key)
