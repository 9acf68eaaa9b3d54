from zhangfang.core.pdf import PdfDocument, pdf_response
from zhangfang.core.tests.pdf_text import pdf_text


def test_chinese_text_and_figures_survive_into_the_pdf():
    content = (
        PdfDocument("代理记账服务合同")
        .heading("第一条 服务内容")
        .paragraph("甲方：深圳市南山区测试科技有限公司\n乙方：账房代账")
        .table([["项目", "金额"], ["代理记账", "¥1,409.50"]], align_right=[1])
        .signatures("甲方（盖章）：", "乙方（盖章）：")
        .render()
    )
    assert content.startswith(b"%PDF")
    text = pdf_text(content).replace("\n", "")
    for expected in (
        "代理记账服务合同",
        "第一条 服务内容",
        "甲方：深圳市南山区测试科技有限公司",
        "¥1,409.50",
        "乙方（盖章）：",
    ):
        assert expected in text


def test_response_names_the_file_in_chinese():
    response = pdf_response(b"%PDF-1.4", "合同 HT2026-0001.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "HT2026-0001" in response["Content-Disposition"]
    assert "inline" in response["Content-Disposition"]
