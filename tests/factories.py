"""factory_boy factories for the registers and accounts."""

import datetime

import factory
from django.contrib.auth import get_user_model

from residents import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")
    is_staff = False


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Region

    name = factory.Sequence(lambda n: f"地区{n}")
    level = models.Region.Level.COUNTY
    parent = None


class TownFactory(RegionFactory):
    level = models.Region.Level.TOWN
    parent = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"镇{n}")


class CommunityFactory(RegionFactory):
    level = models.Region.Level.COMMUNITY
    parent = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"社区{n}")


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.StaffProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, is_staff=True)

    @factory.post_generation
    def communities(self, create, extracted, **kwargs):
        if create and extracted:
            self.communities.set(extracted)


class PropertyCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PropertyCompany

    name = factory.Sequence(lambda n: f"物业公司{n}")


class OwnersCommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OwnersCommittee

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"业主委员会{n}")


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Neighbourhood

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"小区{n}")
    year_built = 1990
    household_count = 10
    population = 30


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Building

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    floors = 6
    units = 2


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Household

    building = factory.SubFactory(BuildingFactory)
    unit = 1
    floor = 3
    room = factory.Sequence(lambda n: f"{300 + n}")
    head_name = factory.Sequence(lambda n: f"住户{n}")
    phone = "13812345678"
    id_number = ""
    people = 3


class VisitTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.VisitTeam
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"民间小组{n}")

    @factory.post_generation
    def neighbourhoods(self, create, extracted, **kwargs):
        if create and extracted:
            self.neighbourhoods.set(extracted)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CommitteeMember

    committee = factory.SubFactory(OwnersCommitteeFactory)
    name = factory.Sequence(lambda n: f"委员{n}")
    phone = "13712345678"


class BuildingHeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.BuildingHead

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    building = factory.SubFactory(
        BuildingFactory, neighbourhood=factory.SelfAttribute("..neighbourhood")
    )
    name = factory.Sequence(lambda n: f"楼院长{n}")
    phone = "13912345678"


def valid_id_number(first17: str = "61092219850101123") -> str:
    """A resident ID number with the right check character for its first 17 digits."""
    from residents.validators import id_number_check_char

    return first17 + id_number_check_char(first17)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Project"

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    name = factory.Sequence(lambda n: f"改造项目{n}")
    batch_year = 2026


def _published_at(disclosure):
    from django.utils import timezone

    return timezone.now() if disclosure.is_public else None


class DisclosureFactory(factory.django.DjangoModelFactory):
    """A document of a project; private unless ``is_public=True`` (then dated as published)."""

    class Meta:
        model = "projects.Disclosure"

    project = factory.SubFactory(ProjectFactory)
    category = "procedures"
    title = factory.Sequence(lambda n: f"公开文件{n}")
    file = factory.django.FileField(filename="document.pdf", data=b"%PDF-1.7\n%%EOF\n")
    is_public = False
    published_at = factory.LazyAttribute(_published_at)


class PhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Photo"

    project = factory.SubFactory(ProjectFactory)
    stage = "before"
    caption = factory.Sequence(lambda n: f"照片{n}")
    image = factory.django.ImageField(width=64, height=48, format="JPEG", filename="photo.jpg")
    thumbnail = factory.django.ImageField(width=32, height=24, format="JPEG", filename="t.jpg")


class CatalogueKindFactory(factory.django.DjangoModelFactory):
    """A kind of work; the 24 kinds of the county's catalogue are installed by migration, so
    a known ``code`` returns that kind."""

    class Meta:
        model = "projects.CatalogueKind"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"kind-{n}")
    name_zh = factory.Sequence(lambda n: f"改造内容{n}")
    name_en = factory.Sequence(lambda n: f"Work {n}")
    unit = "item"
    group = "infrastructure"
    national_class = "basic"


class TaskItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.TaskItem"

    project = factory.SubFactory(ProjectFactory)
    kind = factory.SubFactory(CatalogueKindFactory)
    planned_quantity = 10
    completed_quantity = 0


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.Milestone"

    project = factory.SubFactory(ProjectFactory)
    kind = "approval"


def _yuan(amount: str):
    from decimal import Decimal

    return Decimal(amount)


class FundingLineFactory(factory.django.DjangoModelFactory):
    """Money for a project from one source (yuan, as ``Decimal``)."""

    class Meta:
        model = "projects.FundingLine"

    project = factory.SubFactory(ProjectFactory)
    source = "county"
    planned = factory.LazyFunction(lambda: _yuan("100000.00"))
    arrived = factory.LazyFunction(lambda: _yuan("0.00"))
    spent = factory.LazyFunction(lambda: _yuan("0.00"))


# --- Consultation: visits, discussions, notices, objections ---------------------------------


def _day(year: int, month: int, day: int):
    import datetime

    return datetime.date(year, month, day)


class VisitFactory(factory.django.DjangoModelFactory):
    """A visit that reached its household; pass ``outcome`` for a failed attempt."""

    class Meta:
        model = "surveys.Visit"
        skip_postgeneration_save = True

    household = factory.SubFactory(HouseholdFactory)
    outcome = "reached"
    # Each visit on a day of its own: two failed attempts count only on different days.
    visited_on = factory.Sequence(
        lambda n: datetime.date.today() - datetime.timedelta(days=n % 300 + 1)
    )

    @factory.post_generation
    def needs(self, create, extracted, **kwargs):
        if create and extracted:
            self.needs.set(extracted)


class DiscussionFactory(factory.django.DjangoModelFactory):
    """An open residents' meeting of a project; ``adopted_items=[…]`` sets what it adopted."""

    class Meta:
        model = "surveys.Discussion"
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    held_on = factory.LazyFunction(lambda: _day(2026, 2, 20))
    place = "社区活动室"
    attendee_count = 40
    votes_for = 36
    votes_against = 1

    @factory.post_generation
    def proposed_items(self, create, extracted, **kwargs):
        if create and extracted:
            self.proposed_items.set(extracted)

    @factory.post_generation
    def adopted_items(self, create, extracted, **kwargs):
        if create and extracted:
            self.adopted_items.set(extracted)


class PublicNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "surveys.PublicNotice"

    project = factory.SubFactory(ProjectFactory)
    content = "改造内容：生态停车位、充电桩"
    budget = factory.LazyFunction(lambda: _yuan("500000.00"))
    schedule = "2026年4月至10月"
    posted_on = factory.LazyFunction(lambda: _day(2026, 3, 1))
    period_days = 7


class ObjectionFactory(factory.django.DjangoModelFactory):
    """An objection to a notice, unanswered unless ``answered_at`` is given."""

    class Meta:
        model = "surveys.Objection"

    notice = factory.SubFactory(PublicNoticeFactory)
    channel = "paper"
    text = "停车位离窗户太近"


class ResidentRequestFactory(factory.django.DjangoModelFactory):
    """A request received from the opinion book, due by the model's default; pass
    ``household`` (in ``neighbourhood``), ``status``, ``due_on``, ``received_at`` as needed."""

    class Meta:
        model = "surveys.ResidentRequest"

    channel = "book"
    category = "opinion"
    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    text = factory.Sequence(lambda n: f"民情意见{n}")
