"""The shared filter bar of list pages: every kind of control, state kept, values escaped."""

from django.template.loader import render_to_string

from zhangfang.core.listing import FilterBar, FilterField, options_html


def _bar(**hidden) -> str:
    bar = FilterBar(
        action="/billing/bills/",
        target="#bill-table",
        fields=[
            FilterField.search("搜索", "华为", placeholder="客户名称"),
            FilterField(
                "status", "状态", value="open", options=[("open", "未收款"), ("paid", "已结清")]
            ),
            FilterField("month", "开单月份", "month", "2026-11"),
            FilterField("overdue", "只看逾期", "check", True, check_value="on"),
            FilterField("months", "滞后≥（月）", "number", None),
        ],
        hidden=hidden,
    )
    return render_to_string("core/_filter_bar.html", {"bar": bar})


def test_each_control_is_labelled_and_keeps_its_value():
    html = _bar(sort="-issued", client="")
    assert 'hx-get="/billing/bills/"' in html and 'hx-target="#bill-table"' in html
    assert '<label class="form-label small mb-1" for="id_q">搜索</label>' in html
    assert 'type="search" id="id_q" name="q" value="华为" placeholder="客户名称"' in html
    assert (
        '<option value="open" selected>未收款</option><option value="paid">已结清</option>' in html
    )
    assert 'type="month" id="id_month" name="month" value="2026-11"' in html
    assert 'id="id_overdue" name="overdue" value="on" checked' in html
    assert 'type="number" id="id_months" name="months" value=""' in html
    # The sort is carried; an empty hidden value is left out rather than sent blank.
    assert '<input type="hidden" name="sort" value="-issued">' in html
    assert 'name="client"' not in html


def test_option_labels_and_values_are_escaped():
    html = options_html([("<x>", "A & B")], "<x>")
    assert html == '<option value="&lt;x&gt;" selected>A &amp; B</option>'
