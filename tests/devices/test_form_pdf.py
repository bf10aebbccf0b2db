"""A filled-in document renders to an A4 PDF whose text holds every field (read back with pypdf)."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from content.forms.fill import check_values
from content.forms.schema import FieldType, FormField, FormTemplate
from content.loader import load_source
from devices.form_pdf import render_form_pdf
from devices.printer import ticket_format

SEED = Path(__file__).resolve().parents[2] / "content" / "seed"
MADE_AT = dt.datetime(2026, 12, 6, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
VALID_ID = "11010519491231002X"


@pytest.fixture(scope="module")
def forms() -> dict[str, FormTemplate]:
    return {form.id: form for form in load_source(SEED).forms}


@pytest.fixture(scope="module")
def font() -> tuple[str, int]:
    layout = ticket_format(need_font=True)  # the interface's CJK font, as the tickets use it
    assert layout.font_path
    return layout.font_path, layout.font_index


def sample_value(field: FormField, index: int) -> str:
    """A distinct, valid value for any field (so each can be found in the PDF's text)."""
    if field.type is FieldType.CHOICE:
        return field.choices[-1]
    return {FieldType.PHONE: f"139{index:08d}", FieldType.ID_NUMBER: VALID_ID,
            FieldType.DATE: f"2024-{index % 12 + 1:02d}-15",
            FieldType.NUMBER: str(int(field.minimum or 0) + index + 1),
            FieldType.MULTILINE: f"第{index}项经过：甲方<借款>两万元 & 未还\n第二行说明{index}",
            }.get(field.type, f"填写内容{index}号")


def filled(form: FormTemplate) -> dict[str, str]:
    return {field.key: sample_value(field, i) for i, field in enumerate(form.fields())}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("form_id", ["legal-aid-application", "people-mediation-application",
                                     "labour-arbitration-application",
                                     "civil-complaint-elements"])
def test_filled_form_pdf_holds_every_field(forms, font, form_id):
    form = forms[form_id]
    values = filled(form)
    assert check_values(form, values, dt.date(2026, 12, 6)) == []
    started = time.perf_counter()
    data = render_form_pdf(form, values, font_path=font[0], font_index=font[1], made_at=MADE_AT)
    elapsed = time.perf_counter() - started
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata is not None and reader.metadata.title == form.title
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = squeeze(pdf_text(data))
    assert squeeze(form.title) in text
    for field in form.fields():
        assert squeeze(field.label) in text, field.key
        assert squeeze(values[field.key]) in text, (field.key, values[field.key])
    assert "2026-12-0610:30" in text
    print(f"{form_id}: {len(data)} bytes, {len(reader.pages)} page(s), rendered in "
          f"{elapsed * 1000:.0f} ms")


def test_elements_layout_numbers_each_element(forms, font):
    form = forms["civil-complaint-elements"]
    data = render_form_pdf(form, filled(form), font_path=font[0], font_index=font[1])
    text = squeeze(pdf_text(data))
    for number, field in enumerate(form.fields(), 1):
        assert f"{number}.{'*' if field.required else ''}{squeeze(field.label)}" in text


def test_empty_fields_leave_room_to_write(forms, font):
    form = forms["people-mediation-application"]
    data = render_form_pdf(form, {}, font_path=font[0], font_index=font[1])
    text = squeeze(pdf_text(data))
    assert all(squeeze(field.label) in text for field in form.fields())
    assert "申请人（签名）：" in text


def test_unusable_font_is_a_device_error(forms, tmp_path):
    from devices.status import DeviceError

    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    with pytest.raises(DeviceError, match="cannot use font"):
        render_form_pdf(forms["legal-aid-application"], {}, font_path=str(broken))


def test_fonts_do_not_pile_up_across_documents(forms, font):
    from reportlab.lib import fonts as font_maps
    from reportlab.pdfbase import pdfmetrics

    form = forms["people-mediation-application"]
    render_form_pdf(form, filled(form), font_path=font[0], font_index=font[1])
    before = (len(pdfmetrics._fonts), len(pdfmetrics._dynFaceNames), len(font_maps._tt2ps_map))
    for _ in range(3):
        data = render_form_pdf(form, filled(form), font_path=font[0], font_index=font[1])
    after = (len(pdfmetrics._fonts), len(pdfmetrics._dynFaceNames), len(font_maps._tt2ps_map))
    assert after == before  # a kiosk renders documents for months
    assert "填写内容0号" in squeeze(pdf_text(data))
