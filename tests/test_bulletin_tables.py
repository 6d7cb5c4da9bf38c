"""The bulletin's tables: every body row a copy of one laid-out row, with its own texts."""

from cycle.bulletin_docx import new_document, table


def test_a_table_has_every_row_with_its_texts_and_the_header_repeated():
    document = new_document("通报", "月度通报")
    rows = [(str(n), f"项目{n}", None if n == 2 else "正常") for n in range(1, 4)]
    rows.append(("4", "两行\n名称", " 前后空格 "))
    grid = table(document, ["序号", "项目名称", "进度"], rows, widths=(20, 100, 40), numeric=(0,))

    texts = [[cell.text for cell in row.cells] for row in grid.rows]
    assert texts == [
        ["序号", "项目名称", "进度"],
        ["1", "项目1", "正常"],
        ["2", "项目2", ""],
        ["3", "项目3", "正常"],
        ["4", "两行\n名称", " 前后空格 "],
    ]
    header = grid.rows[0]._tr
    assert header.trPr is not None and header.trPr.xpath("./w:tblHeader")
    # The rows are copies, not the same element: changing one leaves the others.
    grid.rows[1].cells[1].text = "改"
    assert grid.rows[2].cells[1].text == "项目2"
