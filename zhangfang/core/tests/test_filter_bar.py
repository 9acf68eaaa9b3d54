"""The shared filter bar of list pages: every kind of control, state kept, values escaped."""

import datetime as dt

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


def test_a_date_value_is_written_as_an_iso_date():
    bar = FilterBar(
        action="/leads/visits/",
        target="#visit-table",
        fields=[
            FilterField("date_from", "开始日期", "date", dt.date(2026, 3, 5)),
            FilterField("date_to", "结束日期", "date", None),
        ],
    )
    html = render_to_string("core/_filter_bar.html", {"bar": bar})
    assert 'type="date" id="id_date_from" name="date_from" value="2026-03-05"' in html
    assert 'type="date" id="id_date_to" name="date_to" value=""' in html


def test_the_submit_button_shows_only_without_javascript_unless_labelled():
    assert "<noscript><button" in _bar()
    bar = FilterBar(
        action="/leads/research/notes/",
        target="#note-list",
        fields=[FilterField.search("搜索", "")],
        submit_label="筛选",
    )
    html = render_to_string("core/_filter_bar.html", {"bar": bar})
    assert "<noscript>" not in html
    assert '<button class="btn btn-outline-primary" type="submit">筛选</button>' in html


def test_a_radio_field_is_a_row_of_buttons_with_one_checked():
    bar = FilterBar(
        action="/contracts/prices/",
        target="#fee-item-table",
        fields=[
            FilterField(
                "view", "范围", "radio", "all", options=[("current", "当前有效"), ("all", "全部")]
            )
        ],
    )
    html = render_to_string("core/_filter_bar.html", {"bar": bar})
    assert '<div class="btn-group" role="group" aria-label="范围">' in html
    assert 'name="view" id="id_view_current" value="current">' in html
    assert 'name="view" id="id_view_all" value="all" checked>' in html
    # The labels never wrap, and the group's column is as wide as they are (in a column sized
    # for a select each label wrapped a character a line).
    assert (
        '<label class="btn btn-outline-primary text-nowrap" for="id_view_all">全部</label>' in html
    )
    assert '<div class="col-12 col-md-auto">' in html
    assert "<select" not in html


def test_a_number_has_bounds_from_one_by_default():
    bar = FilterBar(
        action="/leads/prospects/",
        target="#prospect-table",
        fields=[
            FilterField("months", "月", "number", 3),
            FilterField("score_min", "评分≥", "number", 0, min_value=0, max_value=100),
        ],
    )
    html = render_to_string("core/_filter_bar.html", {"bar": bar})
    assert 'id="id_months" name="months" value="3" min="1">' in html
    assert 'id="id_score_min" name="score_min" value="0" min="0" max="100">' in html
