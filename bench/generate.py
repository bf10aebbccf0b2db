"""Generate a large, valid content source folder for the benchmarks.

``generate_source(dest, guides, points, faq)`` copies the seed content
(categories, online services, flows, slides, FAQ, seed guides and points) and
adds generated guides, service points and optionally FAQ entries until the
totals are as requested. Titles are combinations of real words (申请, 办理,
公证, 调解, 援助, 鉴定, 咨询 and matter names), so search and list rendering
see realistic Chinese text. The output is deterministic for a given seed.

Run as a script to write a folder: ``python bench/generate.py DEST --guides 10000``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import random
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from content.install import SEED
from content.loader import POINT_COLUMNS

try:  # libyaml writes 10,000 files several times faster than the pure-Python emitter
    from yaml import CSafeDumper as Dumper
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as Dumper  # type: ignore[assignment]

# Category code -> (code prefix, share of generated guides, matter subjects, title templates).
CATEGORIES: dict[str, tuple[str, float, list[str], list[str]]] = {
    "legal-aid": ("FLYZ", 0.16, [
        "讨薪", "工伤赔偿", "交通事故赔偿", "赡养费", "抚养费", "扶养费", "医疗损害赔偿",
        "家庭暴力", "刑事辩护", "见义勇为", "国家赔偿", "劳动合同纠纷", "离婚纠纷",
        "残疾人权益", "妇女权益", "未成年人权益", "社会保险待遇", "最低生活保障",
    ], ["{s}法律援助申请", "申请{s}法律援助", "办理{s}法律援助", "{s}援助案件受理"]),
    "mediation": ("RMTJ", 0.12, [
        "邻里", "婚姻家庭", "物业服务", "医疗", "劳动争议", "交通事故", "土地承包",
        "宅基地", "消费", "婚约彩礼", "征地拆迁", "山林权属", "房屋租赁", "民间借贷",
        "相邻通行", "养殖污染",
    ], ["{s}纠纷人民调解", "申请{s}纠纷调解", "{s}矛盾调解", "办理{s}调解协议司法确认"]),
    "notary": ("GZ", 0.16, [
        "出生", "学历", "学位", "无犯罪记录", "婚姻状况", "亲属关系", "继承", "遗嘱", "赠与",
        "委托", "声明", "保全证据", "房屋买卖合同", "驾驶证", "职业资格", "经历", "成绩单",
        "死亡", "收养", "财产分割协议", "提存", "现场监督",
    ], ["{s}公证", "办理{s}公证", "申请{s}公证", "{s}公证（涉外）"]),
    "appraisal": ("SFJD", 0.10, [
        "亲子", "伤残等级", "法医临床", "法医病理", "文书笔迹", "痕迹", "声像资料",
        "电子数据", "精神障碍", "环境损害", "交通事故车速", "血液酒精含量", "劳动能力",
        "误工期", "医疗过错",
    ], ["{s}司法鉴定", "申请{s}鉴定", "办理{s}鉴定委托", "{s}鉴定咨询"]),
    "lawyer": ("LS", 0.08, [
        "合同审查", "刑事辩护", "民事诉讼代理", "常年法律顾问", "行政诉讼代理", "非诉讼事务",
        "劳动争议代理", "婚姻家事代理", "企业合规", "律师见证", "法律意见书",
    ], ["委托律师办理{s}", "{s}律师服务", "申请{s}律师代理", "{s}委托咨询"]),
    "consultation": ("FLZX", 0.12, [
        "婚姻家庭", "劳动争议", "房产", "民间借贷", "继承", "消费维权", "交通事故", "物业",
        "医疗纠纷", "土地承包", "公司经营", "知识产权", "网络购物", "电信诈骗", "养老保险",
    ], ["{s}法律咨询", "{s}问题咨询", "咨询{s}法律问题", "预约{s}律师咨询"]),
    "admin-review": ("XZFY", 0.07, [
        "行政处罚", "行政许可", "行政强制", "政府信息公开", "工伤认定", "征收补偿",
        "社会保险", "不动产登记", "行政不作为", "行政收费",
    ], ["申请{s}行政复议", "{s}行政复议申请", "办理{s}复议", "{s}复议咨询"]),
    "arbitration": ("ZC", 0.07, [
        "商事合同", "买卖合同", "建设工程", "借款合同", "股权转让", "房屋租赁合同",
        "劳动人事争议", "物业服务合同", "保险合同", "技术服务合同",
    ], ["{s}仲裁申请", "申请{s}仲裁", "办理{s}仲裁", "{s}仲裁咨询"]),
    "grassroots": ("JCFW", 0.07, [
        "代写法律文书", "协助调解", "代理民事诉讼", "法律事务见证", "村规民约审查",
        "合同起草", "土地流转合同审查", "安置帮教",
    ], ["{s}基层法律服务", "申请{s}", "办理{s}", "{s}服务咨询"]),
    "publicity": ("FZXC", 0.05, [
        "宪法", "民法典", "反家庭暴力法", "未成年人保护法", "劳动法", "禁毒", "反诈",
        "安全生产", "扫黑除恶", "老年人权益保障法",
    ], ["{s}普法讲座预约", "申请{s}法治宣传", "{s}宣传资料领取", "预约{s}法治课堂"]),
}
PEOPLE = ["", "涉外", "农民工", "老年人", "未成年人", "残疾人", "退役军人", "企业", "村（社区）"]
VARIANTS = ["", "（代理人办理）", "（加急）", "（补办）", "（线上预约）"]
MATERIALS = [
    ("居民身份证", "已出国的可提供护照。"), ("居民户口簿", "户口已迁出的提供迁移证明。"),
    ("申请表", "在窗口领取或在12348法网下载填写。"), ("授权委托书", "委托他人办理时提供。"),
    ("经济困难状况说明", "如实填写并作个人诚信承诺。"),
    ("劳动合同或工资条", "没有合同的提供考勤记录。"),
    ("医疗诊断证明", "二级以上医院出具。"), ("交通事故认定书", "由交警部门出具。"),
    ("不动产权证书", "共有的需全体共有人到场。"), ("结婚证或离婚证", "遗失的提供婚姻登记档案。"),
    ("与案件有关的证据材料", "原件核对后退还。"), ("近期2寸免冠照片", "白底彩色。"),
    ("营业执照", "加盖公章的复印件。"), ("法定代表人身份证明书", "由单位出具。"),
    ("行政决定书", "注明收到日期。"), ("调解申请书", "写明纠纷经过和请求。"),
]
STEPS = [
    ("取号或预约", "到服务大厅取号，也可在12348法网预约。"),
    ("提交材料", "窗口一次性告知需要的材料。"),
    ("审查受理", "工作人员当场审查，材料齐全的当场受理。"),
    ("缴费", "按收费标准缴费，符合条件的减免。"),
    ("办理", "承办人员联系当事人，依法办理。"), ("领取结果", "凭受理单到窗口领取或邮寄送达。"),
    ("回访评价", "办结后可扫码评价服务。"),
]
BASIS = [
    "《中华人民共和国法律援助法》", "《中华人民共和国人民调解法》", "《中华人民共和国公证法》",
    "《全国人民代表大会常务委员会关于司法鉴定管理问题的决定》", "《中华人民共和国律师法》",
    "《中华人民共和国行政复议法》", "《中华人民共和国仲裁法》", "《中华人民共和国民法典》",
]
DISTRICTS = ["城东区", "城西区", "溪口县", "白沙县", "南湖区", "北山区", "青江县", "石门县",
             "桃源县", "云岭县", "新安市", "临溪县"]
SYLLABLES = list("东西南北青白石桃云临安和平新丰兴富福宁江山湖河溪岭桥塘湾田坪林松竹梅柳")
ROADS = ["人民路", "解放路", "建设路", "文化路", "中山路", "和平街", "新华街", "环城路", "滨江路"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾")
GIVEN = ["伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞"]
FIRM_WORDS = ["明理", "同舟", "正信", "诚和", "立德", "天平", "致远", "公允", "衡平", "弘法"]
HOURS = ["周一至周五 8:30-12:00 14:00-17:30", "周一至周五 8:30-11:30 14:00-17:00",
         "周一至周六 9:00-17:00", "工作日 8:30-17:00，周六上午值班"]
POINT_TYPES: list[tuple[str, str, int, list[str]]] = [
    # type, level, weight, services
    ("village_room", "village", 55, ["法律咨询", "人民调解", "法律援助申请代办", "法治宣传"]),
    ("station", "township", 12, ["法律咨询", "法律援助申请受理", "人民调解", "基层法律服务"]),
    ("mediation_committee", "village", 12, ["邻里纠纷调解", "婚姻家庭纠纷调解", "司法确认对接"]),
    ("law_firm", "county", 10, ["民事诉讼代理", "刑事辩护", "合同审查", "法律顾问"]),
    ("notary_office", "county", 3, ["继承公证", "委托公证", "学历公证", "保全证据公证"]),
    ("appraisal_institution", "county", 3, ["法医临床鉴定", "伤残等级鉴定", "文书鉴定"]),
    ("legal_aid_centre", "county", 2, ["法律援助申请受理", "值班律师法律帮助"]),
    ("centre", "county", 2, ["法律咨询", "法律援助申请受理", "人民调解", "公证咨询"]),
    ("arbitration_commission", "city", 1, ["仲裁申请受理", "仲裁咨询"]),
]
FAQ_TEMPLATES = ["{s}需要带什么材料？", "{s}要多长时间？", "{s}收费吗？", "{s}可以委托别人办吗？",
                 "{s}在哪个窗口办？", "{s}可以网上办吗？"]


def _dump_yaml(path: Path, data: Any) -> None:
    path.write_text(yaml.dump(data, Dumper=Dumper, allow_unicode=True, sort_keys=False,
                              width=200), "utf-8")


def _place(rng: random.Random, suffix: str) -> str:
    return "".join(rng.sample(SYLLABLES, 2)) + suffix


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))


def _titles(rng: random.Random, subjects: Sequence[str], templates: Sequence[str],
            count: int) -> list[str]:
    """count titles, distinct while the combinations last, in random order."""
    combos = list(itertools.product(PEOPLE, templates, subjects, VARIANTS))
    rng.shuffle(combos)
    titles = []
    for index in range(count):
        people, template, subject, variant = combos[index % len(combos)]
        titles.append(f"{people}{template.format(s=subject)}{variant}")
    return titles


def _guide(rng: random.Random, code: str, category: str, title: str, subject: str,
           online: str | None, names: dict[str, str]) -> dict[str, Any]:
    materials = [
        {"name": name, "originals": rng.randint(0, 2) or 1, "copies": rng.randint(0, 2),
         "notes": notes, "required": rng.random() > 0.2}
        for name, notes in rng.sample(MATERIALS, rng.randint(2, 7))
    ]
    steps = [{"title": t, "detail": d} for t, d in STEPS[:rng.randint(3, len(STEPS))]]
    guide: dict[str, Any] = {
        "code": code, "title": title, "category": category,
        "summary": f"为{subject}事项提供{names[category]}服务。申请人按本指南一次性准备材料，"
                   f"到服务大厅{names[category]}窗口办理，符合条件的当场受理。",
        "applicants": ["本人或其法定代理人", "经当事人委托的代理人"][:rng.randint(1, 2)],
        "materials": materials,
        "steps": steps,
        "time_limit": f"自受理之日起{rng.choice([3, 5, 7, 10, 15, 30])}个工作日内办结。",
        "fees": rng.choice(["免费。", "按物价部门核定的标准收费，符合法律援助条件的减免。"]),
        "legal_basis": rng.sample(BASIS, rng.randint(1, 3)),
        "where": {"service": names[category], "window": f"{rng.randint(1, 12)}号窗口"},
        "last_reviewed": dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 480)),
        "keywords": [subject, names[category]],
    }
    if online:
        guide["online"] = online
    return guide


def _add_guides(rng: random.Random, dest: Path, count: int) -> None:
    categories = yaml.safe_load((dest / "categories.yaml").read_text("utf-8"))
    names = {c["code"]: c["name"] for c in categories}
    online = _online_by_category(dest)
    known = [code for code in CATEGORIES if code in names]
    weights = [CATEGORIES[code][1] for code in known]
    per_category = dict.fromkeys(known, 0)
    for code in rng.choices(known, weights, k=count):
        per_category[code] += 1
    number = 0
    for category, how_many in per_category.items():
        prefix, _share, subjects, templates = CATEGORIES[category]
        for title in _titles(rng, subjects, templates, how_many):
            number += 1
            code = f"{prefix}-G{number:05d}"
            subject = next((s for s in subjects if s in title), subjects[0])
            _dump_yaml(dest / "guides" / f"{code}.yaml",
                       _guide(rng, code, category, title, subject, online.get(category), names))


def _online_by_category(dest: Path) -> dict[str, str]:
    """The online service the seed guides of each category link to."""
    result: dict[str, str] = {}
    for path in sorted((dest / "guides").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        if data.get("online"):
            result.setdefault(data["category"], data["online"])
    return result


def _point_row(rng: random.Random, number: int) -> dict[str, str]:
    kinds = [k for k, *_rest in POINT_TYPES]
    point_type, level, _weight, services = POINT_TYPES[
        kinds.index(rng.choices(kinds, [w for _k, _l, w, _s in POINT_TYPES])[0])]
    district = rng.choice(DISTRICTS)
    town = _place(rng, rng.choice(["镇", "乡", "街道"]))
    village = _place(rng, rng.choice(["村", "社区"]))
    name = {
        "village_room": f"{town}{village}公共法律服务工作室",
        "station": f"{district}{town}公共法律服务工作站",
        "mediation_committee": f"{town}{village}人民调解委员会",
        "law_firm": f"{rng.choice(FIRM_WORDS)}{_place(rng, '')}律师事务所",
        "notary_office": f"{district}{_place(rng, '')}公证处",
        "appraisal_institution": f"{_place(rng, '')}司法鉴定所",
        "legal_aid_centre": f"{district}{town}法律援助工作站",
        "centre": f"{district}{town}公共法律服务分中心",
        "arbitration_commission": f"{district}{_place(rng, '')}仲裁院",
    }[point_type]
    village_level = level == "village"
    return {
        "id": f"P-G{number:05d}", "name": name, "type": point_type, "level": level,
        "district": district,
        "address": f"{district}{town}{rng.choice(ROADS)}{rng.randint(1, 300)}号",
        "latitude": f"{30.2 + rng.uniform(-0.4, 0.4):.4f}",
        "longitude": f"{119.9 + rng.uniform(-0.4, 0.4):.4f}",
        "phone": f"0000-8{rng.randint(0, 9_999_999):07d}", "hours": rng.choice(HOURS),
        "services": "、".join(rng.sample(services, rng.randint(1, len(services)))),
        "advisor": f"{_person(rng)}（青溪{rng.choice(FIRM_WORDS)}律师事务所）"
                   if village_level else "",
        "advisor_hours": "每月第一、三周周三 9:00-12:00" if village_level else "",
        "supervision_phone": f"0000-8555{rng.randint(0, 9999):04d}" if village_level else "",
        "sample": "true",
    }


def _add_points(rng: random.Random, dest: Path, count: int) -> None:
    with (dest / "points.csv").open(encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))  # the seed's columns (with or without English)
    assert set(POINT_COLUMNS) <= set(header), header
    with (dest / "points.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="", lineterminator="\n")
        for number in range(1, count + 1):
            writer.writerow(_point_row(rng, number))


def _add_faq(rng: random.Random, dest: Path, count: int) -> None:
    path = dest / "faq.yaml"
    entries = yaml.safe_load(path.read_text("utf-8"))
    for number in range(1, count + 1):
        category = rng.choice(list(CATEGORIES))
        subject = rng.choice(CATEGORIES[category][2])
        entries.append({
            "id": f"FAQ-G{number:05d}",
            "question": rng.choice(FAQ_TEMPLATES).format(s=subject),
            "answer": f"{subject}事项请带好身份证件和相关材料到服务大厅办理，"
                      "具体以窗口一次性告知为准；也可以拨打12348热线咨询。",
            "category": category, "keywords": [subject],
        })
    _dump_yaml(path, entries)


def _seed_count(dest: Path) -> tuple[int, int, int]:
    guides = len(list((dest / "guides").glob("*.yaml")))
    with (dest / "points.csv").open(encoding="utf-8-sig") as handle:
        points = sum(1 for row in csv.reader(handle) if any(row)) - 1
    faq = len(yaml.safe_load((dest / "faq.yaml").read_text("utf-8")))
    return guides, points, faq


def generate_source(dest: Path, guides: int, points: int, faq: int = 0,
                    seed: int = 20260122) -> Path:
    """Write a valid source folder at dest with `guides` guides and `points` points in total.

    The seed content is kept; generated items fill up to the totals. ``faq`` is the
    total number of FAQ entries (0 keeps the seed FAQ as it is). Raises ValueError when
    a total is smaller than what the seed already has.
    """
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(SEED, dest, ignore=shutil.ignore_patterns("README.md"))
    seed_guides, seed_points, seed_faq = _seed_count(dest)
    for name, wanted, present in (("guides", guides, seed_guides),
                                  ("points", points, seed_points)):
        if wanted < present:
            raise ValueError(f"{name}={wanted} is fewer than the {present} in the seed")
    rng = random.Random(seed)
    _add_guides(rng, dest, guides - seed_guides)
    _add_points(rng, dest, points - seed_points)
    if faq > seed_faq:
        _add_faq(rng, dest, faq - seed_faq)
    return dest


def main() -> int:
    """Command line: write a generated source folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--guides", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--faq", type=int, default=0)
    args = parser.parse_args()
    generate_source(args.dest, args.guides, args.points, args.faq)
    print(f"wrote {args.dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
