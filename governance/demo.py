"""The demo county's governance records, for ``seed_demo``: the credit files of its two
property firms, a year's worth of good and bad records, and their assessment for this year.
Idempotent: a firm that already has records is left alone."""

import datetime
from decimal import Decimal

from django.utils import timezone

from residents.models import PropertyCompany

from . import scoring
from .models import CreditRecord, NegativeItem

#: Per firm: (days before today, good or bad, source, points, what happened, negative item).
RECORDS = {
    "石泉县金江物业服务有限公司": [
        (200, "good", "award", 5, "获评县级“红色物业”示范项目", None),
        (150, "good", "evaluation", 3, "居民满意度测评达到95%", None),
        (90, "bad", "inspection", None, "督查发现消防通道堆放杂物", "消防通道堵塞未及时处理"),
        (40, "good", "inspection", 2, "督查问题按期整改到位", None),
    ],
    "石泉县汉水物业管理有限公司": [
        (
            180,
            "bad",
            "complaint",
            None,
            "居民投诉保洁不到位",
            "未按合同约定提供保洁、保安、维修服务",
        ),
        (120, "bad", "inspection", None, "督查问题逾期未整改", "督查发现问题逾期未整改"),
        (60, "good", "evaluation", 2, "居民评价较上季度改善", None),
        (30, "bad", "complaint", None, "电梯运行费分摊违规加收", "擅自提高收费标准或违规收费"),
        (20, "bad", "complaint", None, "诉求逾期未答复", "居民诉求逾期未答复"),
    ],
}


def load_governance(today: datetime.date | None = None) -> int:
    """Write the demo firms' records that are missing and assess this year; returns how
    many records were written."""
    today = today or timezone.localdate()
    written = 0
    for name, records in RECORDS.items():
        company = PropertyCompany.objects.filter(name=name).first()
        if company is None or CreditRecord.objects.filter(company=company).exists():
            continue
        for days, kind, source, points, text, behaviour in records:
            item = NegativeItem.objects.filter(behaviour=behaviour).first() if behaviour else None
            on = max(today - datetime.timedelta(days=days), datetime.date(today.year, 1, 1))
            CreditRecord.objects.create(
                company=company,
                date=on,
                kind=kind,
                source=source,
                points=Decimal(points) if points is not None else item.deduction,
                negative_item=item,
                description=text,
            )
            written += 1
    scoring.assess(today.year)
    return written
