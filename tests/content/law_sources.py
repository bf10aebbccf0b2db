"""Law-library sources for tests: a small law source and official-layout documents.

The documents are generated here in the layout of the national laws and
regulations database; no real law text enters the repository.
"""

from __future__ import annotations

from pathlib import Path

from content.laws.numerals import to_chinese

TOPICS = """\
- code: labour
  name: 劳动
- code: family
  name: 婚姻家庭
"""

LAW = """\
code: test-law
title: 中华人民共和国测试法
short_title: 测试法
issuer: 全国人民代表大会常务委员会
promulgated: 2020-01-01
in_force: 2020-06-01
topics: [labour]
chapters:
  - number: 1
    title: 总则
    articles:
      - number: 1
        text: 为了测试，制定本法。
      - number: 2
        text: 经济补偿按工作年限计算。
        explanation: 干满一年给一个月工资。
  - number: 2
    title: 附则
    sections:
      - number: 1
        title: 一般规定
        articles:
          - number: 3
            text: 本法自2020年6月1日起施行。
"""

CASE = """\
id: case-one
title: 示例案例
topics: [labour]
facts: 某人被辞退。
question: 能拿多少经济补偿？
answer: 按工作年限计算。
cites:
  - law: test-law
    articles: [2]
"""


def add_law_library(source: Path) -> Path:
    """Add law-topics.yaml, laws/test-law.yaml and cases/case-one.yaml to a source."""
    (source / "law-topics.yaml").write_text(TOPICS, "utf-8")
    (source / "laws").mkdir(exist_ok=True)
    (source / "laws" / "test-law.yaml").write_text(LAW, "utf-8")
    (source / "cases").mkdir(exist_ok=True)
    (source / "cases" / "case-one.yaml").write_text(CASE, "utf-8")
    return source


def official_lines(title: str, chapters: int = 3, sections: int = 2,
                   articles_per_section: int = 3, paragraphs: int = 2) -> list[str]:
    """An official-layout text: title, note, 目录, chapters, sections, articles, paragraphs."""
    lines = [title, "（2020年1月1日第十三届全国人民代表大会常务委员会第一次会议通过）", "",
             "目　　录"]
    lines += [f"第{to_chinese(c)}章　第{c}章标题" for c in range(1, chapters + 1)]
    number = 0
    for c in range(1, chapters + 1):
        lines += ["", f"第{to_chinese(c)}章　第{c}章标题"]
        for s in range(1, sections + 1):
            lines.append(f"第{to_chinese(s)}节　第{s}节标题")
            for _ in range(articles_per_section):
                number += 1
                lines.append(f"第{to_chinese(number)}条　第{number}条正文，关于劳动合同与经济补偿"
                             f"的规定（编号{number}）。")
                lines += [f"　　第{number}条第{p}款的内容，继续上一条。"
                          for p in range(2, paragraphs + 1)]
    return lines
