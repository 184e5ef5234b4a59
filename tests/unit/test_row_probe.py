"""The row probe's question sets (evals/row_probe.py): which rows it asks about, and at what date."""
from evals.row_probe import dated_rows_of


def test_rows_under_date_columns_are_asked_at_the_current_date_when_their_label_opens_one_line():
    pages = {
        10: ("合并资产负债表\n项目 | 2024年9月30日 | 2023年12月31日\n货币资金 | 29,878,544 | 51,235,370\n"
             "应收票据 | 528,810 | 442,456\n存货 | 21,075,462 | 19,364,453\n"),
        # a note repeating a statement's label with other figures: that label is left out
        20: "关联方余额\n2024年12月31日 2023年12月31日\n存货 3,210 1,100\n",
        # the earlier date's column first: not asked
        30: "项目 2023年12月31日 2024年12月31日\n预付款项 552,591 751,860\n",
    }
    rows = dated_rows_of(pages)
    assert rows == [(10, "货币资金", "29,878,544", "2024年9月30日"), (10, "应收票据", "528,810", "2024年9月30日")]
