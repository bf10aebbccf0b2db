"""Cross-checks of form templates, each error at the line of the field to fix.

Field keys unique within a template, the file named after the template, pre-fill sources that
name a flow and a node that exist (and answers that map onto the field's choices), and guides
that exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from content.forms.schema import FieldType, FormTemplate

if TYPE_CHECKING:
    from content.collector import Collector, Item


def check_forms(col: Collector) -> None:
    """Record every form-template error in the collector."""
    valid = [i for i in col.items if i.model is not None]
    flows = {i.model.id: i.model for i in valid if i.kind == "flows"}
    guides = col.declared("guides")
    for item in valid:
        if item.kind == "forms":
            _check_template(col, item, flows, guides)


def _check_template(col: Collector, item: Item, flows: dict[str, Any], guides: set[str]) -> None:
    template: FormTemplate = item.model
    if item.path.stem != template.id:
        col.error_at(item, ("id",), "file name must be the template id followed by .yaml")
    seen: dict[str, int | None] = {}
    for s, section in enumerate(template.sections):
        for f, field in enumerate(section.fields):
            path = ("sections", s, "fields", f)
            if field.key in seen:
                col.error_at(item, (*path, "key"), f"field key {field.key!r} is already used "
                             f"at line {seen[field.key]}")
            else:
                seen[field.key] = item.line(*path, "key")
            if field.prefill is not None:
                _check_prefill(col, item, path, field, flows)
    for index, code in enumerate(template.guides):
        if code not in guides:
            col.error_at(item, ("guides", index), f"unknown guide {code!r}")


def _check_prefill(col: Collector, item: Item, path: tuple[Any, ...], field: Any,
                   flows: dict[str, Any]) -> None:
    source = field.prefill
    where = (*path, "prefill")
    flow = flows.get(source.flow)
    if flow is None:
        if source.flow not in col.declared("flows"):
            col.error_at(item, (*where, "flow"), f"unknown flow {source.flow!r}")
        return
    node = flow.nodes.get(source.node)
    if node is None:
        col.error_at(item, (*where, "node"), f"flow {source.flow!r} has no node {source.node!r}")
        return
    answers = [c.label for c in node.choices] if node.type == "question" else [node.title]
    for answer in source.map:
        if answer not in answers:
            col.error_at(item, (*where, "map", answer), f"{answer!r} is not an answer of node "
                         f"{source.node!r}; its answers are: {', '.join(answers)}")
    if field.type is FieldType.CHOICE:
        for answer in answers:
            value = source.map.get(answer, answer)
            if value not in field.choices and answer in source.map:
                col.error_at(item, (*where, "map", answer), f"{value!r} is not one of the "
                             "field's choices")
