"""Content sources for tests: where the seed and broken fixture are, and a good minimal source."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

from content.loader import POINT_COLUMNS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = PROJECT_ROOT / "content" / "seed"
BROKEN_DIR = Path(__file__).resolve().parent / "fixtures" / "broken"

CATEGORIES = [
    {"code": "legal-aid", "name": "法律援助", "name_en": "Legal aid", "icon": "援", "order": 1},
    {"code": "notary", "name": "公证", "name_en": "Notarization", "icon": "证", "order": 2},
]


def _guide(code: str, title: str, category: str, keywords: list[str]) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "title_en": f"Guide {code}",
        "category": category,
        "summary": f"{title}的办理指南。",
        "applicants": ["申请人本人"],
        "materials": [
            {"name": "居民身份证", "originals": 1, "copies": 1},
            {"name": "申请表", "originals": 1, "notes": "现场填写"},
        ],
        "steps": [{"title": "提出申请", "detail": "到窗口提交材料"}, {"title": "领取结果"}],
        "time_limit": "7日内",
        "fees": "免费",
        "legal_basis": ["《中华人民共和国法律援助法》"],
        "where": {"service": "综合窗口", "window": "1号窗口"},
        "online": "online-legalaid",
        "last_reviewed": "2026-01-15",
        "keywords": keywords,
    }


GUIDES = [
    _guide("LA-001", "农民工讨薪法律援助", "legal-aid", ["讨薪", "欠工资"]),
    _guide("NO-001", "继承公证", "notary", ["遗产"]),
]

POINTS = [
    {"id": "P001", "name": "示例市公共法律服务中心", "type": "centre", "level": "city",
     "district": "城东区", "address": "东湖路1号", "latitude": "30.2612",
     "longitude": "119.9718", "phone": "0000-85550123", "hours": "周一至周五 8:30-17:30",
     "services": "法律咨询、法律援助；人民调解", "advisor": "", "advisor_hours": "",
     "supervision_phone": "", "sample": "true"},
    {"id": "P002", "name": "示例市公证处", "type": "notary_office", "level": "county",
     "district": "城西区", "address": "望江路16号", "latitude": "30.2551",
     "longitude": "119.9803", "phone": "0000-85550210", "hours": "周一至周五 8:30-17:30",
     "services": "继承公证", "advisor": "", "advisor_hours": "",
     "supervision_phone": "0000-85550211", "sample": "是"},
    {"id": "P003", "name": "东村公共法律服务室", "type": "village_room", "level": "village",
     "district": "城东区", "address": "东村村委会", "latitude": "30.2711",
     "longitude": "119.9901", "phone": "0000-85550401", "hours": "周二上午",
     "services": "法律咨询;人民调解", "advisor": "张律师", "advisor_hours": "周二上午",
     "supervision_phone": "", "sample": "false"},
]

FAQ = [
    {"id": "FAQ-001", "question": "什么是法律援助？", "answer": "国家无偿提供的法律服务。",
     "category": "legal-aid", "keywords": ["免费律师"]},
    {"id": "FAQ-002", "question": "公证要带什么？", "answer": "居民身份证和相关材料。",
     "category": "notary"},
]

ONLINE = [
    {"id": "online-legalaid", "title": "法律援助在线申请", "title_en": "Apply for legal aid",
     "url": "https://www.12348.gov.cn/#/legalaid", "description": "在线申请法律援助。"},
    {"id": "online-notary", "title": "公证预约", "title_en": "Book a notary",
     "url": "https://www.12348.gov.cn/#/notary", "description": "预约公证。"},
]

FLOW = {
    "id": "aid-check",
    "title": "法律援助自助评估",
    "intro": "回答一个问题。",
    "start": "q_income",
    "nodes": {
        "q_income": {
            "type": "question",
            "text": "您家庭经济困难吗？",
            "choices": [{"label": "是", "next": "result_yes"},
                        {"label": "否", "next": "result_no"}],
        },
        "result_yes": {"type": "result", "title": "可以申请", "advice": "请到1号窗口。",
                       "materials": ["居民身份证"], "guides": ["LA-001"]},
        "result_no": {"type": "result", "title": "可以咨询", "advice": "请拨打12348。"},
    },
}

SLIDES = [
    {"id": "welcome", "title": "欢迎", "image": "welcome.png", "seconds": 10},
    {"id": "hotline", "title": "拨打12348", "seconds": 8},
]


def write_yaml(path: Path, data: Any) -> None:
    """Write data as UTF-8 YAML, creating the parent folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def write_points_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Write service-point rows as points.csv with the loader's column order."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=POINT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def write_good_source(root: Path) -> Path:
    """Write a small source folder that validates, and return it."""
    write_yaml(root / "categories.yaml", CATEGORIES)
    for guide in GUIDES:
        write_yaml(root / "guides" / f"{guide['code']}.yaml", guide)
    write_points_csv(root / "points.csv", POINTS)
    write_yaml(root / "faq.yaml", FAQ)
    write_yaml(root / "online.yaml", ONLINE)
    write_yaml(root / "flows" / "aid-check.yaml", FLOW)
    write_yaml(root / "slides" / "slides.yaml", SLIDES)
    Image.new("RGB", (8, 8), (10, 74, 133)).save(root / "slides" / "welcome.png")
    return root
