"""The seed content shipped with the terminal: valid and complete enough for every screen."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from content_sources import SEED_DIR, write_good_source

from content.loader import load_source
from content.schema import ContentSet, Level, PointType, ResultNode

REQUIRED_CATEGORIES = ["legal-aid", "mediation", "notary", "appraisal", "lawyer",
                       "consultation", "admin-review", "arbitration", "grassroots"]


@pytest.fixture(scope="module")
def seed() -> ContentSet:
    """The seed, loaded once (load_source raises if it has any error)."""
    return load_source(SEED_DIR)


def test_seed_has_enough_guides_across_the_service_categories(seed):
    assert len(seed.guides) >= 24
    per_category = Counter(g.category for g in seed.guides)
    assert len(per_category) >= 8
    assert {code: per_category[code] for code in REQUIRED_CATEGORIES if not per_category[code]} \
        == {}
    assert set(REQUIRED_CATEGORIES) <= {c.code for c in seed.categories}


def test_every_guide_asks_for_at_least_one_document(seed):
    without = [g.code for g in seed.guides
               if not any(m.originals + m.copies >= 1 for m in g.materials)]
    assert without == []


def test_seed_points_cover_every_level_and_type_and_are_marked_sample(seed):
    assert len(seed.points) >= 60
    assert {p.level for p in seed.points} == set(Level)
    assert {p.type for p in seed.points} == set(PointType)
    assert [p.id for p in seed.points if not p.sample] == []


def test_seed_has_enough_faq(seed):
    assert len(seed.faq) >= 40


def test_seed_online_services_all_go_to_the_12348_platform(seed):
    assert len(seed.online) >= 10
    hosts = {o.id: urlsplit(o.url) for o in seed.online}
    assert {key: url.geturl() for key, url in hosts.items()
            if url.scheme != "https" or url.hostname != "www.12348.gov.cn"} == {}


def test_legal_aid_check_flow_has_both_outcomes_and_every_result_lists_materials(seed):
    [flow] = [f for f in seed.flows if f.id == "legal-aid-check"]
    results = {key: node for key, node in flow.nodes.items() if isinstance(node, ResultNode)}
    assert {"result_no_econ_check", "result_econ_check"} <= set(results)
    assert [key for key, node in results.items() if not node.materials] == []


def test_seed_guides_referenced_by_the_flow_exist(seed):
    codes = {g.code for g in seed.guides}
    referenced = {code for flow in seed.flows for node in flow.nodes.values()
                  if isinstance(node, ResultNode) for code in node.guides}
    assert referenced and referenced <= codes


def test_seed_names_services_never_window_numbers(seed):
    """Windows are per hall (the hall's queue set-up): guides and flows name the service."""
    numbered = re.compile(r"\d+\s*号窗口")
    for guide in seed.guides:
        assert guide.where.service and not guide.where.window, guide.code
        assert not numbered.search(guide.model_dump_json()), guide.code
    for flow in seed.flows:
        assert not numbered.search(flow.model_dump_json()), flow.id


def test_older_content_naming_a_window_still_loads(tmp_path):
    content = load_source(write_good_source(tmp_path))  # its guides still name 1号窗口
    assert all(guide.where.window == "1号窗口" for guide in content.guides)
